"""read_kernel_version: the release an x86 bzImage declares, None for anything else."""

import io

import pytest

from pulp_bootfiles.app.formats.kernel import read_kernel_version
from pulp_bootfiles.tests.fixtures.content import pseudo_random
from pulp_bootfiles.tests.fixtures.treegen import write_bzimage_version


@pytest.fixture
def image(tmp_path):
    path = tmp_path / "vmlinuz"
    path.write_bytes(pseudo_random("vmlinuz", 4096))
    return path


def test_reads_the_release_from_the_setup_header(image):
    write_bzimage_version(image, "6.8.5-301.fc40.x86_64")
    with open(image, "rb") as stream:
        assert read_kernel_version(stream) == "6.8.5-301.fc40.x86_64"


@pytest.mark.parametrize(
    "patch, expected",
    [
        ((0x202, b"ELF!"), None),  # no HdrS magic: not a bzImage (arm64 zboot, s390x, ELF)
        ((0x206, b"\x00\x01"), None),  # boot protocol 1.0 has no kernel_version pointer
        ((0x206, b"\x01\x02"), "6.8"),  # 2.01 has one
        ((0x20E, b"\x00\x00"), None),  # no pointer
        ((0x20E, b"\xff\xff"), None),  # pointer past the end of the file
        ((0x800, b"6.8 \xff"), "6.8"),  # the release ends at the first space
        ((0x800, b"\xff\xfe rest"), None),  # not a release
    ],
)
def test_reads_only_what_a_bzimage_declares(image, patch, expected):
    write_bzimage_version(image, "6.8")
    data = bytearray(image.read_bytes())
    offset, value = patch
    data[offset : offset + len(value)] = value
    assert read_kernel_version(io.BytesIO(bytes(data))) == expected


def test_random_bytes_have_no_version(image):
    with open(image, "rb") as stream:
        assert read_kernel_version(stream) is None
