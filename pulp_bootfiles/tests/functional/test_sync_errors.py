"""
Bad input fails the sync with a message naming the file and the problem, in bounded time,
disk and memory, writes nothing outside Pulp's storage, and leaves the repository's latest
version as it was.

The broken tree is always new to Pulp where it is broken (unique images; bootloader packages
of a unique release, or packages regenerated with the repodata): an image or package that Pulp
already stores, with the checksum the tree expects, is rightly not downloaded again, so
breaking it upstream would go unnoticed. The cases share one synced repository, which every
failed sync must leave as it was.
"""

import dataclasses
import hashlib
import os
import re
import tempfile
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from pulp_bootfiles.app.formats.rpm_payload import MAX_PAYLOAD_BYTES
from pulp_bootfiles.tests.fixtures import hostile, mutations, rpmcraft
from pulp_bootfiles.tests.fixtures.packages import default_packages, with_new_bootloaders
from pulp_bootfiles.tests.fixtures.rpmbuilder import build_rpms
from pulp_bootfiles.tests.fixtures.treegen import build_tree
from pulp_bootfiles.tests.functional.conftest import REMOTES, REPOSITORIES
from pulp_bootfiles.tests.functional.fixture_server import Fault
from pulp_bootfiles.tests.functional.pulp_api import TaskFailed
from pulp_bootfiles.tests.functional.worker_watch import WorkerWatch

KERNEL = "images/pxeboot/vmlinuz"
SHIM_EFI = "/boot/efi/EFI/fedora/shimx64.efi"
SHIM_RPM = "shim-x64-15.10-1.x86_64.rpm"  # the newest shim among the default packages
# What one failed sync of these KB-sized trees may cost at most.
MAX_SECONDS = 30
MAX_WORKING_BYTES = 8 << 20
MAX_RSS = 600 << 20
# Cases that break a package or the primary as the repodata lists them: they need packages new
# to Pulp (see above; rpmbuild takes seconds). The others leave them or regenerate the repodata.
NEW_PACKAGES = {
    "bootloader-package-not-in-repo",
    "bootloader-rpm-missing",
    "bootloader-rpm-truncated",
    "bootloader-rpm-larger-than-listed",
    "payload-lacks-wanted-file",
    "repomd-lists-missing-primary",
    "primary-checksum-mismatch",
    "primary-larger-than-listed",
}


def newest_nevra(tree, name):
    """NEVRA of the package a sync would pick for `name` (its file in tree.bootfiles)."""
    return next(b.nevra for b in tree.bootfiles.values() if b.nevra.startswith(name + "-"))


def replace_in_treeinfo(old, new):
    return lambda tree, _s: mutations.rewrite_treeinfo(tree, lambda text: text.replace(old, new))


def write(path, data):
    def damage(tree, _servers):
        Path(tree.root, path).write_bytes(data)

    return damage


def without_package(name):
    def rebuild(tree, _servers):
        specs = [s for s in default_packages(tree.arch, tree.release) if s.name != name]
        build_tree(tree.root, release=tree.release, arch=tree.arch, packages=specs, salt="x")

    return rebuild


def missing_rpm_file(tree, _servers):
    mutations.remove_package(tree, newest_nevra(tree, "shim-x64"))


def truncated_rpm(tree, _servers):
    mutations.truncate_file(tree.root / tree.packages[newest_nevra(tree, "grub2-efi-x64")], 1000)


ESCAPE_TARGETS = set()  # files a hostile payload tries to write outside Pulp's storage


def treeinfo_text(transform):
    return lambda tree, _s: mutations.rewrite_treeinfo(tree, transform)


def newest_shim(tree):
    """(NEVRA, bytes) of the shim package a sync of `tree` picks."""
    nevra = newest_nevra(tree, "shim-x64")
    return nevra, (tree.root / tree.packages[nevra]).read_bytes()


def hostile_shim(craft):
    """Replace the newest shim package with `craft(its bytes)`, repodata regenerated."""

    def damage(tree, _servers):
        nevra, raw = newest_shim(tree)
        mutations.replace_package(tree, nevra, craft(raw))

    return damage


