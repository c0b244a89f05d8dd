"""SBAT metadata of UEFI PE files (shim, grub) and the revocation policy it is checked against.

SBAT (rhboot/shim SBAT.md) is a CSV text in the PE section `.sbat`: one line per component,
`component_name,component_generation,vendor_name,vendor_package_name,vendor_version,vendor_url`.
Firmware running shim refuses a binary when a component's generation is below the level in the
machine's SbatLevel variable. The PE headers are read with explicit bounds from a seekable
stream, so a hostile file can neither make us read outside it nor allocate much.
"""

import struct
from dataclasses import asdict, dataclass
from typing import BinaryIO

DOS_MAGIC = b"MZ"
PE_MAGIC = b"PE\0\0"
DOS_HEADER_SIZE = 64
LFANEW_OFFSET = 0x3C
COFF_HEADER_SIZE = 24  # the PE signature and the COFF file header
SECTION_HEADER_SIZE = 40
MAX_SECTIONS = 96  # the PE/COFF limit; Windows' loader refuses more
MAX_SBAT_BYTES = 64 * 1024  # real ones are a few hundred bytes
SBAT_SECTION = b".sbat"
FIELDS = (
    "component_name",
    "component_generation",
    "vendor_name",
    "vendor_package_name",
    "vendor_version",
    "vendor_url",
)

# The SbatLevel that revokes shim before 15.8 (CVE-2023-40547 and others), published in
# rhboot/shim's SbatLevel_Variable.txt and applied by shim 15.8+ and by Windows updates since
# August 2024: a machine with it refuses any binary with a lower generation of these components.
SBAT_POLICY_LEVEL = "sbat,1,2024010900"
SBAT_POLICY = {"shim": 4, "grub": 3, "grub.debian": 4}


class SbatError(ValueError):
    """A PE file or its SBAT section is malformed; the message names the file."""


@dataclass(frozen=True)
class SbatEntry:
    """One SBAT line; fields missing at the end of the line are ""."""

    component_name: str
    component_generation: int
    vendor_name: str = ""
    vendor_package_name: str = ""
    vendor_version: str = ""
    vendor_url: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def _read_at(stream: BinaryIO, offset: int, size: int, file_size: int, source: str, what: str):
    if offset < 0 or size < 0 or offset + size > file_size:
        raise SbatError(f"{source}: {what} at offset {offset} ({size} bytes) is outside the file")
    stream.seek(offset)
    data = stream.read(size)
    if len(data) != size:
        raise SbatError(f"{source}: truncated in the {what}")
    return data


def is_pe(stream: BinaryIO) -> bool:
    """Whether the file in `stream` (seekable) starts like a PE file; leaves it at the start."""
    stream.seek(0)
    magic = stream.read(len(DOS_MAGIC))
    stream.seek(0)
    return magic == DOS_MAGIC


def read_sbat(stream: BinaryIO, source: str) -> list[SbatEntry] | None:
    """
    The SBAT entries of the PE file in `stream` (seekable), or None if it has no `.sbat`.

    Raises:
        SbatError: not a PE file, headers or the section pointing outside the file, more than
            one `.sbat` section, or SBAT text that is not well-formed.
    """
    file_size = stream.seek(0, 2)
    dos = _read_at(stream, 0, DOS_HEADER_SIZE, file_size, source, "DOS header")
    if dos[:2] != DOS_MAGIC:
        raise SbatError(f"{source}: not a PE file (no MZ header)")
    (pe_offset,) = struct.unpack_from("<I", dos, LFANEW_OFFSET)
    coff = _read_at(stream, pe_offset, COFF_HEADER_SIZE, file_size, source, "PE header")
    if coff[:4] != PE_MAGIC:
        raise SbatError(f"{source}: no PE signature at offset {pe_offset}")
    (section_count,) = struct.unpack_from("<H", coff, 6)
    (optional_size,) = struct.unpack_from("<H", coff, 20)
    if section_count > MAX_SECTIONS:
        raise SbatError(f"{source}: {section_count} sections, more than PE allows ({MAX_SECTIONS})")
    table_offset = pe_offset + COFF_HEADER_SIZE + optional_size
    table = _read_at(
        stream,
        table_offset,
        SECTION_HEADER_SIZE * section_count,
        file_size,
        source,
        "section table",
    )
    found = []
    for at in range(0, len(table), SECTION_HEADER_SIZE):
        if table[at : at + 8].rstrip(b"\0") == SBAT_SECTION:
            virtual_size, _address, raw_size, raw_offset = struct.unpack_from(
                "<IIII", table, at + 8
            )
            # Raw data is padded to the file alignment; the virtual size is the real length.
            found.append((raw_offset, min(virtual_size, raw_size) if virtual_size else raw_size))
    if not found:
        return None
    if len(found) > 1:
        raise SbatError(f"{source}: {len(found)} .sbat sections; a PE file may have one")
    raw_offset, size = found[0]
    if size > MAX_SBAT_BYTES:
        raise SbatError(f"{source}: .sbat section of {size} bytes is larger than {MAX_SBAT_BYTES}")
    data = _read_at(stream, raw_offset, size, file_size, source, ".sbat section")
    return parse_sbat(data.split(b"\0", 1)[0], source)


def parse_sbat(data: bytes, source: str) -> list[SbatEntry]:
    """The entries of SBAT CSV text (what the `.sbat` section holds up to its first NUL)."""
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise SbatError(f"{source}: .sbat is not ASCII text (byte {exc.start})") from exc
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        fields = line.split(",")
        if len(fields) < 2 or not fields[0]:
            raise SbatError(f"{source}: .sbat line {number} has no component name and generation")
        generation = fields[1].strip()
        if not generation.isdigit() or not generation.isascii():
            raise SbatError(
                f"{source}: .sbat line {number}: generation {fields[1]!r} is not a number"
            )
        entries.append(SbatEntry(fields[0], int(generation), *fields[2 : len(FIELDS)]))
    if not entries:
        raise SbatError(f"{source}: .sbat section is empty")
    return entries


def revoked_components(entries, policy=SBAT_POLICY) -> list[str]:
    """
    What `policy` revokes in `entries`, e.g. ["shim,3 (policy requires shim,4)"].

    `entries` are SbatEntry objects or their dicts (as stored on a BootFile).
    """
    revoked = []
    for entry in entries:
        if isinstance(entry, dict):
            entry = SbatEntry(**entry)
        minimum = policy.get(entry.component_name)
        if minimum is not None and entry.component_generation < minimum:
            revoked.append(
                f"{entry.component_name},{entry.component_generation} "
                f"(policy requires {entry.component_name},{minimum})"
            )
    return revoked


def sbat_text(entries) -> str:
    """SBAT entries (or their dicts) back as the CSV lines of a `.sbat` section; "" for None."""
    lines = []
    for entry in entries or []:
        if isinstance(entry, dict):
            entry = SbatEntry(**entry)
        values = [entry.component_name, str(entry.component_generation)]
        values += [getattr(entry, name) for name in FIELDS[2:]]
        lines.append(",".join(values).rstrip(","))
    return "".join(f"{line}\n" for line in lines)
