"""read_sbat on PE files laid out from the spec (objdump agrees), the policy, and hostile input."""

import io
import struct
import subprocess

import pytest
from pulp_glue.bootfiles.netboot.sbat import (
    MAX_SBAT_BYTES,
    SbatEntry,
    SbatError,
    is_pe,
    parse_sbat,
    read_sbat,
    revoked_components,
    sbat_text,
)

from pulp_bootfiles.tests.fixtures.pe import build_pe, grub_sbat, shim_sbat

TEXT = b"\x90" * 100  # stands in for code


def sbat_of(data):
    return read_sbat(io.BytesIO(data), "shimx64.efi")


def test_objdump_reads_the_fixture_pe(tmp_path):
    path = tmp_path / "shimx64.efi"
    path.write_bytes(build_pe({b".text": TEXT, b".sbat": shim_sbat(4, "15.8-3")}))
    listing = subprocess.run(
        ["objdump", "-h", str(path)], check=True, capture_output=True, text=True
    ).stdout
    assert "pei-x86-64" in listing
    assert ".sbat" in listing and ".text" in listing


def test_reads_the_entries_of_a_shim():
    entries = sbat_of(build_pe({b".text": TEXT, b".sbat": shim_sbat(4, "15.8-3")}))
    assert entries == [
        SbatEntry(
            "sbat",
            1,
            "SBAT Version",
            "sbat",
            "1",
            "https://github.com/rhboot/shim/blob/main/SBAT.md",
        ),
        SbatEntry("shim", 4, "UEFI shim", "shim", "1", "https://github.com/rhboot/shim"),
        SbatEntry(
            "shim.fedora", 1, "Fedora", "shim", "15.8-3", "https://src.fedoraproject.org/rpms/shim"
        ),
    ]


@pytest.mark.parametrize(
    "sbat, revoked",
    [
        (shim_sbat(4, "15.8-3"), []),
        (shim_sbat(5, "16.0-1"), []),
        (shim_sbat(3, "15.7-1"), ["shim,3 (policy requires shim,4)"]),
        (grub_sbat(3, "2.06"), []),
        (grub_sbat(2, "2.06"), ["grub,2 (policy requires grub,3)"]),
    ],
)
def test_policy_revokes_old_generations(sbat, revoked):
    entries = sbat_of(build_pe({b".sbat": sbat}))
    assert revoked_components(entries) == revoked
    assert revoked_components([entry.as_dict() for entry in entries]) == revoked


def test_a_pe_without_sbat_has_none():
    assert sbat_of(build_pe({b".text": TEXT, b".data": b"x"})) is None


def test_virtual_size_cuts_the_padding_and_a_nul_ends_the_text():
    sbat = shim_sbat(4, "15.8")
    data = build_pe({b".sbat": sbat + b"\0garbage,x"}, virtual_sizes={b".sbat": len(sbat) + 4})
    assert [entry.component_name for entry in sbat_of(data)] == ["sbat", "shim", "shim.fedora"]


def test_a_virtual_size_of_zero_means_the_raw_size():
    data = patched(PE, SBAT_HEADER + 8, "<I", 0)
    assert sbat_of(data)[1] == SbatEntry(
        "shim", 4, "UEFI shim", "shim", "1", "https://github.com/rhboot/shim"
    )


def patched(data, offset, fmt, *values):
    data = bytearray(data)
    struct.pack_into(fmt, data, offset, *values)
    return bytes(data)


PE = build_pe({b".text": TEXT, b".sbat": shim_sbat(4, "15.8")})
SECTION_TABLE = 0x40 + 24 + 240
SBAT_HEADER = SECTION_TABLE + 40


@pytest.mark.parametrize(
    "data, problem",
    [
        (b"", r"DOS header at offset 0 \(64 bytes\) is outside the file"),
        (b"\x7fELF" + bytes(100), "not a PE file"),
        (patched(PE, 0x3C, "<I", 0xFFFFFFF0), "PE header at offset 4294967280"),
        (patched(PE, 0x40, "<4s", b"NE\0\0"), "no PE signature at offset 64"),
        (patched(PE, 0x46, "<H", 0xFFFF), "65535 sections, more than PE allows"),
        (patched(PE, 0x46, "<H", 96), "section table at offset 328 .* is outside the file"),
        (patched(PE, 0x54, "<H", 0xFFFF), "section table at offset 65623"),
        (patched(PE, SBAT_HEADER + 20, "<I", 0x7FFFFFFF), r"\.sbat section at offset 2147483647"),
        (
            patched(PE, SBAT_HEADER + 8, "<III", MAX_SBAT_BYTES + 1, 0x2000, MAX_SBAT_BYTES + 1),
            f"section of {MAX_SBAT_BYTES + 1} bytes is larger",
        ),
        (patched(PE, SECTION_TABLE, "<8s", b".sbat"), "2 .sbat sections"),
        (PE[: len(PE) - 600], r"\.sbat section at offset .* is outside the file"),
    ],
)
def test_refuses_hostile_headers(data, problem):
    with pytest.raises(SbatError, match=problem):
        sbat_of(data)


@pytest.mark.parametrize(
    "text, problem",
    [
        (b"sbat,1\nshim\n", "line 2 has no component name and generation"),
        (b",1\n", "line 1 has no component name"),
        (b"shim,four,x\n", "line 1: generation 'four' is not a number"),
        (b"shim,-1\n", "generation '-1' is not a number"),
        (b"shim,\xd9\xa3\n", "not ASCII text"),
        (b"\n\n", "section is empty"),
    ],
)
def test_refuses_malformed_sbat_text(text, problem):
    with pytest.raises(SbatError, match=problem):
        parse_sbat(text, "grubx64.efi")


def test_sbat_text_gives_back_the_section_lines():
    section = shim_sbat(4, "15.8-3")
    entries = parse_sbat(section, "shimx64.efi")
    assert sbat_text(entries) == section.decode()
    assert sbat_text([entry.as_dict() for entry in entries]) == section.decode()
    assert sbat_text(None) == ""


@pytest.mark.parametrize("data, pe", [(PE, True), (b"M", False), (b"\x7fELF", False), (b"", False)])
def test_is_pe_looks_at_the_magic_only(data, pe):
    stream = io.BytesIO(data)
    assert is_pe(stream) is pe
    assert stream.tell() == 0
