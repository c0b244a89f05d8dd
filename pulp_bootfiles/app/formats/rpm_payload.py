"""Stream a few named files out of an RPM package's payload without reading all of it.

`extract_files` decompresses the payload as a stream, walks the cpio archive, copies only the
wanted files to disk and stops as soon as it has them all. The header side lives in
`rpm_header`; its public names are re-exported here so callers need one import.
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

from .rpm_header import RpmError, RpmHeader, read_header

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
CPIO_TRAILER = "TRAILER!!!"
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


class _Payload:
    """The decompressed cpio stream, with its offset (for alignment) and an output limit."""

    def __init__(self, stream: BinaryIO, header: RpmHeader, source: str, limit: int):
        if header.payload_format != "cpio":
            raise RpmError(f"{source}: unsupported payload format {header.payload_format!r}")
        opener = DECOMPRESSORS.get(header.payload_compressor)
        if opener is None:
            raise RpmError(f"{source}: unknown payload compressor {header.payload_compressor!r}")
        self.raw, self.source, self.limit, self.offset = opener(stream), source, limit, 0

    def chunks(self, size: int, what: str) -> Iterator[bytes]:
        """Yield exactly `size` bytes in chunks; refuse before decompressing past the limit."""
        if self.offset + size > self.limit:
            raise RpmError(f"{self.source}: payload exceeds its limit of {self.limit} bytes")
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


@dataclass(frozen=True)
class _Entry:
    path: str
    mode: int
    inode: tuple[int, int, int]
    nlink: int
    size: int


def _member_path(name: str, source: str) -> str:
    """'./boot/x' -> '/boot/x'; a '..' or an absolute name means a broken or hostile package."""
    if ".." in name.split("/"):
        raise RpmError(f"{source}: payload member {name!r} escapes the package root")
    if name.startswith("/"):
        # rpm writes every member as './path'; cpio tools would write '/path' outside the root.
        raise RpmError(f"{source}: payload member {name!r} is an absolute path")
    return "/" + posixpath.normpath(name).lstrip("/")


def _next_entry(payload: _Payload, source: str) -> _Entry | None:
    """Read one cpio newc/crc header and its name; None at the trailer."""
    start = payload.offset
    raw = payload.read(110, "cpio header")
    if raw[:6] not in CPIO_MAGICS:
        raise RpmError(f"{source}: bad cpio magic {raw[:6]!r} at payload offset {start}")
    try:
        fields = [int(raw[i : i + 8], 16) for i in range(6, 110, 8)]
    except ValueError as exc:
        raise RpmError(f"{source}: malformed cpio header at payload offset {start}") from exc
    ino, mode, _uid, _gid, nlink, _mtime, size, major, minor, _rmaj, _rmin, namesize, _ = fields
    name = payload.read(namesize, "cpio name")
    payload.align()
    if not name.endswith(b"\0"):
        raise RpmError(f"{source}: cpio name at payload offset {start} is not NUL-terminated")
    name = name[:-1].decode("utf-8", "surrogateescape")
    if name == CPIO_TRAILER:
        return None
    return _Entry(_member_path(name, source), mode, (major, minor, ino), nlink, size)


def _copy(payload: _Payload, size: int, destinations: list[Path]) -> str:
    """Copy the current entry's data to every destination; return its sha256."""
    digest = hashlib.sha256()
    with ExitStack() as stack:
        outputs = [stack.enter_context(open(path, "wb")) for path in destinations]
        for chunk in payload.chunks(size, "file data"):
            digest.update(chunk)
            for output in outputs:
                output.write(chunk)
    return digest.hexdigest()


def _check_wanted(path: str) -> str:
    if not path.startswith("/") or posixpath.normpath(path) != path:
        raise ValueError(f"wanted path {path!r} is not an absolute, normalised path")
    return path


def _take(
    payload: _Payload,
    entry_size: int,
    paths: list[str],
    targets: Mapping[str, Path],
    written: list[Path],
) -> dict[str, ExtractedFile]:
    """Write the current entry's data to the destinations of `paths`, or skip over it."""
    if not paths:
        for _chunk in payload.chunks(entry_size, "file data"):
            pass
        return {}
    destinations = [targets[path] for path in paths]
    written.extend(destinations)
    sha256 = _copy(payload, entry_size, destinations)
    return {path: ExtractedFile(targets[path], sha256, entry_size) for path in paths}


def extract_files(
    stream: BinaryIO,
    header: RpmHeader,
    wanted: Mapping[str, Path],
    source: str,
    max_payload_bytes: int | None = None,
) -> dict[str, ExtractedFile]:
    """Copy the `wanted` files (path in package -> destination) out of the payload.

    `stream` must be positioned at the payload, as `read_header` leaves it. Decompression stops
    once every wanted file is written. `max_payload_bytes` bounds the decompressed size
    (default: what the header declares, plus cpio framing, at most MAX_PAYLOAD_BYTES), so a
    decompression bomb stops early. On any error the files written so far are removed, so a
    partial file is never mistaken for a good one.

    zstd (as rpm writes it) and gzip check their data only at the end of the stream, which an
    early stop never reaches: verify the package's checksum from the repodata first.
    """
    targets = {_check_wanted(path): Path(dest) for path, dest in wanted.items()}
    limit = default_payload_limit(header) if max_payload_bytes is None else max_payload_bytes
    payload = _Payload(stream, header, source, limit)
    found: dict[str, ExtractedFile] = {}
    linked: dict[tuple[int, int, int], list[str]] = {}  # inode -> wanted links awaiting data
    written: list[Path] = []
    try:
        while len(found) < len(targets):
            entry = _next_entry(payload, source)
            if entry is None:
                # links still waiting at the end are an empty file: no link carried data
                found.update(_take(payload, 0, sum(linked.values(), []), targets, written))
                break
            paths = [entry.path] if entry.path in targets else []
            if paths and not stat.S_ISREG(entry.mode):
                raise RpmError(
                    f"{source}: {entry.path} is not a regular file in the payload"
                    f" (mode {entry.mode:o})"
                )
            if paths and entry.size == 0 and entry.nlink > 1:
                # newc stores a hard-linked file's data once, on the last of its links
                linked.setdefault(entry.inode, []).extend(paths)
                paths = []
            elif entry.size and stat.S_ISREG(entry.mode):
                paths = linked.pop(entry.inode, []) + paths
            found.update(_take(payload, entry.size, paths, targets, written))
            payload.align()
        missing = sorted(set(targets) - set(found))
        if missing:
            raise RpmError(f"{source}: payload has no file {', '.join(missing)}")
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return found