def escaping_payload(name_of):
    """A shim payload with a member named `name_of(target)` before the wanted file."""

    def craft(raw):
        target = f"/tmp/pulp-bootfiles-escape-{uuid.uuid4().hex}"
        ESCAPE_TARGETS.add(target)
        entries = [
            rpmcraft.cpio_entry(name_of(target), b"written outside the package\n"),
            rpmcraft.cpio_entry("." + SHIM_EFI, b"shim"),
        ]
        return hostile.rpm_with_payload(raw, hostile.cpio_payload(*entries))

    return hostile_shim(craft)


def symlinked_shim(tree, _servers):
    """The shim package built by rpm with a symlink to /etc/passwd at shimx64.efi."""
    nevra, _raw = newest_shim(tree)
    spec = next(s for s in default_packages("x86_64", "40") if s.nevra == nevra)
    files = {path: data for path, data in spec.files.items() if path != SHIM_EFI}
    hostile_spec = dataclasses.replace(spec, files=files, symlinks={SHIM_EFI: "/etc/passwd"})
    with tempfile.TemporaryDirectory() as scratch:
        (built,) = build_rpms(Path(scratch), [hostile_spec])
        mutations.replace_package(tree, nevra, built.read_bytes())


def redirect_to_wrong_bytes(tree, servers):
    """Fedora-style redirect of the kernel to another host, which serves other bytes."""
    wrong = servers.mirror.root / "wrong" / tree.root.name / KERNEL
    wrong.parent.mkdir(parents=True)
    wrong.write_bytes(b"not the kernel .treeinfo lists\n" * 100)
    servers.inject(
        Fault("redirect", f"^/{tree.root.name}/{KERNEL}$", location=servers.mirror.url("wrong"))
    )


def grow_file(path_of):
    """Serve more bytes than the metadata lists, checksum and size left as they were."""

    def damage(tree, _servers):
        with open(path_of(tree), "ab") as f:
            f.write(b"\0" * (4 << 20))

    return damage


def corrupt_primary(tree, _servers):
    path = mutations.primary_path(tree)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


OUTSIDE = "/outside/"  # where escaping paths lead on the fixture server; never requested


def escaping_image(tree, _servers):
    """The kernel listed at a path whose percent-encoded dot segments lead out of the tree, to
    a file that is there, with its checksum: only the path rule stops it."""
    name = f"{tree.root.name}.img"
    outside = tree.root.parent / OUTSIDE.strip("/") / name
    outside.parent.mkdir(exist_ok=True)
    outside.write_bytes((tree.root / KERNEL).read_bytes())
    mutations.rewrite_treeinfo(
        tree,
        lambda text: text.replace(KERNEL, f"images/%2e%2e/%2e%2e/%2e%2e/outside/{name}"),
    )


def shim_location(href):
    """Every shim-x64 package of the primary listed at `href` (its checksum left as it is)."""

    def damage(tree, _servers):
        mutations.rewrite_primary(
            tree,
            lambda xml: re.sub(rb'href="[^"]*/shim-x64-[^"]*"', f'href="{href}"'.encode(), xml),
        )

    return damage


def image_at_bootloader_path(tree, _servers):
    """.treeinfo lists an image at the path the shim package's shimx64.efi is stored at."""
    path = SHIM_EFI.lstrip("/")
    data = b"an image where the bootloader goes\n"
    (tree.root / path).parent.mkdir(parents=True)
    (tree.root / path).write_bytes(data)
    mutations.rewrite_treeinfo(
        tree,
        lambda text: text.replace("[images-x86_64]\n", f"[images-x86_64]\nshim = {path}\n").replace(
            "[checksums]\n", f"[checksums]\n{path} = sha256:{hashlib.sha256(data).hexdigest()}\n"
        ),
    )


def genuine_shim_efi(nevra):
    spec = next(s for s in default_packages("x86_64", "40") if s.nevra == nevra)
    return spec.files[SHIM_EFI]


def impostor_then_genuine(tree, _servers):
    """An impostor shimx64.efi first in the payload, the genuine one (the bytes the header's
    digests list) after it."""
    nevra, raw = newest_shim(tree)
    payload = hostile.cpio_payload(
        rpmcraft.cpio_entry("." + SHIM_EFI, b"an impostor shim\n", ino=1),
        rpmcraft.cpio_entry("." + SHIM_EFI, genuine_shim_efi(nevra), ino=2),
    )
    mutations.replace_package(tree, nevra, hostile.rpm_with_payload(raw, payload))


