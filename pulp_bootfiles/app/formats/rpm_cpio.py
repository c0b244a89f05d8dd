"""rpm's cpio payload archive, read the way rpm reads it (lib/cpio.cc, lib/rpmfi.cc).

Entries are matched to the RPM header's file list: in newc/crc form (070701/070702) by name,
in rpm's "stripped" form (07070X, written for packages with 64-bit file sizes and by rpm 6) by
their index into that list, whose entries carry nothing else. Data sizes, hard-link sets and
file types come from the header; a newc entry must agree with it. `CpioStream` reads the
decompressed payload within a byte limit and keeps its offset for the 4-byte alignment.
"""

import lzma
import stat
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Iterator

import zstandard

from .rpm_header import RpmError, RpmHeader

CHUNK_SIZE = 1024 * 1024
# Upper bound of cpio framing per entry: fixed header, longest path name, alignment padding.
CPIO_ENTRY_OVERHEAD = 110 + 4096 + 8
CPIO_MAGICS = (b"070701", b"070702")
CPIO_STRIPPED_MAGIC = b"07070X"
CPIO_STRIPPED_TRAILER = 0xFFFFFFFF  # rpm's reader also ends at this index (fx -1)
CPIO_TRAILER = "TRAILER!!!"
CPIO_NAMESIZE_MAX = 4096  # rpm refuses longer names
# bz2 and gzip report bad data as OSError; truncation surfaces as EOFError, handled first.
DECOMPRESSION_ERRORS = (zstandard.ZstdError, lzma.LZMAError, zlib.error, OSError)


class CpioStream:
    """The decompressed cpio stream, with its offset (for alignment) and an output limit."""

    def __init__(self, raw: BinaryIO, source: str, limit: int):
        self.raw, self.source, self.limit, self.offset = raw, source, limit, 0

    def reserve(self, size: int) -> None:
        """Refuse an entry before decompressing past the limit."""
        if self.offset + size > self.limit:
            raise RpmError(f"{self.source}: payload exceeds its limit of {self.limit} bytes")

    def chunks(self, size: int, what: str) -> Iterator[bytes]:
        """Yield exactly `size` bytes in chunks; refuse before decompressing past the limit."""
        self.reserve(size)
        remaining = size
        while remaining:
            try:
                chunk = self.raw.read(min(remaining, CHUNK_SIZE))
            except EOFError as exc:
                raise RpmError(f"{self.source}: payload is truncated in the {what}") from exc
            except DECOMPRESSION_ERRORS as exc:
                raise RpmError(f"{self.source}: payload is corrupt ({exc})") from exc
            if not chunk:
                raise RpmError(f"{self.source}: payload is truncated in the {what}")
            self.offset += len(chunk)
            remaining -= len(chunk)
            yield chunk

    def read(self, size: int, what: str) -> bytes:
        return b"".join(self.chunks(size, what))

    def align(self) -> None:
        """Skip the padding that aligns cpio headers and data to 4 bytes."""
        self.read(-self.offset % 4, "cpio padding")


class FileTable:
    """The header's file list as the payload reader needs it: lookup by path, hard-link sets."""

    def __init__(self, header: RpmHeader):
        self.files = header.files
        self.index: dict[str, int] = {}
        links: dict[tuple[int, int], list[int]] = {}
        for fx, file in enumerate(self.files):
            self.index.setdefault(file.path, fx)
            if file.link_id is not None:
                links.setdefault(file.link_id, []).append(fx)
        # rpm stores a hard-link set's data once, with its last member in header order
        self.carrier = {fx: group[-1] for group in links.values() for fx in group}

    def data_size(self, fx: int) -> int:
        """How many data bytes follow entry `fx` in the payload (rpm's iterReadArchiveNext)."""
        file = self.files[fx]
        if file.ghost or not (file.is_regular or stat.S_ISLNK(file.mode)):
            return 0
        return 0 if self.carrier.get(fx, fx) != fx else file.size


@dataclass(frozen=True)
class CpioEntry:
    fx: int  # index into the header's file list
    path: str
    size: int  # data bytes following the entry's header
    cpio_mode: int | None  # None in the stripped form, which takes everything from the header


def member_path(name: str, source: str) -> str:
    """The header path a member name stands for: rpm drops one './' and then one '/'.

    './boot/x', '/boot/x' (nfpm, %_noPayloadPrefix) and 'boot/x' all name '/boot/x', as rpm
    and cpio extract them; a '..' component means a broken or hostile package.
    """
    if ".." in name.split("/"):
        raise RpmError(f"{source}: payload member {name!r} escapes the package root")
    return "/" + name.removeprefix("./").removeprefix("/")


def _hex(raw: bytes, source: str, start: int) -> list[int]:
    try:
        return [int(raw[i : i + 8], 16) for i in range(0, len(raw), 8)]
    except ValueError as exc:
        raise RpmError(f"{source}: malformed cpio header at payload offset {start}") from exc


def next_entry(payload: CpioStream, table: FileTable, source: str) -> CpioEntry | None:
    """Read one cpio header (newc, crc or stripped) and its name; None at the trailer."""
    start = payload.offset
    magic = payload.read(6, "cpio header")
    if magic == CPIO_STRIPPED_MAGIC:
        (fx,) = _hex(payload.read(8, "cpio header"), source, start)
        payload.align()
        if fx == CPIO_STRIPPED_TRAILER:
            return None
        if fx >= len(table.files):
            raise RpmError(
                f"{source}: cpio entry at payload offset {start} names file {fx},"
                f" the header lists {len(table.files)}"
            )
        return CpioEntry(fx, table.files[fx].path, table.data_size(fx), None)
    if magic not in CPIO_MAGICS:
        raise RpmError(f"{source}: bad cpio magic {magic!r} at payload offset {start}")
    fields = _hex(payload.read(104, "cpio header"), source, start)
    mode, size, namesize = fields[1], fields[6], fields[11]
    if not 0 < namesize <= CPIO_NAMESIZE_MAX:
        raise RpmError(f"{source}: cpio name at payload offset {start} is {namesize} bytes long")
    name = payload.read(namesize, "cpio name")
    payload.align()
    if not name.endswith(b"\0"):
        raise RpmError(f"{source}: cpio name at payload offset {start} is not NUL-terminated")
    name = name[:-1].decode("utf-8", "surrogateescape")
    if name == CPIO_TRAILER:
        return None
    path = member_path(name, source)
    fx = table.index.get(path)
    if fx is None:  # rpm refuses it too (RPMERR_UNMAPPED_FILE)
        raise RpmError(f"{source}: payload member {name!r} is not in the header's file list")
    return CpioEntry(fx, path, size, mode)


def check_entry(entry: CpioEntry, table: FileTable, wanted: bool, source: str) -> None:
    """A newc entry's own size and type must be what rpm, reading by the header, expects."""
    file = table.files[entry.fx]
    if entry.cpio_mode is None or file.ghost or not file.is_regular:
        return
    if wanted and not stat.S_ISREG(entry.cpio_mode):
        raise RpmError(
            f"{source}: {entry.path} is not a regular file in the payload"
            f" (mode {entry.cpio_mode:o})"
        )
    expected = table.data_size(entry.fx)
    if entry.size != expected:
        raise RpmError(
            f"{source}: payload entry {entry.path} holds {entry.size} bytes of data,"
            f" the header lists {expected}"
        )
