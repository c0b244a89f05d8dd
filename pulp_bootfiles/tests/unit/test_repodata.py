"""Tests of the repodata reader: repomd.xml, PackageEntry, newest packages, memory use."""

import dataclasses
import hashlib
import io
import json
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import zstandard

from pulp_bootfiles.app.formats import repodata
from pulp_bootfiles.app.formats.compression import CompressionError, open_decompressed
from pulp_bootfiles.app.formats.repodata import (
    PackageEntry,
    RepodataError,
    newest_packages,
    parse_repomd,
)

COMMON = "http://linux.duke.edu/metadata/common"
RPM = "http://linux.duke.edu/metadata/rpm"
REPO = "http://linux.duke.edu/metadata/repo"


def _digest(*parts):
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def package_xml(name, arch, ver, rel, epoch="0", location=None, checksum=None, size="1048576"):
    """One <package> exactly as createrepo_c writes it."""
    location = location or f"Packages/{name[0]}/{name}-{ver}-{rel}.{arch}.rpm"
    checksum = checksum or _digest(name, epoch, ver, rel, arch)
    return f"""\
<package type="rpm">
  <name>{name}</name>
  <arch>{arch}</arch>
  <version epoch="{epoch}" ver="{ver}" rel="{rel}"/>
  <checksum type="sha256" pkgid="YES">{checksum}</checksum>
  <summary>First-stage UEFI bootloader</summary>
  <description>Initial UEFI bootloader that handles chaining to a trusted full bootloader
under secure boot environments.</description>
  <packager>Fedora Project</packager>
  <url>https://github.com/rhboot/shim/</url>
  <time file="1712345678" build="1712300000"/>
  <size package="{size}" installed="2097152" archive="2100000"/>
  <location href="{location}"/>
  <format>
    <rpm:license>BSD-2-Clause</rpm:license>
    <rpm:vendor>Fedora Project</rpm:vendor>
    <rpm:group>Unspecified</rpm:group>
    <rpm:buildhost>buildvm-x86-29.iad2.fedoraproject.org</rpm:buildhost>
    <rpm:sourcerpm>{name}-{ver}-{rel}.src.rpm</rpm:sourcerpm>
    <rpm:header-range start="4504" end="18433"/>
    <rpm:provides>
      <rpm:entry name="{name}" flags="EQ" epoch="{epoch}" ver="{ver}" rel="{rel}"/>
    </rpm:provides>
    <rpm:requires>
      <rpm:entry name="dbxtool" flags="GE" epoch="0" ver="0.6" rel="3"/>
    </rpm:requires>
  </format>
</package>
"""


def primary_xml(*packages, doctype=""):
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}'
        f'<metadata xmlns="{COMMON}" xmlns:rpm="{RPM}" packages="{len(packages)}">\n'
        + "".join(packages)
        + "</metadata>\n"
    ).encode()


def scan(
    xml, names=("shim-x64", "grub2-efi-x64", "syslinux-tftpboot"), arches=("x86_64", "noarch")
):
    return newest_packages(io.BytesIO(xml), names, arches, "repodata/ab12-primary.xml.zst")


# ---------------------------------------------------------------- PackageEntry


def _entry(name, epoch, version, release, arch="x86_64"):
    return PackageEntry(name, epoch, version, release, arch, f"{name}.rpm", "sha256", "0" * 64, 1)


def test_nevra_and_evr():
    assert (
        _entry("grub2-efi-x64", 1, "2.12", "1.fc40").nevra == "grub2-efi-x64-1:2.12-1.fc40.x86_64"
    )
    assert _entry("shim-x64", 0, "15.8", "3").nevra == "shim-x64-15.8-3.x86_64"
    assert _entry("shim-x64", 0, "15.8", "3").evr == (0, "15.8", "3")


# ---------------------------------------------------------------- repomd.xml

