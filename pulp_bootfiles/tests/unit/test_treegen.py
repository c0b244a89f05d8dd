"""The tree generator makes what it claims, checked with rpm, cpio and the repodata itself."""

import bz2
import configparser
import gzip
import hashlib
import lzma
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
import zstandard

from pulp_bootfiles.tests.fixtures import mutations
from pulp_bootfiles.tests.fixtures.packages import default_packages, package
from pulp_bootfiles.tests.fixtures.treegen import build_tree

ARCHES = ["x86_64", "aarch64", "ppc64le", "s390x"]
LAYOUT = {  # netboot-oci.md's table, written out independently of treegen.IMAGES
    "x86_64": {
        "images/pxeboot/vmlinuz",
        "images/pxeboot/initrd.img",
        "images/install.img",
        "images/boot.iso",
        "images/efiboot.img",
    },
    "aarch64": {
        "images/pxeboot/vmlinuz",
        "images/pxeboot/initrd.img",
        "images/install.img",
        "images/boot.iso",
    },
    "ppc64le": {
        "ppc/ppc64/vmlinuz",
        "ppc/ppc64/initrd.img",
        "images/install.img",
        "images/boot.iso",
    },
    "s390x": {
        "images/kernel.img",
        "images/initrd.img",
        "images/generic.prm",
        "images/initrd.addrsize",
        "images/install.img",
        "images/boot.iso",
    },
}
NEWEST = {
    "x86_64": {
        "/boot/efi/EFI/fedora/shimx64.efi": "shim-x64-15.10-1.x86_64",
        "/boot/efi/EFI/fedora/grubx64.efi": "grub2-efi-x64-1:2.06-5.x86_64",
        "/tftpboot/pxelinux.0": "syslinux-tftpboot-6.04-0.1.noarch",
        "/tftpboot/ldlinux.c32": "syslinux-tftpboot-6.04-0.1.noarch",
    },
    "aarch64": {
        "/boot/efi/EFI/fedora/shimaa64.efi": "shim-aa64-15.10-1.aarch64",
        "/boot/efi/EFI/fedora/grubaa64.efi": "grub2-efi-aa64-1:2.06-5.aarch64",
    },
    "ppc64le": {},
    "s390x": {},
}
REPO, COMMON = "{http://linux.duke.edu/metadata/repo}", "{http://linux.duke.edu/metadata/common}"
DECOMPRESS = {
    "zst": lambda data: zstandard.ZstdDecompressor().decompressobj().decompress(data),
    "gz": gzip.decompress,
    "xz": lzma.decompress,
    "bz2": bz2.decompress,
}
ONE_PACKAGE = [package("shim-x64", 0, "15.10", "1", "x86_64", ["/boot/efi/EFI/fedora/shimx64.efi"])]


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    root = tmp_path_factory.mktemp("trees")
    return {arch: build_tree(root / arch, arch=arch) for arch in ARCHES}


