"""Tests of the `.treeinfo` parser: real-world-shaped files, then a table of bad inputs."""

import re
from pathlib import Path

import pytest
from pulp_glue.bootfiles.netboot.paths import path_problem

from pulp_bootfiles.app.formats.treeinfo import (
    MAX_TREEINFO_SIZE,
    TreeImage,
    TreeinfoError,
    parse_treeinfo,
)

DATA = Path(__file__).parent / "data" / "treeinfo"
FEDORA_X86_64 = (DATA / "fedora-40-Everything.x86_64").read_text()
VMLINUZ_DIGEST = "7db2235b0158b9e4cd0bb54da9f7f9065eb9154489895dda7809193e99055c01"


def _images(treeinfo):
    """(role, path, name) of each image, in file order."""
    return [(image.role, image.path, image.name) for image in treeinfo.images]


PXEBOOT = [
    ("boot.iso", "images/boot.iso", "boot.iso"),
    ("efiboot.img", "images/efiboot.img", "efiboot.img"),
    ("initrd", "images/pxeboot/initrd.img", "initrd.img"),
    ("kernel", "images/pxeboot/vmlinuz", "vmlinuz"),
    ("mainimage", "images/install.img", "install.img"),
]


@pytest.mark.parametrize(
    "filename, fields, images",
    [
        (
            "fedora-40-Everything.x86_64",
            ("Fedora", "Fedora", "40", "Everything", "x86_64", 1713090917, ".", "1.2"),
            PXEBOOT,
        ),
        (
            "fedora-40-Everything.aarch64",
            ("Fedora", "Fedora", "40", "Everything", "aarch64", 1713090917, ".", "1.2"),
            PXEBOOT,
        ),
        (
            "fedora-40-Everything.ppc64le",
            ("Fedora", "Fedora", "40", "Everything", "ppc64le", 1713090917, ".", "1.2"),
            [
                ("boot.iso", "images/boot.iso", "boot.iso"),
                ("initrd", "ppc/ppc64/initrd.img", "initrd.img"),
                ("kernel", "ppc/ppc64/vmlinuz", "vmlinuz"),
                ("mainimage", "images/install.img", "install.img"),
            ],
        ),
        (
            "fedora-40-Everything.s390x",
            ("Fedora", "Fedora", "40", "Everything", "s390x", 1713090917, ".", "1.2"),
            [
                ("boot.iso", "images/boot.iso", "boot.iso"),
                ("generic.ins", "generic.ins", "generic.ins"),
                ("generic.prm", "images/generic.prm", "generic.prm"),
                ("genericdvd.prm", "images/genericdvd.prm", "genericdvd.prm"),
                ("initrd", "images/initrd.img", "initrd.img"),
                ("initrd.addrsize", "images/initrd.addrsize", "initrd.addrsize"),
                ("kernel", "images/kernel.img", "kernel.img"),
                ("mainimage", "images/install.img", "install.img"),
            ],
        ),
        (
            "fedora-23-Server.x86_64",
            ("Fedora", "Fedora", "23", "Server", "x86_64", 1445548813, ".", "1.0"),
            [
                ("boot.iso", "images/boot.iso", "boot.iso"),
                ("initrd", "images/pxeboot/initrd.img", "initrd.img"),
                ("kernel", "images/pxeboot/vmlinuz", "vmlinuz"),
                ("upgrade", "images/pxeboot/upgrade.img", "upgrade.img"),
                ("mainimage", "images/install.img", "install.img"),
            ],
        ),
        (
            # Legacy: no [header]; "Server/repodata" names the variant's repodata directory.
            "RHEL-6.4-Server.x86_64",
            (
                "Red Hat Enterprise Linux",
                "RHEL",
                "6.4",
                "Server",
                "x86_64",
                1359576196,
                "Server",
                "legacy",
            ),
            [
                ("kernel", "images/pxeboot/vmlinuz", "vmlinuz"),
                ("initrd", "images/pxeboot/initrd.img", "initrd.img"),
                ("boot.iso", "images/boot.iso", "boot.iso"),
                ("mainimage", "images/install.img", "install.img"),
            ],
        ),
    ],
)
def test_real_world_files(filename, fields, images):
    data = (DATA / filename).read_bytes()
    treeinfo = parse_treeinfo(data)
    assert (
        treeinfo.family,
        treeinfo.short,
        treeinfo.release,
        treeinfo.variant,
        treeinfo.arch,
        treeinfo.build_timestamp,
        treeinfo.repository,
        treeinfo.raw_version,
    ) == fields
    assert _images(treeinfo) == images
    # Every image carries the digest its [checksums] entry gives.
    for image in treeinfo.images:
        assert re.search(rf"^{re.escape(image.path)} = sha256:{image.sha256}$", data.decode(), re.M)