PRIMARY_SUM = _digest("primary")
FEDORA_REPOMD = f"""\
<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="{REPO}" xmlns:rpm="{RPM}">
  <revision>1713052916</revision>
  <tags>
    <distro cpeid="cpe:/o:fedoraproject:fedora:40">Fedora 40</distro>
  </tags>
  <data type="primary">
    <checksum type="sha256">{PRIMARY_SUM}</checksum>
    <open-checksum type="sha256">{_digest("primary", "open")}</open-checksum>
    <location href="repodata/{PRIMARY_SUM}-primary.xml.zst"/>
    <timestamp>1713052796</timestamp>
    <size>18104234</size>
    <open-size>162473458</open-size>
  </data>
  <data type="filelists">
    <checksum type="sha256">{_digest("filelists")}</checksum>
    <open-checksum type="sha256">{_digest("filelists", "open")}</open-checksum>
    <location href="repodata/{_digest("filelists")}-filelists.xml.zst"/>
    <timestamp>1713052796</timestamp>
    <size>53291012</size>
    <open-size>712940186</open-size>
  </data>
  <data type="primary_zck">
    <checksum type="sha256">{_digest("primary_zck")}</checksum>
    <open-checksum type="sha256">{_digest("primary", "open")}</open-checksum>
    <header-checksum type="sha256">{_digest("primary_zck", "header")}</header-checksum>
    <location href="repodata/{_digest("primary_zck")}-primary.xml.zck"/>
    <timestamp>1713052796</timestamp>
    <size>31530028</size>
    <open-size>162473458</open-size>
    <header-size>1064372</header-size>
  </data>
  <data type="group">
    <checksum type="sha256">{_digest("group")}</checksum>
    <location href="repodata/{_digest("group")}-comps-Everything.x86_64.xml"/>
    <timestamp>1713052663</timestamp>
    <size>1812346</size>
  </data>
</repomd>
"""


def test_parse_fedora_repomd():
    records = parse_repomd(FEDORA_REPOMD.encode())
    assert sorted(records) == ["filelists", "group", "primary", "primary_zck"]
    primary = records["primary"]
    assert (primary.type, primary.location) == (
        "primary",
        f"repodata/{PRIMARY_SUM}-primary.xml.zst",
    )
    assert (primary.checksum_type, primary.checksum) == ("sha256", PRIMARY_SUM)
    assert (primary.size, primary.open_size) == (18104234, 162473458)
    assert records["group"].open_size is None


def test_yum_sha_is_sha1():
    sha1 = "a" * 40
    data = FEDORA_REPOMD.replace(
        f'<checksum type="sha256">{PRIMARY_SUM}', f'<checksum type="sha">{sha1}'
    )
    primary = parse_repomd(data.encode())["primary"]
    assert (primary.checksum_type, primary.checksum) == ("sha1", sha1)


def _repomd(old, new):
    assert old in FEDORA_REPOMD, old
    return FEDORA_REPOMD.replace(old, new, 1).encode()


PRIMARY_HREF = f'<location href="repodata/{PRIMARY_SUM}-primary.xml.zst"/>'
LAUGHS = (
    '<!DOCTYPE repomd [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
)

