"""
A release pipeline pushes its netboot artifact straight into a bootfiles distribution.

The registry checks the push against the spec (MANIFEST_INVALID naming the rule otherwise),
keeps the pushed bytes (the digests the pipeline printed are served), and the push becomes
trees in a new repository version, so plain files and boot configs follow.
"""

import json
import os
import subprocess
import uuid

import pytest
import requests
from oras.client import OrasClient
from pulp_glue.bootfiles.netboot.oci import sha256_digest

from pulp_bootfiles.app.compat import REGISTRY_TAKES_DELETES
from pulp_bootfiles.tests.fixtures.content import file_sha256
from pulp_bootfiles.tests.fixtures.producers import foreman_pipeline
from pulp_bootfiles.tests.fixtures.static_registry import StaticRegistry
from pulp_bootfiles.tests.functional.conftest import FILES, TREES
from pulp_bootfiles.tests.functional.pulp_api import API, CONTENT
from pulp_bootfiles.tests.functional.test_oci_producers import served_digests
from pulp_bootfiles.tests.functional.test_serve import REGISTRY, registry_get

CREDS = "admin:password"


def skopeo_copy(source, destination, *options):
    return subprocess.run(
        [
            "skopeo",
            "copy",
            "--src-tls-verify=false",
            "--dest-tls-verify=false",
            f"--dest-creds={CREDS}",
            *options,
            source,
            destination,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )


def tags_of(base_path):
    response = requests.get(f"{API}/v2/{base_path}/tags/list", timeout=30)
    return sorted(json.loads(response.content)["tags"])


def trees_of(pulp, repository):
    version = pulp.get(repository["pulp_href"])["latest_version_href"]
    return {(t["release"], t["arch"]): t for t in pulp.list(TREES, repository_version=version)}


def oci_layout(registry, tag, directory):
    """The OCI image layout a pipeline pushes from, holding what `registry` has under `tag`."""
    blobs = directory / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    for kind in ("manifests", "blobs"):
        for path in (registry.base / kind).glob("sha256:*"):
            (blobs / path.name.removeprefix("sha256:")).write_bytes(path.read_bytes())
    # The OCI empty config every netboot manifest names, which podman pushes with them.
    (blobs / sha256_digest(b"{}").removeprefix("sha256:")).write_bytes(b"{}")
    data = (registry.base / "manifests" / tag).read_bytes()
    entry = {
        "mediaType": json.loads(data)["mediaType"],
        "digest": sha256_digest(data),
        "size": len(data),
        "annotations": {"org.opencontainers.image.ref.name": tag},
    }
    (directory / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (directory / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [entry]}))
    return directory


@pytest.fixture
def synced_distributed(
    tree_factory, remote_factory, repository_factory, sync, distribution_factory
):
    """A repository synced from a release 40 tree, distributed: (tree, repository, base path)."""
    tree, url = tree_factory()
    repository = repository_factory()
    sync(repository, remote_factory(url))
    base_path = distribution_factory(repository=repository["pulp_href"])["base_path"]
    return tree, repository, base_path


@pytest.fixture
def empty_distributed(repository_factory, distribution_factory):
    repository = repository_factory()
    distribution = distribution_factory(repository=repository["pulp_href"])
    return repository, distribution["base_path"]


