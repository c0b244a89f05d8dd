"""Tests of open_decompressed: each format streams, and corrupt data fails naming the file."""

import bz2
import gzip
import hashlib
import io
import lzma

import pytest
import zstandard

from pulp_bootfiles.app.formats.compression import (
    MAGIC_SIZE,
    CompressionError,
    open_decompressed,
    sniff,
)


class ReadRecorder(io.RawIOBase):
    """A file object that records the size of each read, to show nothing reads it whole."""

    def __init__(self, data):
        self._data = io.BytesIO(data)
        self.sizes = []

    def readable(self):
        return True

    def readinto(self, buffer):
        self.sizes.append(len(buffer))
        return self._data.readinto(buffer)

    def read(self, size=-1):
        self.sizes.append(size)
        return self._data.read(size)


def _zstd_two_frames(data):
    half = len(data) // 2
    compressor = zstandard.ZstdCompressor()
    return compressor.compress(data[:half]) + compressor.compress(data[half:])


COMPRESSORS = {
    "zstd": lambda data: zstandard.ZstdCompressor(level=3).compress(data),
    "zstd, two frames": _zstd_two_frames,
    "gzip": gzip.compress,
    "gzip, two members": lambda data: gzip.compress(data[:100]) + gzip.compress(data[100:]),
    "xz": lambda data: lzma.compress(data, preset=1),
    "bzip2": bz2.compress,
    "plain": lambda data: data,
    "plain with BOM and blank lines": lambda data: b"\xef\xbb\xbf\n\n\n\n\n\n" + data,
}
# 10,000 packages with distinct digests (and a package's worth of repeated text): megabytes that
# do not compress to almost nothing.
_TEXT = "Initial UEFI bootloader that handles chaining to a trusted full bootloader. " * 16
XML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<metadata>\n'
    + "".join(
        f"<package><name>pkg{i}</name><checksum>{hashlib.sha256(b'%d' % i).hexdigest()}"
        f"</checksum><description>{_TEXT}</description></package>\n"
        for i in range(10000)
    ).encode()
    + b"</metadata>\n"
)


@pytest.mark.parametrize("kind", COMPRESSORS)
def test_open_decompressed(kind):
    expected = COMPRESSORS[kind](XML) if kind.startswith("plain") else XML
    source = ReadRecorder(COMPRESSORS[kind](XML))
    with open_decompressed(source, "primary") as stream:
        start = stream.read(100)
        consumed_early = source._data.tell()
        assert start + stream.read() == expected
    # Streaming: the first bytes came before half the input was read, in bounded reads.
    assert consumed_early < len(source._data.getvalue()) // 2
    assert all(0 < size <= 1 << 20 for size in source.sizes), source.sizes
    assert not source.closed  # the caller's file object stays the caller's


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "primary.xml.zst: neither zstd, gzip, xz, bzip2 nor XML (starts with b'')"),
        (
            b"PK\x03\x04zipfile",
            "neither zstd, gzip, xz, bzip2 nor XML (starts with b'PK\\x03\\x04zi')",
        ),
        (
            zstandard.ZstdCompressor(write_checksum=True).compress(b"<metadata/>" * 100)[:-4]
            + b"\x00" * 4,
            "primary.xml.zst: cannot read zstd data",
        ),
        (gzip.compress(b"<metadata/>" * 100)[:-12], "cannot read gzip data"),
        (gzip.compress(b"<metadata/>" * 100)[:-8] + b"\x00" * 8, "cannot read gzip data"),
        (lzma.compress(b"<metadata/>" * 100)[:30], "cannot read xz data"),
        (b"\xfd7zXZ\x00" + b"\x01" * 50, "cannot read xz data"),
        (bz2.compress(b"<metadata/>" * 100)[:20], "cannot read bzip2 data"),
    ],
    ids=[
        "empty",
        "zip",
        "zstd checksum",
        "gzip truncated",
        "gzip crc",
        "xz truncated",
        "xz garbage",
        "bzip2 truncated",
    ],
)
def test_open_decompressed_errors(data, message):
    with pytest.raises(CompressionError) as raised:
        open_decompressed(io.BytesIO(data), "primary.xml.zst").read()
    assert message in str(raised.value)


@pytest.mark.parametrize("kind", ["zstd", "zstd, two frames", "gzip", "xz", "bzip2"])
def test_open_decompressed_stops_past_max_size(kind):
    # A whitespace bomb: 16 MiB of blanks compress to a few KB.
    xml = b"<metadata>" + b" " * (16 << 20) + b"</metadata>"
    data = COMPRESSORS[kind](xml)
    with open_decompressed(io.BytesIO(data), "primary.xml.zst", max_size=len(xml)) as stream:
        assert hashlib.sha256(stream.read()).digest() == hashlib.sha256(xml).digest()
    read = 0
    with pytest.raises(CompressionError, match="primary.xml.zst: decompresses to more than 1000"):
        with open_decompressed(io.BytesIO(data), "primary.xml.zst", max_size=1000) as stream:
            while chunk := stream.read(64 * 1024):
                read += len(chunk)
    assert read < 1 << 20  # stopped within the first reads, not after the 16 MiB


@pytest.mark.parametrize(
    "data, kind",
    [
        (zstandard.ZstdCompressor().compress(b"x"), "zstd"),
        (gzip.compress(b"x"), "gzip"),
        (lzma.compress(b"x"), "xz"),
        (lzma.compress(b"x", format=lzma.FORMAT_ALONE), "lzma"),
        (bz2.compress(b"x"), "bzip2"),
        (b"070701", None),
        (b"<metadata/>", None),
        (b"", None),
    ],
)
def test_sniff(data, kind):
    assert sniff(data[:MAGIC_SIZE]) == kind