BAD_REPOMD = [
    ("too large", b" " * (1024 * 1024 + 1), "1048577 bytes is too large"),
    (
        "entity expansion",
        _repomd("<repomd ", LAUGHS + "<repomd ").replace(b"<revision>", b"<revision>&d;"),
        "DTDs and entities are not allowed",
    ),
    (
        "external entity",
        _repomd(
            '<?xml version="1.0" encoding="UTF-8"?>\n',
            '<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
        ),
        "DTDs and entities are not allowed",
    ),
    (
        "bare DOCTYPE",
        _repomd("<repomd ", "<!DOCTYPE repomd>\n<repomd "),
        "DTDs and entities are not allowed",
    ),
    ("malformed", _repomd("</tags>", "</tag>"), "malformed XML at line 6"),
    (
        "not repomd",
        b"<metadata/>",
        "root element is 'metadata', not {http://linux.duke.edu/metadata/repo}repomd",
    ),
    (
        "no primary",
        _repomd('<data type="primary">', '<data type="primary_old">'),
        "no <data type='primary'> record",
    ),
    (
        "two primaries",
        _repomd('<data type="filelists">', '<data type="primary">'),
        "two <data type='primary'> records",
    ),
    ("no type", _repomd('<data type="group">', "<data>"), "<data type=None>: the type is missing"),
    (
        "no checksum",
        _repomd(f'<checksum type="sha256">{PRIMARY_SUM}</checksum>', ""),
        "<data type='primary'>: no <checksum>",
    ),
    (
        "md5",
        _repomd(f'<checksum type="sha256">{PRIMARY_SUM}', f'<checksum type="md5">{"a" * 32}'),
        "<data type='primary'>: unsupported checksum type 'md5'",
    ),
    (
        "short digest",
        _repomd(f">{PRIMARY_SUM}<", f">{PRIMARY_SUM[:-1]}<"),
        f"sha256 checksum '{PRIMARY_SUM[:-1]}' is not 64 hex",
    ),
    ("no location", _repomd(PRIMARY_HREF, ""), "<data type='primary'>: no <location href>"),
    (
        "xml:base",
        _repomd(PRIMARY_HREF, '<location xml:base="http://mirror.example.org/" href="a.zst"/>'),
        "location has xml:base 'http://mirror.example.org/'; only files below the repository",
    ),
    (
        "absolute location",
        _repomd(PRIMARY_HREF, '<location href="/etc/primary.xml.zst"/>'),
        "<data type='primary'>: location '/etc/primary.xml.zst' is absolute",
    ),
    (
        "parent location",
        _repomd(PRIMARY_HREF, '<location href="../../primary.xml.zst"/>'),
        "location '../../primary.xml.zst' has a '..' component",
    ),
    (
        "URL location",
        _repomd(PRIMARY_HREF, '<location href="https://evil.example/p.xml.zst"/>'),
        "location 'https://evil.example/p.xml.zst' is a URL, not a relative path",
    ),
    (
        "bad size",
        _repomd("<size>18104234</size>", "<size>18 MB</size>"),
        "<data type='primary'>: <size> '18 MB' is not a byte count",
    ),
    (
        "negative open-size",
        _repomd("<open-size>162473458</open-size>", "<open-size>-1</open-size>"),
        "<open-size> '-1' is not a byte count",
    ),
]


@pytest.mark.parametrize(
    "data, message", [c[1:] for c in BAD_REPOMD], ids=[c[0] for c in BAD_REPOMD]
)
def test_bad_repomd(data, message):
    with pytest.raises(RepodataError) as raised:
        parse_repomd(data)
    assert str(raised.value).startswith("repodata/repomd.xml: ")
    assert message in str(raised.value)


# ---------------------------------------------------------------- newest packages


def test_newest_packages_picks_highest_evr_per_name():
    xml = primary_xml(
        package_xml("shim-x64", "x86_64", "15.8", "3"),
        package_xml("shim-x64", "x86_64", "15.10", "1"),  # 15.10 > 15.8
        package_xml("shim-x64", "aarch64", "16.0", "1"),  # not an arch we want
        package_xml("shim-x64", "src", "17.0", "1"),
        package_xml("grub2-efi-x64", "x86_64", "2.99", "1.fc40"),
        package_xml("grub2-efi-x64", "x86_64", "2.06", "120.fc40", epoch="1"),  # epoch wins
        package_xml("grub2-efi-x64", "x86_64", "2.06", "99.fc40", epoch="1"),
        package_xml("syslinux-tftpboot", "noarch", "6.04", "0.26.fc40"),
        package_xml("syslinux-tftpboot", "noarch", "6.04", "0.26.fc40~rc1"),
        package_xml("kernel", "x86_64", "6.8.5", "301.fc40"),
    )
    found = scan(xml)
    assert {name: entry.nevra for name, entry in found.items()} == {
        "shim-x64": "shim-x64-15.10-1.x86_64",
        "grub2-efi-x64": "grub2-efi-x64-1:2.06-120.fc40.x86_64",
        "syslinux-tftpboot": "syslinux-tftpboot-6.04-0.26.fc40.noarch",
    }
    assert found["shim-x64"] == PackageEntry(
        name="shim-x64",
        epoch=0,
        version="15.10",
        release="1",
        arch="x86_64",
        location="Packages/s/shim-x64-15.10-1.x86_64.rpm",
        checksum_type="sha256",
        checksum=_digest("shim-x64", "0", "15.10", "1", "x86_64"),
        size=1048576,
    )