def hard_link_without_data(tree, _servers):
    """shimx64.efi as the first of two hard links (no data: it comes with the last link),
    and no second link ever comes."""
    nevra, raw = newest_shim(tree)
    payload = hostile.cpio_payload(rpmcraft.cpio_entry("." + SHIM_EFI, b"", nlink=2, ino=7))
    mutations.replace_package(tree, nevra, hostile.rpm_with_payload(raw, payload))


def kernel_fault(kind, **fields):
    def damage(tree, servers):
        servers.inject(Fault(kind, f"^/{tree.root.name}/{KERNEL}$", **fields))

    return damage


def kernel_redirect_loop(tree, servers):
    """The kernel redirected to itself, again and again."""
    kernel_fault("redirect", location=servers.origin)(tree, servers)


# (how to break the tree, remote fields, parts the error message must contain)
def whitespace_bomb_past_open_size(tree, _server):
    """64 MiB of blanks before </metadata> (a few KB of zstd), while repomd.xml still lists the
    honest primary's open-size: the scan stops there instead of reading them all."""
    mutations.rewrite_primary(
        tree,
        lambda xml: xml.replace(b"</metadata>", b" " * (64 << 20) + b"</metadata>"),
        listed_open_size=len(mutations.primary_xml(tree)),
    )


