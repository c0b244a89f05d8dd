"""
One artifact, one digest, everywhere: a pipeline pushes a signed v1 netboot artifact into the
primary, and every copy (capsule syncs over HTTP, immediate and on_demand; an OCI sync from
the primary's registry, what `replicate` runs) serves the same index and manifest bytes, the
same simple-signing signatures and the same sigstore attachment, so that a boot server pulling
from a copy with the primary's policy.json gets the primary's verdict.

The artifact is an independent producer's bytes (annotations and whitespace Pulp never writes),
pushed as a pipeline's registry client does: blobs, each manifest by digest, then the index tag.
"""

import base64
import hashlib
import json
import uuid

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pulp_glue.bootfiles.netboot.constants import GOARCH
from pulp_glue.bootfiles.netboot.oci import (
    EMPTY_CONFIG,
    IndexEntry,
    NetbootFile,
    build_index,
    build_manifest,
    sha256_digest,
)
from pulp_glue.bootfiles.pull import PullError, pull

from pulp_bootfiles.tests.fixtures.static_registry import netboot_files
from pulp_bootfiles.tests.functional.conftest import TREES
from pulp_bootfiles.tests.functional.pulp_api import API, CONTENT
from pulp_bootfiles.tests.functional.test_capsule_sync import latest, root_url
from pulp_bootfiles.tests.functional.test_chain_of_trust import (  # noqa: F401 (fixtures)
    keys,
    signing_service,
)
from pulp_bootfiles.tests.functional.test_serve import REGISTRY, registry_get

AUTH = ("admin", "password")
ARCHES = ("x86_64", "aarch64")
TAGS = ("40", "40-amd64", "40-arm64")
COSIGN_TYPE = "cosign container image signature"


def push_blob(base_path, data):
    started = requests.post(f"{API}/v2/{base_path}/blobs/uploads/", auth=AUTH, timeout=60)
    assert started.status_code == 202, started.text
    location = started.headers["Location"]
    location = location if location.startswith("http") else API + location
    separator = "&" if "?" in location else "?"
    done = requests.put(
        f"{location}{separator}digest={sha256_digest(data)}",
        data=data,
        headers={"Content-Type": "application/octet-stream"},
        auth=AUTH,
        timeout=60,
    )
    assert done.status_code == 201, done.text


def push_manifest(base_path, reference, data):
    media_type = json.loads(data)["mediaType"]
    response = requests.put(
        f"{API}/v2/{base_path}/manifests/{reference}",
        data=data,
        headers={"Content-Type": media_type},
        auth=AUTH,
        timeout=120,
    )
    assert response.status_code == 201, response.text
    assert response.headers["Docker-Content-Digest"] == sha256_digest(data)


def producer_artifact(salt):
    """[blob bytes], {digest or tag: bytes} of manifests in push order, and {tag: digest} of a
    two-arch v1 artifact written the way another producer might: its own annotations,
    indented JSON."""
    blobs, manifests, entries, tags = [EMPTY_CONFIG], {}, [], {}
    for arch in ARCHES:
        files = netboot_files(arch, salt)
        blobs += [body for _, body in files.values()]
        document = json.loads(
            build_manifest(
                [
                    NetbootFile(title, hashlib.sha256(body).hexdigest(), len(body), path)
                    for title, (path, body) in files.items()
                ],
                release="40",
            )
        )
        document["annotations"]["org.example.pipeline.run"] = salt
        data = json.dumps(document, indent=2).encode()
        manifests[sha256_digest(data)] = data
        tags[f"40-{GOARCH[arch]}"] = sha256_digest(data)
        entries.append(IndexEntry(sha256_digest(data), len(data), GOARCH[arch], "fedora-40"))
    index = json.loads(build_index(entries, release="40"))
    index["annotations"]["org.example.pipeline.run"] = salt
    manifests["40"] = json.dumps(index, indent=3).encode()
    tags["40"] = sha256_digest(manifests["40"])
    return blobs, manifests, tags