def test_missing_names_are_absent_and_equal_evr_keeps_the_first():
    xml = primary_xml(
        package_xml("shim-x64", "x86_64", "15.8", "3", location="Packages/s/first.rpm"),
        package_xml("shim-x64", "x86_64", "15.8", "3", location="Packages/s/second.rpm"),
    )
    found = scan(xml)
    assert list(found) == ["shim-x64"]
    assert found["shim-x64"].location == "Packages/s/first.rpm"
    assert scan(primary_xml()) == {}


def test_unwanted_packages_are_not_checked():
    """Only wanted packages are validated: the others are skipped as cheaply as possible."""
    xml = primary_xml(
        package_xml("kernel", "x86_64", "6.8.5", "301.fc40", epoch="x", location="/abs"),
        package_xml("shim-x64", "x86_64", "15.8", "3"),
    )
    assert list(scan(xml)) == ["shim-x64"]


GOOD = package_xml("shim-x64", "x86_64", "15.8", "3")
LONG_COMMENT = f"<!-- {'padding ' * 9000} -->\n"


def _billion_laughs(where):
    entities = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    )
    package = package_xml("shim-x64", "x86_64", "15.8", "3")
    if where == "text":
        package = package.replace("<summary>", "<summary>&l9;")
    else:
        package = package.replace('type="rpm"', 'type="&l9;"')
    return primary_xml(package, doctype=f"<!DOCTYPE metadata [{entities}]>\n")


@pytest.mark.parametrize(
    "xml, message",
    [
        (_billion_laughs("text"), "a DOCTYPE is not allowed in primary metadata"),
        (_billion_laughs("attribute"), "a DOCTYPE is not allowed in primary metadata"),
        (
            primary_xml(
                package_xml("shim-x64", "x86_64", "15.8", "3").replace("<summary>", "<summary>&x;"),
                doctype='<!DOCTYPE metadata [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n',
            ),
            "a DOCTYPE is not allowed in primary metadata",
        ),
        (
            primary_xml(doctype="<!DOCTYPE metadata>\n"),
            "a DOCTYPE is not allowed in primary metadata",
        ),
        # Past the first 64 KiB, the DTD is still refused: at the first package, or at the end.
        (
            primary_xml(GOOD, doctype=LONG_COMMENT + '<!DOCTYPE metadata [<!ENTITY x "y">]>\n'),
            "a DOCTYPE is not allowed in primary metadata",
        ),
        (
            primary_xml(doctype=LONG_COMMENT + "<!DOCTYPE metadata>\n"),
            "a DOCTYPE is not allowed in primary metadata",
        ),
    ],
    ids=[
        "billion laughs in text",
        "billion laughs in an attribute",
        "external entity",
        "no packages",
        "after a long comment",
        "after a long comment, no packages",
    ],
)
def test_doctype_and_entities_are_refused(xml, message):
    started = time.monotonic()
    with pytest.raises(RepodataError) as raised:
        scan(xml)
    assert str(raised.value) == f"repodata/ab12-primary.xml.zst: {message}"
    assert time.monotonic() - started < 2  # refused, not expanded


BAD_PRIMARY = [
    (
        "malformed",
        primary_xml(GOOD, GOOD.replace("</arch>", "</arc>")),
        "repodata/ab12-primary.xml.zst: malformed XML at line 33: ",
    ),
    ("truncated", primary_xml(GOOD)[:-20], "malformed XML at line"),
    (
        "not primary",
        f'<filelists xmlns="{COMMON}"/>'.encode(),
        "root element is '{http://linux.duke.edu/metadata/common}filelists', not ",
    ),
    (
        "bad epoch",
        primary_xml(GOOD, package_xml("shim-x64", "x86_64", "15.8", "4", epoch="one")),
        "line 31: package 'shim-x64': epoch 'one' is not a number",
    ),
    (
        "no release",
        primary_xml(GOOD.replace(' rel="3"', "")),
        "line 3: package 'shim-x64': no <version ver=... rel=...>",
    ),
    (
        "no checksum",
        primary_xml(GOOD.replace("<checksum ", "<sum ").replace("</checksum>", "</sum>")),
        "package 'shim-x64': no <checksum>",
    ),
    (
        "md5 checksum",
        primary_xml(GOOD.replace('"sha256"', '"md5"')),
        "package 'shim-x64': unsupported checksum type 'md5'",
    ),
    (
        "bad digest",
        primary_xml(package_xml("shim-x64", "x86_64", "15.8", "3", checksum="z" * 64)),
        "package 'shim-x64': sha256 checksum '" + "z" * 64 + "' is not 64 hex",
    ),
    ("no location", primary_xml(GOOD.replace("<location ", "<place ")), "no <location href>"),
    (
        "xml:base",
        primary_xml(GOOD.replace("<location ", '<location xml:base="http://mirror.example/" ')),
        "package 'shim-x64': location has xml:base 'http://mirror.example/'",
    ),
    (
        "absolute location",
        primary_xml(package_xml("shim-x64", "x86_64", "15.8", "3", location="/x.rpm")),
        "package 'shim-x64': location '/x.rpm' is absolute",
    ),
    (
        "parent location",
        primary_xml(package_xml("shim-x64", "x86_64", "1", "3", location="../x.rpm")),
        "location '../x.rpm' has a '..' component",
    ),
    (
        "bad size",
        primary_xml(package_xml("shim-x64", "x86_64", "15.8", "3", size="big")),
        "package 'shim-x64': <size package> 'big' is not a byte count",
    ),
    (
        "no size",
        primary_xml(GOOD.replace("<size ", "<sizes ")),
        "<size package> '' is not a byte count",
    ),
]


