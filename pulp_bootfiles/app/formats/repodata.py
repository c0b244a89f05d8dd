"""
Read a yum/dnf repository's metadata: `repomd.xml`, then the newest wanted packages of primary.

Fedora's primary lists about 70,000 packages (some 150 MB of XML once decompressed), so it is
decompressed and parsed as a stream, keeping one `<package>` in memory at a time.
"""

import re
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree
from defusedxml import DefusedXmlException
from lxml import etree

from pulp_bootfiles.app.formats.compression import PrefixedStream
from pulp_bootfiles.app.formats.evr import compare_evr
from pulp_bootfiles.app.formats.paths import path_problem

REPO = "{http://linux.duke.edu/metadata/repo}"
COMMON = "{http://linux.duke.edu/metadata/common}"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_PACKAGE, _NAME, _ARCH = f"{COMMON}package", f"{COMMON}name", f"{COMMON}arch"
MAX_REPOMD_SIZE = 1024 * 1024  # real ones are a few KB
_PROLOG_SIZE = 64 * 1024  # the first bytes of primary, searched for a DOCTYPE
# Digest lengths of the algorithms repodata uses; "sha" is yum's old name for sha1.
_HEX_LENGTHS = {"sha1": 40, "sha224": 56, "sha256": 64, "sha384": 96, "sha512": 128}


class RepodataError(ValueError):
    """Repository metadata that cannot be used; the message names the file and the spot."""


@dataclass(frozen=True)
class RepomdRecord:
    """One `<data>` entry of repomd.xml; `location` is relative to the repository root."""

    type: str
    location: str
    checksum_type: str
    checksum: str
    size: int | None
    open_size: int | None


@dataclass(frozen=True)
class PackageEntry:
    """One `<package>` of primary; `location` is relative to the repository root."""

    name: str
    epoch: int
    version: str
    release: str
    arch: str
    location: str
    checksum_type: str
    checksum: str
    size: int

    @property
    def evr(self):
        """(epoch, version, release), for compare_evr."""
        return (self.epoch, self.version, self.release)

    @property
    def nevra(self):
        """name-[epoch:]version-release.arch, the epoch left out when 0 (as rpm prints it)."""
        epoch = f"{self.epoch}:" if self.epoch else ""
        return f"{self.name}-{epoch}{self.version}-{self.release}.{self.arch}"


def parse_repomd(data: bytes, source="repodata/repomd.xml") -> dict[str, RepomdRecord]:
    """The records of repomd.xml by type; a `primary` record is required."""
    if len(data) > MAX_REPOMD_SIZE:
        raise RepodataError(f"{source}: {len(data)} bytes is too large (limit {MAX_REPOMD_SIZE})")
    try:
        root = defusedxml.ElementTree.fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise RepodataError(f"{source}: DTDs and entities are not allowed ({exc!r})") from None
    except ParseError as exc:
        raise RepodataError(f"{source}: malformed XML at line {exc.position[0]}: {exc}") from None
    if root.tag != f"{REPO}repomd":
        raise RepodataError(f"{source}: root element is {root.tag!r}, not {REPO}repomd")
    records = {}
    for element in root.iterfind(f"{REPO}data"):
        record = _repomd_record(element, source)
        if record.type in records:
            raise RepodataError(f"{source}: two <data type={record.type!r}> records")
        records[record.type] = record
    if "primary" not in records:
        raise RepodataError(f"{source}: no <data type='primary'> record")
    return records


def _repomd_record(element, source):
    where = f"{source}: <data type={element.get('type')!r}>"
    if not element.get("type"):
        raise RepodataError(f"{where}: the type is missing")
    checksum = element.find(f"{REPO}checksum")
    if checksum is None:
        raise RepodataError(f"{where}: no <checksum>")
    checksum_type, digest = _checksum(checksum.get("type"), checksum.text, where)
    return RepomdRecord(
        type=element.get("type"),
        location=_location(element.find(f"{REPO}location"), where),
        checksum_type=checksum_type,
        checksum=digest,
        size=_size(element.findtext(f"{REPO}size"), where, "<size>"),
        open_size=_size(element.findtext(f"{REPO}open-size"), where, "<open-size>"),
    )


