"""
A remote with OpenPGP keys syncs only packages signed by one of them, unaltered; the synced
files carry the verified key id, their SBAT and the tree's provenance, in the API and in the
netboot manifest; a pulp_container manifest signing service signs the artifact, and skopeo
with a policy.json requiring `signedBy` the publisher's key accepts it from Pulp's registry and
refuses an unsigned version and the signatures under another name.

Packages are signed with rpmsign by keys gpg makes for this module, after rpmbuild and before
createrepo_c, as a distribution's signing server does: a mirror that alters a package and
regenerates the repodata (so every checksum matches) is caught only by the signature.
"""

import dataclasses
import json
import os
import shutil
import subprocess
import uuid

import pytest

from pulp_bootfiles.tests.fixtures import mutations
from pulp_bootfiles.tests.fixtures.packages import default_packages
from pulp_bootfiles.tests.fixtures.pe import build_pe, grub_sbat, shim_sbat
from pulp_bootfiles.tests.fixtures.repogen import create_repo
from pulp_bootfiles.tests.fixtures.rpmsign import generate_key, sign_rpms
from pulp_bootfiles.tests.fixtures.treegen import BUILD_TIMESTAMP, build_tree
from pulp_bootfiles.tests.functional.conftest import FILES, TREES
from pulp_bootfiles.tests.functional.pulp_api import TaskFailed
from pulp_bootfiles.tests.functional.test_serve import REGISTRY, registry_get

SHIM = "/boot/efi/EFI/fedora/shimx64.efi"
GRUB = "/boot/efi/EFI/fedora/grubx64.efi"
KERNEL_VERSION = "6.8.5-301.fc40.x86_64"
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
def keys():
    made = {
        "trusted": generate_key("Trusted Packager"),
        "stranger": generate_key("Stranger"),
        "publisher": generate_key("Netboot Publisher"),
    }
    yield made
    for key in made.values():
        key.close()