@pytest.mark.parametrize(
    "xml, message", [c[1:] for c in BAD_PRIMARY], ids=[c[0] for c in BAD_PRIMARY]
)
def test_bad_primary(xml, message):
    with pytest.raises(RepodataError) as raised:
        scan(xml)
    assert message in str(raised.value)


def test_a_wanted_name_in_a_comment_or_cdata_is_not_a_package():
    decoy = "<!-- <package><name>shim-x64</name></package> -->\n"
    cdata = GOOD.replace(
        "<summary>First", "<summary><![CDATA[<name>grub2-efi-x64</name>]]>First"
    ).replace("shim-x64", "shim-unsigned-x64")
    found = scan(primary_xml(cdata, decoy + package_xml("shim-x64", "x86_64", "15.8", "3")))
    assert {name: e.nevra for name, e in found.items()} == {"shim-x64": "shim-x64-15.8-3.x86_64"}


def test_comments_around_the_root_end_tag_are_fine():
    xml = primary_xml(GOOD).replace(b"</metadata>\n", b"<!-- end -->\n</metadata>\n<!-- x -->\n")
    assert list(scan(xml)) == ["shim-x64"]


def test_unknown_elements_after_the_last_package_are_skipped():
    # createrepo_c reads such a primary (it skips elements it does not know); so do we.
    tail = b'<ext xmlns="urn:example"><a href="x"/>text</ext>\n<other/>\n</metadata>'
    xml = primary_xml(GOOD).replace(b"</metadata>", tail)
    assert {name: e.nevra for name, e in scan(xml).items()} == {
        "shim-x64": "shim-x64-15.8-3.x86_64"
    }


@pytest.mark.parametrize(
    "tail",
    [b"<ext>", b"</metadata><ext/>", b"</metadata>junk", b"<ext></metadata>"],
    ids=["unclosed element", "element after the root", "text after the root", "crossed"],
)
def test_a_tail_that_does_not_close_the_root_is_refused(tail):
    xml = primary_xml(GOOD).replace(b"</metadata>\n", tail)
    with pytest.raises(RepodataError, match="does not end with </metadata> after its last"):
        scan(xml)


def test_an_endless_package_entry_is_refused(monkeypatch):
    monkeypatch.setattr(repodata, "MAX_PACKAGE_ENTRY", 100_000)
    endless = GOOD.replace("</package>", "<summary>" + "x" * 300_000 + "</summary>")
    with pytest.raises(RepodataError, match="a <package> entry is larger than 100000 bytes"):
        scan(primary_xml(endless))


def test_a_wanted_name_outside_a_package_is_malformed():
    xml = primary_xml(GOOD).replace(b"</metadata>", b"<name>shim-x64</name></package></metadata>")
    with pytest.raises(RepodataError, match="<name> outside a <package>"):
        scan(xml.replace(b"<package", b"<pkg", 1).replace(b"</package>", b"</pkg>", 1))