CASES = {
    "treeinfo-malformed": (write(".treeinfo", b"[header\nno ini here"), {}, [".treeinfo"]),
    "treeinfo-missing": (lambda t, _s: (t.root / ".treeinfo").unlink(), {}, [".treeinfo", "404"]),
    "treeinfo-not-utf8": (write(".treeinfo", b"[header]\nversion = \xff\xfe\n"), {}, [".treeinfo"]),
    "image-checksum-mismatch": (
        lambda t, _s: mutations.corrupt_image(t, KERNEL),
        {},
        [KERNEL, "checksum"],
    ),
    "image-is-an-html-error-page": (
        write("images/install.img", b"<html><body>503 Service Unavailable</body></html>"),
        {},
        ["images/install.img", "checksum"],
    ),
    "image-truncated": (
        lambda t, _s: mutations.truncate_file(t.root / "images/boot.iso", 100),
        {},
        ["images/boot.iso", "checksum"],
    ),
    "image-missing": (lambda t, _s: (t.root / KERNEL).unlink(), {}, [KERNEL, "404"]),
    "path-escapes-tree": (
        replace_in_treeinfo(KERNEL, "../../etc/passwd"),
        {},
        ["../../etc/passwd"],
    ),
    "path-is-absolute": (replace_in_treeinfo(KERNEL, "/etc/passwd"), {}, ["/etc/passwd"]),
    "path-is-another-host": (
        replace_in_treeinfo(KERNEL, "http://elsewhere.invalid/vmlinuz"),
        {},
        ["http://elsewhere.invalid/vmlinuz"],
    ),
    "bootloader-package-not-in-repo": (without_package("shim-x64"), {}, ["shim-x64", "no package"]),
    "bootloader-rpm-missing": (missing_rpm_file, {}, ["shim-x64-2:1.0-", "404"]),
    "bootloader-rpm-truncated": (truncated_rpm, {}, ["grub2-efi-x64-1.0-", "checksum"]),
    "payload-lacks-wanted-file": (
        lambda t, _s: None,
        {"bootloaders": {"x86_64": {"shim-x64": ["/boot/efi/EFI/fedora/nothere.efi"]}}},
        ["shim-x64-1.0-", "/boot/efi/EFI/fedora/nothere.efi"],
    ),
    "treeinfo-duplicate-section": (
        treeinfo_text(lambda text: text + "[tree]\narch = x86_64\n"),
        {},
        [".treeinfo", "duplicate section [tree]"],
    ),
    "treeinfo-duplicate-key": (
        treeinfo_text(lambda text: text.replace("[tree]\n", "[tree]\narch = aarch64\n")),
        {},
        [".treeinfo", "duplicate key 'arch' in section [tree]"],
    ),
    "treeinfo-missing-sections": (
        write(".treeinfo", b"[header]\ntype = productmd.treeinfo\nversion = 1.2\n"),
        {},
        [".treeinfo", "no release version"],
    ),
    "treeinfo-unknown-arch": (
        treeinfo_text(lambda text: text.replace("arch = x86_64", "arch = vax")),
        {},
        [".treeinfo", "unsupported arch 'vax'"],
    ),
    "treeinfo-50-mb": (
        lambda t, _s: t.treeinfo_path.write_bytes(
            hostile.oversized_treeinfo(t.treeinfo_path.read_text(), 50 << 20)
        ),
        {},
        [".treeinfo", "is larger than 1048576 bytes"],
    ),
    "treeinfo-zero-bytes": (write(".treeinfo", b""), {}, [".treeinfo", "no release version"]),
    "image-zero-bytes": (write(KERNEL, b""), {}, [KERNEL, "checksum"]),
    "image-redirected-to-wrong-bytes": (redirect_to_wrong_bytes, {}, [KERNEL, "checksum"]),
    "repomd-lists-missing-primary": (
        lambda t, _s: mutations.primary_path(t).unlink(),
        {},
        ["primary.xml.zst", "404"],
    ),
    "primary-checksum-mismatch": (corrupt_primary, {}, ["primary.xml.zst", "checksum"]),
    "primary-larger-than-listed": (
        grow_file(mutations.primary_path),
        {},
        ["primary.xml.zst", "is larger than"],
    ),
    "primary-entity-bomb": (
        lambda t, _s: mutations.rewrite_primary(t, hostile.entity_bomb),
        {},
        ["primary.xml.zst", "a DOCTYPE is not allowed"],
    ),
    "primary-entity-bomb-after-long-prolog": (
        lambda t, _s: mutations.rewrite_primary(
            t, lambda xml: hostile.entity_bomb(xml, prolog_padding=100_000)
        ),
        {},
        # The whole prolog is read (up to 1 MiB) before any XML parsing, so the DTD is
        # refused there however much comes before it.
        ["primary.xml.zst", "a DOCTYPE is not allowed"],
    ),
    "primary-whitespace-bomb-past-open-size": (
        whitespace_bomb_past_open_size,
        {},
        ["primary.xml.zst", "decompresses to more than"],
    ),
    "bootloader-rpm-larger-than-listed": (
        grow_file(lambda t: t.root / t.packages[newest_nevra(t, "grub2-efi-x64")]),
        {},
        ["grub2-efi-x64-1.0-", "is larger than"],
    ),
    "payload-member-escapes": (
        escaping_payload(lambda target: "./../../../../../../../.." + target),
        {},
        [SHIM_RPM, "escapes the package root"],
    ),
    "payload-member-absolute": (
        escaping_payload(lambda target: target),
        {},
        # read as relative, like rpm: refused because the header does not list it
        [SHIM_RPM, "is not in the header's file list"],
    ),
    "payload-symlink-as-wanted-file": (
        symlinked_shim,
        {},
        [SHIM_RPM, SHIM_EFI, "is not a regular file"],
    ),
    "payload-bomb-understated-size": (
        hostile_shim(
            lambda raw: hostile.rpm_with_payload(
                raw, hostile.zero_bomb_payload("." + SHIM_EFI, 64 << 20), declared_size=4096
            )
        ),
        {},
        [SHIM_RPM, "payload exceeds its limit of"],
    ),
    "payload-bomb-declared-4-gib": (
        hostile_shim(
            lambda raw: hostile.rpm_with_payload(
                raw,
                hostile.zero_bomb_payload("." + SHIM_EFI, 4032 << 20),
                declared_size=0xFFFFFFFF,
            )
        ),
        {},
        [SHIM_RPM, f"payload exceeds its limit of {MAX_PAYLOAD_BYTES} bytes"],
    ),
    "payload-compressor-lie": (
        hostile_shim(lambda raw: hostile.rpm_claiming_compressor(raw, "gzip")),
        {},
        [SHIM_RPM, "payload is zstd data, but its header says gzip"],
    ),
    "path-percent-encoded-dot-segments": (
        escaping_image,
        {},
        [
            ".treeinfo",
            "images/%2e%2e/%2e%2e/%2e%2e/outside/",
            "'..' component once percent-decoded",
        ],
    ),
    "package-location-percent-encoded-dot-segments": (
        shim_location("Packages/%2e%2e/%2e%2e/outside/shim-x64.rpm"),
        {},
        [
            "package 'shim-x64'",
            "Packages/%2e%2e/%2e%2e/outside/shim-x64.rpm",
            "'..' component once percent-decoded",
        ],
    ),
    "path-injects-boot-config": (
        replace_in_treeinfo(KERNEL, "images/x;source (http,127.0.0.1:9)/pwn.cfg;y/vmlinuz"),
        {},
        [".treeinfo", "images/x;source", "contains ' ():;'"],
    ),
    "package-location-injects-boot-config": (
        shim_location("Packages/s/x;source${IFS}x;y.rpm"),
        {},
        ["package 'shim-x64'", "Packages/s/x;source${IFS}x;y.rpm", "contains '$;{}'"],
    ),
    "path-has-query-string": (
        replace_in_treeinfo(KERNEL, KERNEL + "?raw"),
        {},
        [".treeinfo", KERNEL + "?raw", "has a query string"],
    ),
    "path-has-fragment": (
        replace_in_treeinfo(KERNEL, KERNEL + "#frag"),
        {},
        [".treeinfo", KERNEL + "#frag", "has a fragment"],
    ),
    "image-body-longer-than-content-length": (
        kernel_fault("overlong"),
        {},
        [KERNEL, "more bytes than its Content-Length"],
    ),
    "image-redirect-loop": (
        kernel_redirect_loop,
        {},
        [KERNEL, "too many redirects (10 in a row"],
    ),
    "image-at-a-bootloader-path": (
        image_at_bootloader_path,
        {},
        [".treeinfo", "image 'boot/efi/EFI/fedora/shimx64.efi'", "shim-x64-", SHIM_EFI],
    ),
    # Fixed in the payload reader (every extracted file checked against the header's digest
    # and size, a wanted file named twice refused).
    "payload-wanted-file-twice": (impostor_then_genuine, {}, [SHIM_RPM, SHIM_EFI]),
    "payload-hard-link-without-data": (hard_link_without_data, {}, [SHIM_RPM, SHIM_EFI]),
}


