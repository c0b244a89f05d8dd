"""extract_files on real rpmbuild packages of every payload compressor, and every refusal."""

import bz2
import dataclasses
import gzip
import hashlib
import io
import lzma
import re
import struct
from pathlib import Path

import pytest
import zstandard

from pulp_bootfiles.app.formats.compression import MAGIC_SIZE
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
        ("/boot/nothing", f"{SOURCE}: the package has no file /boot/nothing"),
        (SYMLINK, f"{SOURCE}: {SYMLINK} is not a regular file in the package (mode 120777)"),
        (DIRECTORY, f"{SOURCE}: {DIRECTORY} is not a regular file in the package (mode 40755)"),
    ],
)
def test_unusable_wanted_path_is_refused(packages, tmp_path, path, message):
    with pytest.raises(RpmError, match=f"^{re.escape(message)}$"):
        extract(packages["zstd"], [path], tmp_path)


def test_failure_removes_files_already_written(crafted, tmp_path):
    archive = rpmcraft.cpio_archive(
        [rpmcraft.cpio_entry("./boot/x", b"data"), rpmcraft.cpio_entry("./boot/y", b"!")]
    )
    with pytest.raises(RpmError, match="/boot/y has sha256 "):
        extract(with_cpio(crafted, archive), ["/boot/x", "/boot/y"], tmp_path)
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


def test_declared_gigabytes_stop_at_the_absolute_cap(crafted, tmp_path):
    """A header honestly declaring 4 GiB does not buy 4 GiB of decompression or disk."""
    raw = crafted
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
    start = rpmcraft.payload_offset(raw) + MAGIC_SIZE  # a damaged magic is another refusal
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


@pytest.fixture(scope="module")
def crafted(tmp_path_factory):
    """A package whose header lists the files the hand-made archives below hold."""
    files = {"/boot/x": b"data", "/boot/y": b"y", "/etc/passwd": b"root\n"}
    outdir = tmp_path_factory.mktemp("crafted")
    return build_rpm(outdir, "crafted", "1", "1", "x86_64", files, dirs=["/boot"]).read_bytes()


def with_cpio(raw, archive):
    """The package's headers in front of a hand-made cpio archive (zstd, as it declares)."""
    return raw[: rpmcraft.payload_offset(raw)] + zstandard.ZstdCompressor().compress(archive)


def test_crc_format_is_read(crafted, tmp_path):
    archive = rpmcraft.cpio_archive([rpmcraft.cpio_entry("./boot/x", b"data", magic=b"070702")])
    found = extract(with_cpio(crafted, archive), ["/boot/x"], tmp_path)
    assert found["/boot/x"].path.read_bytes() == b"data"


@pytest.mark.parametrize(
    "name", ["../etc/passwd", "./../etc/passwd", "./boot/../../etc/passwd", "./boot/../x", "/.."]
)
def test_member_outside_the_root_is_refused(crafted, tmp_path, name):
    archive = rpmcraft.cpio_archive([rpmcraft.cpio_entry(name, b"x")])
    with pytest.raises(RpmError, match=f"^{SOURCE}: payload member .* escapes the package root"):
        extract(with_cpio(crafted, archive), ["/etc/passwd"], tmp_path)


@pytest.mark.parametrize("name", ["/boot/x", "boot/x", "./boot/x"])
def test_member_names_read_as_rpm_reads_them(crafted, tmp_path, name):
    """rpm drops './' and then '/': nfpm's and %_noPayloadPrefix's absolute names included."""
    archive = rpmcraft.cpio_archive([rpmcraft.cpio_entry(name, b"data")])
    found = extract(with_cpio(crafted, archive), ["/boot/x"], tmp_path)
    assert found["/boot/x"].path.read_bytes() == b"data"