def test_skopeo_copy_all_pushes_a_pipelines_index_into_trees_served_as_pushed(
    fixture_server,
    empty_distributed,
    pulp,
    tmp_path,
    repository_factory,
    remote_factory,
    oci_remote_factory,
    distribution_factory,
    sync,
):
    # What the Foreman pipeline publishes (podman's v1: the version annotation on the index
    # entries only, no source paths), which Pulp would serve rebuilt had it synced it.
    upstream = StaticRegistry(fixture_server.root, f"pipeline/{uuid.uuid4().hex[:10]}")
    published = foreman_pipeline(upstream, "fedora", "44", ["x86_64", "aarch64"], salt="push")
    index_bytes = (upstream.base / "manifests" / "fedora-44").read_bytes()
    repository, base_path = empty_distributed

    layout = oci_layout(upstream, "fedora-44", tmp_path / "layout")
    digestfile = tmp_path / "digest"
    result = skopeo_copy(
        f"oci:{layout}:fedora-44",
        f"docker://{REGISTRY}/{base_path}:44",
        "--all",
        f"--digestfile={digestfile}",
    )
    assert result.returncode == 0, result.stderr

    # The digest skopeo printed is the one served. (skopeo 1.9 writes the index again, without
    # the entries' artifactType it does not know, so it cannot --preserve-digests; the
    # manifests it copies as they are.)
    served_index = registry_get(base_path, "44")
    assert served_index.status_code == 200, served_index.text
    assert digestfile.read_text().strip() == sha256_digest(served_index.content)
    listed = {
        e["platform"]["architecture"]: e["digest"] for e in json.loads(index_bytes)["manifests"]
    }
    assert {
        e["platform"]["architecture"]: e["digest"]
        for e in json.loads(served_index.content)["manifests"]
    } == listed
    for goarch, digest in listed.items():
        manifest = registry_get(base_path, f"44-{goarch}")
        assert sha256_digest(manifest.content) == digest
        assert manifest.content == (upstream.base / "manifests" / digest).read_bytes()
    assert tags_of(base_path) == ["44", "44-amd64", "44-arm64"]

    # The push is trees: plain files, their digests, and boot configs naming them.
    trees = trees_of(pulp, repository)
    assert sorted(trees) == [("44", "aarch64"), ("44", "x86_64")]
    assert trees["44", "x86_64"]["family"] == "fedora"
    assert trees["44", "x86_64"]["manifest_digest"] == listed["amd64"]
    version = pulp.get(repository["pulp_href"])["latest_version_href"]
    assert served_digests(pulp, base_path, version) == {
        f"44/{arch}/images/pxeboot/{title}": sha256
        for arch, files in published.items()
        for title, sha256 in files.items()
    }
    ipxe = requests.get(f"{CONTENT}/pulp/content/{base_path}/44/x86_64/boot.ipxe", timeout=30)
    assert ipxe.status_code == 200 and "images/pxeboot/vmlinuz" in ipxe.text, ipxe.text

    # A real client pulls what was pushed.
    client = OrasClient(hostname=REGISTRY, insecure=True)
    pulled = client.pull(target=f"{REGISTRY}/{base_path}:44-arm64", outdir=str(tmp_path / "o"))
    assert {p.rsplit("/", 1)[-1]: file_sha256(p) for p in pulled} == published["aarch64"]

    # Copies serve the pushed bytes too: podman's v1 under the spec's tags is kept as it is by
    # a capsule (HTTP) and an OCI sync, not rebuilt as Pulp's own v1.
    pushed = {
        tag: sha256_digest(registry_get(base_path, tag).content) for tag in tags_of(base_path)
    }
    for remote in (
        remote_factory(f"{CONTENT}/pulp/content/{base_path}/"),
        oci_remote_factory(API, base_path),
    ):
        copy = repository_factory()
        sync(copy, remote, mirror=True)
        copied = distribution_factory(repository=copy["pulp_href"])["base_path"]
        assert {
            tag: sha256_digest(registry_get(copied, tag).content) for tag in tags_of(copied)
        } == pushed

    # Pushing the same again changes nothing.
    again = skopeo_copy(
        f"oci:{layout}:fedora-44",
        f"docker://{REGISTRY}/{base_path}:44",
        "--all",
    )
    assert again.returncode == 0, again.stderr
    assert pulp.get(repository["pulp_href"])["latest_version_href"] == version


def oras_push_manifest(base_path, tag, files, manifest):
    """Push blobs and a manifest as oras-py does (its upload calls); the PUT's response."""
    client = OrasClient(hostname=REGISTRY, insecure=True, auth_backend="basic")
    client.auth.set_basic_auth(*CREDS.split(":"))
    container = client.get_container(f"{REGISTRY}/{base_path}:{tag}")
    for path, layer in files:
        response = client.upload_blob(str(path), container, layer)
        assert response.status_code in (200, 201, 202), response.text
    return client.upload_manifest(manifest, container)