@pytest.fixture(scope="module")
def signing_service(keys, pulp, tmp_path_factory):
    publisher = keys["publisher"]
    """A ManifestSigningService registered with pulpcore-manager, removed afterwards."""
    script = tmp_path_factory.mktemp("signing") / "sign.sh"
    script.write_text(SCRIPT.format(home=publisher.home))
    script.chmod(0o755)
    name = f"netboot-{uuid.uuid4().hex[:8]}"
    manager = ["pulpcore-manager"]
    subprocess.run(
        [*manager, "add-signing-service", name, str(script), publisher.fingerprint]
        + ["--class", SIGNING_CLASS, "--gnupghome", str(publisher.home)],
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
def policy(keys, tmp_path_factory):
    publisher = keys["publisher"]
    """skopeo options: a policy.json trusting only the publisher's key for this registry, and
    an empty registries.d so no system lookaside configuration interferes."""
    workdir = tmp_path_factory.mktemp("policy")
    keyring = publisher.write_keyring(workdir / "publisher.gpg")
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


def packages_with_real_bootloaders(salt):
    """The default x86_64 packages, with PE bootloaders: the newest shim is 15.7 (SBAT shim,3,
    revoked by the policy), the newest grub current (grub,3). `salt` makes them new to Pulp."""
    specs = []
    for spec in default_packages("x86_64", "40"):
        if spec.name == "shim-x64":
            if spec.version != "15.10":
                continue
            sbat = shim_sbat(3, f"15.7-{salt}")
            spec = dataclasses.replace(spec, version="15.7", release=salt)
        elif spec.name == "grub2-efi-x64" and spec.epoch == 1:
            sbat = grub_sbat(3, f"2.06-{salt}")
            spec = dataclasses.replace(spec, release=salt)
        else:
            specs.append(spec)
            continue
        path = SHIM if spec.name == "shim-x64" else GRUB
        pe = build_pe({b".text": salt.encode() * 64, b".sbat": sbat})
        specs.append(dataclasses.replace(spec, files={**spec.files, path: pe}))
    return specs


@pytest.fixture(scope="module")
def unsigned_tree(fixture_server):
    """One tree with new packages for the module (rpmbuild is the slow part); cases copy it."""
    salt = uuid.uuid4().hex[:12]
    return build_tree(
        fixture_server.root / f"trust-{salt}",
        salt=salt,
        packages=packages_with_real_bootloaders(salt),
        kernel_version=KERNEL_VERSION,
    )


@pytest.fixture
def signed_tree(unsigned_tree, fixture_server):
    """A copy of the tree whose packages `key` signed, then `damage`d, then indexed again;
    returns (Tree, URL)."""

    def make(key, damage=None):
        name = uuid.uuid4().hex[:12]
        tree = dataclasses.replace(unsigned_tree, root=fixture_server.root / name)
        shutil.copytree(unsigned_tree.root, tree.root)
        sign_rpms(key, [tree.root / path for path in tree.packages.values()])
        if damage is not None:
            damage(tree)
        create_repo(tree.root, "zstd", BUILD_TIMESTAMP)
        return tree, fixture_server.url(name) + "/"

    return make


def nevra_of(tree, name):
    return next(b.nevra for b in tree.bootfiles.values() if b.nevra.startswith(name + "-"))


def test_verified_packages_to_a_signed_artifact(
    keys,
    signed_tree,
    remote_factory,
    repository_factory,
    sync,
    pulp,
    distribution_factory,  # noqa: F811
    signing_service,
    policy,
    tmp_path,
):
    """The whole chain on one tree: verified packages, their facts, the signed artifact."""
    trusted = keys["trusted"]
    tree, url = signed_tree(trusted)
    remote = remote_factory(url, openpgp_keys=trusted.public_armor())
    assert remote["openpgp_key_ids"] == [trusted.key_id]
    repository = repository_factory()
    task = sync(repository, remote)
    version = pulp.get(repository["pulp_href"])["latest_version_href"]

    check_verified_files(pulp.list(FILES, repository_version=version), tree, trusted)
    check_sbat_warning(task, tree)
    (boottree,) = pulp.list(TREES, repository_version=version)
    assert (boottree["source_url"], boottree["kernel_version"]) == (url, KERNEL_VERSION)
    base_path = distribution_factory(repository=repository["pulp_href"])["base_path"]
    check_manifest_annotations(registry_get(base_path, "40-amd64"), tree, trusted)

    # The same remote again: the verified bootloaders are reused, no new version.
    sync(repository, remote)
    assert pulp.get(repository["pulp_href"])["latest_version_href"] == version

    pulp.run(
        repository["pulp_href"] + "sign/",
        {"manifest_signing_service": signing_service["pulp_href"]},
    )
    assert pulp.get(repository["pulp_href"])["latest_version_href"] != version
    for tag in ("40-amd64", "40"):
        copied = skopeo_copy(policy, f"{base_path}:{tag}", tmp_path / tag)
        assert copied.returncode == 0, copied.stderr

    # The same manifests without signatures: the version before signing, served elsewhere.
    unsigned = distribution_factory(repository_version=version)["base_path"]
    refused = skopeo_copy(policy, f"{unsigned}:40-amd64", tmp_path / "unsigned")
    assert "signature was required, but no signature exists" in refused.stderr, refused.stderr
    # The signed version under another name: the signatures vouch for the first name only.
    renamed = distribution_factory(repository=repository["pulp_href"])["base_path"]
    refused = skopeo_copy(policy, f"{renamed}:40-amd64", tmp_path / "renamed")
    assert refused.returncode != 0
    assert "is not accepted" in refused.stderr or "not match" in refused.stderr, refused.stderr


def check_verified_files(bootfiles, tree, trusted):
    files = {f["name"]: f for f in bootfiles}
    assert {name: f["sha256"] for name, f in files.items()} == tree.expected_files()
    for name, bootfile in files.items():
        expected_key = trusted.key_id if bootfile["source_package"] else ""
        assert bootfile["signing_key_id"] == expected_key, name

    shim, grub = files["shimx64.efi"], files["grubx64.efi"]
    assert [e["component_name"] for e in shim["sbat"]] == ["sbat", "shim", "shim.fedora"]
    assert shim["sbat"][1]["component_generation"] == 3
    assert (shim["sbat_revoked"], shim["sbat_revocations"]) == (
        True,
        ["shim,3 (policy requires shim,4)"],
    )
    assert (grub["sbat_revoked"], grub["sbat_revocations"]) == (False, [])
    assert grub["sbat"][1] == {
        "component_name": "grub",
        "component_generation": 3,
        "vendor_name": "Free Software Foundation",
        "vendor_package_name": "grub",
        "vendor_version": grub["sbat"][1]["vendor_version"],
        "vendor_url": "https://www.gnu.org/software/grub/",
    }
    assert files["pxelinux.0"]["sbat"] is None and files["vmlinuz"]["sbat"] is None


def check_sbat_warning(task, tree):
    warnings = [r for r in task["progress_reports"] if r["code"] == "sync.warning.sbat_revoked"]
    assert [w["message"].split(":")[0] for w in warnings] == [
        f"shimx64.efi ({nevra_of(tree, 'shim-x64')})"
    ]
    assert "shim,3 (policy requires shim,4)" in warnings[0]["message"]


def check_manifest_annotations(response, tree, trusted):
    assert response.status_code == 200, response.text
    data = json.loads(response.content)
    assert {
        key: value
        for key, value in data["annotations"].items()
        if key.startswith("org.pulpproject.netboot.tree")
        or key in ("org.opencontainers.image.source", "org.pulpproject.netboot.kernel.version")
    } == {
        # No URL: the digest must not depend on the mirror (provenance is the API's source_url).
        "org.pulpproject.netboot.tree.build_timestamp": str(tree.build_timestamp),
        "org.pulpproject.netboot.kernel.version": KERNEL_VERSION,
    }
    layers = {
        layer["annotations"]["org.opencontainers.image.title"]: layer for layer in data["layers"]
    }
    shim_layer = layers["shimx64.efi"]["annotations"]
    assert shim_layer["org.pulpproject.netboot.sbat"].splitlines()[1] == (
        "shim,3,UEFI shim,shim,1,https://github.com/rhboot/shim"
    )
    assert shim_layer["org.pulpproject.netboot.src.rpm.key"] == trusted.key_id
    assert "org.pulpproject.netboot.src.rpm.key" not in layers["vmlinuz"]["annotations"]


def flip_payload(name):
    def damage(tree):
        mutations.flip_rpm_payload_byte(tree.root / tree.packages[nevra_of(tree, name)])

    return damage


# (signing key, damage after signing, package named in the error, parts of the error).
# Unsigned packages and altered headers are refused the same way: tests/unit/
# test_rpm_signature.py shows it on the same kind of packages.
REFUSALS = {
    "signed-by-another-key": (
        "stranger",
        None,
        "grub2-efi-x64",
        ["signed by key {stranger}, which is not one of the remote's keys ({trusted})"],
    ),
    "payload-altered": ("trusted", flip_payload("shim-x64"), "shim-x64", ["payload sha256"]),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_refuses_what_the_keys_do_not_vouch_for(
    case, keys, signed_tree, remote_factory, repository_factory, sync, pulp
):
    key_name, damage, package, parts = REFUSALS[case]
    tree, url = signed_tree(keys[key_name], damage)
    repository = repository_factory()
    remote = remote_factory(url, openpgp_keys=keys["trusted"].public_armor())
    with pytest.raises(TaskFailed) as failure:
        sync(repository, remote)
    message = failure.value.task["error"]["description"]
    rpm_name = tree.packages[nevra_of(tree, package)].rsplit("/", 1)[1]
    assert f"Sync failed: {rpm_name}: " in message, message
    ids = {name: key.key_id for name, key in keys.items()}
    for part in parts:
        assert part.format(**ids) in message, message
    assert pulp.get(repository["pulp_href"])["latest_version_href"].endswith("/versions/0/")


def test_a_pipeline_pushes_signed_and_the_signatures_stay_with_their_manifests(
    keys, policy, netboot_upstream, repository_factory, distribution_factory, pulp, tmp_path
):
    """`skopeo copy --sign-by` into Pulp: the signatures go through pulp_container's signature
    extension, stay with the pushed manifests, and satisfy a policy that requires them."""
    publisher = keys["publisher"]
    source = netboot_upstream["distribution"]["base_path"]
    repository = repository_factory()
    base_path = distribution_factory(repository=repository["pulp_href"])["base_path"]

    def push(tag, *options):
        return subprocess.run(
            ["skopeo", "copy", *options, "--src-tls-verify=false", "--dest-tls-verify=false"]
            + ["--dest-creds=admin:password"]
            + [f"docker://{REGISTRY}/{source}:{tag}", f"docker://{REGISTRY}/{base_path}:{tag}"],
            capture_output=True,
            text=True,
            env={**os.environ, "GNUPGHOME": str(publisher.home)},
            timeout=300,
        )

    # The release first, then each architecture signed: pulp_container stores a signature only
    # for a manifest already in the repository, which the manifests of an index being pushed
    # (`--all --sign-by`) are not yet.
    pushed = push("40", "--all")
    assert pushed.returncode == 0, pushed.stderr
    unsigned = pulp.get(repository["pulp_href"])["latest_version_href"]
    assert len(pulp.list(TREES, repository_version=unsigned)) == 2
    refused = skopeo_copy(policy, f"{base_path}:40-amd64", tmp_path / "unsigned")
    assert "signature was required, but no signature exists" in refused.stderr, refused.stderr
    for tag in ("40-amd64", "40-arm64"):
        signed = push(tag, f"--sign-by={publisher.fingerprint}")
        assert signed.returncode == 0, signed.stderr
        copied = skopeo_copy(policy, f"{base_path}:{tag}", tmp_path / tag)
        assert copied.returncode == 0, copied.stderr

        # Signing adds the signature and nothing else: the same trees, manifests and tags.
        added = pulp.get(pulp.get(repository["pulp_href"])["latest_version_href"])
        assert set(added["content_summary"]["added"]) == {"container.signature"}, added

    version = pulp.get(repository["pulp_href"])["latest_version_href"]
    trees = {tree["pulp_href"] for tree in pulp.list(TREES, repository_version=version)}
    assert trees == {tree["pulp_href"] for tree in pulp.list(TREES, repository_version=unsigned)}
    signatures = pulp.list("/pulp/api/v3/content/container/signatures/", repository_version=version)
    assert len(signatures) == 2