def cosign_attachment(key, signed, identity):
    """(tag, manifest bytes, blob bytes) of a cosign signature of `signed` by `key`."""
    payload = json.dumps(
        {
            "critical": {
                "identity": {"docker-reference": identity},
                "image": {"docker-manifest-digest": signed},
                "type": COSIGN_TYPE,
            },
            "optional": None,
        }
    ).encode()
    signature = base64.b64encode(key.sign(payload, ec.ECDSA(hashes.SHA256()))).decode()
    config = json.dumps({"architecture": "", "os": "", "rootfs": {"type": "layers"}}).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": sha256_digest(config),
            "size": len(config),
        },
        "layers": [
            {
                "mediaType": "application/vnd.dev.cosign.simplesigning.v1+json",
                "digest": sha256_digest(payload),
                "size": len(payload),
                "annotations": {"dev.cosignproject.cosign/signature": signature},
            }
        ],
    }
    tag = signed.replace(":", "-") + ".sig"
    return tag, json.dumps(manifest).encode(), [config, payload]


def public_pem(key):
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def served(base_path, origin=API):
    """{reference: sha256 digest of the served bytes} of the artifact's tags."""
    found = {}
    for tag in TAGS:
        response = registry_get(base_path, tag, origin=origin)
        assert response.status_code == 200, (base_path, tag, response.text)
        found[tag] = sha256_digest(response.content)
    return found


def simple_signatures(base_path, digest, origin=API):
    response = requests.get(
        f"{origin}/extensions/v2/{base_path}/signatures/{digest}", auth=AUTH, timeout=30
    )
    assert response.status_code == 200, response.text
    return sorted(s["content"] for s in response.json()["signatures"])


@pytest.fixture(scope="module")
def policies(keys, tmp_path_factory):  # noqa: F811
    """Policies for the primary's name, accepted wherever it is served: simple signing by the
    publisher, cosign by the pipeline's key, cosign by another key."""
    workdir = tmp_path_factory.mktemp("same-digests")
    publisher = keys["publisher"]
    keyring = publisher.write_keyring(workdir / "publisher.gpg")
    pipeline_key = ec.generate_private_key(ec.SECP256R1())
    stranger_key = ec.generate_private_key(ec.SECP256R1())
    (workdir / "pipeline.pub").write_bytes(public_pem(pipeline_key))
    (workdir / "stranger.pub").write_bytes(public_pem(stranger_key))

    def policy(name, requirement):
        path = workdir / f"{name}.json"
        path.write_text(
            json.dumps(
                {
                    "default": [{"type": "reject"}],
                    "transports": {"docker": {REGISTRY: [requirement]}},
                }
            )  # fmt: skip
        )
        return path

    return {
        "pipeline_key": pipeline_key,
        "policy": policy,
        "keyring": keyring,
        "cosign_key": workdir / "pipeline.pub",
        "stranger_key": workdir / "stranger.pub",
    }


def verdict(base_path, policy, tmp_path):
    """'accepted', or the PullError of pulling the artifact's x86_64 files from `base_path`."""
    dest = tmp_path / uuid.uuid4().hex
    try:
        pull(f"{REGISTRY}/{base_path}:40", dest, arches=["x86_64"], policy=policy, plain_http=True)
    except PullError as exc:
        return f"refused: {exc}"
    return "accepted"