def test_images_of_other_platforms_are_ignored():
    """[images-xen] repeats the x86_64 kernel: it must not add or duplicate anything."""
    treeinfo = parse_treeinfo(FEDORA_X86_64.encode())
    assert [image.path for image in treeinfo.images].count("images/pxeboot/vmlinuz") == 1


def test_identical_paths_are_listed_once_with_the_first_role():
    text = FEDORA_X86_64.replace(
        "[images-x86_64]\n", "[images-x86_64]\nstage2 = images/install.img\n"
    )
    images = parse_treeinfo(text.encode()).images
    assert [image.role for image in images if image.name == "install.img"] == ["stage2"]


def test_image_values():
    image = parse_treeinfo(FEDORA_X86_64.encode()).images[3]
    assert image == TreeImage(
        name="vmlinuz",
        path="images/pxeboot/vmlinuz",
        sha256=VMLINUZ_DIGEST,
        role="kernel",
    )


def test_tolerated_variations():
    """Uppercase hex, a BOM, unknown sections/keys, lorax's empty placeholder, [DEFAULT]."""
    digest = VMLINUZ_DIGEST
    text = FEDORA_X86_64.replace(digest, digest.upper())
    text = text.replace("[images-x86_64]\n", "[images-x86_64]\nzimage =\n")
    text += "\n[media]\ndiscnum = 1\ntotaldiscs = 1\n\n[DEFAULT]\nextra.img = images/extra.img\n"
    text = text.replace("[tree]\n", "[tree]\nfuture_key = anything\n")
    treeinfo = parse_treeinfo(b"\xef\xbb\xbf" + text.encode())
    assert _images(treeinfo) == PXEBOOT
    assert treeinfo.images[3].sha256 == digest


def test_several_variants_pick_the_one_whose_repository_is_the_tree():
    """RHEL 8 BaseOS: [general] names AppStream, but the tree is BaseOS's own directory."""
    text = """
[general]
arch = x86_64
family = Red Hat Enterprise Linux
repository = AppStream
variant = AppStream
version = 8.0
[header]
type = productmd.treeinfo
version = 1.2
[release]
name = Red Hat Enterprise Linux
short = RHEL
version = 8.0
[tree]
arch = x86_64
build_timestamp = 1542400051
platforms = x86_64
variants = AppStream,BaseOS
[variant-AppStream]
repository = ../../appstream/x86_64/
[variant-BaseOS]
repository = .
"""
    treeinfo = parse_treeinfo(text.encode())
    assert (treeinfo.variant, treeinfo.repository, treeinfo.images) == ("BaseOS", ".", ())


EL9_TREE = """
[checksums]
images/pxeboot/vmlinuz = sha256:{digest}
[general]
arch = x86_64
family = {family}
name = {family} 9
packagedir = {general_repo}/Packages
repository = {general_repo}
variant = {general_repo}
variants = AppStream,BaseOS
version = 9
[header]
type = productmd.treeinfo
version = 1.2
[images-x86_64]
kernel = images/pxeboot/vmlinuz
[release]
name = {family}
short = {short}
version = 9
[tree]
arch = x86_64
build_timestamp = 1715000000
variants = AppStream,BaseOS
[variant-AppStream]
id = AppStream
packages = {appstream}/Packages
repository = {appstream}
[variant-BaseOS]
id = BaseOS
packages = {baseos}/Packages
repository = {baseos}
"""