def sha256_of(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def repomd_entries(root):
    """{type: (location, checksum, size, open-checksum, open-size)} from repomd.xml."""
    repomd = ET.parse(root / "repodata" / "repomd.xml").getroot()
    return {
        data.get("type"): (
            data.find(f"{REPO}location").get("href"),
            data.findtext(f"{REPO}checksum"),
            int(data.findtext(f"{REPO}size")),
            data.findtext(f"{REPO}open-checksum"),
            int(data.findtext(f"{REPO}open-size")),
        )
        for data in repomd.iter(f"{REPO}data")
    }


def primary_nevras(root):
    """{NEVRA: location} of every package the primary metadata lists."""
    location = repomd_entries(root)["primary"][0]
    xml = DECOMPRESS[location.rsplit(".", 1)[1]]((root / location).read_bytes())
    packages = {}
    for entry in ET.fromstring(xml).iter(f"{COMMON}package"):
        version = entry.find(f"{COMMON}version")
        epoch = "" if version.get("epoch") == "0" else version.get("epoch") + ":"
        nevra = (
            f"{entry.findtext(f'{COMMON}name')}-{epoch}{version.get('ver')}-"
            f"{version.get('rel')}.{entry.findtext(f'{COMMON}arch')}"
        )
        packages[nevra] = entry.find(f"{COMMON}location").get("href")
    return packages


@pytest.mark.parametrize("arch", ARCHES)
def test_treeinfo_lists_the_images_with_their_checksums(trees, arch):
    tree = trees[arch]
    treeinfo = configparser.ConfigParser()
    treeinfo.read_string(tree.treeinfo_path.read_text())
    checksums = {
        path: value.removeprefix("sha256:") for path, value in treeinfo["checksums"].items()
    }
    assert set(checksums) == set(tree.images) == LAYOUT[arch]
    assert {path: sha256_of(tree.root / path) for path in checksums} == checksums == tree.images
    listed = {*treeinfo[f"images-{arch}"].values(), treeinfo["stage2"]["mainimage"]}
    assert listed == LAYOUT[arch]
    assert dict(treeinfo["header"]) == {"type": "productmd.treeinfo", "version": "1.2"}
    assert (treeinfo["tree"]["arch"], treeinfo["release"]["version"]) == (arch, "40")
    assert treeinfo["variant-Everything"]["repository"] == "."
    assert sha256_of(tree.treeinfo_path) == tree.treeinfo_sha256


@pytest.mark.parametrize("arch", ARCHES)
def test_newest_bootloaders_are_the_expected_ones(trees, arch):
    tree = trees[arch]
    assert {path: bootfile.nevra for path, bootfile in tree.bootfiles.items()} == NEWEST[arch]
    for path, (name, sha256, nevra) in tree.bootfiles.items():
        rpm = tree.root / tree.packages[nevra]
        data = subprocess.run(
            f"rpm2cpio {rpm} | cpio -i --quiet --to-stdout .{path}",
            shell=True,
            check=True,
            capture_output=True,
        ).stdout
        assert (name, hashlib.sha256(data).hexdigest()) == (path.rsplit("/", 1)[1], sha256)
    names = {path.rsplit("/", 1)[1] for path in [*LAYOUT[arch], *NEWEST[arch]]}
    assert set(tree.expected_files()) == names


@pytest.mark.parametrize("arch", ARCHES)
def test_rpms_are_what_the_tree_and_primary_say(trees, arch):
    tree = trees[arch]
    assert primary_nevras(tree.root) == tree.packages
    paths = [str(tree.root / path) for path in tree.packages.values()]
    query = subprocess.run(
        ["rpm", "-qp", "--qf", "%{NEVRA} %{PAYLOADCOMPRESSOR}\n", *paths],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    assert sorted(query) == sorted(f"{nevra} zstd" for nevra in tree.packages)
    specs = {spec.nevra: spec for spec in default_packages(arch, "40")}
    assert set(specs) == set(tree.packages)
    for nevra, path in tree.packages.items():
        listing = subprocess.run(
            f"rpm2cpio {tree.root / path} | cpio -t --quiet",
            shell=True,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.split()
        assert sorted(listing) == sorted(
            f".{p}" for p in [*specs[nevra].files, *specs[nevra].symlinks]
        )


@pytest.mark.parametrize(
    "compression, suffix", [("zstd", "zst"), ("gz", "gz"), ("xz", "xz"), ("bz2", "bz2")]
)
def test_repodata_compression(tmp_path, compression, suffix):
    tree = build_tree(tmp_path, packages=ONE_PACKAGE, repodata_compression=compression)
    entries = repomd_entries(tree.root)
    assert set(entries) == {"primary", "filelists", "other"}
    for location, checksum, size, open_checksum, open_size in entries.values():
        data = (tree.root / location).read_bytes()
        assert location.endswith(f".{suffix}") and location.startswith(f"repodata/{checksum}-")
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (checksum, size)
        opened = DECOMPRESS[suffix](data)
        assert (hashlib.sha256(opened).hexdigest(), len(opened)) == (open_checksum, open_size)
    assert sorted(p.name for p in (tree.root / "repodata").iterdir()) == sorted(
        [location.split("/")[1] for location, *_ in entries.values()] + ["repomd.xml"]
    )


@pytest.mark.parametrize("compression", ["xz", "gzip"])
def test_payload_compression(tmp_path, compression):
    tree = build_tree(tmp_path, packages=ONE_PACKAGE, payload_compression=compression)
    (path,) = tree.packages.values()
    query = subprocess.run(
        ["rpm", "-qp", "--qf", "%{PAYLOADCOMPRESSOR}", tree.root / path],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert query == compression


def test_rebuild_is_reproducible_and_salt_changes_only_images(tmp_path):
    first = build_tree(tmp_path / "a")
    again = build_tree(tmp_path / "b")
    files = sorted(p.relative_to(first.root) for p in first.root.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again.root) for p in again.root.rglob("*") if p.is_file())
    assert all(sha256_of(first.root / f) == sha256_of(again.root / f) for f in files)

    respin = build_tree(first.root, salt="respin")  # in place, as a new compose would be
    assert respin.images.keys() == first.images.keys()
    assert all(respin.images[path] != first.images[path] for path in first.images)
    assert respin.bootfiles == first.bootfiles and respin.packages == first.packages
    assert files == sorted(p.relative_to(first.root) for p in first.root.rglob("*") if p.is_file())
    repomd = "repodata/repomd.xml"
    assert sha256_of(first.root / repomd) == sha256_of(again.root / repomd)
    assert respin.treeinfo_sha256 != first.treeinfo_sha256


def test_image_sizes(tmp_path):
    size = 3 * 1024 * 1024 + 5  # more than one generator chunk
    tree = build_tree(
        tmp_path,
        arch="s390x",
        packages=[],
        image_sizes={"images/install.img": size, "images/initrd.addrsize": 16},
    )
    assert (tree.root / "images/install.img").stat().st_size == size
    assert sha256_of(tree.root / "images/install.img") == tree.images["images/install.img"]
    assert (tree.root / "images/initrd.addrsize").stat().st_size == 16


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"image_sizes": {"images/efiboot.img": 1}, "arch": "s390x"}, "image_sizes names paths"),
        ({"arch": "i686"}, "no tree layout for arch 'i686'"),
        ({"packages": ONE_PACKAGE * 2}, "the same name-version-release.arch twice"),
        ({"repodata_compression": "zck"}, "unknown repodata compression 'zck'"),
        ({"payload_compression": "lz4"}, "unknown payload compression 'lz4'"),
    ],
)
def test_bad_arguments_are_refused(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        build_tree(tmp_path, **kwargs)


def test_mutations(tmp_path):
    tree = build_tree(tmp_path, packages=ONE_PACKAGE)
    kernel = tree.root / "images/pxeboot/vmlinuz"
    mutations.corrupt_image(tree, "images/pxeboot/vmlinuz")
    assert kernel.stat().st_size == 4096
    assert sha256_of(kernel) != tree.images["images/pxeboot/vmlinuz"]
    assert sha256_of(tree.treeinfo_path) == tree.treeinfo_sha256
    with pytest.raises(ValueError, match="not an image of this tree"):
        mutations.corrupt_image(tree, ".treeinfo")

    changed = mutations.rewrite_treeinfo(tree, lambda text: text.replace("1.2", "1.1"))
    assert "version = 1.1" in changed.treeinfo_path.read_text()
    assert sha256_of(changed.treeinfo_path) == changed.treeinfo_sha256 != tree.treeinfo_sha256

    repomd = sha256_of(tree.root / "repodata/repomd.xml")
    removed = mutations.remove_package(tree, "shim-x64-15.10-1.x86_64")
    assert not removed.exists() and sha256_of(tree.root / "repodata/repomd.xml") == repomd

    mutations.truncate_file(kernel, 10)
    assert kernel.stat().st_size == 10
    with pytest.raises(ValueError, match="cannot truncate a 10-byte file to 10 bytes"):
        mutations.truncate_file(kernel, 10)


def test_command_line(tmp_path):
    command = [
        sys.executable,
        "-W",
        "error",
        "-m",
        "pulp_bootfiles.tests.fixtures.treegen",
        str(tmp_path / "tree"),
        "--release",
        "41",
        "--arch",
        "aarch64",
    ]
    lines = subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()
    assert lines[0].startswith(f"{tmp_path / 'tree'}: Fedora 41 aarch64, 4 images, ")
    assert any("shimaa64.efi" in line and "shim-aa64-15.10-1.aarch64" in line for line in lines)
    assert len(lines) == 1 + 4 + 2