@pytest.fixture(scope="module")
def synced_repository(pulp, fixture_server):
    """A repository with a good tree, shared by the cases: a failed sync must not change it."""
    name = uuid.uuid4().hex[:12]
    build_tree(fixture_server.root / name, salt=name)
    repository = pulp.post(REPOSITORIES, {"name": f"repo-{name}"}, expect=201).json()
    remote = pulp.post(
        REMOTES, {"name": f"remote-{name}", "url": fixture_server.url(name) + "/"}, expect=201
    ).json()
    try:
        pulp.run(repository["pulp_href"] + "sync/", {"remote": remote["pulp_href"]})
        yield repository
    finally:
        for href in (repository["pulp_href"], remote["pulp_href"]):
            pulp.wait(pulp.delete(href).json()["task"])


@pytest.mark.parametrize("case", CASES)
def test_bad_input_fails_cleanly(
    case,
    pulp,
    synced_repository,
    tree_factory,
    remote_factory,
    sync,
    fixture_server,
    mirror_server,
    faults,
):
    damage, remote_fields, expected = CASES[case]
    repository = synced_repository
    before = pulp.get(repository["pulp_href"])["latest_version_href"]

    salt = uuid.uuid4().hex[:12]
    packages = with_new_bootloaders("x86_64", "40", salt) if case in NEW_PACKAGES else None
    tree, url = tree_factory(salt=salt, packages=packages)
    servers = SimpleNamespace(mirror=mirror_server, inject=faults, origin=fixture_server.base_url)
    damage(tree, servers)
    # One retry, not Pulp's default three: the corpus is about content, not network faults.
    remote = remote_factory(url, **{"max_retries": 1, **remote_fields})
    with WorkerWatch() as watch, pytest.raises(TaskFailed) as failure:
        sync(repository, remote)

    message = failure.value.task["error"]["description"]
    for part in expected:
        assert part in message, message
    assert pulp.get(repository["pulp_href"])["latest_version_href"] == before
    # Bounded: the inputs are KBs (bombs and the 50 MB .treeinfo must stop early).
    assert watch.seconds < MAX_SECONDS, watch.seconds
    assert watch.peak_working_bytes < MAX_WORKING_BYTES, watch.peak_working_bytes
    assert watch.peak_rss < MAX_RSS, watch.peak_rss
    # Nothing written but to Pulp's storage (and its own task directory, removed at the end).
    assert watch.files_outside("media") == []
    assert [t for t in ESCAPE_TARGETS if os.path.lexists(t)] == []
    # Nothing requested outside the trees (paths made to escape them).
    assert [r for r in fixture_server.requests if r.startswith(OUTSIDE)] == []
