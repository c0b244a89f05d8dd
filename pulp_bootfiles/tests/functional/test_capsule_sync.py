"""
Capsule sync: a tree remote at another Pulp's distribution root syncs every tree it serves.

The capsule reads the distribution's `.bootfiles.json`, fetches `.treeinfo`s and files over
plain HTTP (checked against the index), and ends with the same files, metadata, tree digests
and OCI manifests; an unchanged upstream costs the index; bad upstreams fail naming the URL
and the problem; a TLS front that requires a client certificate is passed with the remote's
client_cert, client_key and ca_cert.
"""

import hashlib
import json
import uuid

import pytest
import requests

from pulp_bootfiles.app.formats.netboot_index import IndexFile, IndexTree, render_index
from pulp_bootfiles.tests.fixtures.repogen import create_repo
from pulp_bootfiles.tests.fixtures.rpmsign import generate_key, sign_rpms
from pulp_bootfiles.tests.fixtures.treegen import BUILD_TIMESTAMP, build_tree
from pulp_bootfiles.tests.functional.conftest import FILES, TREES
from pulp_bootfiles.tests.functional.fixture_server import Fault, FixtureServer
from pulp_bootfiles.tests.functional.pulp_api import CONTENT, TaskFailed
from pulp_bootfiles.tests.functional.test_chain_of_trust import (
    KERNEL_VERSION,
    packages_with_real_bootloaders,
)
from pulp_bootfiles.tests.functional.test_serve import registry_get
from pulp_bootfiles.tests.functional.tls_front import TLSFront, nginx_binary

INDEX = ".bootfiles.json"
FILE_FIELDS = (
    "name",
    "relative_path",
    "release",
    "arch",
    "sha256",
    "source_package",
    "source_package_checksum",
    "signing_key_id",
    "sbat",
)
TREE_FIELDS = (
    "family",
    "short",
    "release",
    "variant",
    "arch",
    "build_timestamp",
    "digest",
    "source_url",
    "kernel_version",
    "boot_iso_bootloaders",
)


def root_url(distribution, origin=CONTENT):
    return f"{origin}/pulp/content/{distribution['base_path']}/"


def latest(pulp, repository):
    return pulp.get(repository["pulp_href"])["latest_version_href"]


def served(pulp, version_href):
    """What a version holds, field by field: ({content path: file}, {(release, arch): tree})."""
    files = {
        f["content_path"]: {key: f[key] for key in FILE_FIELDS}
        for f in pulp.list(FILES, repository_version=version_href)
    }
    trees = {
        (t["release"], t["arch"]): {key: t[key] for key in TREE_FIELDS}
        for t in pulp.list(TREES, repository_version=version_href)
    }
    return files, trees


def manifest_digests(base_path, tags):
    digests = {}
    for tag in tags:
        response = registry_get(base_path, tag)
        assert response.status_code == 200, (tag, response.text)
        digests[tag] = response.headers["Docker-Content-Digest"]
    return digests


def snapshot(distribution, directory):
    """Copy what a distribution serves (its index, each tree's .treeinfo and files) into
    `directory`, laid out as the distribution serves it; returns the index bytes."""
    index = requests.get(root_url(distribution) + INDEX, timeout=30)
    assert index.status_code == 200, index.text
    (directory / INDEX).parent.mkdir(parents=True, exist_ok=True)
    (directory / INDEX).write_bytes(index.content)
    for tree in index.json()["trees"]:
        for entry in [tree["treeinfo"], *tree["files"]]:
            path = f"{tree['release']}/{tree['arch']}/{entry['path']}"
            response = requests.get(root_url(distribution) + path, timeout=60)
            assert response.status_code == 200, (path, response.status_code)
            (directory / path).parent.mkdir(parents=True, exist_ok=True)
            (directory / path).write_bytes(response.content)
    return index.content