# The crafted package lists /boot, /boot/x, /boot/y, /etc/passwd, in this order.
X_INDEX, Y_INDEX = 1, 2
ENTRY = rpmcraft.cpio_entry("./boot/x")
CRAFTED = {
    "odc magic": (
        [rpmcraft.cpio_entry("./boot/x", b"x", magic=b"070707")],
        "bad cpio magic b'070707' at payload offset 0",
    ),
    "garbage": ([b"\x89PNG\r\n" + bytes(104)], "bad cpio magic"),
    "second magic": (
        [rpmcraft.cpio_entry("./boot/y", b"y"), rpmcraft.cpio_entry("./b", magic=b"070703")],
        "bad cpio magic b'070703' at payload offset 124",
    ),
    "name size": (
        [rpmcraft.cpio_entry("./boot/x", namesize=4097)],
        "cpio name at payload offset 0 is 4097 bytes long",
    ),
    "not in the header": (
        [rpmcraft.cpio_entry("./boot/z", b"z")],
        "payload member './boot/z' is not in the header's file list",
    ),
    "twice": (
        [rpmcraft.cpio_entry("./boot/y", b"y"), rpmcraft.cpio_entry("./boot/y", b"y")],
        "payload holds /boot/y twice",
    ),
    "impostor": ([rpmcraft.cpio_entry("./boot/x", b"evil")], "/boot/x has sha256 "),
    "impostor, larger": (
        [rpmcraft.cpio_entry("./boot/x", b"evil data")],
        "payload entry /boot/x holds 9 bytes of data, the header lists 4",
    ),
    "hard link without data": (
        [rpmcraft.cpio_entry("./boot/x", nlink=2)],
        "payload entry /boot/x holds 0 bytes of data, the header lists 4",
    ),
    "stripped index": (
        [rpmcraft.stripped_entry(7)],
        "cpio entry at payload offset 0 names file 7, the header lists 4",
    ),
    "stripped hex": (
        [rpmcraft.STRIPPED + b"0000000Z"],
        "malformed cpio header at payload offset 0",
    ),
    "stripped impostor": (
        [rpmcraft.stripped_entry(X_INDEX, b"evil")],
        "/boot/x has sha256 ",
    ),
    "stripped, then newc twice": (
        [rpmcraft.stripped_entry(Y_INDEX, b"y"), rpmcraft.cpio_entry("./boot/y", b"y")],
        "payload holds /boot/y twice",
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
def test_malformed_cpio_is_refused(crafted, tmp_path, entries, message):
    raw = with_cpio(crafted, rpmcraft.cpio_archive(entries))
    with pytest.raises(RpmError, match=f"^{re.escape(SOURCE)}: {re.escape(message)}"):
        extract(raw, ["/boot/x"], tmp_path)


def test_archive_ending_without_trailer_is_truncated(crafted, tmp_path):
    archive = rpmcraft.cpio_archive([rpmcraft.cpio_entry("./boot/y", b"y")], trailer=False)
    with pytest.raises(RpmError, match="payload is truncated in the cpio header"):
        extract(with_cpio(crafted, archive), ["/boot/x"], tmp_path)


LOCAL = Path(__file__).parent / "data" / "corpus" / "rpm" / "local"  # built by rpmbuild
BOOT = "/boot/efi/EFI/BOOT/BOOTX64.EFI"
GRUB_LOCAL = "/boot/efi/EFI/BOOT/grubx64.efi"  # holds b"grub\n"


def local(name):
    return (LOCAL / f"local-{name}.rpm").read_bytes()


def cpio_of(raw):
    """The decompressed cpio archive of a real package (any compression rpmbuild writes)."""
    payload = raw[rpmcraft.payload_offset(raw) :]
    if payload.startswith(b"\x28\xb5\x2f\xfd"):
        return zstandard.ZstdDecompressor().decompressobj().decompress(payload)
    return {b"\x1f\x8b": gzip.decompress, b"BZ": bz2.decompress}.get(
        payload[:2], lambda data: data if data.startswith(b"0707") else lzma.decompress(data)
    )(payload)


@pytest.mark.parametrize(
    "name, magic",
    [
        ("ufdio", None),  # w.ufdio: plain cpio and no PAYLOADCOMPRESSOR tag, read as gzip
        ("gzip", b"\x1f\x8b"),
        ("bzip2", b"BZh"),
        ("xz", b"\xfd7zXZ\x00"),
        ("lzma", b"\x5d\x00\x00"),
        ("zstd", b"\x28\xb5\x2f\xfd"),
    ],
)
def test_every_rpmbuild_payload_is_read(tmp_path, name, magic):
    raw = local(name)
    payload = raw[rpmcraft.payload_offset(raw) :]
    assert payload.startswith(magic or b"070701")
    header = read_header(io.BytesIO(raw), SOURCE)
    assert header.payload_compressor == ("gzip" if magic is None else name)
    found = extract(raw, [BOOT, "/h/two", "/e/one"], tmp_path)
    assert found[BOOT].path.read_bytes() == b"shim " * 3000
    assert found["/h/two"].path.read_bytes() == b"linked\n"
    assert found["/e/one"].size == 0


def _retag_compressor(raw, name):
    """`raw` with its PAYLOADCOMPRESSOR tag renumbered away (absent) or set to `name`."""
    entry = rpmcraft.find_tag(raw, TAG["PAYLOADCOMPRESSOR"])
    if name is None:
        return raw[: entry.index_offset] + b"\x7f\xff\xff\xf0" + raw[entry.index_offset + 4 :]
    old = raw[entry.data_offset : raw.index(b"\0", entry.data_offset)].decode()
    return rpmcraft.set_tag_string(raw, TAG["PAYLOADCOMPRESSOR"], old, name)


@pytest.mark.parametrize(
    "package, tag, message",
    [
        ("zstd", "gzip", "payload is zstd data, but its header says gzip"),
        ("zstd", None, "payload is zstd data, but its header says gzip"),  # absent means gzip
        ("gzip", "zstd"[:4], "payload is gzip data, but its header says zstd"),
        ("xz", "gz", "unknown payload compressor 'gz'"),
        ("bzip2", "xzxzx", "unknown payload compressor 'xzxzx'"),
    ],
)
def test_compressor_tag_disagreeing_with_the_data_is_refused(tmp_path, package, tag, message):
    raw = _retag_compressor(local(package), tag)
    with pytest.raises(RpmError, match=f"^{re.escape(SOURCE)}: {re.escape(message)}$"):
        extract(raw, [BOOT], tmp_path)


def test_plain_payload_needs_a_gzip_or_absent_tag(tmp_path):
    """rpm's gzip reader passes plain data through; its zstd reader refuses it."""
    plain = cpio_of(local("zstd"))
    raw = rpmcraft.with_payload(local("zstd"), plain)
    with pytest.raises(RpmError, match=r"payload is not zstd data as its header says \(starts"):
        extract(raw, [BOOT], tmp_path)
    absent = _retag_compressor(raw, None)
    assert extract(absent, [BOOT], tmp_path)[BOOT].size == 15000


def test_xz_and_lzma_tags_read_either_format(tmp_path):
    """rpm decodes both with lzma_auto_decoder."""
    raw = local("xz")
    legacy = lzma.compress(cpio_of(raw), format=lzma.FORMAT_ALONE)
    assert extract(rpmcraft.with_payload(raw, legacy), [BOOT], tmp_path)[BOOT].size == 15000


ALGOS = {1: "md5", 2: "sha1", 8: "sha256", 9: "sha384", 10: "sha512", 11: "sha224"}


@pytest.mark.parametrize("algo", ALGOS)
def test_file_digest_of_every_algorithm_is_checked(tmp_path, algo):
    raw = local(f"digest{algo}")
    assert extract(raw, [GRUB_LOCAL], tmp_path)[GRUB_LOCAL].path.read_bytes() == b"grub\n"
    archive = cpio_of(raw)
    assert archive.count(b"grub\n") == 1
    tampered = rpmcraft.with_payload(raw, gzip.compress(archive.replace(b"grub\n", b"grum\n")))
    actual = hashlib.new(ALGOS[algo], b"grum\n").hexdigest()
    expected = hashlib.new(ALGOS[algo], b"grub\n").hexdigest()
    message = f"{SOURCE}: {GRUB_LOCAL} has {ALGOS[algo]} {actual} in the payload,"
    message += f" the header lists {expected}"
    with pytest.raises(RpmError, match=f"^{re.escape(message)}$"):
        extract(tampered, [GRUB_LOCAL], tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_long_file_sizes_mean_a_stripped_payload(tmp_path):
    """rpmbuild writes 07070X entries once a file (here a 4 GiB %ghost) needs LONGFILESIZES."""
    raw = local("longsizes")
    assert cpio_of(raw).startswith(b"07070X")
    found = extract(raw, [BOOT, "/h/one", "/h/three", "/e/two"], tmp_path)
    assert found["/h/one"].path.read_bytes() == found["/h/three"].path.read_bytes() == b"linked\n"
    assert found[BOOT].size == 15000
    with pytest.raises(RpmError, match="/var/big/sparse is a %ghost file, which the payload"):
        extract(raw, ["/var/big/sparse"], tmp_path)


def test_stripped_payload_crafted_like_rpm_writes_it(crafted, tmp_path):
    """rpm writes the stripped form with a newc trailer; its reader also stops at index -1."""
    for trailer in ([], [rpmcraft.stripped_entry(rpmcraft.STRIPPED_TRAILER_INDEX)]):
        entries = [rpmcraft.stripped_entry(Y_INDEX, b"y"), *trailer]
        archive = rpmcraft.stripped_archive(entries)
        found = extract(with_cpio(crafted, archive), ["/boot/y"], tmp_path)
        assert found["/boot/y"].path.read_bytes() == b"y"
        if trailer:
            archive = rpmcraft.cpio_archive(entries, trailer=False)
            with pytest.raises(RpmError, match="payload has no file /boot/x"):
                extract(with_cpio(crafted, archive), ["/boot/x"], tmp_path)


def test_wanted_file_without_a_digest_is_refused(crafted, tmp_path):
    header = read_header(io.BytesIO(crafted), SOURCE)
    files = tuple(dataclasses.replace(f, digest="") for f in header.files)
    header = dataclasses.replace(header, files=files)
    with pytest.raises(RpmError, match=f"^{SOURCE}: the header lists no digest for /boot/x, so"):
        extract_files(io.BytesIO(b""), header, {"/boot/x": tmp_path / "x"}, SOURCE)