@pytest.mark.parametrize(
    "family, short, appstream, baseos, repository",
    [
        # BaseOS/x86_64/os/.treeinfo of RHEL 9, CentOS Stream 9, Alma and Rocky mirrors: the
        # AppStream repository lies outside the tree; it is not read, so its '..' is no error.
        ("Red Hat Enterprise Linux", "RHEL", "../../../AppStream/x86_64/os", ".", "."),
        ("CentOS Stream", "CentOS-Stream", "../../../AppStream/x86_64/os", ".", "."),
        ("Rocky Linux", "Rocky", "../../../AppStream/x86_64/os/", ".", "."),
        # A DVD tree: both repositories in subdirectories, [general] naming AppStream; shim and
        # GRUB are in BaseOS.
        ("AlmaLinux", "AlmaLinux", "AppStream", "BaseOS", "BaseOS"),
    ],
)
def test_el_trees_use_the_baseos_repository(family, short, appstream, baseos, repository):
    text = EL9_TREE.format(
        digest=VMLINUZ_DIGEST,
        family=family,
        short=short,
        appstream=appstream,
        baseos=baseos,
        general_repo="AppStream" if baseos != "." else ".",
    )
    treeinfo = parse_treeinfo(text.encode())
    assert (treeinfo.family, treeinfo.short, treeinfo.variant, treeinfo.repository) == (
        family,
        short,
        "BaseOS",
        repository,
    )


def test_the_chosen_variants_repository_must_stay_in_the_tree():
    text = EL9_TREE.format(
        digest=VMLINUZ_DIGEST,
        family="AlmaLinux",
        short="AlmaLinux",
        appstream="AppStream",
        baseos="../BaseOS",
        general_repo="AppStream",
    )
    with pytest.raises(
        TreeinfoError, match=r"\[variant-BaseOS\] repository '../BaseOS' has a '..'"
    ):
        parse_treeinfo(text.encode())


def test_an_image_without_a_sha256_is_refused_saying_what_to_do():
    """Fedora 17-21 list LiveOS/squashfs.img as stage2 without a checksum."""
    text = FEDORA_X86_64.replace(
        "mainimage = images/install.img", "mainimage = LiveOS/squashfs.img"
    )
    with pytest.raises(TreeinfoError) as raised:
        parse_treeinfo(text.encode(), "f21/.treeinfo")
    assert str(raised.value) == (
        "f21/.treeinfo: image 'LiveOS/squashfs.img' ([stage2] mainimage) has no sha256 in "
        "[checksums], so its download cannot be verified; older trees (Fedora 17-21, CentOS 7 "
        "media) lack them. Sync a tree that lists a sha256 for every image (Fedora 22 or later, "
        "EL 8 or later), or serve a copy of the tree whose .treeinfo adds "
        "'LiveOS/squashfs.img = sha256:<digest>' to [checksums]"
    )


@pytest.mark.parametrize(
    "general, expected",
    [
        # Fedora 16: empty packagedir, no variant section, fractional timestamp.
        (
            "family = Fedora\nvariant = Fedora\npackagedir =\ntimestamp = 1320289812.31",
            ("Fedora", "Fedora", ".", 1320289812),
        ),
        # RHEL 5: packages and repodata share one directory per variant.
        (
            "family = Red Hat Enterprise Linux Server\n"
            "packagedir = Server\n"
            "timestamp = 1230140434.65",
            ("", "RHEL", "Server", 1230140434),
        ),
        # No timestamp at all; an unknown family is its own short name.
        ("family = Example Linux\npackagedir = Packages", ("", "Example Linux", ".", None)),
    ],
)
def test_legacy_general_section(general, expected):
    text = f"[general]\n{general}\nversion = 5\narch = x86_64\n"
    treeinfo = parse_treeinfo(text.encode())
    assert (
        treeinfo.variant,
        treeinfo.short,
        treeinfo.repository,
        treeinfo.build_timestamp,
    ) == expected
    assert (treeinfo.release, treeinfo.raw_version, treeinfo.images) == ("5", "legacy", ())


def _edit(*replacements):
    """FEDORA_X86_64 with each (old, new) replaced once; `old` must be present."""
    text = FEDORA_X86_64
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new, 1)
    return text.encode()


KERNEL = "kernel = images/pxeboot/vmlinuz"  # first found in [images-x86_64]
VMLINUZ_SUM = f"images/pxeboot/vmlinuz = sha256:{VMLINUZ_DIGEST}"


def _kernel_path(path):
    return _edit((KERNEL, f"kernel = {path}"))


