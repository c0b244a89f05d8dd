"""
Read a yum/dnf repository's metadata: `repomd.xml`, then the newest wanted packages of primary.

Fedora's primary lists about 70,000 packages (some 150 MB of XML once decompressed), so it is
decompressed and searched as a stream, a few MB at a time, parsing only the wanted packages.
"""

import re
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree
from defusedxml import DefusedXmlException
from lxml import etree
from pulp_glue.bootfiles.netboot.paths import path_problem

from pulp_bootfiles.app.formats.evr import compare_evr

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


@dataclass(frozen=True)
class ScanLimit:
    """How many decompressed bytes of primary are read, and why that many (for the error)."""

    size: int
    reason: str


def primary_scan_limit(open_size: int | None, compressed_size: int) -> ScanLimit:
    """The limit for a primary of `compressed_size` bytes whose repomd.xml lists `open_size`."""
    ceiling = f"the ceiling of {MAX_PRIMARY_SIZE} bytes for a primary"
    justified = f"{MAX_PRIMARY_RATIO} times its {compressed_size} compressed bytes"
    if compressed_size * MAX_PRIMARY_RATIO > MAX_PRIMARY_SIZE:
        bound = ScanLimit(compressed_size * MAX_PRIMARY_RATIO, f"{justified}, above {ceiling}")
    else:
        bound = ScanLimit(MAX_PRIMARY_SIZE, f"{ceiling}, above {justified}")
    if open_size is None:
        return ScanLimit(bound.size, f"repomd.xml lists no open-size; the limit is {bound.reason}")
    if open_size <= bound.size:
        return ScanLimit(open_size, "the open-size repomd.xml lists")
    return ScanLimit(
        bound.size,
        f"repomd.xml's open-size {open_size} is more than the compressed file can honestly "
        f"hold; the limit is {bound.reason}",
    )


def newest_packages(fileobj, names, arches, source, limit=None) -> dict[str, PackageEntry]:
    """
    The newest PackageEntry of each of `names` in primary XML, among packages of `arches`.

    `fileobj` is the decompressed primary (see compression.open_decompressed; the CompressionError
    of a corrupt stream passes through). Names without a package of those arches are absent from
    the result. DTDs are refused and entities never expanded.

    Building an element tree for 70,000 packages to keep three costs most of a scan, so the
    stream is searched as bytes for `<name>wanted</name>` (C speed), and only the `<package>`
    around each hit is parsed, with lxml, under the root's namespace declarations. Each parsed
    package is checked again by name, so a hit inside a comment or CDATA is harmless. The rest
    of the document is checked for its framing only (root element, complete `<package>`
    entries, the closing `</metadata>`); its integrity is the repomd checksum's job.

    `limit` (a ScanLimit, see primary_scan_limit) stops reading past that many bytes, with an
    error that says which bound applied.
    """
    names, arches = frozenset(names), frozenset(arches)
    if limit is not None:
        fileobj = _Bounded(fileobj, limit, source)
    newest = {}
    for package, line in _candidate_packages(fileobj, names, source):
        name = package.findtext(_NAME)
        if name in names and package.findtext(_ARCH) in arches:
            entry = _package_entry(package, source, line)
            if name not in newest or compare_evr(entry.evr, newest[name].evr) > 0:
                newest[name] = entry
    return newest


class _Bounded:
    """Reads `fileobj`, refusing to go past `limit.size` bytes."""

    def __init__(self, fileobj, limit, source):
        self._fileobj, self._limit, self._source, self._read = fileobj, limit, source, 0

    def read(self, size):
        data = self._fileobj.read(size)
        self._read += len(data)
        if self._read > self._limit.size:
            raise RepodataError(
                f"{self._source}: decompresses to more than {self._limit.size} bytes "
                f"({self._limit.reason}); refusing the rest"
            )
        return data


_BLOCK_SIZE = 1024 * 1024
MAX_PACKAGE_ENTRY = 16 * 1024 * 1024  # real entries are a few KB; the kernel's about 100 KB
# The decompressed primary is scanned up to repomd.xml's open-size, but that is believed only up
# to the larger of a ceiling above any real primary (Fedora Everything's is about 160 MB) and
# what the compressed bytes can hold: real primaries compress 5 to 12 times (createrepo_c's
# gzip, xz and zstd alike), so 32 times leaves room while a zstd "bomb" of tiny entries, which
# compresses thousands of times, is stopped after a few seconds instead of after minutes.
MAX_PRIMARY_SIZE = 1024**3
MAX_PRIMARY_RATIO = 32
_MAX_PROLOG = 1024 * 1024
_PACKAGE_END = b"</package>"
_FRAGMENT_PARSER = etree.XMLParser(
    resolve_entities=False,
    load_dtd=False,
    no_network=True,
    huge_tree=False,
    collect_ids=False,
    remove_blank_text=True,
    remove_comments=True,
    remove_pis=True,
)