def test_a_pushed_signed_artifact_has_the_same_digests_and_verdicts_on_every_copy(
    pulp,
    repository_factory,
    distribution_factory,
    remote_factory,
    oci_remote_factory,
    sync,
    signing_service,  # noqa: F811
    policies,
    tmp_path,
):
    salt = uuid.uuid4().hex[:10]
    repository = repository_factory()
    primary = distribution_factory(repository=repository["pulp_href"])["base_path"]
    blobs, manifests, pushed = producer_artifact(salt)
    for data in blobs:
        push_blob(primary, data)
    for reference, data in manifests.items():
        push_manifest(primary, reference, data)
    assert served(primary) == pushed

    # The pipeline signs: simple signing through the repository's signing service, and a
    # cosign signature of the index it pushes as an attachment.
    pulp.run(
        repository["pulp_href"] + "sign/",
        {"manifest_signing_service": signing_service["pulp_href"]},
    )
    tag, attachment, attachment_blobs = cosign_attachment(
        policies["pipeline_key"], pushed["40"], f"{REGISTRY}/{primary}"
    )
    for data in attachment_blobs:
        push_blob(primary, data)
    push_manifest(primary, tag, attachment)
    assert served(primary) == pushed
    primary_signatures = {d: simple_signatures(primary, d) for d in pushed.values()}
    assert all(primary_signatures.values()), primary_signatures
    # The content app's registry serves the very same bytes, signatures and attachment.
    assert served(primary, origin=CONTENT) == pushed
    for digest, signatures in primary_signatures.items():
        assert simple_signatures(primary, digest, origin=CONTENT) == signatures
    assert registry_get(primary, tag, origin=CONTENT).content == attachment
    trees = pulp.list(TREES, repository_version=latest(pulp, repository))
    assert {t["origin"] for t in trees} == {"push"}

    # The copies: capsules over HTTP (immediate, on_demand) and an OCI sync of the primary's
    # registry name, as pulpcore's replicate makes one.
    copies = {}
    for kind, remote in (
        ("distribution", remote_factory(root_url({"base_path": primary}))),
        ("distribution", remote_factory(root_url({"base_path": primary}), policy="on_demand")),
        ("registry", oci_remote_factory(API, primary)),
    ):
        copy = repository_factory()
        sync(copy, remote, mirror=True)
        base_path = distribution_factory(repository=copy["pulp_href"])["base_path"]
        copies[base_path] = copy
        assert served(base_path) == pushed, kind
        copied_trees = pulp.list(TREES, repository_version=latest(pulp, copy))
        if kind == "registry":
            # Within one Pulp, the OCI sync finds the very trees the push made (same manifest,
            # same unit), whose first arrival was the push.
            assert {t["pulp_href"] for t in copied_trees} == {t["pulp_href"] for t in trees}
            assert {t["origin"] for t in copied_trees} == {"push"}
        else:
            assert {t["origin"] for t in copied_trees} == {kind}
        assert {t["manifest_digest"] for t in copied_trees} == {
            pushed["40-amd64"],
            pushed["40-arm64"],
        }
        for digest, signatures in primary_signatures.items():
            assert simple_signatures(base_path, digest) == signatures, (kind, digest)
        carried = registry_get(base_path, tag)
        assert carried.status_code == 200 and carried.content == attachment, kind
        # A re-sync of an unchanged primary makes no new version.
        version = latest(pulp, copy)
        sync(copy, remote, mirror=True)
        summary = pulp.get(latest(pulp, copy))["content_summary"]
        assert latest(pulp, copy) == version, (
            kind,
            {
                k: {
                    t: [
                        (x.get("digest"), x.get("name"), x.get("media_type"))
                        for x in pulp.list(v["href"])
                    ]
                    for t, v in d.items()
                }
                for k, d in summary.items()
                if k != "present"
            },
        )

    # A boot server's verdict is the primary's, on every copy.
    name = {"type": "exactRepository", "dockerRepository": f"{REGISTRY}/{primary}"}
    policy = policies["policy"]
    signed_by = policy(
        "signed-by",
        {
            "type": "signedBy",
            "keyType": "GPGKeys",
            "keyPath": str(policies["keyring"]),
            "signedIdentity": name,
        },  # fmt: skip
    )
    cosign = policy(
        "cosign",
        {"type": "sigstoreSigned", "keyPath": str(policies["cosign_key"]), "signedIdentity": name},
    )
    stranger = policy(
        "stranger",
        {
            "type": "sigstoreSigned",
            "keyPath": str(policies["stranger_key"]),
            "signedIdentity": name,
        },  # fmt: skip
    )
    for base_path in (primary, *copies):
        assert verdict(base_path, signed_by, tmp_path) == "accepted", base_path
        assert verdict(base_path, cosign, tmp_path) == "accepted", base_path
        refused = verdict(base_path, stranger, tmp_path)
        assert refused.startswith("refused") and pushed["40"] in refused, refused
        assert "not signed by a key of the policy" in refused, refused
