"""Stream a few named files out of an RPM package's payload without reading all of it.

`extract_files` decompresses the payload as a stream, walks the cpio archive, copies only the
wanted files to disk, checks each against the size and digest the RPM header lists for it, and
stops as soon as it has them all. It reads the archive the way rpm does (lib/cpio.cc,
lib/rpmfi.cc): entries are matched to the header's file list, in newc/crc form by name and in
rpm's "stripped" form (magic 07070X, written for packages with 64-bit file sizes and by rpm 6)
by their index into that list. The header side lives in `rpm_header`; its public names are
re-exported here so callers need one import.
"""

import bz2
import gzip
import hashlib
import lzma
import posixpath
import stat
import zlib
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterator, Mapping

import zstandard

from . import compression
from .rpm_header import RpmError, RpmFile, RpmHeader, read_header

__all__ = [
    "ExtractedFile",
    "RpmError",
    "RpmHeader",
    "default_payload_limit",
    "extract_files",
    "read_header",
]

CHUNK_SIZE = 1024 * 1024
# Upper bound of cpio framing per entry: fixed header, longest path name, alignment padding.
CPIO_ENTRY_OVERHEAD = 110 + 4096 + 8
CPIO_MAGICS = (b"070701", b"070702")
CPIO_STRIPPED_MAGIC = b"07070X"
CPIO_STRIPPED_TRAILER = 0xFFFFFFFF  # rpm's reader also ends at this index (fx -1)
CPIO_TRAILER = "TRAILER!!!"
CPIO_NAMESIZE_MAX = 4096  # rpm refuses longer names
# Decompressed payload read at most, whatever the header declares: a tiny package that declares
# gigabytes must not make the worker decompress (or write) gigabytes. Bootloader packages hold a
# few MB; 1 GiB leaves room for any package a remote's selection may name.
MAX_PAYLOAD_BYTES = 1 << 30

DECOMPRESSORS = {
    "zstd": lambda raw: zstandard.ZstdDecompressor().stream_reader(
        raw, read_across_frames=True, closefd=False
    ),
    "xz": lzma.LZMAFile,  # lzma's automatic format detection reads .xz and legacy .lzma
    "lzma": lzma.LZMAFile,
    "gzip": lambda raw: gzip.GzipFile(fileobj=raw, mode="rb"),
    "bzip2": bz2.BZ2File,
}
# rpm reads xz and legacy lzma with one automatic decoder (lzma_auto_decoder), so either tag
# reads either format.
SAME_DECODER = {"xz": "lzma", "lzma": "xz"}
# bz2 and gzip report bad data as OSError; truncation surfaces as EOFError, handled first.
DECOMPRESSION_ERRORS = (zstandard.ZstdError, lzma.LZMAError, zlib.error, OSError)


@dataclass(frozen=True)
class ExtractedFile:
    """A file written by `extract_files`."""

    path: Path
    sha256: str
    size: int


def default_payload_limit(header: RpmHeader) -> int:
    """The most decompressed bytes a well-formed payload of this package can hold, capped."""
    declared = header.installed_size + (header.file_count + 1) * CPIO_ENTRY_OVERHEAD
    return min(declared, MAX_PAYLOAD_BYTES)


def _decompressed(stream: BinaryIO, header: RpmHeader, source: str) -> BinaryIO:
    """The payload's cpio stream, its compression told by its magic bytes.

    The tag only has to agree: rpm decodes by the tag, and its gzip reader (zlib) passes data
    without gzip magic through unchanged, so an uncompressed payload under a gzip or absent
    tag (rpmbuild's w.ufdio) is plain cpio. Any other disagreement is a package rpm cannot
    read either, refused with both names.
    """
    if header.payload_format != "cpio":
        raise RpmError(f"{source}: unsupported payload format {header.payload_format!r}")
    declared = header.payload_compressor
    if declared not in DECOMPRESSORS:
        raise RpmError(f"{source}: unknown payload compressor {declared!r}")
    head = compression.read_head(stream)
    raw = compression.PrefixedStream(head, stream)
    found = compression.sniff(head)
    if found is None:
        if declared != "gzip":
            raise RpmError(
                f"{source}: payload is not {declared} data as its header says"
                f" (starts with {head!r})"
            )
        return raw
    if declared not in (found, SAME_DECODER.get(found)):
        raise RpmError(f"{source}: payload is {found} data, but its header says {declared}")
    return DECOMPRESSORS[found](raw)


class _Payload:
    """The decompressed cpio stream, with its offset (for alignment) and an output limit."""

    def __init__(self, stream: BinaryIO, header: RpmHeader, source: str, limit: int):
        self.raw = _decompressed(stream, header, source)
        self.source, self.limit, self.offset = source, limit, 0

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


class _FileTable:
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
class _Entry:
    fx: int  # index into the header's file list
    path: str
    size: int  # data bytes following the entry's header
    cpio_mode: int | None  # None in the stripped form, which takes everything from the header