def test_capsule_mirrors_every_tree_and_resyncs_with_the_index_only(
    pulp,
    netboot_upstream,
    tree_factory,
    remote_factory,
    repository_factory,
    sync,
    distribution_factory,
    tmp_path,
):
    upstream = netboot_upstream["distribution"]
    upstream_version = latest(pulp, netboot_upstream["repository"])
    capsule = repository_factory()
    _, other_url = tree_factory(release="41")
    sync(capsule, remote_factory(other_url))  # mirror mode must drop this tree

    sync(capsule, remote_factory(root_url(upstream)), mirror=True)
    version = latest(pulp, capsule)
    assert served(pulp, version) == served(pulp, upstream_version)
    files, trees = served(pulp, version)
    assert set(trees) == {("40", "x86_64"), ("40", "aarch64")}
    assert any(f["source_package"] for f in files.values())
    # Same digests, so the very same content units: nothing was made twice.
    for endpoint in (FILES, TREES):
        hrefs = {c["pulp_href"] for c in pulp.list(endpoint, repository_version=version)}
        assert hrefs == {
            c["pulp_href"] for c in pulp.list(endpoint, repository_version=upstream_version)
        }
    mirror = distribution_factory(repository=capsule["pulp_href"])
    tags = ["40", "40-amd64", "40-arm64"]
    assert manifest_digests(mirror["base_path"], tags) == manifest_digests(
        upstream["base_path"], tags
    )
    index = requests.get(root_url(mirror) + INDEX, timeout=30).content
    assert index == requests.get(root_url(upstream) + INDEX, timeout=30).content

    # Through a front that records each request and redirects it to the content app.
    with FixtureServer(tmp_path) as front:
        front.inject(Fault("redirect", ".*", location=CONTENT))
        task = sync(capsule, remote_factory(front.url(f"pulp/content/{upstream['base_path']}/")))
    prefix = f"/pulp/content/{upstream['base_path']}/"
    # .treeinfo answers 404 (a distribution root), then the index; no file, no .treeinfo.
    assert front.requests == [prefix + ".treeinfo", prefix + INDEX]
    assert task["created_resources"] == []
    assert latest(pulp, capsule) == version


def test_on_demand_capsule_fetches_each_file_on_first_request(
    fixture_server, remote_factory, repository_factory, sync, distribution_factory
):
    directory = fixture_server.root / f"root-{uuid.uuid4().hex[:8]}"
    _write_root(directory)  # new bytes: nothing Pulp stores already
    capsule = repository_factory()
    sync(capsule, remote_factory(fixture_server.url(directory.name) + "/", policy="on_demand"))
    kernel = f"/{directory.name}/40/x86_64/images/pxeboot/vmlinuz"
    assert kernel not in fixture_server.requests
    mirror = distribution_factory(repository=capsule["pulp_href"])
    body = requests.get(root_url(mirror) + "40/x86_64/images/pxeboot/vmlinuz", timeout=60)
    assert body.status_code == 200
    assert body.content == (directory / kernel.split("/", 2)[2]).read_bytes()
    assert kernel in fixture_server.requests


@pytest.fixture
def signed_upstream(
    pulp, fixture_server, remote_factory, repository_factory, sync, distribution_factory
):
    """A distributed tree of new packages signed by a new key, with SBAT and a kernel
    version, so its BootFiles carry every kind of metadata and exist nowhere else."""
    salt = uuid.uuid4().hex[:12]
    tree = build_tree(
        fixture_server.root / f"capsule-{salt}",
        salt=salt,
        packages=packages_with_real_bootloaders(salt),
        kernel_version=KERNEL_VERSION,
    )
    key = generate_key("Capsule Packager")
    try:
        sign_rpms(key, [tree.root / path for path in tree.packages.values()])
        create_repo(tree.root, "zstd", BUILD_TIMESTAMP)
        remote = remote_factory(
            fixture_server.url(tree.root.name) + "/", openpgp_keys=key.public_armor()
        )
    finally:
        key.close()
    repository = repository_factory()
    sync(repository, remote)
    distribution = distribution_factory(repository=repository["pulp_href"])
    return {"repository": repository, "remote": remote, "distribution": distribution}


