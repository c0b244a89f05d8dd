"""The version an x86 Linux kernel image (bzImage) declares in its setup header.

The boot protocol (Documentation/arch/x86/boot.rst) puts "HdrS" at 0x202, the protocol version
at 0x206 and, from 2.00 on, at 0x20E a pointer (minus 0x200) to a NUL-terminated string that
starts with the kernel release ("6.8.5-301.fc40.x86_64 (mockbuild@...) #1 SMP ..."). Other
image formats (arm64 EFI zboot, s390x, ppc64 ELF) keep it only in compressed data: None.
"""

import re
import struct
from typing import BinaryIO

SETUP_HEADER = 0x1F1
HEADER_MAGIC = b"HdrS"
MIN_PROTOCOL = 0x0200
MAX_VERSION_BYTES = 256
_RELEASE = re.compile(rb"[A-Za-z0-9._+~-]{1,128}")


def read_kernel_version(stream: BinaryIO) -> str | None:
    """The kernel release of a bzImage read from `stream` (seekable), or None."""
    stream.seek(SETUP_HEADER)
    header = stream.read(0x210 - SETUP_HEADER)
    if (
        len(header) < 0x210 - SETUP_HEADER
        or header[0x202 - SETUP_HEADER : 0x206 - SETUP_HEADER] != HEADER_MAGIC
    ):
        return None
    (protocol,) = struct.unpack_from("<H", header, 0x206 - SETUP_HEADER)
    (pointer,) = struct.unpack_from("<H", header, 0x20E - SETUP_HEADER)
    if protocol < MIN_PROTOCOL or pointer == 0:
        return None
    stream.seek(pointer + 0x200)
    text = stream.read(MAX_VERSION_BYTES).split(b"\0", 1)[0]
    release = text.split(b" ", 1)[0]
    return release.decode() if _RELEASE.fullmatch(release) else None