def test_an_oras_push_of_one_arch_adds_a_release_beside_the_synced_trees(
    synced_distributed, pulp, tmp_path
):
    tree, repository, base_path = synced_distributed
    synced_manifest = registry_get(base_path, "40-amd64").content

    kernel, initrd = tmp_path / "vmlinuz", tmp_path / "initrd.img"
    kernel.write_bytes(b"kernel 45 " + uuid.uuid4().bytes * 64)
    initrd.write_bytes(b"initrd 45 " + uuid.uuid4().bytes * 640)
    layers = []
    for path in (kernel, initrd):
        data = path.read_bytes()
        layers.append(
            {
                "mediaType": "application/x-netboot-file",
                "digest": sha256_digest(data),
                "size": len(data),
                "annotations": {
                    "org.opencontainers.image.title": path.name,
                    "org.pulpproject.netboot.src.rpm": f"{path.stem}-45-1.x86_64",
                },
            }
        )
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": "application/vnd.org.pulpproject.netboot.artifact.v1",
        "config": {
            "mediaType": "application/vnd.oci.empty.v1+json",
            "digest": sha256_digest(b"{}"),
            "size": 2,
        },
        "layers": layers,
        "annotations": {
            "org.pulpproject.netboot.version": "1",
            "org.opencontainers.image.version": "45",
            "com.example.pipeline.run": "1234",
        },
    }
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"{}")
    response = oras_push_manifest(
        base_path,
        "45-amd64",
        [
            (empty, manifest["config"]),
            *[(p, layer) for p, layer in zip((kernel, initrd), layers, strict=True)],
        ],
        manifest,
    )
    assert response.status_code == 201, response.text
    pushed_digest = response.headers["Docker-Content-Digest"]

    served = registry_get(base_path, "45-amd64")
    assert sha256_digest(served.content) == pushed_digest
    assert json.loads(served.content)["annotations"]["com.example.pipeline.run"] == "1234"
    # Its release index is made by Pulp (the OS from the repository's trees); 40 is untouched.
    index = json.loads(registry_get(base_path, "45").content)
    assert [(e["digest"], e["platform"]["os.version"]) for e in index["manifests"]] == [
        (pushed_digest, "fedora-45")
    ]
    assert registry_get(base_path, "40-amd64").content == synced_manifest
    trees = trees_of(pulp, repository)
    assert sorted(trees) == [("40", tree.arch), ("45", "x86_64")]
    assert trees["45", "x86_64"]["family"] == trees["40", tree.arch]["family"]
    # The files keep what the manifest says of them (units other syncs may share).
    version = pulp.get(repository["pulp_href"])["latest_version_href"]
    packages = {
        f["name"]: f["source_package"]
        for f in pulp.list(FILES, repository_version=version)
        if f["release"] == "45"
    }
    assert packages == {"vmlinuz": "vmlinuz-45-1.x86_64", "initrd.img": "initrd-45-1.x86_64"}
    plain = f"{CONTENT}/pulp/content/{base_path}/45/x86_64/images/pxeboot/"
    assert requests.get(plain + "vmlinuz", timeout=30).content == kernel.read_bytes()
    assert requests.get(plain + "initrd.img", timeout=30).content == initrd.read_bytes()


def put_manifest(base_path, reference, data, media_type):
    return requests.put(
        f"{API}/v2/{base_path}/manifests/{reference}",
        data=data,
        headers={"Content-Type": media_type},
        auth=tuple(CREDS.split(":")),
        timeout=60,
    )


def test_a_push_that_breaks_the_spec_is_refused_and_the_repository_stays_as_it_was(
    synced_distributed, pulp
):
    _, repository, base_path = synced_distributed
    before = pulp.get(repository["pulp_href"])["latest_version_href"]

    # The release 40 artifact pushed as 41: its manifest says 40.
    result = skopeo_copy(
        f"docker://{REGISTRY}/{base_path}:40-amd64", f"docker://{REGISTRY}/{base_path}:41-amd64"
    )
    assert result.returncode != 0, result.stdout
    assert "manifest invalid" in result.stderr.lower(), result.stderr
    assert "is '40', not the release '41'" in result.stderr, result.stderr

    # An image, not a netboot artifact, tagged `latest`: the registry's own error, the rule.
    manifest = registry_get(base_path, "40-amd64").content
    refused = put_manifest(
        base_path, "latest", manifest, "application/vnd.oci.image.manifest.v1+json"
    )
    assert refused.status_code == 400, refused.text
    (error,) = refused.json()["errors"]
    assert error["code"] == "MANIFEST_INVALID"
    assert "tag latest: a netboot manifest is pushed as '<release>-<goarch>'" in error["message"]
    assert error["detail"]["digest"] == sha256_digest(manifest)
    index = put_manifest(
        base_path,
        "fedora-40",
        registry_get(base_path, "40").content,
        "application/vnd.oci.image.index.v1+json",
    )
    assert (
        index.status_code == 400
        and "its release's tag '40'" in index.json()["errors"][0]["message"]
    )

    # Deleting through the registry would be undone by the next version: refused (by the
    # plugin, naming the distribution; pulp-container before 2.29 takes no DELETE at all).
    layer = json.loads(manifest)["layers"][0]["digest"]
    for kind, reference in (("manifests", "40-amd64"), ("blobs", layer)):
        deleted = requests.delete(
            f"{API}/v2/{base_path}/{kind}/{reference}", auth=tuple(CREDS.split(":")), timeout=60
        )
        assert deleted.status_code == 405, deleted.text
        (error,) = deleted.json()["errors"]
        assert error["code"] == "UNSUPPORTED"
        if REGISTRY_TAKES_DELETES:
            assert f"{base_path} is a bootfiles distribution" in error["message"]
        else:
            assert error["message"] == 'Method "DELETE" not allowed.'

    assert pulp.get(repository["pulp_href"])["latest_version_href"] == before
    assert registry_get(base_path, "41-amd64").status_code == 404
    assert tags_of(base_path) == ["40", "40-amd64"]


