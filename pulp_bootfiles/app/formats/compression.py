"""
Open a possibly compressed file as a stream of its decompressed bytes.

The format (zstd, gzip, xz, bzip2 or plain XML) is told by its magic bytes, not the file name,
and decompression streams, so a file much larger than memory can be read.
"""

import bz2
import gzip
import io
import lzma
import re
import zlib

import zstandard

# The one table of magic bytes, also used to sniff RPM payloads (rpm_payload).
MAGIC = (
    (b"\x28\xb5\x2f\xfd", "zstd"),
    (b"\x1f\x8b", "gzip"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"BZh", "bzip2"),
    # legacy .lzma ("lzma_alone") has no magic; its first bytes are the properties rpm and
    # xz-utils always write (lc=3 lp=0 pb=2) and the low bytes of a dictionary size that is a
    # multiple of 64 KiB
    (b"\x5d\x00\x00", "lzma"),
)
MAGIC_SIZE = max(len(magic) for magic, _kind in MAGIC)


def sniff(head: bytes) -> str | None:
    """The compression whose magic bytes `head` starts with, or None."""
    return next((kind for magic, kind in MAGIC if head.startswith(magic)), None)


class CompressionError(ValueError):
    """Data that cannot be decompressed; the message names the file and what is wrong."""


def open_decompressed(fileobj, source: str, max_size: int | None = None):
    """
    A binary stream of `fileobj` decompressed (zstd, gzip, xz, bzip2 or plain XML).

    The format is told by its magic bytes, not the file name. Decompression is streaming, and
    errors in it raise CompressionError naming `source`, as does decompressed data longer than
    `max_size` bytes (a few KB of zstd can hold gigabytes of whitespace). Closing the stream
    leaves `fileobj` open.
    """
    head = read_head(fileobj)
    raw = PrefixedStream(head, fileobj)
    kind = sniff(head) or "XML"
    if kind == "zstd":
        stream = zstandard.ZstdDecompressor().stream_reader(
            raw, closefd=False, read_across_frames=True
        )
    elif kind == "gzip":
        stream = gzip.GzipFile(fileobj=raw, mode="rb")
    elif kind == "xz":
        stream = lzma.LZMAFile(raw)
    elif kind == "bzip2":
        stream = bz2.BZ2File(raw)
    elif head and re.match(rb"(\xef\xbb\xbf)?\s*(<|$)", head):
        stream = raw
    else:
        raise CompressionError(
            f"{source}: neither zstd, gzip, xz, bzip2 nor XML (starts with {head!r})"
        )
    return io.BufferedReader(_Checked(stream, source, kind, max_size))


def read_head(fileobj) -> bytes:
    """The first MAGIC_SIZE bytes (fewer at the end), read across short reads."""
    head = b""
    while len(head) < MAGIC_SIZE:
        chunk = fileobj.read(MAGIC_SIZE - len(head))
        if not chunk:
            break
        head += chunk
    return head


class PrefixedStream(io.RawIOBase):
    """The bytes already read from `fileobj` (to tell its format or check it), then the rest."""

    def __init__(self, head, fileobj):
        self._head, self._fileobj = head, fileobj

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._head[: len(buffer)] or self._fileobj.read(len(buffer))
        self._head = self._head[len(data) :]
        buffer[: len(data)] = data
        return len(data)


class _Checked(io.RawIOBase):
    """Reads `stream`, turning its decompression errors and excess length into CompressionError."""

    def __init__(self, stream, source, kind, max_size=None):
        self._stream, self._source, self._kind = stream, source, kind
        self._max_size, self._size = max_size, 0

    def readable(self):
        return True

    def readinto(self, buffer):
        try:
            data = self._stream.read(len(buffer))
        except (OSError, EOFError, lzma.LZMAError, zlib.error, zstandard.ZstdError) as exc:
            raise CompressionError(
                f"{self._source}: cannot read {self._kind} data: {exc}"
            ) from None
        self._size += len(data)
        if self._max_size is not None and self._size > self._max_size:
            raise CompressionError(
                f"{self._source}: decompresses to more than {self._max_size} bytes; "
                "refusing the rest"
            )
        buffer[: len(data)] = data
        return len(data)

    def close(self):
        self._stream.close()
        super().close()