BAD = [
    (
        "not utf-8",
        FEDORA_X86_64.encode() + b"\n; caf\xe9\n",
        "not UTF-8 text (invalid byte at offset",
    ),
    ("too large", b";" * (MAX_TREEINFO_SIZE + 1), f"{MAX_TREEINFO_SIZE + 1} bytes is too large"),
    (
        "duplicate section",
        _edit(("[tree]\n", "[stage2]\nmainimage = x\n\n[tree]\n")),
        "duplicate section [stage2]",
    ),
    (
        "duplicate key",
        _edit(("[stage2]\n", "[stage2]\nmainimage = images/other.img\n")),
        "duplicate key 'mainimage' in section [stage2]",
    ),
    (
        "text before a section",
        b"arch = x86_64\n" + FEDORA_X86_64.encode(),
        "line 1: neither a [section] nor a 'key = value'",
    ),
    (
        "line without '='",
        _edit(("[tree]\n", "[tree]\narch: x86_64\n")),
        "neither a [section] nor a 'key = value'",
    ),
    (
        "header type",
        _edit(("type = productmd.treeinfo", "type = productmd.composeinfo")),
        "[header] type is 'productmd.composeinfo', expected 'productmd.treeinfo'",
    ),
    (
        "header version 2",
        _edit(("version = 1.2", "version = 2.0")),
        "[header] version '2.0' is not a productmd 1.x version",
    ),
    (
        "header without version",
        _edit(("version = 1.2\n", "")),
        "[header] version '' is not a productmd 1.x version",
    ),
    (
        "no release version",
        _edit(("version = 40\n", ""), ("version = 40\n", "")),
        "no release version: [release] version or [general] version must be set",
    ),
    (
        "no arch",
        _edit(("arch = x86_64\n", ""), ("arch = x86_64\n", "")),
        "no tree arch: [tree] arch or [general] arch must be set",
    ),
    (
        "no release name",
        _edit(("family = Fedora\n", ""), ("name = Fedora\n", "")),
        "no release name: [release] name or [general] family must be set",
    ),
    (
        "unsupported arch",
        _edit(("arch = x86_64\nbuild", "arch = i386\nbuild")),
        "unsupported arch 'i386' (supported: x86_64, aarch64, ppc64le, s390x)",
    ),
    (
        "release with a slash",
        _edit(("version = 40\n", ""), ("version = 40", "version = 40/../41")),
        "release version '40/../41' is not a safe path component",
    ),
    (
        "release '..'",
        _edit(("version = 40\n", ""), ("version = 40", "version = ..")),
        "release version '..' is not a safe path component",
    ),
    (
        "release with a leading dot, like the index document",
        _edit(("version = 40\n", ""), ("version = 40", "version = .bootfiles.json")),
        "release version '.bootfiles.json' is not a safe path component",
    ),
    (
        "release with a space",
        _edit(("version = 40\n", ""), ("version = 40", "version = 40 Beta")),
        "release version '40 Beta' is not a safe path component",
    ),
    (
        "bad timestamp",
        _edit(("build_timestamp = 1713090917", "build_timestamp = yesterday")),
        "[tree] build_timestamp 'yesterday' is not a Unix timestamp",
    ),
    (
        "no checksum",
        _edit((VMLINUZ_SUM + "\n", "")),
        "image 'images/pxeboot/vmlinuz' ([images-x86_64] kernel) has no sha256 in [checksums]",
    ),
    (
        "md5",
        _edit((VMLINUZ_SUM, "images/pxeboot/vmlinuz = md5:" + "a" * 32)),
        "[checksums] images/pxeboot/vmlinuz: 'md5' checksum; only sha256 is accepted",
    ),
    (
        "sha1",
        _edit((VMLINUZ_SUM, "images/pxeboot/vmlinuz = sha1:" + "a" * 40)),
        "'sha1' checksum; only sha256 is accepted",
    ),
    (
        "short digest",
        _edit((VMLINUZ_SUM, "images/pxeboot/vmlinuz = sha256:" + "a" * 63)),
        "[checksums] images/pxeboot/vmlinuz: 'sha256:" + "a" * 63 + "' is not 'sha256:' and 64 hex",
    ),
    (
        "non-hex digest",
        _edit((VMLINUZ_SUM, "images/pxeboot/vmlinuz = sha256:" + "g" * 64)),
        "is not 'sha256:' and 64 hex digits",
    ),
    (
        "absolute path",
        _kernel_path("/images/pxeboot/vmlinuz"),
        "[images-x86_64] kernel: path '/images/pxeboot/vmlinuz' is absolute",
    ),
    (
        "parent component",
        _kernel_path("images/../../vmlinuz"),
        "[images-x86_64] kernel: path 'images/../../vmlinuz' has a '..' component",
    ),
    ("backslash", _kernel_path("images\\pxeboot\\vmlinuz"), "contains a backslash"),
    (
        "http URL",
        _kernel_path("http://example.org/vmlinuz"),
        "path 'http://example.org/vmlinuz' is a URL, not a relative path",
    ),
    ("network path", _kernel_path("//example.org/vmlinuz"), "is a URL, not a relative path"),
    ("scheme", _kernel_path("file:vmlinuz"), "path 'file:vmlinuz' is a URL, not a relative path"),
    ("empty component", _kernel_path("images//vmlinuz"), "has an empty path component"),
    (
        "empty name",
        _kernel_path("images/pxeboot/"),
        "path 'images/pxeboot/' has an empty path component",
    ),
    ("current dir component", _kernel_path("images/./vmlinuz"), "has a '.' component"),
    (
        "NUL",
        _kernel_path("images/pxeboot/vmlinuz\x00"),
        "path 'images/pxeboot/vmlinuz\\x00' contains a control character",
    ),
    (
        "continuation line",
        _kernel_path("images/pxeboot/vmlinuz\n  extra"),
        "path 'images/pxeboot/vmlinuz\\nextra' contains a control character",
    ),
    (
        "checksum of another path",  # keys keep their case: images/X is not images/x
        _edit(
            ("mainimage = images/install.img", "mainimage = LiveOS/squashfs.img"),
            ("images/install.img = sha256:", "liveos/squashfs.img = sha256:"),
        ),
        "image 'LiveOS/squashfs.img' ([stage2] mainimage) has no sha256 in [checksums]",
    ),
    (
        "stage2 path",
        _edit(("mainimage = images/install.img", "mainimage = ../install.img")),
        "[stage2] mainimage: path '../install.img' has a '..' component",
    ),
    (
        "same file name",
        _edit(("mainimage = images/install.img", "mainimage = isolinux/vmlinuz")),
        "'images/pxeboot/vmlinuz' and 'isolinux/vmlinuz' have the same file name 'vmlinuz'",
    ),
    (
        "repository outside the tree",
        _edit(("repository = .\ntype", "repository = ../x86_64\ntype")),
        "[variant-Everything] repository '../x86_64' has a '..' component",
    ),
    (
        "repository URL",
        _edit(("repository = .\ntype", "repository = https://example.org/\ntype")),
        "[variant-Everything] repository 'https://example.org/' is a URL, not a relative path",
    ),
]