def cosign_signature(tmp_path, signed):
    """The files and manifest of a sigstore attachment signing `signed` (as cosign writes it)."""
    payload = json.dumps(
        {
            "critical": {
                "identity": {"docker-reference": "pulp.example.com/fedora"},
                "image": {"docker-manifest-digest": signed},
                "type": "cosign container image signature",
            },
            "optional": None,
        }
    ).encode()
    config = json.dumps({"architecture": "", "os": "", "rootfs": {"type": "layers"}}).encode()
    files = []
    for name, data in (("config.json", config), ("payload.json", payload)):
        (tmp_path / name).write_bytes(data)
        files.append(tmp_path / name)
    config_descriptor = {
        "mediaType": "application/vnd.oci.image.config.v1+json",
        "digest": sha256_digest(config),
        "size": len(config),
    }
    layer = {
        "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
        "digest": sha256_digest(payload),
        "size": len(payload),
        "annotations": {"dev.cosignproject.cosign/signature": "MEUCIQ...fake-but-opaque"},
    }
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": config_descriptor,
        "layers": [layer],
    }
    return list(zip(files, (config_descriptor, layer), strict=True)), manifest


def test_a_sigstore_signature_stays_while_the_manifest_it_signs_is_served(
    synced_distributed, tree_factory, remote_factory, sync, pulp, tmp_path
):
    _, repository, base_path = synced_distributed
    signed = sha256_digest(registry_get(base_path, "40-amd64").content)
    signature_tag = f"{signed.replace(':', '-')}.sig"

    files, manifest = cosign_signature(tmp_path, signed)
    response = oras_push_manifest(base_path, signature_tag, files, manifest)
    assert response.status_code == 201, response.text
    assert registry_get(base_path, signature_tag).status_code == 200

    # A signature of a manifest the repository does not hold is refused.
    unknown = f"sha256:{'0' * 64}"
    files, manifest = cosign_signature(tmp_path, unknown)
    refused = oras_push_manifest(base_path, f"sha256-{'0' * 64}.sig", files, manifest)
    assert refused.status_code == 400, refused.text
    assert f"signs {unknown}, which this repository does not hold" in refused.text

    # Another release joins: the signature stays with its manifest.
    _, url_41 = tree_factory(release="41")
    sync(repository, remote_factory(url_41))
    assert signature_tag in tags_of(base_path)

    # The release 40 tree changes: its tag moves to a new manifest, the signature goes.
    _, changed = tree_factory()
    sync(repository, remote_factory(changed))
    assert sha256_digest(registry_get(base_path, "40-amd64").content) != signed
    assert signature_tag not in tags_of(base_path)
    assert registry_get(base_path, signature_tag).status_code == 404


def test_podman_manifest_push_all_is_checked_as_it_arrives(
    fixture_server, empty_distributed, pulp, tmp_path
):
    """podman 4.3 (Debian 12) cannot annotate an index (podman 5's `manifest create
    --annotation` can), so the list it pushes lacks the spec's version annotation: the push
    reaches the check and podman shows the rule."""
    upstream = StaticRegistry(fixture_server.root, f"pipeline/{uuid.uuid4().hex[:10]}")
    foreman_pipeline(upstream, "fedora", "46", ["x86_64", "aarch64"], salt="podman")
    layout = oci_layout(upstream, "fedora-46", tmp_path / "layout")
    repository, base_path = empty_distributed
    before = pulp.get(repository["pulp_href"])["latest_version_href"]
    # A storage of its own: vfs needs no kernel overlay support, nothing is left behind.
    storage = tmp_path / "storage.conf"
    storage.write_text(
        f'[storage]\ndriver = "vfs"\nrunroot = "{tmp_path}/run"\ngraphroot = "{tmp_path}/root"\n'
    )
    env = {**os.environ, "CONTAINERS_STORAGE_CONF": str(storage)}

    def podman(*args):
        return subprocess.run(
            ["podman", *args], capture_output=True, text=True, env=env, timeout=300
        )

    assert podman("manifest", "create", "localhost/netboot").returncode == 0
    added = podman("manifest", "add", "--all", "localhost/netboot", f"oci:{layout}:fedora-46")
    assert added.returncode == 0, added.stderr
    pushed = podman(
        "manifest",
        "push",
        "--all",
        "--format=oci",
        "--tls-verify=false",
        f"--creds={CREDS}",
        "localhost/netboot",
        f"docker://{REGISTRY}/{base_path}:46",
    )
    assert pushed.returncode != 0, pushed.stdout
    assert (
        "manifest invalid: tag 46: the index annotation org.pulpproject.netboot.version is None"
        in pushed.stderr
    ), pushed.stderr
    assert pulp.get(repository["pulp_href"])["latest_version_href"] == before
    assert tags_of(base_path) == []
