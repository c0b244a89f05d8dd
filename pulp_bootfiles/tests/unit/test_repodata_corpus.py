"""createrepo_c's own test primaries (data/corpus/repodata, see its ORIGIN.md), read by our
scan and by createrepo_c's parser, the reference: for every package name, our newest package
is one createrepo_c parsed, with the same fields, and no parsed package of it is newer by
rpm's own comparison. Disagreements are documented refusals."""

import subprocess
from pathlib import Path

import pytest

from pulp_bootfiles.app.formats.compression import open_decompressed
from pulp_bootfiles.app.formats.repodata import RepodataError, newest_packages

cr = pytest.importorskip("createrepo_c")

CORPUS = Path(__file__).parent / "data" / "corpus" / "repodata"
FILES = sorted(path.name for path in CORPUS.iterdir() if path.name != "ORIGIN.md")
# A package inside an unknown element: createrepo_c skips the element with its package; we
# refuse the file as malformed (its root is not closed after the last </package>).
REFUSED = {
    "unknown_element_01-primary.xml": "does not end with </metadata> after its last",
    # A location with '&' (createrepo_c's ampersand test): paths from a remote are held to a
    # safe character set (netboot/paths.py), since they become URLs and Pulp content paths.
    "repo_01_ampersand-primary.xml": "contains '&'; paths may only hold",
}
# createrepo_c refuses a package without a checksum even when nobody wants it; we check only
# the wanted packages (a wanted one without a checksum is refused: test_repodata's table).
REFERENCE_REFUSES = {"error_00-primary.xml": "Package without pkgid"}


def _reference(path):
    packages = []
    cr.xml_parse_primary(
        str(path), pkgcb=lambda p: packages.append(p) or True, do_files=False, warningcb=None
    )
    return packages


def _ours(path, names, arches):
    with open(path, "rb") as compressed:
        stream = open_decompressed(compressed, path.name)
        return newest_packages(stream, names, arches, path.name)


def _rpm_newest(evrs):
    """The highest of "epoch:version-release" strings, by rpm's own Lua rpm.ver comparison."""
    items = ", ".join(f'rpm.ver("{evr}")' for evr in evrs)
    script = (
        f"%{{lua: local v = {{{items}}}; local b = 1; "
        "for i = 2, #v do if v[i] > v[b] then b = i end end; print(b)}"
    )
    result = subprocess.run(["rpm", "--eval", script], capture_output=True, text=True, check=True)
    return evrs[int(result.stdout.strip()) - 1]


def test_the_corpus_is_the_one_origin_lists():
    origin = (CORPUS / "ORIGIN.md").read_text()
    assert all(f"| {name} |" in origin for name in FILES) and len(FILES) >= 10


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_documented_refusals(name):
    packages = _reference(CORPUS / name)  # createrepo_c reads it
    with pytest.raises(RepodataError, match=REFUSED[name]):
        _ours(CORPUS / name, {p.name for p in packages}, {p.arch for p in packages})


@pytest.mark.parametrize("name", sorted(REFERENCE_REFUSES))
def test_what_the_reference_refuses_is_refused_when_wanted(name):
    with pytest.raises(Exception, match=REFERENCE_REFUSES[name]):
        _reference(CORPUS / name)
    with pytest.raises(RepodataError, match="no <checksum>"):
        _ours(CORPUS / name, {"super_kernel", "fake_bash"}, {"x86_64"})


@pytest.mark.parametrize(
    "name", [n for n in FILES if n not in REFUSED and n not in REFERENCE_REFUSES]
)
def test_newest_packages_agree_with_createrepo_c(name):
    packages = _reference(CORPUS / name)
    names, arches = {p.name for p in packages}, {p.arch for p in packages}
    ours = _ours(CORPUS / name, names, arches)
    assert set(ours) == names
    for package_name, entry in ours.items():
        candidates = [p for p in packages if p.name == package_name]
        fields = {
            (
                p.epoch or "0",
                p.version,
                p.release,
                p.arch,
                p.location_href,
                p.checksum_type,
                p.pkgId,
                p.size_package,
            )
            for p in candidates
        }
        assert (
            str(entry.epoch),
            entry.version,
            entry.release,
            entry.arch,
            entry.location,
            entry.checksum_type,
            entry.checksum,
            entry.size,
        ) in fields
        evrs = [f"{p.epoch or 0}:{p.version}-{p.release}" for p in candidates]
        assert f"{entry.epoch}:{entry.version}-{entry.release}" == _rpm_newest(evrs)