@pytest.mark.parametrize("data, message", [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_input(data, message):
    with pytest.raises(TreeinfoError) as raised:
        parse_treeinfo(data)
    assert str(raised.value).startswith(".treeinfo: ")
    assert message in str(raised.value)


def test_error_names_the_given_source():
    with pytest.raises(TreeinfoError, match=r"^trees/f40/\.treeinfo: unsupported arch 'i386'"):
        parse_treeinfo(
            b"[general]\nfamily = Fedora\nversion = 40\narch = i386\n", "trees/f40/.treeinfo"
        )


def test_size_limit_is_inclusive():
    """A file of exactly the limit is read (and then fails for its content, not its size)."""
    with pytest.raises(TreeinfoError, match="line 1: neither"):
        parse_treeinfo(b"x" * MAX_TREEINFO_SIZE)


@pytest.mark.parametrize(
    "path, problem",
    [
        ("images/pxeboot/vmlinuz", None),
        ("generic.ins", None),
        ("Packages/s/shim-x64-15.8-3.x86_64.rpm", None),
        ("repodata/0a1b-primary.xml.zst", None),
        ("", "is empty"),
        ("a\tb", "contains a control character"),
        ("a\\b", "contains a backslash"),
        ("HTTPS://host/x", "is a URL, not a relative path"),
        ("C:/x", "is a URL, not a relative path"),
        ("/x", "is absolute"),
        ("x/", "has an empty path component"),
        ("..", "has a '..' component"),
        ("./x", "has a '.' component"),
    ],
)
def test_path_problem(path, problem):
    assert path_problem(path) == problem
