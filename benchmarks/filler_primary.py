"""Grow a generated tree's primary metadata to Fedora's size (benchmarks only).

`add_filler_packages` rewrites the zstd primary that `repogen.create_repo` wrote with `count`
extra `<package>` entries shaped like Fedora's (provides, requires, files, a description of a few
hundred bytes: about 2 KB of XML each, so 70,000 of them make ~150 MB, as Fedora 40 Everything's
primary does), recompresses it with zstd and fixes its `repomd.xml` record (location, checksum,
open-checksum, size, open-size), as `repogen` does when it recompresses. The real packages stay
(half the fillers before them, half after), and no filler is named like a bootloader.
"""

import hashlib
import random
import re
from pathlib import Path

import zstandard

from pulp_bootfiles.tests.fixtures.repogen import relist_primary

WORDS = (
    "lib core utils tools data python3 perl golang rust ghc texlive kde gnome xfce qt5 qt6 gtk3 "
    "devel doc common static fonts plugin server client java nodejs mingw64 R ocaml php ruby"
).split()
TEXT = (
    "This package provides the runtime files, documentation and helper programs needed by "
    "applications built against it; it is split so that minimal installations stay small. "
).split()
REQUIRES = (
    "libc.so.6()(64bit) libc.so.6(GLIBC_2.34)(64bit) rtld(GNU_HASH) libm.so.6()(64bit) "
    "libz.so.1()(64bit) libssl.so.3()(64bit) libcrypto.so.3()(64bit) python(abi) /usr/bin/sh "
    "libstdc++.so.6()(64bit) libgcc_s.so.1()(64bit) glib2 libglib-2.0.so.0()(64bit) systemd"
).split()
PACKAGE = """<package type="rpm">
  <name>{name}</name>
  <arch>{arch}</arch>
  <version epoch="0" ver="{ver}" rel="{rel}.fc40"/>
  <checksum type="sha256" pkgid="YES">{sha}</checksum>
  <summary>{summary}</summary>
  <description>{description}</description>
  <packager>Fedora Project</packager>
  <url>https://example.org/projects/{name}</url>
  <time file="1713250424" build="1712900000"/>
  <size package="{size}" installed="{installed}" archive="{archive}"/>
  <location href="Packages/{initial}/{name}-{ver}-{rel}.fc40.{arch}.rpm"/>
  <format>
    <rpm:license>MIT AND (GPL-2.0-or-later OR BSD-3-Clause)</rpm:license>
    <rpm:vendor>Fedora Project</rpm:vendor>
    <rpm:group>Unspecified</rpm:group>
    <rpm:buildhost>buildhw-x86-{host:02d}.iad2.fedoraproject.org</rpm:buildhost>
    <rpm:sourcerpm>{name}-{ver}-{rel}.fc40.src.rpm</rpm:sourcerpm>
    <rpm:header-range start="4504" end="{header_end}"/>
    <rpm:provides>
{provides}    </rpm:provides>
    <rpm:requires>
{requires}    </rpm:requires>
{files}  </format>
</package>
"""
ENTRY = '      <rpm:entry name="{}"{}/>\n'


def filler_package(rng: random.Random, index: int, arch: str) -> str:
    """One Fedora-like `<package>` entry; its name ends in its index, so names are unique."""
    name = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}-{index}"
    arch = rng.choice((arch, arch, arch, "noarch", "i686" if arch == "x86_64" else arch))
    ver, rel = f"{rng.randint(0, 30)}.{rng.randint(0, 99)}.{rng.randint(0, 9)}", rng.randint(1, 9)
    evr = f' flags="EQ" epoch="0" ver="{ver}" rel="{rel}.fc40"'
    provides = [ENTRY.format(name, evr), ENTRY.format(f"{name}(x86-64)", evr)]
    provides += [ENTRY.format(f"lib{name}.so.{n}()(64bit)", "") for n in range(rng.randint(0, 4))]
    requires = [ENTRY.format(req, "") for req in rng.sample(REQUIRES, rng.randint(2, 11))]
    files = [f"    <file>/usr/bin/{name}{n}</file>\n" for n in range(rng.randint(0, 5))]
    size = rng.randint(20_000, 5_000_000)
    return PACKAGE.format(
        name=name,
        arch=arch,
        ver=ver,
        rel=rel,
        sha=hashlib.sha256(name.encode()).hexdigest(),
        summary=" ".join(rng.choices(TEXT, k=rng.randint(4, 9))),
        description=" ".join(rng.choices(TEXT, k=rng.randint(20, 140))),
        size=size,
        installed=size * 3,
        archive=size * 3 + 1024,
        initial=name[0].lower(),
        host=rng.randint(1, 40),
        header_end=rng.randint(6_000, 60_000),
        provides="".join(provides),
        requires="".join(requires),
        files="".join(files),
    )


def add_filler_packages(repodata: Path, count: int, arch: str, seed: str = "bench") -> dict:
    """Add `count` filler packages to the zstd primary under `repodata`; returns
    {"location", "packages", "size", "open_size"} of the new primary."""
    repomd_path = repodata / "repomd.xml"
    repomd = repomd_path.read_text()
    block = re.search(r'<data type="primary">.*?</data>', repomd, re.S).group(0)
    old_location = re.search(r'<location href="(repodata/([^"]+))"', block)
    old_path = repodata / old_location.group(2)
    original = zstandard.ZstdDecompressor().decompressobj().decompress(old_path.read_bytes())
    head, rest = original.split(b"<package ", 1)
    body, tail = (b"<package " + rest).rsplit(b"</metadata>", 1)
    total = int(re.search(rb'packages="(\d+)"', head).group(1)) + count
    head = re.sub(rb'packages="\d+"', b'packages="%d"' % total, head)

    rng = random.Random(f"{seed}/{arch}")
    scratch = repodata / "primary.xml.zst.tmp"
    open_digest, open_size = hashlib.sha256(), 0
    with open(scratch, "wb") as out:
        compressor = zstandard.ZstdCompressor(level=10, threads=-1)
        with compressor.stream_writer(out, closefd=False) as writer:

            def write(data: bytes):
                nonlocal open_size
                open_digest.update(data)
                open_size += len(data)
                writer.write(data)

            write(head)
            for start in range(0, count, 1000):
                if start <= count // 2 < start + 1000:
                    write(body)  # the real packages, in the middle
                batch = range(start, min(count, start + 1000))
                write("".join(filler_package(rng, i, arch) for i in batch).encode())
            if count == 0:
                write(body)
            write(b"</metadata>" + tail)
    data_sha256 = hashlib.sha256(scratch.read_bytes()).hexdigest()
    location = f"repodata/{data_sha256}-primary.xml.zst"
    scratch.rename(repodata / location.removeprefix("repodata/"))
    old_path.unlink()
    size = (repodata / location.removeprefix("repodata/")).stat().st_size

    relist_primary(repomd_path, location, data_sha256, size, open_digest.hexdigest(), open_size)
    return {"location": location, "packages": total, "size": size, "open_size": open_size}
