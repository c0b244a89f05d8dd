"""The boot.iso reader against images xorriso writes, and against what is not one."""

import hashlib
import io

import pytest

from pulp_bootfiles.app.formats.iso9660 import member_sha256s
from pulp_bootfiles.tests.fixtures.isoimage import write_iso

SHIM, GRUB = b"shim " * 1000, b"grub " * 3000
MEMBERS = {
    "EFI/BOOT/BOOTX64.EFI": SHIM,
    "EFI/BOOT/grubx64.efi": GRUB,
    "images/pxeboot/vmlinuz": b"kernel",
    "images/efiboot.img": b"\0" * 4096,
}


def sha256(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    path = tmp_path_factory.mktemp("iso") / "boot.iso"
    write_iso(path, MEMBERS, volume_id="Fedora-40-x86_64", timestamp=1713250424)
    return path.read_bytes()


class Reads(io.BytesIO):
    """A stream that counts the bytes read from it."""

    total = 0

    def read(self, size=-1):
        data = super().read(size)
        self.total += len(data)
        return data


@pytest.mark.parametrize(
    "member, expected",
    [
        ("EFI/BOOT/BOOTX64.EFI", sha256(SHIM)),
        ("EFI/BOOT/grubx64.efi", sha256(GRUB)),  # lower case: a Rock Ridge name
        ("/images/pxeboot/vmlinuz", sha256(b"kernel")),
        ("EFI/BOOT/BOOTAA64.EFI", None),
        ("EFI/BOOT/GRUBX64.EFI", None),  # names are exact, as a client extracts them
    ],
)
def test_member_sha256(image, member, expected):
    assert member_sha256s(io.BytesIO(image), [member], "boot.iso") == {member: expected}


def test_reads_only_directories_and_wanted_members(tmp_path):
    big = {**MEMBERS, "images/install.img": b"x" * 4_000_000}
    write_iso(tmp_path / "big.iso", big, volume_id="Fedora", timestamp=1713250424)
    stream = Reads((tmp_path / "big.iso").read_bytes())
    member_sha256s(stream, ["EFI/BOOT/grubx64.efi"], "boot.iso")
    assert stream.total < 200_000


def test_directory_is_refused(image):
    with pytest.raises(ValueError, match=r"boot.iso: 'EFI/BOOT' is a directory"):
        member_sha256s(io.BytesIO(image), ["EFI/BOOT"], "boot.iso")


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: b"\0" * 65536,
        lambda data: data[:32768],  # system area only, no volume descriptors
        lambda data: data[:32768] + b"\xff" * 2048 + data[34816:],  # primary descriptor wiped
        lambda data: b"",
    ],
)
def test_not_an_image(image, damage):
    with pytest.raises(ValueError, match=r"^images/boot.iso: not a readable ISO 9660 image"):
        member_sha256s(io.BytesIO(damage(image)), ["EFI/BOOT/BOOTX64.EFI"], "images/boot.iso")