def _candidate_packages(fileobj, names, source):
    """Yield (parsed <package> element, its line in the file) for each `<name>` hit."""
    root_open, body, line = _read_prolog(fileobj, source)
    if root_open.endswith(b"/>"):
        return  # <metadata .../>: no packages
    hit = re.compile(
        rb"<name>(?:" + b"|".join(re.escape(n.encode()) for n in sorted(names)) + rb")</name>"
    )
    root_lines = root_open.count(b"\n")
    body = bytearray(body)
    while True:
        block = fileobj.read(_BLOCK_SIZE)
        body += block
        # Only whole entries are searched: up to the last </package> seen so far.
        last = body.rfind(_PACKAGE_END)
        cut = last + len(_PACKAGE_END) if last >= 0 else 0
        done = 0  # end of the last entry parsed, so one entry is parsed once
        for match in hit.finditer(body, 0, cut):
            if match.start() < done:
                continue
            start = body.rfind(b"<package", 0, match.start())
            end = body.find(_PACKAGE_END, match.end(), cut)
            if start < 0 or end < 0:
                line_at = line + body.count(b"\n", 0, match.start())
                raise RepodataError(
                    f"{source}: malformed XML at line {line_at}: <name> outside a <package>"
                )
            end += len(_PACKAGE_END)
            first_line = line + body.count(b"\n", 0, start)
            fragment = bytes(body[start:end])
            yield from _parse_entries(root_open, fragment, first_line, root_lines, source)
            done = end
        line += body.count(b"\n", 0, cut)
        del body[:cut]
        if not block:
            break
        if len(body) > MAX_PACKAGE_ENTRY:
            raise RepodataError(
                f"{source}: malformed XML at line {line}: a <package> entry is larger than "
                f"{MAX_PACKAGE_ENTRY} bytes"
            )
    _check_tail(root_open, bytes(body), line, source)


def _check_tail(root_open, tail, line, source):
    """
    After the last entry, the rest must close the root: createrepo_c skips elements it does
    not know there (and comments, PIs), so they are parsed, not refused; a missing
    `</metadata>` or junk after it means a truncated or corrupt file.
    """
    try:
        etree.fromstring(root_open + tail, _FRAGMENT_PARSER)
    except etree.XMLSyntaxError as exc:
        raise RepodataError(
            f"{source}: malformed XML at line {line}: the document does not end with "
            f"</metadata> after its last </package> (truncated?): {exc.msg}"
        ) from None


def _parse_entries(root_open, fragment, first_line, root_lines, source):
    """Parse `fragment` (whole <package> entries) inside the root's start tag."""
    try:
        root = etree.fromstring(root_open + fragment + b"</metadata>", _FRAGMENT_PARSER)
    except etree.XMLSyntaxError as exc:
        line = first_line + (exc.lineno or 1) - 1 - root_lines
        raise RepodataError(f"{source}: malformed XML at line {line}: {exc.msg}") from None
    for package in root.iterchildren(_PACKAGE):
        yield package, first_line + package.sourceline - 1 - root_lines


_PROLOG_ITEM = re.compile(rb"\s*(<\?.*?\?>|<!--.*?-->)", re.S)


def _read_prolog(fileobj, source):
    """
    (root start tag, the bytes after it, the line it ends on): the root must be
    `<metadata xmlns="...common">`. A DOCTYPE is refused here, before any entity could exist.
    """
    data, pos = b"", 0
    while True:
        more = fileobj.read(_PROLOG_SIZE) if len(data) < _MAX_PROLOG else b""
        data += more
        while (item := _PROLOG_ITEM.match(data, pos)) is not None:
            pos = item.end()
        rest = data[pos:].lstrip()
        if rest.startswith(b"<!") and not rest.startswith(b"<!--"):
            raise RepodataError(f"{source}: a DOCTYPE is not allowed in primary metadata")
        end = data.find(b">", pos)
        if rest.startswith(b"<") and not rest.startswith((b"<?", b"<!")) and end >= 0:
            break
        if not more:
            raise RepodataError(f"{source}: malformed XML at line 1: no root element found")
    tag_start = data.index(b"<", pos)
    root_open = data[tag_start : end + 1]
    tag = _root_tag(root_open, source)
    if tag != f"{COMMON}metadata":
        raise RepodataError(f"{source}: root element is {tag!r}, not {COMMON}metadata")
    return root_open, data[end + 1 :], 1 + data.count(b"\n", 0, end + 1)


def _root_tag(root_open, source):
    """The root element's name in Clark notation ({namespace}local), from its start tag alone."""
    closed = root_open
    if not root_open.endswith(b"/>"):
        qname = re.match(rb"<([^\s/>]+)", root_open)
        closed = root_open + b"</" + (qname.group(1) if qname else b"x") + b">"
    try:
        return etree.fromstring(closed, _FRAGMENT_PARSER).tag
    except etree.XMLSyntaxError as exc:
        raise RepodataError(f"{source}: malformed XML at line 1: {exc.msg}") from None


def _package_entry(package, source, line):
    name, arch = package.findtext(_NAME), package.findtext(_ARCH)
    where = f"{source}: line {line}: package {name!r}"
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
