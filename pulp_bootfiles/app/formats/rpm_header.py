"""Read the headers of an RPM package from a stream, with hard bounds.

An RPM is a 96-byte lead, a signature header (padded to 8 bytes), the main header and the
compressed payload. `read_header` reads up to the payload and no further, and refuses absurd
sizes before allocating anything, so a hostile file cannot make us allocate gigabytes.
"""

import stat
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
    "OLDFILENAMES": 1027,
    "FILESIZES": 1028,
    "FILEMODES": 1030,
    "FILEDIGESTS": 1035,
    "FILEFLAGS": 1037,
    "FILEDEVICES": 1095,
    "FILEINODES": 1096,
    "DIRINDEXES": 1116,
    "BASENAMES": 1117,
    "DIRNAMES": 1118,
    "PAYLOADFORMAT": 1124,
    "PAYLOADCOMPRESSOR": 1125,
    "PAYLOADDIGESTALGO": 5093,
    "LONGFILESIZES": 5008,
    "LONGSIZE": 5009,
    "FILEDIGESTALGO": 5011,
}
INT_SIZES = {3: 2, 4: 4, 5: 8}  # RPM_INT16_TYPE, RPM_INT32_TYPE, RPM_INT64_TYPE
# rpm's hash ids (rpmcrypto.h) as FILEDIGESTALGO names them; md5 when the tag is absent.
FILE_DIGEST_ALGOS = {
    1: "md5",
    2: "sha1",
    8: "sha256",
    9: "sha384",
    10: "sha512",
    11: "sha224",
    12: "sha3_256",
    14: "sha3_512",
}
RPMFILE_GHOST = 1 << 6  # listed in the header, never in the payload
STRING_TYPES = (6, 9)  # RPM_STRING_TYPE, RPM_I18NSTRING_TYPE (first translation)
STRING_ARRAY_TYPE = 8
BIN_TYPE = 7


class RpmError(ValueError):
    """A package is malformed or lacks what was asked of it; the message names the package."""


@dataclass(frozen=True)
class RpmFile:
    """One entry of the header's file list, as rpm installs it."""

    path: str  # absolute, as DIRNAMES + BASENAMES give it ('/boot/x')
    mode: int
    size: int  # the whole file's size, also for a hard link whose data another link carries
    digest: str  # lowercase hex in the header's FILEDIGESTALGO; '' when the header lists none
    ghost: bool
    link_id: tuple[int, int] | None  # (device, inode) of a regular file; shared by hard links

    @property
    def is_regular(self) -> bool:
        return stat.S_ISREG(self.mode)


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
    files: tuple[RpmFile, ...] = ()
    file_digest_algo: str = "md5"

    @property
    def file_count(self) -> int:
        return len(self.files)

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

    def integers(self, name: str) -> list[int] | None:
        """All values of an integer tag, or None when the tag is absent."""
        entry = self._entry(name, INT_SIZES)
        if entry is None:
            return None
        type_, offset, count = entry
        width = INT_SIZES[type_]
        if offset % width or offset + count * width > len(self.data):
            raise RpmError(f"{self.source}: {self.what} tag {name} points outside the header data")
        return [
            int.from_bytes(self.data[at : at + width], "big")
            for at in range(offset, offset + count * width, width)
        ]

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
            values.append(self.data[offset:end].decode("utf-8", "surrogateescape"))
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


def _file_paths(main: _Header) -> list[str]:
    """DIRNAMES[DIRINDEXES[i]] + BASENAMES[i] (OLDFILENAMES before rpm 4), made absolute:
    a source RPM lists bare names ('x.spec'), which rpm and cpio extract to the root."""
    paths = main.strings(TAG["BASENAMES"])
    if paths is None:
        paths = main.strings(TAG["OLDFILENAMES"]) or []
    else:
        dirnames = main.strings(TAG["DIRNAMES"]) or []
        indexes = _array(main, "DIRINDEXES", len(paths))
        if any(index >= len(dirnames) for index in indexes):
            raise RpmError(f"{main.source}: header tag DIRINDEXES points past DIRNAMES")
        paths = [dirnames[index] + name for index, name in zip(indexes, paths, strict=True)]
    return ["/" + path.removeprefix("/") for path in paths]


def _array(main: _Header, name: str, count: int, default: int | None = None) -> list[int]:
    """An integer array with one value per file; `default` fills in for an absent tag."""
    values = main.integers(name)
    if values is None and default is not None:
        return [default] * count
    if values is None or len(values) != count:
        found = "none" if values is None else len(values)
        raise RpmError(f"{main.source}: header tag {name} has {found} values for {count} files")
    return values


def _files(main: _Header) -> tuple[tuple[RpmFile, ...], str]:
    """The header's file list and the name of its file digest algorithm."""
    algo_id = main.integer("FILEDIGESTALGO") or 1
    algo = FILE_DIGEST_ALGOS.get(algo_id)
    if algo is None:
        raise RpmError(f"{main.source}: unsupported file digest algorithm {algo_id} in the header")
    paths = _file_paths(main)
    if not paths:
        return (), algo
    count = len(paths)
    sizes = main.integers("LONGFILESIZES")  # rpm writes it instead of FILESIZES past 4 GiB
    sizes = _array(main, "LONGFILESIZES" if sizes is not None else "FILESIZES", count)
    modes = _array(main, "FILEMODES", count)
    flags = _array(main, "FILEFLAGS", count, default=0)
    inodes = _array(main, "FILEINODES", count, default=0)
    devices = _array(main, "FILEDEVICES", count, default=0)
    digests = main.strings(TAG["FILEDIGESTS"]) or [""] * count
    if len(digests) != count:
        raise RpmError(
            f"{main.source}: header tag FILEDIGESTS has {len(digests)} values for {count} files"
        )
    files = []
    for path, size, mode, flag, inode, device, digest in zip(
        paths, sizes, modes, flags, inodes, devices, digests, strict=True
    ):
        ghost = bool(flag & RPMFILE_GHOST)
        # rpm links regular files by (device, inode), never ghosts or inode 0 (rpmfi.cc)
        linkable = stat.S_ISREG(mode) and not ghost and inode > 0
        link_id = (device, inode) if linkable else None
        files.append(RpmFile(path, mode, size, digest.lower(), ghost, link_id))
    return tuple(files), algo


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
    files, algo = _files(main)
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
        files=files,
        file_digest_algo=algo,
    )