def test_corrupt_compressed_primary_fails_with_the_decompression_error():
    data = zstandard.ZstdCompressor(write_checksum=True).compress(primary_xml(GOOD))
    stream = open_decompressed(io.BytesIO(data[:-4] + b"\x00" * 4), "repodata/ab12-primary.xml.zst")
    with pytest.raises(CompressionError) as raised:
        newest_packages(stream, {"shim-x64"}, {"x86_64"}, "repodata/ab12-primary.xml.zst")
    assert str(raised.value).startswith("repodata/ab12-primary.xml.zst: cannot read zstd data")


@pytest.mark.parametrize("compress", ["gz", "xz", "bz2"])
@pytest.mark.skipif(shutil.which("createrepo_c") is None, reason="needs createrepo_c")
def test_createrepo_c_output(tmp_path, compress):
    """Repodata made by createrepo_c itself (an empty repository) reads end to end."""
    subprocess.run(
        ["createrepo_c", "-q", "--general-compress-type", compress, str(tmp_path)], check=True
    )
    primary = parse_repomd((tmp_path / "repodata/repomd.xml").read_bytes())["primary"]
    assert primary.location.endswith(f"-primary.xml.{compress}")
    data = (tmp_path / primary.location).read_bytes()
    assert (len(data), hashlib.sha256(data).hexdigest()) == (primary.size, primary.checksum)
    with open(tmp_path / primary.location, "rb") as fileobj:
        assert (
            newest_packages(
                open_decompressed(fileobj, primary.location),
                {"shim-x64"},
                {"x86_64"},
                primary.location,
            )
            == {}
        )


# ---------------------------------------------------------------- memory over a Fedora-size primary

# Run in a child process: libxml2's memory is invisible to tracemalloc, but not to the peak RSS
# (VmHWM) of a process that does nothing else.
SCAN_IN_CHILD = textwrap.dedent(
    """
    import io, json, sys, time
    from pulp_bootfiles.app.formats.repodata import newest_packages
    from lxml import etree

    count, mode = int(sys.argv[1]), sys.argv[2]
    package = PACKAGE_XML

    def chunks():
        yield HEAD.encode()
        for start in range(0, count, 1000):
            numbers = range(start, min(count, start + 1000))
            yield "".join(package.format(i=i, v=i % 7) for i in numbers).encode()
        yield b"</metadata>"

    class Stream(io.RawIOBase):
        def __init__(self):
            self.chunks, self.pending, self.size = chunks(), memoryview(b""), 0
        def readable(self):
            return True
        def readinto(self, buffer):
            while not self.pending:
                self.pending = memoryview(next(self.chunks, b"")) or None
                if self.pending is None:
                    return 0
            n = min(len(buffer), len(self.pending))
            buffer[:n], self.pending = self.pending[:n], self.pending[n:]
            self.size += n
            return n

    def status(key):
        # Linux's figures for this process alone (ru_maxrss would keep the parent's peak).
        with open("/proc/self/status") as status:
            line = next(line for line in status if line.startswith(key + ":"))
        return int(line.split()[1]) * 1024

    stream = Stream()
    before = status("VmRSS")
    started = time.perf_counter()
    if mode == "stream":
        wanted = {"pkg42", "pkg69999"}
        found = newest_packages(io.BufferedReader(stream), wanted, {"x86_64"}, "primary")
        found = {name: entry.nevra for name, entry in found.items()}
    else:
        etree.parse(io.BufferedReader(stream))
        found = {}
    seconds = time.perf_counter() - started
    growth = status("VmHWM") - before
    print(json.dumps({"size": stream.size, "growth": growth, "seconds": seconds, "found": found}))
    """
)