def _member_path(name: str, source: str) -> str:
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


def _next_entry(payload: _Payload, table: _FileTable, source: str) -> _Entry | None:
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
        return _Entry(fx, table.files[fx].path, table.data_size(fx), None)
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
    path = _member_path(name, source)
    fx = table.index.get(path)
    if fx is None:  # rpm refuses it too (RPMERR_UNMAPPED_FILE)
        raise RpmError(f"{source}: payload member {name!r} is not in the header's file list")
    return _Entry(fx, path, size, mode)


def _check_entry(entry: _Entry, table: _FileTable, wanted: bool, source: str) -> None:
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


def _check_wanted(path: str, table: _FileTable, source: str) -> int:
    """The header index of a wanted path, which must be a regular file with a digest."""
    if not path.startswith("/") or posixpath.normpath(path) != path:
        raise ValueError(f"wanted path {path!r} is not an absolute, normalised path")
    fx = table.index.get(path)
    if fx is None:
        raise RpmError(f"{source}: the package has no file {path}")
    file = table.files[fx]
    if not file.is_regular:
        raise RpmError(
            f"{source}: {path} is not a regular file in the package (mode {file.mode:o})"
        )
    if file.ghost:
        raise RpmError(f"{source}: {path} is a %ghost file, which the payload does not hold")
    if not file.digest:
        raise RpmError(f"{source}: the header lists no digest for {path}, so it cannot be checked")
    return fx


def _copy(payload: _Payload, size: int, destinations: list[Path], algo: str) -> tuple[str, str]:
    """Copy the current entry's data to every destination; return its sha256 and `algo` digest."""
    sha256, listed = hashlib.sha256(), hashlib.new(algo)
    with ExitStack() as stack:
        outputs = [stack.enter_context(open(path, "wb")) for path in destinations]
        for chunk in payload.chunks(size, "file data"):
            sha256.update(chunk)
            listed.update(chunk)
            for output in outputs:
                output.write(chunk)
    return sha256.hexdigest(), listed.hexdigest()


def _verify(file: RpmFile, size: int, digest: str, algo: str, source: str) -> None:
    """The extracted data must be the file the (checksummed, signed) header describes."""
    if size != file.size:
        raise RpmError(
            f"{source}: {file.path} has {size} bytes in the payload, the header lists {file.size}"
        )
    if digest != file.digest:
        raise RpmError(
            f"{source}: {file.path} has {algo} {digest} in the payload,"
            f" the header lists {file.digest}"
        )


def extract_files(
    stream: BinaryIO,
    header: RpmHeader,
    wanted: Mapping[str, Path],
    source: str,
    max_payload_bytes: int | None = None,
) -> dict[str, ExtractedFile]:
    """Copy the `wanted` files (path in package -> destination) out of the payload.

    `stream` must be positioned at the payload, as `read_header` leaves it. Each wanted path
    must be a regular file in the header's file list; what the payload holds for it must have
    the size and digest the header lists, and the payload may name it only once. Decompression
    stops once every wanted file is written. `max_payload_bytes` bounds the decompressed size
    (default: what the header declares, plus cpio framing, at most MAX_PAYLOAD_BYTES), so a
    decompression bomb stops early. On any error the files written so far are removed, so a
    partial file is never mistaken for a good one.
    """
    table = _FileTable(header)
    targets = {path: Path(dest) for path, dest in wanted.items()}
    pending: dict[int, list[int]] = {}  # data-carrying entry -> wanted files it fills
    for path in targets:
        fx = _check_wanted(path, table, source)
        pending.setdefault(table.carrier.get(fx, fx), []).append(fx)
    limit = default_payload_limit(header) if max_payload_bytes is None else max_payload_bytes
    payload = _Payload(stream, header, source, limit) if pending else None
    found: dict[str, ExtractedFile] = {}
    seen: set[int] = set()
    written: list[Path] = []
    try:
        while pending:
            entry = _next_entry(payload, table, source)
            if entry is None:
                break
            if entry.fx in seen:
                raise RpmError(f"{source}: payload holds {entry.path} twice")
            seen.add(entry.fx)
            fxs = pending.pop(entry.fx, [])
            payload.reserve(entry.size)
            _check_entry(entry, table, bool(fxs), source)
            if fxs:
                destinations = [targets[table.files[fx].path] for fx in fxs]
                written.extend(destinations)
                sha256, digest = _copy(payload, entry.size, destinations, header.file_digest_algo)
                for fx in fxs:
                    file = table.files[fx]
                    _verify(file, entry.size, digest, header.file_digest_algo, source)
                    found[file.path] = ExtractedFile(targets[file.path], sha256, entry.size)
            else:
                for _chunk in payload.chunks(entry.size, "file data"):
                    pass
            payload.align()
        missing = sorted(table.files[fx].path for fxs in pending.values() for fx in fxs)
        if missing:
            raise RpmError(f"{source}: payload has no file {', '.join(missing)}")
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return found
