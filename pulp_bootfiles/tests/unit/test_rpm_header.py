"""read_header on real rpmbuild packages, checked against rpm itself, and every refusal."""

import io
import re
import struct
import subprocess
from pathlib import Path

import pytest

from pulp_bootfiles.app.formats.rpm_header import MAX_HEADER_BYTES, TAG, RpmError, read_header
from pulp_bootfiles.tests.fixtures import rpmcraft
from pulp_bootfiles.tests.fixtures.rpmbuilder import build_rpm

FILES = {"/boot/efi/EFI/fedora/shimx64.efi": b"shim\n" * 100, "/boot/efi/EFI/BOOT/x": b"x"}
QUERY = (
    "%{NEVRA} %{NAME} %{EPOCHNUM} %{VERSION} %{RELEASE} %{ARCH} %{PAYLOADFORMAT}"
    " %{PAYLOADCOMPRESSOR} %{LONGSIZE}"
)


@pytest.fixture(scope="module")
def raw(tmp_path_factory):
    """The bytes of one ordinary package."""
    outdir = tmp_path_factory.mktemp("rpms")
    return build_rpm(outdir, "shim-x64", "15.10", "1", "x86_64", FILES).read_bytes()


class Trickle:
    """A stream that returns at most 7 bytes per read, like a slow socket."""

    def __init__(self, data):
        self._io = io.BytesIO(data)

    def read(self, size=-1):
        return self._io.read(7 if size < 0 else min(size, 7))


@pytest.mark.parametrize(
    "arch, epoch, compression",
    [
        ("x86_64", 0, "zstd"),
        ("noarch", 1, "xz"),
        ("aarch64", 2, "gzip"),
        ("s390x", 0, "bzip2"),
        ("ppc64le", 0, "lzma"),
        ("i686", 3, "zstd"),
    ],
)
def test_header_agrees_with_rpm(tmp_path, arch, epoch, compression):
    path = build_rpm(
        tmp_path, "shim-x64", "15.10", "1", arch, FILES, epoch=epoch, compression=compression
    )
    data = path.read_bytes()
    stream = io.BytesIO(data)
    header = read_header(stream, path.name)
    query = subprocess.run(
        ["rpm", "-qp", "--qf", QUERY, str(path)], check=True, capture_output=True, text=True
    ).stdout.split()
    assert [
        header.nevra,
        header.name,
        str(header.epoch),
        header.version,
        header.release,
        header.arch,
        header.payload_format,
        header.payload_compressor,
        str(header.installed_size),
    ] == query
    assert (header.epoch, header.arch, header.payload_compressor) == (epoch, arch, compression)
    assert header.file_count == len(FILES)
    assert stream.tell() == rpmcraft.payload_offset(data)


def test_short_reads_are_completed(raw):
    assert read_header(Trickle(raw), "t.rpm").nevra == "shim-x64-15.10-1.x86_64"


def _set(raw: bytes, offset: int, value: bytes) -> bytes:
    out = bytearray(raw)
    out[offset : offset + len(value)] = value
    return bytes(out)


def _main(raw):
    return rpmcraft.main_header_offset(raw)


def _data_size(raw):
    return struct.unpack(">I", raw[_main(raw) + 12 : _main(raw) + 16])[0]


def _entry(raw, name):
    return rpmcraft.find_tag(raw, TAG[name])


def _retag(raw, name, number=0x7FFFFFF0):
    """Give a tag another number: gone under its own name (or present under another)."""
    return _set(raw, _entry(raw, name).index_offset, struct.pack(">I", number))


def _point(raw, name, offset):
    """Make a tag's index entry point at `offset` in the header data."""
    return _set(raw, _entry(raw, name).index_offset + 8, struct.pack(">I", offset))