def _scan_in_child(count, mode):
    package = (
        package_xml("pkg{i}", "x86_64", "1.{v}", "1.fc40").replace("{", "{{").replace("}", "}}")
    )
    package = package.replace("{{i}}", "{i}").replace("{{v}}", "{v}")
    head = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="{COMMON}" xmlns:rpm="{RPM}">\n'
    )
    code = SCAN_IN_CHILD.replace("PACKAGE_XML", repr(package)).replace("HEAD", repr(head))
    cwd = Path(__file__).resolve().parents[3]  # the work tree, so the child imports this package
    run = subprocess.run(
        [sys.executable, "-c", code, str(count), mode], cwd=cwd, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


NEEDS_PROC = pytest.mark.skipif(
    not Path("/proc/self/status").exists(), reason="reads the peak RSS from Linux's /proc"
)


@NEEDS_PROC
def test_memory_stays_flat_over_70000_packages():
    result = _scan_in_child(70_000, "stream")
    assert result["found"] == {
        "pkg42": "pkg42-1.0-1.fc40.x86_64",
        "pkg69999": "pkg69999-1.6-1.fc40.x86_64",
    }
    assert result["size"] > 70_000_000
    assert result["growth"] < result["size"] / 10, result
    print(
        f"\n70,000 packages, {result['size'] / 1e6:.0f} MB: {result['seconds']:.2f} s, "
        f"peak RSS +{result['growth'] / 1e6:.0f} MB"
    )


@NEEDS_PROC
def test_memory_measure_sees_a_whole_tree():
    """The measure above can fail: a parse that keeps the whole tree grows past the bound."""
    result = _scan_in_child(10_000, "tree")
    assert result["growth"] > result["size"] / 10, result


# ---------------------------------------------------------------- how much primary is read

GIB, TIB = 1024**3, 1024**4


@pytest.mark.parametrize(
    "open_size, compressed, size, reason",
    [
        (160_000_000, 20_000_000, 160_000_000, "the open-size repomd.xml lists"),
        (None, 20_000_000, GIB, "lists no open-size; the limit is the ceiling of 1073741824"),
        (None, 100_000_000, 3_200_000_000, "lists no open-size; the limit is 32 times its"),
        (TIB, 4_000_000, GIB, "open-size 1099511627776 is more than the compressed file"),
        (TIB, 100_000_000, 3_200_000_000, "the limit is 32 times its 100000000 compressed"),
        (3_000_000_000, 100_000_000, 3_000_000_000, "the open-size repomd.xml lists"),
    ],
)
def test_primary_scan_limit(open_size, compressed, size, reason):
    limit = repodata.primary_scan_limit(open_size, compressed)
    assert limit.size == size
    assert reason in limit.reason


def _tiny_entries_bomb(count):
    """zstd of a primary with `count` tiny entries: it compresses thousands of times."""
    buffer = io.BytesIO()
    with zstandard.ZstdCompressor(level=19).stream_writer(buffer, closefd=False) as writer:
        writer.write(primary_xml()[: -len(b"</metadata>\n")])
        chunk = b'<package type="rpm"><name>a</name><arch>x86_64</arch></package>\n' * 4096
        for _ in range(count // 4096):
            writer.write(chunk)
        writer.write(b"</metadata>\n")
    return buffer.getvalue()


def test_a_lying_open_size_stops_at_the_ceiling(monkeypatch):
    monkeypatch.setattr(repodata, "MAX_PRIMARY_SIZE", 8 << 20)
    data = _tiny_entries_bomb(1 << 20)  # 67 MB of entries in a few KB of zstd
    assert len(data) * repodata.MAX_PRIMARY_RATIO < 8 << 20
    limit = repodata.primary_scan_limit(TIB, len(data))
    source = "repodata/ab12-primary.xml.zst"
    stream = open_decompressed(io.BytesIO(data), source)
    with pytest.raises(RepodataError) as raised:
        newest_packages(stream, {"shim-x64"}, {"x86_64"}, source, limit)
    assert str(raised.value) == (
        f"{source}: decompresses to more than 8388608 bytes (repomd.xml's open-size "
        f"1099511627776 is more than the compressed file can honestly hold; the limit is the "
        f"ceiling of 8388608 bytes for a primary, above 32 times its {len(data)} compressed "
        "bytes); refusing the rest"
    )


def test_a_primary_within_its_limit_is_read_whole():
    xml = primary_xml(GOOD)
    limit = repodata.primary_scan_limit(len(xml), len(xml))
    assert list(newest_packages(io.BytesIO(xml), {"shim-x64"}, {"x86_64"}, "p", limit)) == [
        "shim-x64"
    ]
    with pytest.raises(RepodataError, match=r"more than 99 bytes \(the open-size repomd.xml"):
        newest_packages(
            io.BytesIO(xml), {"shim-x64"}, {"x86_64"}, "p", dataclasses.replace(limit, size=99)
        )
