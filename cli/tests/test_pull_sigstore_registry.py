"""`pull --policy` with sigstoreSigned against a real registry (Debian's docker-registry, no
Pulp): skopeo pushes a netboot artifact, the test stores cosign's attachment manifest
(`sha256-<hex>.sig`) beside it, and the pull accepts the publisher's signature and refuses an
unsigned manifest, another key and another name, leaving DEST as it was.

Each verdict is compared with skopeo's on the same policy (registries.d with
`use-sigstore-attachments: true`). Debian 12's skopeo 1.9.3 is built with sigstore disabled
("Debian-local change: sigstore disabled"): it can neither sign with
--sign-by-sigstore-private-key nor verify a sigstore signature it finds, so with it only the
unsigned verdict is compared; a skopeo that verifies is compared in every case. The signatures
themselves are checked against cosign's and containers/image's own in test_pull_sigstore.py.
"""

import base64
import hashlib
import json
import subprocess
import uuid

import pytest
import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pulp_bootfiles.tests.functional.docker_registry import DockerRegistry

from pulp_glue.bootfiles.netboot.constants import MEDIA_TYPE
from pulp_glue.bootfiles.netboot.oci import NetbootFile, build_manifest, sha256_digest
from pulp_glue.bootfiles.pull import PullError, pull, sigstore

FILES = {"vmlinuz": b"a kernel", "initrd.img": b"an initrd"}
TAG = "40-amd64"
OCI = MEDIA_TYPE.MANIFEST_OCI
SKOPEO_SIGSTORE_DISABLED = "Debian-local change: sigstore disabled"


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    with DockerRegistry(tmp_path_factory.mktemp("registry")) as running:
        yield running


@pytest.fixture(scope="module")
def layout(tmp_path_factory):
    """An OCI image layout holding a netboot manifest of FILES under TAG."""
    root = tmp_path_factory.mktemp("layout")
    blobs = root / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    for data in [*FILES.values(), b"{}"]:
        (blobs / hashlib.sha256(data).hexdigest()).write_bytes(data)
    files = [
        NetbootFile(title, hashlib.sha256(data).hexdigest(), len(data), f"images/{title}")
        for title, data in FILES.items()
    ]
    manifest = build_manifest(files, release="40")
    (blobs / sha256_digest(manifest).removeprefix("sha256:")).write_bytes(manifest)
    entry = {
        "mediaType": json.loads(manifest)["mediaType"],
        "digest": sha256_digest(manifest),
        "size": len(manifest),
        "annotations": {"org.opencontainers.image.ref.name": TAG},
    }
    (root / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (root / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [entry]}))
    return root


def push(registry, layout, repository) -> str:
    """skopeo copies the layout to `repository`:TAG; the manifest digest served."""
    subprocess.run(
        [
            "skopeo",
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
            f"--dest-creds={registry.username}:{registry.password}",
            f"oci:{layout}:{TAG}",
            f"docker://{registry.host}/{repository}:{TAG}",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    served = registry.get(f"{repository}/manifests/{TAG}", headers={"Accept": OCI})
    assert served.status_code == 200, served.text
    return sha256_digest(served.content)


def sign(registry, repository, digest, identity, key) -> None:
    """Store cosign's attachment manifest signing `digest` as `identity` with `key`."""
    payload = json.dumps(
        {
            "critical": {
                "identity": {"docker-reference": identity},
                "image": {"docker-manifest-digest": digest},
                "type": "cosign container image signature",
            },
            "optional": None,
        }
    ).encode()
    signature = base64.b64encode(key.sign(payload, ec.ECDSA(hashes.SHA256()))).decode()
    config = b'{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]},"config":{}}'
    auth = (registry.username, registry.password)

    def upload(data):
        started = requests.post(
            f"{registry.url}/v2/{repository}/blobs/uploads/", auth=auth, timeout=30
        )
        location = started.headers["Location"]
        done = requests.put(
            location, params={"digest": sha256_digest(data)}, data=data, auth=auth, timeout=30
        )
        assert done.status_code == 201, done.text
        return {"digest": sha256_digest(data), "size": len(data)}

    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **upload(config)},
        "layers": [
            {
                "mediaType": sigstore.SIGNATURE_MEDIA_TYPE,
                **upload(payload),
                "annotations": {sigstore.SIGNATURE_ANNOTATION: signature},
            }
        ],
    }
    stored = requests.put(
        f"{registry.url}/v2/{repository}/manifests/{sigstore.attachment_tag(digest)}",
        data=json.dumps(manifest),
        headers={"Content-Type": OCI},
        auth=auth,
        timeout=30,
    )
    assert stored.status_code == 201, stored.text


