"""Read the headers of an RPM package from a stream, with hard bounds.

An RPM is a 96-byte lead, a signature header (padded to 8 bytes), the main header and the
compressed payload. `read_header` reads up to the payload and no further, and refuses absurd
sizes before allocating anything, so a hostile file cannot make us allocate gigabytes.
"""

import struct
from dataclasses import dataclass
from typing import BinaryIO

LEAD_MAGIC = b"\xed\xab\xee\xdb"
HEADER_MAGIC = b"\x8e\xad\xe8\x01"
LEAD_SIZE = 96
SIGTYPE_HEADERSIG = 5  # the only signature type rpm has written since the 1990s
MAX_INDEX_ENTRIES = 0xFFFF  # rpm's own limit on header tags
MAX_HEADER_BYTES = 64 * 1024 * 1024

TAG = {
    "NAME": 1000,
    "VERSION": 1001,
    "RELEASE": 1002,
    "EPOCH": 1003,
    "SIZE": 1009,
    "ARCH": 1022,
    "BASENAMES": 1117,
    "PAYLOADFORMAT": 1124,
    "PAYLOADCOMPRESSOR": 1125,
    "PAYLOADDIGESTALGO": 5093,
    "LONGSIZE": 5009,
}
INT_SIZES = {4: 4, 5: 8}  # RPM_INT32_TYPE, RPM_INT64_TYPE
STRING_TYPES = (6, 9)  # RPM_STRING_TYPE, RPM_I18NSTRING_TYPE (first translation)
STRING_ARRAY_TYPE = 8
BIN_TYPE = 7


class RpmError(ValueError):
    """A package is malformed or lacks what was asked of it; the message names the package."""


@dataclass(frozen=True)
class RpmHeader:
    """The fields of an RPM's main header that a sync needs."""

    name: str
    epoch: int
    version: str
    release: str
    arch: str
    payload_format: str
    payload_compressor: str
    installed_size: int
    file_count: int

    @property
    def nevra(self) -> str:
        """name-[epoch:]version-release.arch, the way rpm prints it."""
        epoch = f"{self.epoch}:" if self.epoch else ""
        return f"{self.name}-{epoch}{self.version}-{self.release}.{self.arch}"


def read_exact(stream: BinaryIO, size: int, source: str, what: str) -> bytes:
    """Read exactly `size` bytes; streams such as sockets may return less per call."""
    parts, remaining = [], size
    while remaining:
        part = stream.read(remaining)
        if not part:
            raise RpmError(f"{source}: truncated in the {what}")
        parts.append(part)
        remaining -= len(part)
    return b"".join(parts)


