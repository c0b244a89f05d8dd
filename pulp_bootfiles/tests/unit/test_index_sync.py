"""Reading another Pulp's index for a capsule sync: what it must hold, the digests it gives."""

import json
from types import SimpleNamespace

import pytest
from pulpcore.plugin.exceptions import SyncError

from pulp_bootfiles.app.formats.netboot_index import (
    IndexFile,
    IndexTree,
    NetbootIndexError,
    read_index,
    render_index,
)
from pulp_bootfiles.app.sync.from_index import INDEX_IDENTITY, IndexFirstStage, indexed_trees
from pulp_bootfiles.app.tree_identity import tree_digest

BASE = "http://upstream.example/pulp/content/fedora/"
INDEX_URL = BASE + ".bootfiles.json"
SBAT = {
    "component_name": "shim",
    "component_generation": 4,
    "vendor_name": "UEFI shim",
    "vendor_package_name": "shim",
    "vendor_version": "1",
    "vendor_url": "https://github.com/rhboot/shim",
}
FILES = (  # sorted by path, as the index lists them
    IndexFile(
        "shimx64.efi",
        "boot/efi/EFI/fedora/shimx64.efi",
        "b" * 64,
        900,
        "shim-x64-15.8-3.x86_64",
        "sha256:" + "c" * 64,
        "a15b79cc8a3a6f53",
        [SBAT],
    ),
    IndexFile("vmlinuz", "images/pxeboot/vmlinuz", "a" * 64, 15),
)
TREEINFO = IndexFile(".treeinfo", ".treeinfo", "d" * 64, 1424)


def _tree(**fields):
    values = dict(
        release="40",
        arch="x86_64",
        family="Fedora",
        short="Fedora",
        variant="Everything",
        build_timestamp=1713090917,
        kernel_version="6.8.5-301.fc40.x86_64",
        files=FILES,
        treeinfo=TREEINFO,
        source_url="https://dl.example/40/Everything/x86_64/os/",
        boot_iso_bootloaders={"EFI/BOOT/BOOTX64.EFI": {"sha256": "b" * 64, "matches": "shim"}},
    )
    values.update(fields)
    return IndexTree(**values)


def _document(*trees):
    return render_index(trees)


def test_new_tree_fields_read_back_and_old_writers_still_read():
    tree = _tree(digest="e" * 64)
    assert read_index(_document(tree)) == (tree,)
    body = json.loads(_document(tree))
    for key in ("digest", "source_url", "boot_iso_bootloaders"):
        del body["trees"][0][key]
    body["trees"][0]["added_by_a_later_writer"] = 1
    (old,) = read_index(json.dumps(body).encode())
    assert (old.digest, old.source_url, old.boot_iso_bootloaders) == ("", "", None)


def _edited(edit):
    body = json.loads(_document(_tree()))
    edit(body["trees"][0])
    return json.dumps(body).encode()


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda t: t.update(release="."), "'release' '.' is not valid"),
        (lambda t: t.update(arch=".bootfiles.json"), "'arch' '.bootfiles.json' is not valid"),
        (lambda t: t["files"][1].update(name=".."), "'name' '..' is not valid"),
        (lambda t: t["files"][0].update(name="vmlinuz"), "trees[0]: lists a file name twice"),
        (lambda t: t.update(digest="E" * 64), "'digest' 'EEEE"),
        (lambda t: t.update(source_url=None), "'source_url' must be a string"),
        (lambda t: t.update(boot_iso_bootloaders=[]), "'boot_iso_bootloaders' must be an object"),
        (lambda t: t["files"][0].update(sbat=[["shim", "4"]]), "sbat[0] must be an object of"),
        (
            lambda t: t["files"][0]["sbat"][0].update(component_generation="4"),
            "sbat[0]: 'component_generation' must be a non-negative integer",
        ),
        (
            lambda t: t["files"][0]["sbat"][0].update(vendor_name="a,b"),
            "sbat[0]: fields must be strings without ',' or newlines",
        ),
    ],
)
def test_index_entries_a_capsule_cannot_use_are_refused(edit, message):
    with pytest.raises(NetbootIndexError) as refused:
        read_index(_edited(edit))
    assert message in str(refused.value)


@pytest.mark.django_db  # BootFile() asks for the default domain
def test_tree_digest_is_recomputed_from_the_treeinfo_and_files():
    (tree,), _ = indexed_trees(BASE, _document(_tree()), INDEX_URL)
    assert tree.digest == tree_digest(TREEINFO.sha256, tree.bootfiles)
    unit = tree.boottree()
    assert (unit.digest, unit.source_url, unit.kernel_version) == (
        tree.digest,
        "https://dl.example/40/Everything/x86_64/os/",
        "6.8.5-301.fc40.x86_64",
    )
    shim = tree.bootfiles[0]
    assert (shim.content_path, shim.signing_key_id, shim.sbat) == (
        "40/x86_64/boot/efi/EFI/fedora/shimx64.efi",
        "a15b79cc8a3a6f53",
        [SBAT],
    )
    assert tree.url(shim.relative_path) == BASE + "40/x86_64/boot/efi/EFI/fedora/shimx64.efi"
    # The digest the index states must be that one.
    same, _ = indexed_trees(BASE, _document(_tree(digest=tree.digest)), INDEX_URL)
    assert same[0].digest == tree.digest


@pytest.mark.django_db  # BootFile() asks for the default domain
def test_a_stated_digest_that_the_files_do_not_give_is_refused():
    with pytest.raises(SyncError) as refused:
        indexed_trees(BASE, _document(_tree(digest="f" * 64)), INDEX_URL)
    assert f"{INDEX_URL}: tree 40/x86_64: digest {'f' * 64} is not the one" in str(refused.value)


@pytest.mark.django_db  # BootFile() asks for the default domain
def test_trees_without_treeinfo_never_take_the_stated_digest_as_it_is():
    (tree,), _ = indexed_trees(BASE, _document(_tree(treeinfo=None, digest="f" * 64)), INDEX_URL)
    assert tree.digest == tree_digest(INDEX_IDENTITY + "f" * 64, tree.bootfiles) != "f" * 64
    with pytest.raises(SyncError, match="lists neither a .treeinfo nor a digest"):
        indexed_trees(BASE, _document(_tree(treeinfo=None)), INDEX_URL)


@pytest.mark.django_db  # BootFile() asks for the default domain
def test_an_index_without_trees_is_refused():
    with pytest.raises(SyncError, match="lists no trees"):
        indexed_trees(BASE, _document(), INDEX_URL)


@pytest.mark.parametrize("option", ["bootloaders", "openpgp_keys"])
def test_tree_only_remote_options_are_refused(option):
    settings = {"url": BASE, "policy": "immediate", "bootloaders": None, "openpgp_keys": None}
    remote = SimpleNamespace(**{**settings, option: "set"})
    with pytest.raises(SyncError, match=f"the remote's {option} apply to tree roots"):
        IndexFirstStage(remote, _document(_tree()), INDEX_URL)