def test_capsule_builds_the_same_units_from_the_index_alone(
    pulp,
    signed_upstream,
    fixture_server,
    remote_factory,
    repository_factory,
    sync,
    distribution_factory,
):
    """The upstream's units are deleted first, so every unit is made from the index."""
    upstream = signed_upstream["distribution"]
    files, trees = served(pulp, latest(pulp, signed_upstream["repository"]))
    assert any(f["signing_key_id"] and f["sbat"] for f in files.values())
    assert all(t["kernel_version"] for t in trees.values())
    tags = ["40", "40-amd64"]
    digests = manifest_digests(upstream["base_path"], tags)
    copy = fixture_server.root / f"copy-{uuid.uuid4().hex[:8]}"
    index = snapshot(upstream, copy)
    tree_hrefs = [
        t["pulp_href"]
        for t in pulp.list(TREES, repository_version=latest(pulp, signed_upstream["repository"]))
    ]
    for href in (
        upstream["pulp_href"],
        signed_upstream["repository"]["pulp_href"],
        signed_upstream["remote"]["pulp_href"],
    ):
        pulp.wait(pulp.delete(href).json()["task"])
    pulp.run("/pulp/api/v3/orphans/cleanup/", {"orphan_protection_time": 0})
    assert all(pulp.request("GET", href).status_code == 404 for href in tree_hrefs)

    capsule = repository_factory()
    remote = remote_factory(fixture_server.url(copy.name) + "/")
    kernel = copy / "40/x86_64/images/pxeboot/vmlinuz"
    original = kernel.read_bytes()
    kernel.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    with pytest.raises(TaskFailed) as failed:
        sync(capsule, remote)
    message = failed.value.task["error"]["description"]
    assert "40/x86_64/images/pxeboot/vmlinuz" in message and "checksum" in message, message
    assert latest(pulp, capsule).endswith("/versions/0/")

    kernel.write_bytes(original)
    sync(capsule, remote)
    assert served(pulp, latest(pulp, capsule)) == (files, trees)
    mirror = distribution_factory(repository=capsule["pulp_href"])
    assert manifest_digests(mirror["base_path"], tags) == digests
    assert requests.get(root_url(mirror) + INDEX, timeout=30).content == index


def _write_root(directory, extra=None, damage=None):
    """A hand-made distribution root of one tree: .treeinfo and vmlinuz, plus `extra`
    ({path: bytes}); `damage(directory)` then breaks it."""
    files = {"images/pxeboot/vmlinuz": f"kernel {directory.name}".encode(), **(extra or {})}
    treeinfo = f"[general]\nname = {directory.name}\n".encode()
    tree_dir = directory / "40" / "x86_64"
    for path, data in {".treeinfo": treeinfo, **files}.items():
        (tree_dir / path).parent.mkdir(parents=True, exist_ok=True)
        (tree_dir / path).write_bytes(data)

    def entry(name, path, data):
        return IndexFile(name, path, hashlib.sha256(data).hexdigest(), len(data))

    tree = IndexTree(
        "40",
        "x86_64",
        "Fedora",
        "Fedora",
        "Everything",
        BUILD_TIMESTAMP,
        "",
        tuple(entry(path.rpartition("/")[2], path, data) for path, data in files.items()),
        entry(".treeinfo", ".treeinfo", treeinfo),
    )
    (directory / INDEX).write_bytes(render_index([tree]))
    if damage is not None:
        damage(directory)


def _edit_index(edit):
    def damage(directory):
        body = json.loads((directory / INDEX).read_bytes())
        edit(body)
        (directory / INDEX).write_text(json.dumps(body))

    return damage


def _unlink(path):
    return lambda directory: (directory / path).unlink()