def _checksum(kind, text, where):
    """(hashlib name, lowercase hex) of a checksum element; its type and length are checked."""
    kind = "sha1" if kind == "sha" else (kind or "")
    digest = (text or "").strip().lower()
    if kind not in _HEX_LENGTHS:
        raise RepodataError(f"{where}: unsupported checksum type {kind!r}")
    if not re.fullmatch(f"[0-9a-f]{{{_HEX_LENGTHS[kind]}}}", digest):
        raise RepodataError(f"{where}: {kind} checksum {digest!r} is not {_HEX_LENGTHS[kind]} hex")
    return kind, digest


def _location(element, where):
    href = element.get("href") if element is not None else None
    if not href:
        raise RepodataError(f"{where}: no <location href>")
    if element.get(XML_BASE) is not None:
        raise RepodataError(
            f"{where}: location has xml:base {element.get(XML_BASE)!r}; only files below the "
            "repository on the remote are fetched"
        )
    problem = path_problem(href)
    if problem:
        raise RepodataError(f"{where}: location {href!r} {problem}")
    return href


def _size(text, where, what):
    """The byte count in `text`, or None if `text` is None (the element is absent)."""
    if text is None:
        return None
    if not re.fullmatch(r"\d+", text.strip()):
        raise RepodataError(f"{where}: {what} {text!r} is not a byte count")
    return int(text)


def newest_packages(fileobj, names, arches, source) -> dict[str, PackageEntry]:
    """
    The newest PackageEntry of each of `names` in primary XML, among packages of `arches`.

    `fileobj` is the decompressed primary (see compression.open_decompressed; the CompressionError
    of a corrupt stream passes through). Names without a package of those arches are absent from
    the result. DTDs and entities are refused.
    """
    names, arches = frozenset(names), frozenset(arches)
    newest = {}
    head = fileobj.read(_PROLOG_SIZE)
    # A DTD comes before the root element: refuse it before libxml2 reads its entities.
    if b"<!DOCTYPE" in head:
        raise RepodataError(f"{source}: a DOCTYPE is not allowed in primary metadata")
    # No entity expansion, no DTD or network access, libxml2's size limits kept (no huge_tree).
    context = etree.iterparse(
        PrefixedStream(head, fileobj),
        events=("end",),
        tag=_PACKAGE,
        resolve_entities=False,
        load_dtd=False,
        no_network=True,
        huge_tree=False,
        collect_ids=False,
        remove_blank_text=True,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        for _event, package in context:
            name = package.findtext(_NAME)  # <name> is the first child: cheap to reject
            if name in names and package.findtext(_ARCH) in arches:
                entry = _package_entry(package, source)
                if name not in newest or compare_evr(entry.evr, newest[name].evr) > 0:
                    newest[name] = entry
            # Drop the packages parsed before this one, so memory stays flat over the whole file.
            while package.getprevious() is not None:
                del package.getparent()[0]
    except etree.XMLSyntaxError as exc:
        raise RepodataError(f"{source}: malformed XML at line {exc.lineno}: {exc.msg}") from None
    root = context.root
    # A DTD after a prolog longer than the bytes checked above: its entities were not expanded.
    if root.getroottree().docinfo.doctype:
        raise RepodataError(f"{source}: a DOCTYPE is not allowed in primary metadata")
    if root.tag != f"{COMMON}metadata":
        raise RepodataError(f"{source}: root element is {root.tag!r}, not {COMMON}metadata")
    return newest


def _package_entry(package, source):
    name, arch = package.findtext(_NAME), package.findtext(_ARCH)
    where = f"{source}: line {package.sourceline}: package {name!r}"
    version = package.find(f"{COMMON}version")
    if version is None or not version.get("ver") or not version.get("rel"):
        raise RepodataError(f"{where}: no <version ver=... rel=...>")
    epoch = version.get("epoch") or "0"
    if not re.fullmatch(r"\d+", epoch):
        raise RepodataError(f"{where}: epoch {epoch!r} is not a number")
    checksum = package.find(f"{COMMON}checksum")
    if checksum is None:
        raise RepodataError(f"{where}: no <checksum>")
    checksum_type, digest = _checksum(checksum.get("type"), checksum.text, where)
    size = package.find(f"{COMMON}size")
    size = _size(size.get("package") if size is not None else "", where, "<size package>")
    return PackageEntry(
        name=name,
        epoch=int(epoch),
        version=version.get("ver"),
        release=version.get("rel"),
        arch=arch,
        location=_location(package.find(f"{COMMON}location"), where),
        checksum_type=checksum_type,
        checksum=digest,
        size=size,
    )
