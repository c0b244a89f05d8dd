"""Realistic Fedora-like trees for the benchmarks, built with the test fixtures.

Images of Fedora's sizes (`build_tree`'s `image_sizes`), the newest bootloader packages of
realistic size with zstd payloads (contents are pseudo-random, so they do not compress away),
and a zstd primary listing ~70,000 packages (filler entries, see `filler_primary`). A tree is
built once per profile and kept: `bench-tree.json` at its root records what it holds and the
parameters it was built with, and a tree whose parameters changed is rebuilt.
"""

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path

from benchmarks.filler_primary import add_filler_packages
from pulp_bootfiles.tests.fixtures.content import pseudo_random
from pulp_bootfiles.tests.fixtures.packages import (
    BOOTLOADERS,
    EXTRA_FILES,
    NOARCH,
    default_packages,
    newest,
)
from pulp_bootfiles.tests.fixtures.treegen import build_tree

MB = 1_000_000
RELEASE = "40"
FORMAT = 4  # bump when the generator changes, so kept trees are rebuilt

# Sizes of the files in the newest bootloader packages (bytes, before the profile's scale).
# shim's BOOTX64.EFI is a copy of shimx64.efi, as in Fedora (zstd stores it once).
FILE_SIZES = {
    "shim-x64": {
        "/boot/efi/EFI/fedora/shimx64.efi": 560_000,
        "/boot/efi/EFI/fedora/mmx64.efi": 360_000,
        "/boot/efi/EFI/BOOT/fbx64.efi": 90_000,
    },
    "shim-aa64": {
        "/boot/efi/EFI/fedora/shimaa64.efi": 560_000,
        "/boot/efi/EFI/fedora/mmaa64.efi": 360_000,
        "/boot/efi/EFI/BOOT/fbaa64.efi": 90_000,
    },
    "grub2-efi-x64": {
        "/boot/efi/EFI/fedora/grubx64.efi": 2_400_000,
        "/boot/efi/EFI/fedora/fonts/unicode.pf2": 100_000,
    },
    "grub2-efi-aa64": {
        "/boot/efi/EFI/fedora/grubaa64.efi": 2_400_000,
        "/boot/efi/EFI/fedora/fonts/unicode.pf2": 100_000,
    },
    "syslinux-tftpboot": {
        "/tftpboot/pxelinux.0": 46_000,
        "/tftpboot/ldlinux.c32": 120_000,
        "/tftpboot/menu.c32": 28_000,
        "/tftpboot/libutil.c32": 24_000,
        "/tftpboot/libcom32.c32": 190_000,
        "/tftpboot/vesamenu.c32": 30_000,
        "/tftpboot/memdisk": 27_000,
        "/tftpboot/chain.c32": 25_000,
    },
}
COPIES = {"/boot/efi/EFI/BOOT/BOOTX64.EFI": "/boot/efi/EFI/fedora/shimx64.efi"}
COPIES["/boot/efi/EFI/BOOT/BOOTAA64.EFI"] = "/boot/efi/EFI/fedora/shimaa64.efi"


@dataclass(frozen=True)
class Profile:
    """How big a benchmark run is."""

    name: str
    images: dict  # {arch: {path in the tree: bytes}}
    rpm_scale: float  # multiplies FILE_SIZES
    filler_packages: int  # extra <package> entries in primary


def _images(vmlinuz, initrd, install, iso, efiboot):
    x86 = {
        "images/pxeboot/vmlinuz": vmlinuz,
        "images/pxeboot/initrd.img": initrd,
        "images/install.img": install,
        "images/boot.iso": iso,
        "images/efiboot.img": efiboot,
    }
    arm = {path: size for path, size in x86.items() if path != "images/efiboot.img"}
    return {"x86_64": x86, "aarch64": arm}


PROFILES = {
    "full": Profile("full", _images(15 * MB, 120 * MB, 800 * MB, 900 * MB, 10 * MB), 1.0, 70_000),
    "smoke": Profile("smoke", _images(MB, 2 * MB, 3 * MB, 3 * MB, MB // 2), 0.1, 2_000),
}


def incompressible(seed: str, size: int) -> bytes:
    """`size` pseudo-random bytes that zstd cannot shrink. (`pseudo_random` repeats one block of
    at most 1 MiB, rotated, which zstd's window finds again: fine for images, not here.)"""
    piece = 256 * 1024
    return b"".join(
        pseudo_random(f"{seed}#{start}", min(piece, size - start))
        for start in range(0, size, piece)
    )


def realistic_packages(arch: str, release: str, scale: float):
    """packages.default_packages, with the newest package of each bootloader name made of
    files of realistic size (older versions and decoys stay small: a sync never fetches them)."""
    specs = default_packages(arch, release)
    for name in BOOTLOADERS[arch]:
        chosen = newest([s for s in specs if s.name == name and s.arch in (arch, NOARCH)])
        files = {
            path: incompressible(f"{chosen.nevra} {path}", max(1024, int(size * scale)))
            for path, size in FILE_SIZES[name].items()
        }
        for path in EXTRA_FILES[name]:
            if path in COPIES:
                files[path] = files[COPIES[path]]
            else:
                files.setdefault(path, pseudo_random(f"{chosen.nevra} {path}", 4096))
        specs[specs.index(chosen)] = dataclasses.replace(chosen, files=files)
    return specs


def ensure_tree(root: Path, profile: Profile, arch: str, release: str = RELEASE) -> dict:
    """The description of the tree at `root` (see module doc), built now if needed."""
    params = {
        "format": FORMAT,
        "release": release,
        "arch": arch,
        "images": profile.images[arch],
        "rpm_scale": profile.rpm_scale,
        "filler_packages": profile.filler_packages,
    }
    described = root / "bench-tree.json"
    if described.exists():
        kept = json.loads(described.read_text())
        if kept.get("params") == params:
            return kept
    specs = realistic_packages(arch, release, profile.rpm_scale)
    tree = build_tree(
        root,
        release=release,
        arch=arch,
        image_sizes=profile.images[arch],
        salt="bench",
        packages=specs,
    )
    primary = add_filler_packages(root / "repodata", profile.filler_packages, arch)
    extract = {}  # {.rpm path in the tree: [wanted paths in the package]}
    for path, bootfile in tree.bootfiles.items():
        extract.setdefault(tree.packages[bootfile.nevra], []).append(path)
    description = {
        "params": params,
        "release": release,
        "arch": arch,
        "images": tree.images,
        "image_bytes": sum(profile.images[arch].values()),
        "extract": extract,
        "rpm_bytes": sum((root / rpm).stat().st_size for rpm in extract),
        "bootfiles": {path: bootfile.name for path, bootfile in tree.bootfiles.items()},
        "primary": primary,
    }
    described.write_text(json.dumps(description, indent=1))
    return description


def metadata_paths(root: Path) -> list[str]:
    """repomd.xml and the primary it lists, relative to the tree root."""
    repomd = (root / "repodata" / "repomd.xml").read_text()
    block = re.search(r'<data type="primary">.*?</data>', repomd, re.S).group(0)
    return ["repodata/repomd.xml", re.search(r'<location href="([^"]+)"', block).group(1)]
