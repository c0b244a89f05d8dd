"""Every regular file of real packages from other projects, extracted and compared with rpm's tools.

The reference is `rpm2cpio X | cpio -idm`; where Debian's rpm2cpio cannot write the package as
cpio (64-bit file sizes, which rpm stores in its stripped cpio form, also used by all v6
packages), `rpm2archive -n` (rpm's own reader, writing tar) is. The origin of each package is
in data/corpus/rpm/ORIGIN.md.
"""

import hashlib
import shutil
import subprocess
import tarfile
from pathlib import Path

import pytest

from pulp_bootfiles.app.formats import compression
from pulp_bootfiles.app.formats.rpm_payload import DECOMPRESSORS, extract_files, read_header

CORPUS = Path(__file__).parent / "data" / "corpus" / "rpm"
PACKAGES = sorted(CORPUS.glob("*/*.rpm"))
CPIO_REFUSES = "files over 4GB not supported by cpio"


def sha256_tree(root: Path) -> dict[str, str]:
    """{'/path': sha256} of every regular file under `root` (hard links each count)."""
    return {
        "/" + str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*")
        if path.is_file() and not path.is_symlink()
    }


def reference(package: Path, workdir: Path) -> dict[str, str]:
    """What rpm's tools extract from `package`."""
    out = workdir / "reference"
    out.mkdir()
    rpm2cpio = subprocess.run(["rpm2cpio", str(package)], capture_output=True)
    # rpm2cpio exits 1 after writing the whole archive of nfpm's package (which has no
    # payload digest); cpio itself then checks the archive is complete.
    if CPIO_REFUSES not in rpm2cpio.stderr.decode():
        subprocess.run(
            ["cpio", "-idm", "--quiet", "--no-absolute-filenames"],
            input=rpm2cpio.stdout,
            cwd=out,
            check=True,
            capture_output=True,
        )
        return sha256_tree(out)
    shutil.copy(package, workdir / package.name)
    subprocess.run(["rpm2archive", "-n", package.name], cwd=workdir, check=True)
    with tarfile.open(workdir / f"{package.name}.tar") as tar:
        tar.extractall(out, filter="data")
    return sha256_tree(out)


def ours(package: Path, workdir: Path) -> dict[str, str]:
    """Every regular (non-ghost) file the header lists, extracted by extract_files."""
    with open(package, "rb") as stream:
        header = read_header(stream, package.name)
        paths = [f.path for f in header.files if f.is_regular and not f.ghost]
        wanted = {path: workdir / f"ours{index}" for index, path in enumerate(paths)}
        found = extract_files(stream, header, wanted, package.name)
    assert sorted(found) == sorted(paths)
    for extracted in found.values():
        data = extracted.path.read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (extracted.size, extracted.sha256)
    return {path: extracted.sha256 for path, extracted in found.items()}


@pytest.mark.parametrize("package", PACKAGES, ids=[p.name for p in PACKAGES])
def test_extraction_agrees_with_rpm(package, tmp_path):
    assert ours(package, tmp_path) == reference(package, tmp_path)


def cpio_magic(package: Path) -> bytes:
    """The first cpio magic of the package's payload."""
    with open(package, "rb") as stream:
        read_header(stream, package.name)
        head = compression.read_head(stream)
        kind = compression.sniff(head)
        raw = compression.PrefixedStream(head, stream)
        return (DECOMPRESSORS[kind](raw) if kind else raw).read(6)


def test_corpus_holds_every_form():
    """Small files only, and both cpio forms, absolute names and every compression."""
    assert len(PACKAGES) >= 40
    assert all(package.stat().st_size < 32 * 1024 for package in PACKAGES)
    stripped = sorted(p.name for p in PACKAGES if cpio_magic(p) == b"07070X")
    assert len(stripped) == 9, stripped  # rpm-rs v6 packages, the rpmbuild LONGFILESIZES one
    assert {cpio_magic(p) for p in PACKAGES} == {b"070701", b"07070X"}