BAD_HEADERS = {
    "lead magic": (lambda r: _set(r, 0, b"\0\0\0\0"), "not an RPM package"),
    "signature type": (lambda r: _set(r, 78, struct.pack(">H", 1)), "unsupported signature type 1"),
    "signature magic": (lambda r: _set(r, 96, b"\0\0\0\0"), "bad signature header magic"),
    "header magic": (lambda r: _set(r, _main(r), b"\0\0\0\0"), "bad header magic"),
    "signature size": (
        lambda r: _set(r, 96 + 12, struct.pack(">I", 0xFFFFFFFF)),
        "signature header too large",
    ),
    "tag count": (
        lambda r: _set(r, _main(r) + 8, struct.pack(">I", 0x10000)),
        "header too large (65536 tags",
    ),
    "data size": (
        lambda r: _set(r, _main(r) + 12, struct.pack(">I", MAX_HEADER_BYTES)),
        "header too large",
    ),
    "offset outside": (lambda r: _point(r, "NAME", 0x7FFFFFFF), "points outside the header"),
    "no NAME": (lambda r: _retag(r, "NAME"), "header has no NAME tag"),
    "NAME type": (
        lambda r: _set(r, _entry(r, "NAME").index_offset + 4, struct.pack(">I", 4)),
        "header tag NAME has unexpected type 4",
    ),
    "NAME unterminated": (
        lambda r: _set(_point(r, "NAME", _data_size(r) - 1), rpmcraft.payload_offset(r) - 1, b"x"),
        "header tag NAME is not NUL-terminated",
    ),
    "no size": (lambda r: _retag(r, "SIZE"), "header has no SIZE or LONGSIZE tag"),
    "size outside": (
        lambda r: _point(r, "SIZE", _data_size(r) - 2),
        "header tag SIZE points outside the header data",
    ),
}


@pytest.mark.parametrize("damage, message", BAD_HEADERS.values(), ids=BAD_HEADERS)
def test_bad_header_is_refused(raw, damage, message):
    with pytest.raises(RpmError, match=r"^shim\.rpm: .*" + re.escape(message)):
        read_header(io.BytesIO(damage(raw)), "shim.rpm")


@pytest.mark.parametrize(
    "keep, where",
    [
        (0, "lead"),
        (95, "lead"),
        (100, "signature header"),
        (200, "signature header"),
        (lambda r: _main(r) + 10, "header"),
        (lambda r: rpmcraft.payload_offset(r) - 1, "header"),
    ],
)
def test_truncated_header_is_refused(raw, keep, where):
    keep = keep(raw) if callable(keep) else keep
    with pytest.raises(RpmError, match=rf"^shim\.rpm: truncated in the {where}$"):
        read_header(io.BytesIO(raw[:keep]), "shim.rpm")


def test_absent_payload_compressor_means_gzip(raw):
    assert read_header(io.BytesIO(raw), "a.rpm").payload_compressor == "zstd"
    damaged = _retag(raw, "PAYLOADCOMPRESSOR")
    assert read_header(io.BytesIO(damaged), "a.rpm").payload_compressor == "gzip"


def test_longsize_is_read(raw):
    size = read_header(io.BytesIO(raw), "a.rpm").installed_size
    as_longsize = _retag(raw, "SIZE", TAG["LONGSIZE"])
    assert read_header(io.BytesIO(as_longsize), "a.rpm").installed_size == size


CORPUS = Path(__file__).parent / "data" / "corpus" / "rpm"
FILE_QUERY = "[%{FILENAMES}\\t%{FILEMODES}\\t%{LONGFILESIZES}\\t%{FILEDIGESTS}\\t%{FILEFLAGS}\\n]"


@pytest.mark.parametrize("package", sorted(CORPUS.glob("*/*.rpm")), ids=lambda p: p.name)
def test_file_list_agrees_with_rpm(package):
    query = subprocess.run(
        ["rpm", "-qp", "--nosignature", "--nodigest", "--qf", FILE_QUERY, str(package)],
        capture_output=True,
        text=True,
        check=True,
    )
    header = read_header(io.BytesIO(package.read_bytes()), package.name)
    ours = [(f.path, f.mode, f.size, f.digest, f.ghost) for f in header.files]
    theirs = [
        ("/" + path.removeprefix("/"), int(mode), int(size), digest, bool(int(flags) & 64))
        for path, mode, size, digest, flags in (
            line.split("\t") for line in query.stdout.splitlines()
        )
    ]
    assert ours == theirs


def test_unknown_file_digest_algorithm_is_refused():
    raw = (CORPUS / "local" / "local-digest8.rpm").read_bytes()
    damaged = rpmcraft.set_tag_int32(raw, TAG["FILEDIGESTALGO"], 99)
    with pytest.raises(
        RpmError, match="^a.rpm: unsupported file digest algorithm 99 in the header$"
    ):
        read_header(io.BytesIO(damaged), "a.rpm")


@pytest.mark.parametrize("name", ["FILEMODES", "FILESIZES", "DIRINDEXES"])
def test_file_arrays_must_cover_every_file(raw, name):
    with pytest.raises(RpmError, match=f"^a.rpm: header tag {name} has none values for 2 files$"):
        read_header(io.BytesIO(_retag(raw, name)), "a.rpm")