class _Header:
    """One header structure: the tag index and the data store it points into."""

    def __init__(self, stream: BinaryIO, source: str, what: str):
        intro = read_exact(stream, 16, source, what)
        if intro[:4] != HEADER_MAGIC:
            raise RpmError(f"{source}: bad {what} magic {intro[:4].hex()}")
        count, data_size = struct.unpack(">II", intro[8:])
        if count > MAX_INDEX_ENTRIES or 16 * count + data_size > MAX_HEADER_BYTES:
            raise RpmError(f"{source}: {what} too large ({count} tags, {data_size} data bytes)")
        index = read_exact(stream, 16 * count, source, what)
        self.data = read_exact(stream, data_size, source, what)
        self.size = 16 + 16 * count + data_size
        # The exact bytes, as a header-only signature covers them (magic and index included).
        self.raw = intro + index + self.data
        self.source, self.what = source, what
        self.index = {}
        for tag, type_, offset, tag_count in struct.iter_unpack(">IIII", index):
            if offset >= data_size:
                raise RpmError(f"{source}: {what} tag {tag} points outside the header data")
            self.index[tag] = (type_, offset, tag_count)

    def _entry(self, name: str, types) -> tuple[int, int, int] | None:
        entry = self.index.get(TAG[name])
        if entry is not None and entry[0] not in types:
            raise RpmError(f"{self.source}: {self.what} tag {name} has unexpected type {entry[0]}")
        return entry

    def string(self, name: str, default: str | None = None) -> str:
        """The string value of a tag; a missing tag falls back to `default` or fails."""
        entry = self._entry(name, STRING_TYPES)
        if entry is None:
            if default is None:
                raise RpmError(f"{self.source}: {self.what} has no {name} tag")
            return default
        end = self.data.find(b"\0", entry[1])
        if end < 0:
            raise RpmError(f"{self.source}: {self.what} tag {name} is not NUL-terminated")
        return self.data[entry[1] : end].decode("utf-8", "replace")

    def integer(self, name: str) -> int | None:
        """The first value of an integer tag, or None when the tag is absent."""
        entry = self._entry(name, INT_SIZES)
        if entry is None:
            return None
        type_, offset, _count = entry
        value = self.data[offset : offset + INT_SIZES[type_]]
        if len(value) < INT_SIZES[type_]:
            raise RpmError(f"{self.source}: {self.what} tag {name} points outside the header data")
        return int.from_bytes(value, "big")

    def count(self, name: str) -> int:
        """How many values a tag holds (0 when absent)."""
        entry = self.index.get(TAG[name])
        return entry[2] if entry else 0

    def binary(self, tag: int) -> bytes | None:
        """The bytes of a BIN tag (by number), or None when the tag is absent."""
        entry = self.index.get(tag)
        if entry is None:
            return None
        type_, offset, count = entry
        if type_ != BIN_TYPE:
            raise RpmError(f"{self.source}: {self.what} tag {tag} has unexpected type {type_}")
        if offset + count > len(self.data):
            raise RpmError(f"{self.source}: {self.what} tag {tag} points outside the header data")
        return self.data[offset : offset + count]

    def strings(self, tag: int) -> list[str] | None:
        """The values of a STRING or STRING_ARRAY tag (by number), or None when absent."""
        entry = self.index.get(tag)
        if entry is None:
            return None
        type_, offset, count = entry
        if type_ not in (*STRING_TYPES, STRING_ARRAY_TYPE):
            raise RpmError(f"{self.source}: {self.what} tag {tag} has unexpected type {type_}")
        values = []
        for _ in range(1 if type_ != STRING_ARRAY_TYPE else count):
            end = self.data.find(b"\0", offset)
            if end < 0:
                raise RpmError(f"{self.source}: {self.what} tag {tag} is not NUL-terminated")
            values.append(self.data[offset:end].decode("ascii", "replace"))
            offset = end + 1
        return values


def read_headers(stream: BinaryIO, source: str) -> tuple[_Header, _Header]:
    """Read the lead, then return the (signature, main) header structures.

    Leaves `stream` at the start of the payload. `source` names the package in every error.
    """
    lead = read_exact(stream, LEAD_SIZE, source, "lead")
    if lead[:4] != LEAD_MAGIC:
        raise RpmError(f"{source}: not an RPM package (lead magic {lead[:4].hex()})")
    (sigtype,) = struct.unpack(">H", lead[78:80])
    if sigtype != SIGTYPE_HEADERSIG:
        raise RpmError(f"{source}: unsupported signature type {sigtype} in the lead")
    signature = _Header(stream, source, "signature header")
    read_exact(stream, -signature.size % 8, source, "signature header")  # padded to 8 bytes
    return signature, _Header(stream, source, "header")


def read_header(stream: BinaryIO, source: str) -> RpmHeader:
    """Read the lead, signature and main header; leave `stream` at the start of the payload.

    `source` names the package (file name or URL) in every error message.
    """
    _signature, main = read_headers(stream, source)
    size = main.integer("LONGSIZE")
    if size is None:
        size = main.integer("SIZE")
    if size is None:
        raise RpmError(f"{source}: header has no SIZE or LONGSIZE tag")
    return RpmHeader(
        name=main.string("NAME"),
        epoch=main.integer("EPOCH") or 0,
        version=main.string("VERSION"),
        release=main.string("RELEASE"),
        arch=main.string("ARCH"),
        payload_format=main.string("PAYLOADFORMAT", "cpio"),
        # rpm itself assumes gzip when the tag is absent (packages older than rpm 4.0)
        payload_compressor=main.string("PAYLOADCOMPRESSOR", "gzip"),
        installed_size=size,
        file_count=main.count("BASENAMES"),
    )
