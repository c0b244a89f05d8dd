"""
Signed netboot artifacts: a pulp_container manifest signing service signs a repository's
manifests, and skopeo with a policy.json that requires `signedBy` the publisher's key accepts
them from Pulp's registry, and refuses an unsigned version and a signature for another name.

The signing service is the one pulp_container documents: a script running
`skopeo standalone-sign` with a GnuPG key made for this module.
"""

import json
import subprocess
import uuid

import pytest

from pulp_bootfiles.tests.fixtures.rpmsign import generate_key
from pulp_bootfiles.tests.functional.test_serve import (  # noqa: F401 (fixture)
    REGISTRY,
    distribution_factory,
)

SIGNING_SERVICES = "/pulp/api/v3/signing-services/"
SIGNING_CLASS = "container:ManifestSigningService"
SCRIPT = """#!/usr/bin/env bash
# pulp_container's manifest signing contract: sign $1 for $REFERENCE into $SIG_PATH.
set -euo pipefail
export GNUPGHOME={home}
skopeo standalone-sign --output "$SIG_PATH" "$1" "$REFERENCE" "$PULP_SIGNING_KEY_FINGERPRINT"
echo "{{\\"signature_path\\": \\"$SIG_PATH\\"}}"
"""


@pytest.fixture(scope="module")
def publisher():
    key = generate_key("Netboot Publisher")
    yield key
    key.close()


@pytest.fixture(scope="module")
def signing_service(publisher, pulp, tmp_path_factory):
    """A ManifestSigningService registered with pulpcore-manager, removed afterwards."""
    script = tmp_path_factory.mktemp("signing") / "sign.sh"
    script.write_text(SCRIPT.format(home=publisher.home))
    script.chmod(0o755)
    name = f"netboot-{uuid.uuid4().hex[:8]}"
    manager = ["pulpcore-manager"]
    subprocess.run(
        [*manager, "add-signing-service", name, str(script), publisher.fingerprint]
        + ["--class", SIGNING_CLASS, "--home", str(publisher.home)],
        check=True,
        capture_output=True,
    )
    (service,) = pulp.list(SIGNING_SERVICES, name=name)
    yield service
    subprocess.run(
        [*manager, "remove-signing-service", name, "--class", SIGNING_CLASS],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="module")
def policy(publisher, tmp_path_factory):
    """skopeo options: a policy.json trusting only the publisher's key for this registry, and
    an empty registries.d so no system lookaside configuration interferes."""
    workdir = tmp_path_factory.mktemp("policy")
    keyring = workdir / "publisher.gpg"
    keyring.write_bytes(
        subprocess.run(
            ["gpg", "--batch", "--homedir", str(publisher.home), "--export", publisher.fingerprint],
            check=True,
            capture_output=True,
        ).stdout
    )
    signed_by = [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": str(keyring)}]
    document = {
        "default": [{"type": "reject"}],
        "transports": {"docker": {REGISTRY: signed_by}},
    }
    (workdir / "policy.json").write_text(json.dumps(document))
    (workdir / "registries.d").mkdir()
    return [
        "--policy",
        str(workdir / "policy.json"),
        "--registries.d",
        str(workdir / "registries.d"),
    ]


def skopeo_copy(options, reference, destination):
    return subprocess.run(
        # The policy judges the source; an oci: layout cannot store the signatures it read.
        ["skopeo", *options, "copy", "--src-tls-verify=false", "--remove-signatures"]
        + [f"docker://{REGISTRY}/{reference}", f"oci:{destination}"],
        capture_output=True,
        text=True,
    )


def test_skopeo_signed_by_accepts_the_signed_artifact_only(
    policy,
    signing_service,
    tree_factory,
    remote_factory,
    repository_factory,
    sync,
    pulp,
    distribution_factory,  # noqa: F811
    tmp_path,
):
    _tree, url = tree_factory()
    repository = repository_factory()
    sync(repository, remote_factory(url))
    unsigned_version = pulp.get(repository["pulp_href"])["latest_version_href"]
    base_path = distribution_factory(repository=repository["pulp_href"])["base_path"]

    pulp.run(
        repository["pulp_href"] + "sign/",
        {"manifest_signing_service": signing_service["pulp_href"]},
    )
    signed_version = pulp.get(repository["pulp_href"])["latest_version_href"]
    assert signed_version != unsigned_version

    for tag in ("40-amd64", "40"):
        copied = skopeo_copy(policy, f"{base_path}:{tag}", tmp_path / tag)
        assert copied.returncode == 0, copied.stderr

    # The same manifests without signatures: the version before signing, served elsewhere.
    unsigned = distribution_factory(repository_version=unsigned_version)["base_path"]
    refused = skopeo_copy(policy, f"{unsigned}:40-amd64", tmp_path / "unsigned")
    assert refused.returncode != 0
    assert "signature was required, but no signature exists" in refused.stderr, refused.stderr

    # The signed version under another name: the signatures vouch for the first name only.
    renamed = distribution_factory(repository=repository["pulp_href"])["base_path"]
    refused = skopeo_copy(policy, f"{renamed}:40-amd64", tmp_path / "renamed")
    assert refused.returncode != 0
    assert "is not accepted" in refused.stderr or "not match" in refused.stderr, refused.stderr
