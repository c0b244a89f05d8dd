"""extract_files on real rpmbuild packages of every payload compressor, and every refusal."""

import hashlib
import io
import re
import struct

import pytest
import zstandard

from pulp_bootfiles.app.formats.rpm_header import TAG
from pulp_bootfiles.app.formats.rpm_payload import (
    MAX_PAYLOAD_BYTES,
    RpmError,
    extract_files,
    read_header,
)
from pulp_bootfiles.tests.fixtures import rpmcraft
from pulp_bootfiles.tests.fixtures.content import pseudo_random
from pulp_bootfiles.tests.fixtures.rpmbuilder import build_rpm

SHIM = "/boot/efi/EFI/fedora/shimx64.efi"
GRUB = "/boot/efi/EFI/fedora/grubx64.efi"
FILES = {
    SHIM: pseudo_random("shim", 5000),
    GRUB: pseudo_random("grub", 70000),
    "/boot/efi/EFI/BOOT/BOOTX64.EFI": pseudo_random("boot", 3000),
    "/tftpboot/pxelinux.0": b"pxelinux\n" * 40,
    "/h/one": b"hard-linked data\n",
    "/e/one": b"",
}
SYMLINK, DIRECTORY = "/boot/efi/EFI/fedora/link.efi", "/boot/efi/EFI/fedora/fonts"
HARDLINKS = {"/h/two": "/h/one", "/h/three": "/h/one", "/e/two": "/e/one"}
COMPRESSIONS = ["zstd", "xz", "gzip", "bzip2", "lzma"]
SOURCE = "shim-x64-15.10-1.x86_64.rpm"


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    """{compression: bytes of the same package built with that payload compressor}."""
    outdir = tmp_path_factory.mktemp("rpms")
    return {
        compression: build_rpm(
            outdir / compression,
            "shim-x64",
            "15.10",
            "1",
            "x86_64",
            FILES,
            compression=compression,
            symlinks={SYMLINK: "shimx64.efi"},
            hardlinks=HARDLINKS,
            dirs=[DIRECTORY],
        ).read_bytes()
        for compression in COMPRESSIONS
    }


def extract(raw, paths, outdir, stream=None, **kwargs):
    stream = io.BytesIO(raw) if stream is None else stream
    header = read_header(stream, SOURCE)
    wanted = {path: outdir / f"out{index}" for index, path in enumerate(paths)}
    return extract_files(stream, header, wanted, SOURCE, **kwargs)


@pytest.mark.parametrize("compression", COMPRESSIONS)
@pytest.mark.parametrize(
    "paths",
    [
        [SHIM],
        [SHIM, GRUB, "/tftpboot/pxelinux.0"],
        ["/h/one"],  # the first link: rpm stores the data on the last one
        ["/h/one", "/h/two", "/h/three"],
        ["/e/one", "/e/two"],  # an empty hard-linked file: no link carries data
    ],
)
def test_extracts_wanted_files(packages, tmp_path, compression, paths):
    found = extract(packages[compression], paths, tmp_path)
    assert sorted(found) == sorted(paths)
    for path in paths:
        expected = FILES[HARDLINKS.get(path, path)]
        assert found[path].path.read_bytes() == expected
        assert found[path].sha256 == hashlib.sha256(expected).hexdigest()
        assert found[path].size == len(expected)


class CountingStream:
    """Counts what the extractor consumes; `chunk` limits each read like a slow socket."""

    def __init__(self, data, chunk=None):
        self._io, self._chunk, self.consumed = io.BytesIO(data), chunk, 0

    def read(self, size=-1):
        if self._chunk:
            size = self._chunk if size < 0 else min(size, self._chunk)
        data = self._io.read(size)
        self.consumed += len(data)
        return data


@pytest.mark.parametrize("compression", COMPRESSIONS)
def test_stops_decompressing_once_everything_is_found(tmp_path, compression):
    # 2.5 MiB: bzip2 must read a whole 900 kB block before it yields the first byte.
    middle = pseudo_random("middle", 5 << 19)
    files = {"/a/first": b"first", "/m/middle": middle, "/z/last": b"z"}
    raw = build_rpm(
        tmp_path, "big", "1", "1", "x86_64", files, compression=compression
    ).read_bytes()
    early, late = CountingStream(raw), CountingStream(raw)
    extract(raw, ["/a/first"], tmp_path, stream=early)
    extract(raw, ["/z/last"], tmp_path, stream=late)
    assert early.consumed < len(raw) // 2 < late.consumed