def public_pem(key, path):
    path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


def policy_file(registry, key_path, path):
    requirement = {"type": "sigstoreSigned", "keyPath": str(key_path)}
    document = {
        "default": [{"type": "reject"}],
        "transports": {"docker": {registry.host: [requirement]}},
    }
    path.write_text(json.dumps(document))
    return path


def skopeo_verdict(registry, policy, reference, tmp_path):
    """True/False: skopeo copies or refuses; None: this skopeo cannot verify sigstore."""
    registries_d = tmp_path / "registries.d"
    registries_d.mkdir(exist_ok=True)
    (registries_d / "sigstore.yaml").write_text(
        f"docker:\n  {registry.host}:\n    use-sigstore-attachments: true\n"
    )
    result = subprocess.run(
        [
            "skopeo",
            "--policy",
            str(policy),
            "--registries.d",
            str(registries_d),
            "copy",
            "--src-tls-verify=false",
            f"--src-creds={registry.username}:{registry.password}",
            f"docker://{reference}",
            f"dir:{tmp_path / 'skopeo-copy'}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if SKOPEO_SIGSTORE_DISABLED in result.stderr:
        return None
    assert result.returncode == 0 or "Source image rejected" in result.stderr, result.stderr
    return result.returncode == 0


def our_verdict(registry, policy, reference, dest):
    """True when the pull took the set; False, with DEST untouched, when it was refused."""
    try:
        pull(
            reference,
            dest,
            policy=str(policy),
            plain_http=True,
            username=registry.username,
            password=registry.password,
        )
    except PullError as exc:
        assert not dest.exists() or not any(dest.iterdir()), list(dest.iterdir())
        return False, str(exc)
    assert {name: (dest / name).read_bytes() for name in FILES} == FILES
    return True, ""


@pytest.fixture(scope="module")
def keys():
    return {name: ec.generate_private_key(ec.SECP256R1()) for name in ("publisher", "stranger")}


def test_unsigned_is_refused_as_skopeo_refuses(registry, layout, keys, tmp_path):
    digest = push(registry, layout, "unsigned/fedora")
    publisher = public_pem(keys["publisher"], tmp_path / "publisher.pub")
    policy = policy_file(registry, publisher, tmp_path / "policy.json")
    reference = f"{registry.host}/unsigned/fedora:{TAG}"
    accepted, message = our_verdict(registry, policy, reference, tmp_path / "dest")
    assert not accepted
    assert f"a sigstore signature by {publisher} (ECDSA P-256, sha256:" in message
    assert f"is required, but {digest} has none" in message
    assert skopeo_verdict(registry, policy, reference, tmp_path) is False


@pytest.mark.parametrize(
    "signer, identity, accepted, problem",
    [
        ("publisher", "{host}/signed-{n}/fedora:40-amd64", True, ""),
        ("stranger", "{host}/signed-{n}/fedora:40-amd64", False, "not signed by a key"),
        ("publisher", "{host}/signed-{n}/other:40-amd64", False, "/other:40-amd64', which"),
        ("publisher", "{host}/signed-{n}/fedora", False, "matchRepoDigestOrExact does not"),
    ],
)
def test_signed(registry, layout, keys, tmp_path, signer, identity, accepted, problem):
    n = uuid.uuid4().hex[:8]  # a repository of its own per case
    repository = f"signed-{n}/fedora"
    digest = push(registry, layout, repository)
    sign(registry, repository, digest, identity.format(host=registry.host, n=n), keys[signer])
    publisher = public_pem(keys["publisher"], tmp_path / "publisher.pub")
    policy = policy_file(registry, publisher, tmp_path / "policy.json")
    reference = f"{registry.host}/{repository}:{TAG}"

    verdict, message = our_verdict(registry, policy, reference, tmp_path / "dest")
    assert verdict is accepted, message
    if not accepted:
        assert message.startswith(f"{reference} ({digest}): no sigstore signature is accepted by")
        assert problem in message
    assert skopeo_verdict(registry, policy, reference, tmp_path) in (None, accepted)
