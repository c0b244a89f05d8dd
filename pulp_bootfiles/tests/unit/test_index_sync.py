"""Reading another Pulp's index for a capsule sync: what it must hold, the digests it gives."""

import base64
import json
from types import SimpleNamespace

import pytest
from pulp_glue.bootfiles.netboot.oci import NetbootFile, build_manifest, sha256_digest
from pulpcore.plugin.exceptions import SyncError

from pulp_bootfiles.app.formats.netboot_index import (
    IndexAttachment,
    IndexFile,
    IndexOCI,
    IndexSignature,
    IndexTree,
    NetbootIndexError,
    read_document,
    read_index,
    render_index,
)
from pulp_bootfiles.app.oci.index_in import IndexedOCI
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
        IndexFirstStage(remote, _document(_tree()), INDEX_URL, IndexedOCI)


def _kept_tree(edit_manifest=None, **fields):
    """A tree that came as a v1 artifact: its files and the manifest it is served as."""
    files = (IndexFile("vmlinuz", "images/pxeboot/vmlinuz", "a" * 64, None),)
    document = json.loads(
        build_manifest(
            [NetbootFile("vmlinuz", "a" * 64, 15, "images/pxeboot/vmlinuz")], release="40"
        )
    )
    document["annotations"]["org.example.producer"] = "x"
    if edit_manifest:
        edit_manifest(document)
    text = json.dumps(document, indent=2)
    values = dict(
        treeinfo=None,
        digest="f" * 64,
        files=files,
        manifest_digest=sha256_digest(text.encode()),
        manifest=text,
    )
    values.update(fields)
    return _tree(**values)


@pytest.mark.django_db  # BootFile() asks for the default domain
def test_a_kept_manifest_reads_back_and_sizes_what_the_index_does_not():
    (tree,), oci = indexed_trees(BASE, _document(_kept_tree()), INDEX_URL)
    assert tree.tree.manifest_digest == sha256_digest(tree.tree.manifest.encode())
    assert tree.boottree().manifest_digest == tree.tree.manifest_digest
    # An on_demand upstream knows no size; the manifest's layer does.
    assert tree.size(tree.tree.files[0]) == 15
    assert not oci


def _other_manifest_text(document):
    document["layers"][0]["digest"] = "sha256:" + "e" * 64


@pytest.mark.django_db
@pytest.mark.parametrize(
    "tree, message",
    [
        (
            _kept_tree(_other_manifest_text),
            "does not list the tree's files",
        ),
        (
            _kept_tree(lambda document: document.update(schemaVersion=1)),
            "schemaVersion is not 2",
        ),
        (_kept_tree(manifest=None), "without it"),
    ],
    ids=["other-files", "not-netboot", "digest-without-manifest"],
)
def test_a_kept_manifest_that_is_not_the_trees_is_refused(tree, message):
    with pytest.raises(SyncError, match=message) as refused:
        indexed_trees(BASE, _document(tree), INDEX_URL)
    assert f"{INDEX_URL}: tree 40/x86_64" in str(refused.value)


def test_a_manifest_text_that_is_not_its_digest_is_refused():
    data = json.loads(_document(_kept_tree()))
    data["trees"][0]["manifest"] += " "
    with pytest.raises(NetbootIndexError, match=r"trees\[0\]: 'manifest' is not the manifest"):
        read_document(json.dumps(data).encode())


def _oci_document(**oci):
    data = json.loads(_document(_kept_tree()))
    data["oci"] = {"indexes": {}, "signatures": [], "attachments": [], **oci}
    return json.dumps(data).encode()


def test_signatures_and_attachments_read_back():
    payload = b'{"critical": {}}'
    digest = sha256_digest(payload)
    attachment = IndexAttachment(
        "sha256-" + "1" * 64 + ".sig", "{}", {digest: base64.b64encode(payload).decode()}
    )
    signature = IndexSignature(
        "sha256:" + "1" * 64, "sha256:" + "1" * 64 + "@x", "sha256:" + "2" * 64, "atomic",
        "A15B79CC8A3A6F53", 1, "skopeo", base64.b64encode(b"signed").decode(),
    )  # fmt: skip
    oci = IndexOCI({"40": "{}"}, (signature,), (attachment,))
    read = read_document(render_index([_kept_tree()], oci))
    assert read.oci == oci


@pytest.mark.parametrize(
    "oci, message",
    [
        ({"indexes": {"../40": "{}"}}, "'indexes' must map releases"),
        ({"attachments": [{"tag": "latest", "manifest": "{}", "blobs": {}}]}, "'tag'"),
        (
            {
                "attachments": [
                    {
                        "tag": "sha256-" + "1" * 64 + ".sig",
                        "manifest": "{}",
                        "blobs": {"sha256:" + "3" * 64: "e30="},
                    }
                ]
            },  # fmt: skip
            "its bytes have another sha256",
        ),
        (
            {
                "attachments": [
                    {
                        "tag": "sha256-" + "1" * 64 + ".sig",
                        "manifest": "{}",
                        "blobs": {sha256_digest(b"{}"): "not base64!"},
                    }
                ]
            },  # fmt: skip
            "is not base64",
        ),
        ({"signatures": [{"manifest": "sha256:1"}]}, r"signatures\[0\]"),
        ({"signatures": "all"}, "'signatures' must be a list"),
    ],
    ids=["release", "tag", "blob-digest", "blob-base64", "signature", "signatures"],
)
def test_bad_oci_listings_are_refused_naming_the_place(oci, message):
    with pytest.raises(NetbootIndexError, match=message) as refused:
        read_document(_oci_document(**oci))
    assert str(refused.value).startswith(".bootfiles.json: oci")
