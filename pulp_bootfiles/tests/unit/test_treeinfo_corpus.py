"""Real `.treeinfo` files of other projects (data/corpus/treeinfo, see its ORIGIN.md), read by
our parser and by productmd, the reference: where both read a file they must agree; every
file we refuse is a documented refusal (docs/user/sync.md) that productmd would have read."""

from pathlib import Path

import pytest

from pulp_bootfiles.app.formats.treeinfo import TreeinfoError, parse_treeinfo

productmd_treeinfo = pytest.importorskip("productmd.treeinfo")

CORPUS = Path(__file__).parent / "data" / "corpus" / "treeinfo"
FILES = sorted(path.name for path in CORPUS.iterdir() if path.name != "ORIGIN.md")
NO_SHA256 = "has no sha256 in [checksums], so its download cannot be verified"
NO_KERNEL_SHA256 = f"image 'images/pxeboot/vmlinuz' ([images-x86_64] kernel) {NO_SHA256}"
# The documented refusals: {file: what the error must say}.
REFUSED = {
    "fedora-20-Fedora.armhfp": "unsupported arch 'armhfp'",
    "fedora-21-Server.i386": "unsupported arch 'i386'",
    "fedora-10-Fedora.x86_64": "'sha1' checksum; only sha256 is accepted",
    **{
        name: f"image 'LiveOS/squashfs.img' ([stage2] mainimage) {NO_SHA256}"
        for name in FILES
        if name.startswith(("fedora-17", "fedora-18", "fedora-19", "fedora-20", "fedora-21"))
        and name.endswith(".x86_64")
    },
    "fedora-7-Fedora.x86_64": NO_KERNEL_SHA256,
    "fedora-8-Everything.x86_64": NO_KERNEL_SHA256,
    "opensuse": f"image 'boot/x86_64/loader/linux' ([images-x86_64] kernel) {NO_SHA256}",
}


def _productmd(name):
    reference = productmd_treeinfo.TreeInfo()
    reference.load(str(CORPUS / name))
    return reference


def test_the_corpus_is_the_one_origin_lists():
    origin = (CORPUS / "ORIGIN.md").read_text()
    assert all(f"| {name} |" in origin for name in FILES)
    assert set(REFUSED) <= set(FILES) and len(FILES) >= 20


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_files_are_refused_for_their_documented_reason(name):
    _productmd(name)  # the reference reads it: a refusal, not an unreadable file
    with pytest.raises(TreeinfoError) as raised:
        parse_treeinfo((CORPUS / name).read_bytes(), name)
    assert str(raised.value).startswith(f"{name}: ")
    assert REFUSED[name] in str(raised.value)


@pytest.mark.parametrize("name", [name for name in FILES if name not in REFUSED])
def test_read_files_agree_with_productmd(name):
    ours, reference = parse_treeinfo((CORPUS / name).read_bytes(), name), _productmd(name)
    assert (ours.family, ours.short, ours.release, ours.arch) == (
        reference.release.name,
        reference.release.short,
        reference.release.version,
        reference.tree.arch,
    )
    variants = reference.variants
    if ours.variant:
        assert ours.variant in variants
        # Our repository is the variant's, relative to the tree ("." for the tree itself).
        expected = variants[ours.variant].paths.repository or "."
        assert ours.repository == (expected.rstrip("/") or ".")
    images = dict(reference.images.images.get(ours.arch, {}))
    if reference.stage2.mainimage:
        images.setdefault("mainimage", reference.stage2.mainimage)
    assert {image.role: image.path for image in ours.images} == {
        role: path for role, path in images.items() if path
    }
    for image in ours.images:
        assert reference.checksums.checksums[image.path] == ("sha256", image.sha256)
