"""
Parse a tree's `.treeinfo`: release, arch, package repository and boot images.

Reads productmd 1.0-1.2 files and the older pre-productmd layout that only has a
`[general]` section (RHEL 5/6-era trees). Unknown sections and keys are ignored; what is
read is checked, because image paths become URLs on the remote and paths in Pulp.
"""

import configparser
import re
from dataclasses import dataclass

from pulp_glue.bootfiles.netboot.constants import SUPPORTED_ARCHES
from pulp_glue.bootfiles.netboot.paths import path_problem

MAX_TREEINFO_SIZE = 1024 * 1024  # real ones are about 2 KB

_SAFE_COMPONENT = re.compile(r"[A-Za-z0-9._-]+")
_SHA256 = re.compile(r"sha256:([0-9a-f]{64})")
_TIMESTAMP = re.compile(r"\d+(\.\d*)?")
# Short names for legacy trees, which have no [release] short (as productmd chooses them).
_SHORT_NAMES = (("Red Hat Enterprise Linux", "RHEL"), ("Fedora", "Fedora"), ("CentOS", "CentOS"))
# The variant of EL 8+ trees whose repository holds the bootloader packages.
_BOOT_VARIANT = "BaseOS"


class TreeinfoError(ValueError):
    """A `.treeinfo` that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class TreeImage:
    """One image of the tree: flat `name` (basename of `path`), `sha256`, and its `role` key."""

    name: str
    path: str
    sha256: str
    role: str


@dataclass(frozen=True)
class Treeinfo:
    """The parts of a `.treeinfo` that pulp_bootfiles uses."""

    family: str
    short: str
    release: str
    variant: str
    arch: str
    build_timestamp: int | None
    repository: str
    images: tuple[TreeImage, ...]
    raw_version: str


def is_safe_release(release: str) -> bool:
    """
    A release can be a path component in Pulp (`<release>/<arch>/`) and in a remote's URL.

    A leading dot is refused too: `.bootfiles.json` and such names at the distribution root
    are the plugin's own (formats.netboot_index).
    """
    return not release.startswith(".") and bool(_SAFE_COMPONENT.fullmatch(release))


def parse_treeinfo(data: bytes, source=".treeinfo") -> Treeinfo:
    """Parse the bytes of a `.treeinfo`; raises TreeinfoError naming `source` and the problem."""
    ini = _Ini(data, source)
    raw_version = ini.header_version()
    release = ini.require("release version", ("release", "version"), ("general", "version"))
    if not is_safe_release(release):
        raise ini.error(f"release version {release!r} is not a safe path component")
    arch = ini.require("tree arch", ("tree", "arch"), ("general", "arch"))
    if arch not in SUPPORTED_ARCHES:
        raise ini.error(f"unsupported arch {arch!r} (supported: {', '.join(SUPPORTED_ARCHES)})")
    family = ini.require("release name", ("release", "name"), ("general", "family"))
    short = ini.get(("release", "short"))
    short = short or next((s for prefix, s in _SHORT_NAMES if family.startswith(prefix)), family)
    variant = ini.variant()
    return Treeinfo(
        family=family,
        short=short,
        release=release,
        variant=variant,
        arch=arch,
        build_timestamp=ini.timestamp(),
        repository=ini.repository(variant),
        images=ini.images(arch),
        raw_version=raw_version,
    )


def _repo_dir(value):
    """`value` without a trailing slash or "/repodata"; "." for the tree root; "" if unset."""
    path = value.rstrip("/")
    # Older trees point at the repodata directory itself ("Server/repodata").
    if path == "repodata" or path.endswith("/repodata"):
        path = path[: -len("repodata")].rstrip("/") or "."
    return "." if value and path in ("", ".") else path


class _Ini:
    """The parsed file with lookups that fall back from productmd sections to [general]."""

    def __init__(self, data, source):
        self.source = source
        if len(data) > MAX_TREEINFO_SIZE:
            raise self.error(f"{len(data)} bytes is too large (limit {MAX_TREEINFO_SIZE})")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise self.error(f"not UTF-8 text (invalid byte at offset {exc.start})") from None
        # default_section="" never matches a "[...]" header, so a [DEFAULT] section in the file
        # stays an ordinary section instead of adding its keys to every other section.
        # Only "=" separates keys: checksum values ("sha256:...") and URLs contain ":".
        self.parser = configparser.ConfigParser(
            interpolation=None, strict=True, default_section="", delimiters=("=",)
        )
        self.parser.optionxform = str  # keys are paths and image roles: keep their case
        try:
            self.parser.read_string(text, source=source)
        except (configparser.DuplicateSectionError, configparser.DuplicateOptionError) as exc:
            what = f"key {exc.option!r} in section" if hasattr(exc, "option") else "section"
            raise self.error(f"line {exc.lineno}: duplicate {what} [{exc.section}]") from None
        except configparser.ParsingError as exc:  # and its MissingSectionHeaderError
            lineno = getattr(exc, "lineno", None) or exc.errors[0][0]
            raise self.error(f"line {lineno}: neither a [section] nor a 'key = value'") from None

    def error(self, message):
        return TreeinfoError(f"{self.source}: {message}")

    def get(self, *places):
        """The first non-empty value among (section, key) places, or ""."""
        values = (self.parser.get(section, key, fallback="") for section, key in places)
        return next((value for value in values if value), "")

    def require(self, what, *places):
        value = self.get(*places)
        if not value:
            keys = " or ".join(f"[{section}] {key}" for section, key in places)
            raise self.error(f"no {what}: {keys} must be set")
        return value

    def header_version(self):
        """The productmd format version, or "legacy" for files from before productmd."""
        if not self.parser.has_section("header"):
            return "legacy"
        version = self.get(("header", "version"))
        if not re.fullmatch(r"1\.\d+", version):
            raise self.error(f"[header] version {version!r} is not a productmd 1.x version")
        kind = self.get(("header", "type")) or "productmd.treeinfo"  # 1.0 has no type
        if kind != "productmd.treeinfo":
            raise self.error(f"[header] type is {kind!r}, expected 'productmd.treeinfo'")
        return version

    def timestamp(self):
        for section, key in (("tree", "build_timestamp"), ("general", "timestamp")):
            value = self.get((section, key))
            if value and not _TIMESTAMP.fullmatch(value):
                raise self.error(f"[{section}] {key} {value!r} is not a Unix timestamp")
            if value:
                return int(value.split(".")[0])  # legacy trees write fractional seconds
        return None

    def variant(self):
        """The variant this tree belongs to ("" when the file names none)."""
        listed = self.get(("tree", "variants"), ("general", "variants"))
        uids = [uid.strip() for uid in listed.split(",") if uid.strip()]
        # A tree listing several variants (RHEL 8+, CentOS Stream, Alma, Rocky: AppStream,
        # BaseOS) sits in the directory of one of them: the variant whose repository is the
        # tree itself. Other variants' repositories ("../../../AppStream/x86_64/os") are not
        # read. A DVD tree holds them all in subdirectories ("BaseOS", "AppStream") and its
        # [general] variant names AppStream, but shim and GRUB are in BaseOS.
        own = [uid for uid in uids if _repo_dir(self.get((f"variant-{uid}", "repository"))) == "."]
        if len(uids) == 1 or len(own) == 1:
            return uids[0] if len(uids) == 1 else own[0]
        if _BOOT_VARIANT in uids:
            return _BOOT_VARIANT
        return self.get(("general", "variant")) or (uids[0] if uids else "")

    def repository(self, variant):
        """Directory of the variant's package repository, relative to the tree root."""
        places = (
            (f"variant-{variant}", "repository"),
            ("general", "repository"),
            ("general", "packagedir"),
        )
        for section, key in places:
            value = self.get((section, key))
            # RHEL 5 keeps packages and repodata in one directory per variant ("packagedir =
            # Server"); "Packages" is a bare package directory, with the repodata at the root.
            if not value or (key == "packagedir" and value.rstrip("/") == "Packages"):
                continue
            path = _repo_dir(value)
            problem = path_problem(path) if path != "." else None
            if problem:
                raise self.error(f"[{section}] {key} {value!r} {problem}")
            return path
        return "."

    def images(self, arch):
        """[images-<arch>] entries, then [stage2] mainimage; other platforms (xen) are ignored."""
        section = f"images-{arch}"
        items = self.parser.items(section) if self.parser.has_section(section) else []
        entries = [(role, path, f"[{section}] {role}") for role, path in items]
        entries.append(("mainimage", self.get(("stage2", "mainimage")), "[stage2] mainimage"))
        images, paths_by_name = {}, {}
        for role, path, where in entries:
            # Lorax writes placeholders without a path (ppc64le "zimage ="); pungi drops them.
            if not path or path in images:
                continue
            problem = path_problem(path)
            if problem:
                raise self.error(f"{where}: path {path!r} {problem}")
            name = path.rsplit("/", 1)[-1]
            if name in paths_by_name:
                raise self.error(
                    f"{paths_by_name[name]!r} and {path!r} have the same file name "
                    f"{name!r}; image names must be unique"
                )
            paths_by_name[name] = path
            sha256 = self.sha256(path, where)
            images[path] = TreeImage(name=name, path=path, sha256=sha256, role=role)
        return tuple(images.values())

    def sha256(self, path, where):
        value = self.get(("checksums", path))
        if not value:
            # Fedora 17-21 trees list LiveOS/squashfs.img without one, CentOS 7 ISOs every
            # image: such a download could not be verified, so the tree is refused.
            raise self.error(
                f"image {path!r} ({where}) has no sha256 in [checksums], so its download "
                "cannot be verified; older trees (Fedora 17-21, CentOS 7 media) lack them. "
                "Sync a tree that lists a sha256 for every image (Fedora 22 or later, EL 8 or "
                f"later), or serve a copy of the tree whose .treeinfo adds '{path} = "
                "sha256:<digest>' to [checksums]"
            )
        algorithm = value.partition(":")[0]
        if algorithm.lower() != "sha256":
            raise self.error(f"[checksums] {path}: {algorithm!r} checksum; only sha256 is accepted")
        match = _SHA256.fullmatch(value.lower())
        if not match:
            raise self.error(f"[checksums] {path}: {value!r} is not 'sha256:' and 64 hex digits")
        return match.group(1)