def _tamper(path):
    return lambda directory: (directory / path).write_bytes(b"not what the index says")


INITRD = "40/x86_64/images/pxeboot/initrd.img"
DAMAGES = {
    "malformed index": (lambda d: (d / INDEX).write_bytes(b"{not json"), "not JSON"),
    "wrong version": (_edit_index(lambda b: b.update(version="1")), "version '1' is not 1"),
    "escaping path": (
        _edit_index(lambda b: b["trees"][0]["files"][0].update(path="../../../etc/passwd")),
        "path '../../../etc/passwd' has a '..' component",
    ),
    "dot release": (
        _edit_index(lambda b: b["trees"][0].update(release="..")),
        "'release' '..' is not valid",
    ),
    "tampered file": (_tamper(INITRD), "checksum"),
    "missing file": (_unlink(INITRD), "404"),
    "no index, no .treeinfo": (
        _unlink(INDEX),
        "is neither a tree root nor a Pulp distribution root",
    ),
}


@pytest.mark.parametrize("damage", DAMAGES, ids=list(DAMAGES))
def test_bad_upstreams_fail_naming_the_url_and_keep_the_version(
    damage, pulp, fixture_server, remote_factory, repository_factory, sync
):
    directory = fixture_server.root / f"root-{uuid.uuid4().hex[:8]}"
    _write_root(directory)
    capsule = repository_factory()
    url = fixture_server.url(directory.name) + "/"
    remote = remote_factory(url, max_retries=1)
    sync(capsule, remote)
    before = latest(pulp, capsule)
    # A new file (so it must be downloaded), then the damage.
    damage_function, problem = DAMAGES[damage]
    _write_root(directory, {"images/pxeboot/initrd.img": b"initrd"}, damage_function)
    with pytest.raises(TaskFailed) as failed:
        sync(capsule, remote)
    message = failed.value.task["error"]["description"]
    assert problem in message, message
    named = url + (INITRD if "file" in damage else INDEX)
    assert named in message, message
    if damage == "no index, no .treeinfo":
        assert url + ".treeinfo" in message, message
    assert latest(pulp, capsule) == before


def test_unreachable_upstream_fails_naming_the_url(
    remote_factory, repository_factory, sync, tmp_path
):
    with FixtureServer(tmp_path) as gone:
        url = gone.url("pulp/content/gone/")
    # The server is gone: its port refuses connections.
    with pytest.raises(TaskFailed) as failed:
        sync(repository_factory(), remote_factory(url, max_retries=1))
    message = failed.value.task["error"]["description"]
    assert url + ".treeinfo" in message, message


@pytest.fixture(scope="module")
def tls_front(tmp_path_factory):
    """nginx with TLS in front of the content app, requiring a client certificate."""
    if nginx_binary() is None:
        pytest.fail("nginx is missing: dev/stack.sh installs it")
    with TLSFront(tmp_path_factory.mktemp("tls"), upstream=CONTENT) as front:
        yield front


def test_client_certificate_passes_a_tls_front_that_requires_one(
    pulp, tls_front, netboot_upstream, remote_factory, repository_factory, sync
):
    url = root_url(netboot_upstream["distribution"], origin=tls_front.origin)
    capsule = repository_factory()
    without = remote_factory(url, ca_cert=tls_front.ca_pem)
    with pytest.raises(TaskFailed) as failed:
        sync(capsule, without)
    message = failed.value.task["error"]["description"]
    assert url + ".treeinfo" in message and "400" in message, message

    with_cert = remote_factory(
        url,
        ca_cert=tls_front.ca_pem,
        client_cert=tls_front.client_cert_pem,
        client_key=tls_front.client_key_pem,
    )
    sync(capsule, with_cert, mirror=True)
    assert served(pulp, latest(pulp, capsule)) == served(
        pulp, latest(pulp, netboot_upstream["repository"])
    )
    assert f"CN={tls_front.client_name}" in tls_front.access_log()
