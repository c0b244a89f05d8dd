"""
A remote with OpenPGP keys syncs only packages signed by one of them, unaltered; the synced
files carry the verified key id, their SBAT and the tree's provenance, in the API and in the
netboot manifest.

Packages are signed with rpmsign by keys gpg makes for this module, after rpmbuild and before
createrepo_c, as a distribution's signing server does: a mirror that alters a package and
regenerates the repodata (so every checksum matches) is caught only by the signature.
"""

import dataclasses
import json
import shutil
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
from pulp_bootfiles.tests.functional.test_serve import (  # noqa: F401 (fixture)
    distribution_factory,
    registry_get,
)

SHIM = "/boot/efi/EFI/fedora/shimx64.efi"
GRUB = "/boot/efi/EFI/fedora/grubx64.efi"
KERNEL_VERSION = "6.8.5-301.fc40.x86_64"


@pytest.fixture(scope="module")
def keys():
    made = {"trusted": generate_key("Trusted Packager"), "stranger": generate_key("Stranger")}
    yield made
    for key in made.values():
        key.close()


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


def test_signed_tree_syncs_with_key_sbat_and_provenance(
    keys,
    signed_tree,
    remote_factory,
    repository_factory,
    sync,
    pulp,
    distribution_factory,  # noqa: F811
):
    trusted = keys["trusted"]
    tree, url = signed_tree(trusted)
    remote = remote_factory(url, openpgp_keys=trusted.public_armor())
    assert remote["openpgp_key_ids"] == [trusted.key_id]
    repository = repository_factory()
    task = sync(repository, remote)

    version = pulp.get(repository["pulp_href"])["latest_version_href"]
    files = {f["name"]: f for f in pulp.list(FILES, repository_version=version)}
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

    warnings = [r for r in task["progress_reports"] if r["code"] == "sync.warning.sbat_revoked"]
    assert [w["message"].split(":")[0] for w in warnings] == [
        f"shimx64.efi ({nevra_of(tree, 'shim-x64')})"
    ]
    assert "shim,3 (policy requires shim,4)" in warnings[0]["message"]

    (boottree,) = pulp.list(TREES, repository_version=version)
    assert (boottree["source_url"], boottree["kernel_version"]) == (url, KERNEL_VERSION)

    base_path = distribution_factory(repository=repository["pulp_href"])["base_path"]
    manifest = registry_get(base_path, "40-amd64")
    assert manifest.status_code == 200, manifest.text
    data = json.loads(manifest.content)
    assert {
        key: value
        for key, value in data["annotations"].items()
        if key.startswith("org.pulpproject.netboot.tree")
        or key in ("org.opencontainers.image.source", "org.pulpproject.netboot.kernel.version")
    } == {
        "org.opencontainers.image.source": url,
        "org.pulpproject.netboot.tree.url": url,
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

    # The same remote again: the verified bootloaders are reused, no new version.
    sync(repository, remote)
    assert pulp.get(repository["pulp_href"])["latest_version_href"] == version


def flip_payload(name):
    def damage(tree):
        mutations.flip_rpm_payload_byte(tree.root / tree.packages[nevra_of(tree, name)])

    return damage


def flip_header(name):
    def damage(tree):
        mutations.flip_rpm_header_byte(tree.root / tree.packages[nevra_of(tree, name)])

    return damage


# (signing key, damage after signing, package named in the error, parts of the error).
# Unsigned packages are refused the same way; tests/unit/test_rpm_signature.py shows it.
REFUSALS = {
    "signed-by-another-key": (
        "stranger",
        None,
        "grub2-efi-x64",
        ["signed by key {stranger}, which is not one of the remote's keys ({trusted})"],
    ),
    "payload-altered": ("trusted", flip_payload("shim-x64"), "shim-x64", ["payload sha256"]),
    "header-altered": (
        "trusted",
        flip_header("grub2-efi-x64"),
        "grub2-efi-x64",
        ["header signature by key {trusted} does not verify"],
    ),
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