def test_short_reads_are_completed(packages, tmp_path):
    stream = CountingStream(packages["zstd"], chunk=7)
    assert extract(packages["zstd"], [GRUB], tmp_path, stream=stream)[GRUB].size == 70000


@pytest.mark.parametrize(
    "path, message",
    [
        ("/boot/nothing", f"{SOURCE}: payload has no file /boot/nothing"),
        (SYMLINK, f"{SOURCE}: {SYMLINK} is not a regular file in the payload (mode 120777)"),
        (DIRECTORY, f"{SOURCE}: {DIRECTORY} is not a regular file in the payload (mode 40755)"),
    ],
)
def test_unusable_wanted_path_is_refused(packages, tmp_path, path, message):
    with pytest.raises(RpmError, match=f"^{re.escape(message)}$"):
        extract(packages["zstd"], [path], tmp_path)


def test_failure_removes_files_already_written(packages, tmp_path):
    with pytest.raises(RpmError, match="no file /boot/nothing"):
        extract(packages["zstd"], [SHIM, "/boot/nothing"], tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", ["boot/x", "/boot/../x", "/boot//x", "/boot/x/"])
def test_wanted_path_must_be_absolute_and_normalised(packages, tmp_path, path):
    with pytest.raises(ValueError, match="is not an absolute, normalised path"):
        extract(packages["zstd"], [path], tmp_path)


def test_output_beyond_the_limit_is_refused(packages, tmp_path):
    with pytest.raises(RpmError, match=f"^{SOURCE}: payload exceeds its limit of 10000 bytes$"):
        extract(packages["zstd"], [GRUB], tmp_path, max_payload_bytes=10000)


def test_decompression_bomb_stops_at_the_declared_size(tmp_path):
    """8 MiB of zeros compress to almost nothing; a header declaring 1 byte must stop it."""
    raw = build_rpm(tmp_path, "bomb", "1", "1", "x86_64", {"/zeros": bytes(8 << 20)}).read_bytes()
    assert extract(raw, ["/zeros"], tmp_path)["/zeros"].size == 8 << 20
    size = rpmcraft.find_tag(raw, TAG["SIZE"]).data_offset
    bomb = raw[:size] + struct.pack(">I", 1) + raw[size + 4 :]
    # the limit is the declared 1 byte plus the framing of two entries (a file, the trailer)
    with pytest.raises(RpmError, match="payload exceeds its limit of 8429 bytes$"):
        extract(bomb, ["/zeros"], tmp_path)


def test_declared_gigabytes_stop_at_the_absolute_cap(packages, tmp_path):
    """A header honestly declaring 4 GiB does not buy 4 GiB of decompression or disk."""
    raw = packages["zstd"]
    size = rpmcraft.find_tag(raw, TAG["SIZE"]).data_offset
    declared = raw[:size] + struct.pack(">I", 0xFFFFFFF0) + raw[size + 4 :]
    huge = rpmcraft.cpio_entry("./boot/x")
    huge = huge[:54] + b"FFFFFFFF" + huge[62:]  # the entry claims 4 GiB of data
    with pytest.raises(RpmError, match=f"payload exceeds its limit of {MAX_PAYLOAD_BYTES} bytes$"):
        extract(with_cpio(declared, rpmcraft.cpio_archive([huge])), ["/boot/x"], tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("compression", COMPRESSIONS)
@pytest.mark.parametrize("keep", [16, 0.6])
def test_truncated_payload_is_refused(packages, tmp_path, compression, keep):
    raw = packages[compression]
    start = rpmcraft.payload_offset(raw)
    end = start + keep if isinstance(keep, int) else int(len(raw) * keep)
    with pytest.raises(RpmError, match=f"^{SOURCE}: payload is truncated in the "):
        extract(raw[:end], ["/h/one"], tmp_path)  # hard links come last in rpm's payloads


def _flip(raw, offset, count=8):
    return (
        raw[:offset] + bytes(b ^ 0x55 for b in raw[offset : offset + count]) + raw[offset + count :]
    )


@pytest.mark.parametrize(
    "compression, where",
    [
        *[(compression, "start") for compression in COMPRESSIONS],
        # xz and lzma check their data as they go; zstd and gzip only at the end of the stream.
        ("xz", "middle"),
        ("lzma", "middle"),
    ],
)
def test_corrupt_payload_is_refused(packages, tmp_path, compression, where):
    raw = packages[compression]
    start = rpmcraft.payload_offset(raw)
    offset = start if where == "start" else (start + len(raw)) // 2
    with pytest.raises(RpmError, match=rf"^{SOURCE}: payload is corrupt \(.+\)$"):
        extract(_flip(raw, offset), ["/h/one"], tmp_path)


@pytest.mark.parametrize(
    "old, new, message",
    [
        (b"zstd\0", b"zzzz\0", "unknown payload compressor 'zzzz'"),
        (b"cpio\0", b"drpm\0", "unsupported payload format 'drpm'"),
    ],
)
def test_unsupported_payload_is_refused(packages, tmp_path, old, new, message):
    raw = packages["zstd"]
    start = rpmcraft.payload_offset(raw)
    header, payload = raw[:start], raw[start:]
    assert header.count(old) == 1
    with pytest.raises(RpmError, match=f"^{SOURCE}: {message}$"):
        extract(header.replace(old, new) + payload, [SHIM], tmp_path)


def with_cpio(raw, archive):
    """The package's headers in front of a hand-made cpio archive (zstd, as it declares)."""
    return raw[: rpmcraft.payload_offset(raw)] + zstandard.ZstdCompressor().compress(archive)


def test_crc_format_is_read(packages, tmp_path):
    archive = rpmcraft.cpio_archive([rpmcraft.cpio_entry("./boot/x", b"data", magic=b"070702")])
    found = extract(with_cpio(packages["zstd"], archive), ["/boot/x"], tmp_path)
    assert found["/boot/x"].path.read_bytes() == b"data"


@pytest.mark.parametrize(
    "name", ["../etc/passwd", "./../etc/passwd", "./boot/../../etc/passwd", "./boot/../x", "/.."]
)
def test_member_outside_the_root_is_refused(packages, tmp_path, name):
    archive = rpmcraft.cpio_archive([rpmcraft.cpio_entry(name, b"x")])
    with pytest.raises(RpmError, match=f"^{SOURCE}: payload member .* escapes the package root"):
        extract(with_cpio(packages["zstd"], archive), ["/etc/passwd"], tmp_path)


@pytest.mark.parametrize("name", ["/etc/passwd", "/boot/x"])
def test_absolute_member_is_refused(packages, tmp_path, name):
    archive = rpmcraft.cpio_archive([rpmcraft.cpio_entry(name, b"x")])
    message = f"{SOURCE}: payload member '{name}' is an absolute path"
    with pytest.raises(RpmError, match=f"^{re.escape(message)}$"):
        extract(with_cpio(packages["zstd"], archive), ["/boot/x"], tmp_path)


ENTRY = rpmcraft.cpio_entry("./boot/x")
CRAFTED = {
    "odc magic": (
        [rpmcraft.cpio_entry("./boot/x", b"x", magic=b"070707")],
        "bad cpio magic b'070707' at payload offset 0",
    ),
    "garbage": ([b"\x89PNG\r\n" + bytes(104)], "bad cpio magic"),
    "second magic": (
        [rpmcraft.cpio_entry("./a", b"a"), rpmcraft.cpio_entry("./b", magic=b"07070X")],
        "bad cpio magic b'07070X' at payload offset 120",
    ),
    "hex": ([ENTRY[:6] + b"ZZZZZZZZ" + ENTRY[14:]], "malformed cpio header at payload offset 0"),
    "unterminated name": (
        [rpmcraft.cpio_entry(b"./boot/x", b"x")],
        "cpio name at payload offset 0 is not NUL-terminated",
    ),
    "device": (
        [rpmcraft.cpio_entry("./boot/x", mode=rpmcraft.S_IFCHR | 0o600)],
        "/boot/x is not a regular file in the payload (mode 20600)",
    ),
    "huge size field": ([ENTRY[:54] + b"7FFFFFFF" + ENTRY[62:]], "payload exceeds its limit of"),
    "only trailer": ([], "payload has no file /boot/x"),
}


@pytest.mark.parametrize("entries, message", CRAFTED.values(), ids=CRAFTED)
def test_malformed_cpio_is_refused(packages, tmp_path, entries, message):
    raw = with_cpio(packages["zstd"], rpmcraft.cpio_archive(entries))
    with pytest.raises(RpmError, match=f"^{re.escape(SOURCE)}: {re.escape(message)}"):
        extract(raw, ["/boot/x"], tmp_path)


def test_archive_ending_without_trailer_is_truncated(packages, tmp_path):
    archive = rpmcraft.cpio_archive([rpmcraft.cpio_entry("./boot/y", b"y")], trailer=False)
    with pytest.raises(RpmError, match="payload is truncated in the cpio header"):
        extract(with_cpio(packages["zstd"], archive), ["/boot/x"], tmp_path)
