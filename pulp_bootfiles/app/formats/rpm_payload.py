"""Stream a few named files out of an RPM package's payload without reading all of it.

`extract_files` decompresses the payload as a stream, walks the cpio archive, copies only the
wanted files to disk, checks each against the size and digest the RPM header lists for it, and
stops as soon as it has them all. The archive itself is read by `rpm_cpio`, the way rpm
reads it; the header side lives in `rpm_header`, whose public names are re-exported here so
callers need one import.
"""

import bz2
import gzip
import hashlib
import lzma
import posixpath
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Mapping

import zstandard

from . import compression
from .rpm_cpio import CPIO_ENTRY_OVERHEAD, CpioStream, FileTable, check_entry, next_entry
from .rpm_header import RpmError, RpmFile, RpmHeader, read_header

__all__ = [
    "ExtractedFile",
    "RpmError",
    "RpmHeader",
    "default_payload_limit",
    "extract_files",
    "read_header",
]

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


def _check_wanted(path: str, table: FileTable, source: str) -> int:
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


def _copy(payload: CpioStream, size: int, destinations: list[Path], algo: str) -> tuple[str, str]:
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
    table = FileTable(header)
    targets = {path: Path(dest) for path, dest in wanted.items()}
    pending: dict[int, list[int]] = {}  # data-carrying entry -> wanted files it fills
    for path in targets:
        fx = _check_wanted(path, table, source)
        pending.setdefault(table.carrier.get(fx, fx), []).append(fx)
    limit = default_payload_limit(header) if max_payload_bytes is None else max_payload_bytes
    payload = CpioStream(_decompressed(stream, header, source), source, limit) if pending else None
    found: dict[str, ExtractedFile] = {}
    seen: set[int] = set()
    written: list[Path] = []
    try:
        while pending:
            entry = next_entry(payload, table, source)
            if entry is None:
                break
            if entry.fx in seen:
                raise RpmError(f"{source}: payload holds {entry.path} twice")
            seen.add(entry.fx)
            fxs = pending.pop(entry.fx, [])
            payload.reserve(entry.size)
            check_entry(entry, table, bool(fxs), source)
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
