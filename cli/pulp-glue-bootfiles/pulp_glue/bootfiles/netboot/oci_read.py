"""
Read netboot OCI artifacts from a registry and check them against the netboot spec.

The counterpart of `oci` (which writes them): pure functions over the bytes a
registry returned. Every refusal is a `NetbootRuleError` naming the tag and the broken rule, so
a sync can fail with a message the user can act on.

Besides the spec's own shape this reads the v1 artifact as podman 5 writes it, which is what the
Foreman pipeline (theforeman/nboci-files `push`) publishes: tags `<os>-<release>` and
`<os>-<release>-<goarch>`, and the `org.pulpproject.netboot.version` annotation on the index
entries only (`podman manifest add --artifact --annotation` never puts it on the manifest). The
March 2024 prototype is read by `prototype`.
"""

import fnmatch
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from pulp_glue.bootfiles.netboot.constants import (
    ANNOTATION,
    DEFAULT_BOOTLOADERS,
    DIGEST,
    GOARCH,
    MEDIA_TYPE,
    NETBOOT_ARTIFACT_TYPE,
    NETBOOT_SPEC_VERSION,
)
from pulp_glue.bootfiles.netboot.oci import (
    EMPTY_CONFIG_DESCRIPTOR,
    PLATFORM_OS,
    NetbootFile,
    sha256_digest,
)
from pulp_glue.bootfiles.netboot.paths import path_problem
from pulp_glue.bootfiles.netboot.sbat import SbatError, parse_sbat

# The OCI distribution spec asks registries to accept manifests up to 4 MiB; larger is hostile.
MAX_MANIFEST_SIZE = 4 * 1024 * 1024

_ARCH_OF_GOARCH = {goarch: arch for arch, goarch in GOARCH.items()}
_ARCH_TAG = re.compile(r"(?P<release>[A-Za-z0-9_][A-Za-z0-9._-]*)-(?P<goarch>[a-z0-9]+)")
_CREATED = "%Y-%m-%dT%H:%M:%SZ"
_KEY_ID = re.compile(r"[0-9a-f]{16}")


class NetbootRuleError(ValueError):
    """An upstream artifact breaks a rule of the netboot spec; the message names tag and rule."""

    def __init__(self, tag, rule):
        super().__init__(f"tag {tag}: {rule}")
        self.tag = tag
        self.rule = rule


@dataclass(frozen=True)
class ArtifactFile:
    """
    One layer of a netboot manifest, as a file of a tree.

    Fields:
        file (NetbootFile): Title, sha256, size, source path and source package.
        relative_path (str): Where the file goes in the tree ("images/pxeboot/vmlinuz").
        blob (LayerBlob): The layer as stored in the registry when it is not the file itself
            (a compressed layer); None when the layer digest is the file's sha256.
    """

    file: NetbootFile
    relative_path: str
    blob: "LayerBlob | None" = None


@dataclass(frozen=True)
class LayerBlob:
    """A compressed layer: its registry digest and size, and how it is compressed."""

    digest: str
    size: int
    compression: str


@dataclass(frozen=True)
class ArchArtifact:
    """
    A checked per-arch netboot manifest.

    Fields:
        digest (str): "sha256:<hex>" of the manifest bytes.
        files (tuple of ArtifactFile): Its layers, in manifest order.
        release (str): The release it belongs to.
        created (int): `org.opencontainers.image.created` as epoch seconds, None without one.
        source (str): The tree URL the artifact was built from (provenance annotation), or "".
        tree_url (str): The `org.pulpproject.netboot.tree.url` annotation alone, or "": the
            tree an installer may take its stage2 from (`source` may name a source repository).
        kernel_version (str): The kernel version annotation, or "".
        version_annotated (bool): The manifest itself carries `org.pulpproject.netboot.version`,
            as the spec requires (podman puts it on the index entry only).
    """

    digest: str
    files: tuple
    release: str
    created: int | None
    source: str = ""
    kernel_version: str = ""
    version_annotated: bool = True
    tree_url: str = ""


@dataclass(frozen=True)
class IndexListing:
    """
    One per-arch manifest listed by a release index.

    Fields:
        digest, size: Of the manifest, as the index lists them.
        arch (str): Fedora arch name ("x86_64").
        os_version (str): Platform `os.version`, `<os>-<release>` ("fedora-40").
        release (str): The release ("40"), from the index tag.
        tag_names_os (bool): The index tag is the whole `os.version` ("fedora-40", as the Foreman
            pipeline tags), not the release alone ("40", as the spec tags).
        version_on_entry (bool): The entry carries `org.pulpproject.netboot.version`.
    """

    digest: str
    size: int
    arch: str
    os_version: str
    release: str
    tag_names_os: bool = False
    version_on_entry: bool = False

    @property
    def family(self):
        """The OS part of `os.version` ("fedora" of "fedora-40")."""
        return self.os_version[: -len(self.release) - 1]


def split_tag(tag):
    """
    What a netboot tag may name: ("40", "x86_64") for a per-arch tag ("40-amd64", and
    "fedora-40-amd64" gives ("fedora-40", "x86_64")), (tag, None) for any other tag, which may be
    a release index: `wanted_releases` decides.

    Returns None for a string that is not a tag.
    """
    match = _ARCH_TAG.fullmatch(tag)
    if match and match["goarch"] in _ARCH_OF_GOARCH:
        return match["release"], _ARCH_OF_GOARCH[match["goarch"]]
    if re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]*", tag):
        return tag, None
    return None


def wanted_releases(tags, include=None, exclude=None):
    """
    Which releases and arches of `tags` a sync takes, after fnmatch include/exclude patterns.

    A release tag ("40", or "fedora-40" as the Foreman pipeline tags) selects every arch its
    index lists; per-arch tags ("40-amd64", "fedora-40-amd64") select their arch, and their
    release's index is still read (it names the OS). Tags that are neither ("latest",
    "sha256-....sig", "40-mips") are left alone: a bare tag is a release only when per-arch
    tags of it exist ("rawhide" beside "rawhide-amd64"), or it is a version number ("40").

    Returns:
        dict: {release: None for every arch, or a set of Fedora arches}.
    """
    tags = list(tags)
    # A bare tag is a release when a per-arch tag of it exists or it is a version number, so
    # "latest" or "stable" pointing at some other image is left alone.
    arch_releases = {parts[0] for parts in map(split_tag, tags) if parts and parts[1]}
    wanted = {}
    for tag in tags:
        if not tag_selected(tag, include, exclude):
            continue
        parts = split_tag(tag)
        if parts is None:
            continue
        release, arch = parts
        if arch is None:
            if release in arch_releases or (release[0].isdigit() and "-" not in release):
                wanted[release] = None
        elif wanted.get(release, set()) is not None:
            wanted.setdefault(release, set()).add(arch)
    return wanted


def tag_selected(tag, include=None, exclude=None):
    """Whether the remote's fnmatch `include`/`exclude` tag patterns select `tag`."""
    if include and not any(fnmatch.fnmatchcase(tag, pattern) for pattern in include):
        return False
    return not (exclude and any(fnmatch.fnmatchcase(tag, pattern) for pattern in exclude))


def load_json(data, tag, what):
    """The JSON object in `data`, the bytes of `what` ("the index", "manifest sha256:...")."""
    if len(data) > MAX_MANIFEST_SIZE:
        raise NetbootRuleError(tag, f"{what} is larger than {MAX_MANIFEST_SIZE} bytes")
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NetbootRuleError(tag, f"{what} is not JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise NetbootRuleError(tag, f"{what} is not a JSON object")
    return document


def _require(tag, condition, rule):
    if not condition:
        raise NetbootRuleError(tag, rule)


def _annotations(tag, obj, what):
    annotations = obj.get("annotations", {})
    _require(
        tag,
        isinstance(annotations, dict) and all(isinstance(v, str) for v in annotations.values()),
        f"{what} annotations must be a map of strings",
    )
    return annotations


def _check_netboot_type(tag, obj, what, media_type, artifact_type=True, version=True):
    """The media type, and the artifactType and version annotation: required where the spec
    says MUST (`artifact_type`, `version`), else checked only when present. The spec requires
    both of a manifest, only the annotation of an index, neither of an index entry (podman
    writes no index-level artifactType, and puts its annotations on the entries)."""
    _require(
        tag,
        obj.get("mediaType") == media_type,
        f"{what} mediaType is {obj.get('mediaType')!r}, not {media_type!r}",
    )
    if artifact_type or "artifactType" in obj:
        _require(
            tag,
            obj.get("artifactType") == NETBOOT_ARTIFACT_TYPE,
            f"{what} artifactType is {obj.get('artifactType')!r}, not {NETBOOT_ARTIFACT_TYPE!r}",
        )
    annotations = _annotations(tag, obj, what)
    if version or ANNOTATION.NETBOOT_VERSION in annotations:
        found = annotations.get(ANNOTATION.NETBOOT_VERSION)
        _require(
            tag,
            found == NETBOOT_SPEC_VERSION,
            f"{what} annotation {ANNOTATION.NETBOOT_VERSION} is {found!r}, "
            f"not {NETBOOT_SPEC_VERSION!r}",
        )


def _count(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def read_index(data, tag):
    """
    Check the bytes of the image index tagged `tag`; return its IndexListings.

    The tag is the release ("40", the spec's tags; every `os.version` is `<os>-40`) or, as the
    Foreman pipeline tags, the whole `os.version` ("fedora-40", release "40"; an OS name holds
    no "-", as in theforeman/nboci-files).

    Raises:
        NetbootRuleError: It breaks a rule of the spec.
    """
    index = load_json(data, tag, "the index")
    _require(tag, index.get("schemaVersion") == 2, "the index schemaVersion is not 2")
    _check_netboot_type(tag, index, "the index", MEDIA_TYPE.INDEX_OCI, artifact_type=False)
    entries = index.get("manifests")
    _require(tag, isinstance(entries, list) and entries, "the index lists no manifests")
    platforms = [entry.get("platform") for entry in entries if isinstance(entry, dict)]
    tag_names_os = (
        "-" in tag
        and len(platforms) == len(entries)
        and all(isinstance(p, dict) and p.get("os.version") == tag for p in platforms)
    )
    release = tag.split("-", 1)[1] if tag_names_os else tag
    listings = [_index_listing(tag, entry, release, tag_names_os) for entry in entries]
    arches = [listing.arch for listing in listings]
    repeated = sorted({arch for arch in arches if arches.count(arch) > 1})
    _require(tag, not repeated, f"the index lists more than one manifest for {repeated}")
    return listings


def _index_listing(tag, entry, release, tag_names_os):
    _require(tag, isinstance(entry, dict), "an index entry is not a JSON object")
    digest = entry.get("digest")
    what = f"index entry {digest}"
    _require(tag, isinstance(digest, str) and DIGEST.fullmatch(digest), f"{what}: bad digest")
    _require(tag, _count(entry.get("size")) and entry["size"] > 0, f"{what}: bad size")
    _check_netboot_type(
        tag, entry, what, MEDIA_TYPE.MANIFEST_OCI, artifact_type=False, version=False
    )
    platform = entry.get("platform")
    _require(tag, isinstance(platform, dict), f"{what} has no platform")
    goarch = platform.get("architecture")
    _require(
        tag,
        goarch in _ARCH_OF_GOARCH,
        f"{what} platform architecture {goarch!r} is not one of {sorted(_ARCH_OF_GOARCH)}",
    )
    _require(tag, platform.get("os") == PLATFORM_OS, f"{what} platform os is not {PLATFORM_OS!r}")
    os_version = platform.get("os.version")
    _require(
        tag,
        isinstance(os_version, str)
        and os_version.endswith(f"-{release}")
        and len(os_version) > len(release) + 1,
        f"{what} platform os.version {os_version!r} is not '<os>-{release}'",
    )
    return IndexListing(
        digest,
        entry["size"],
        _ARCH_OF_GOARCH[goarch],
        os_version,
        release,
        tag_names_os,
        version_on_entry=ANNOTATION.NETBOOT_VERSION in _annotations(tag, entry, what),
    )


def read_manifest(data, tag, release, arch, version_on_entry=False):
    """
    Check the bytes of the per-arch manifest `tag` names; return its ArchArtifact.

    With `version_on_entry` (the index entry listing it carries the netboot version annotation,
    as podman writes it) the manifest may go without that annotation.

    Raises:
        NetbootRuleError: It breaks a rule of the spec.
    """
    manifest = load_json(data, tag, "the manifest")
    _require(tag, manifest.get("schemaVersion") == 2, "the manifest schemaVersion is not 2")
    _check_netboot_type(
        tag, manifest, "the manifest", MEDIA_TYPE.MANIFEST_OCI, version=not version_on_entry
    )
    files = read_layers(tag, manifest, lambda layer: _layer_file(tag, layer, arch))
    annotations = _annotations(tag, manifest, "the manifest")
    version = annotations.get(ANNOTATION.VERSION, release)
    _require(
        tag,
        version == release,
        f"the manifest annotation {ANNOTATION.VERSION} is {version!r}, not the release {release!r}",
    )
    return ArchArtifact(
        digest=sha256_digest(data),
        files=files,
        release=release,
        created=_created(tag, annotations.get(ANNOTATION.CREATED)),
        # Another producer's provenance annotation, kept as the tree's source_url (Pulp's
        # own manifests carry none, so that their digests do not depend on a URL).
        source=annotations.get(ANNOTATION.TREE_URL) or annotations.get(ANNOTATION.SOURCE, ""),
        kernel_version=annotations.get(ANNOTATION.KERNEL_VERSION, ""),
        version_annotated=ANNOTATION.NETBOOT_VERSION in annotations,
        tree_url=annotations.get(ANNOTATION.TREE_URL, ""),
    )


def read_layers(tag, manifest, read_layer):
    """
    The manifest's files, each layer read by `read_layer` (to an ArtifactFile), after the rules
    every netboot format shares: the OCI empty config, at least one layer, unique titles.
    """
    config = manifest.get("config")
    _require(
        tag,
        isinstance(config, dict)
        and all(
            config.get(key) == EMPTY_CONFIG_DESCRIPTOR[key]
            for key in ("mediaType", "digest", "size")
        ),
        "the manifest config is not the OCI empty descriptor",
    )
    layers = manifest.get("layers")
    _require(tag, isinstance(layers, list) and layers, "the manifest has no layers")
    for layer in layers:
        _require(tag, isinstance(layer, dict), "a layer is not a JSON object")
    files = tuple(read_layer(layer) for layer in layers)
    titles = [item.file.title for item in files]
    repeated = sorted({title for title in titles if titles.count(title) > 1})
    _require(tag, not repeated, f"layer titles must be unique; repeated: {repeated}")
    return files


def _layer_file(tag, layer, arch):
    annotations = _annotations(tag, layer, "a layer")
    title = annotations.get(ANNOTATION.TITLE)
    what = f"layer {title!r}"
    _require(
        tag,
        layer.get("mediaType") == MEDIA_TYPE.NETBOOT_FILE,
        f"{what} mediaType is {layer.get('mediaType')!r}, not {MEDIA_TYPE.NETBOOT_FILE!r}",
    )
    digest = layer.get("digest")
    _require(tag, isinstance(digest, str) and DIGEST.fullmatch(digest), f"{what} has a bad digest")
    src_path = annotations.get(ANNOTATION.SRC_PATH) or default_path(title, arch)
    problem = isinstance(src_path, str) and path_problem(src_path)
    _require(tag, not problem, f"{what} source path {src_path!r} {problem}")
    try:
        file = NetbootFile(
            title=title,
            sha256=digest.removeprefix("sha256:"),
            size=layer.get("size"),
            src_path=src_path,
            src_rpm=annotations.get(ANNOTATION.SRC_RPM, ""),
            src_rpm_key=_key_id(tag, what, annotations.get(ANNOTATION.SRC_RPM_KEY, "")),
            sbat=_sbat(tag, what, annotations.get(ANNOTATION.SBAT, "")),
        )
    except ValueError as exc:
        raise NetbootRuleError(tag, str(exc).rstrip(".")) from exc
    return ArtifactFile(file=file, relative_path=src_path)


def _key_id(tag, what, value):
    _require(
        tag,
        value == "" or _KEY_ID.fullmatch(value),
        f"{what} annotation {ANNOTATION.SRC_RPM_KEY} {value!r} is not a 16-hex-digit key id",
    )
    return value


def _sbat(tag, what, value):
    """The SBAT annotation (CSV lines), checked to parse as SBAT."""
    if value:
        try:
            parse_sbat(value.encode(), what)
        except (SbatError, UnicodeEncodeError) as exc:
            raise NetbootRuleError(tag, f"annotation {ANNOTATION.SBAT}: {exc}") from None
    return value


def _created(tag, value):
    if value is None:
        return None
    try:
        return int(datetime.strptime(value, _CREATED).replace(tzinfo=timezone.utc).timestamp())
    except (TypeError, ValueError) as exc:
        raise NetbootRuleError(
            tag, f"annotation {ANNOTATION.CREATED} {value!r} is not 'YYYY-MM-DDTHH:MM:SSZ'"
        ) from exc


# Where a file of a Fedora tree lives, by its flat name, for artifacts that do not say.
_KERNEL_DIR = {"ppc64le": "ppc/ppc64", "s390x": "images"}


def default_path(title, arch):
    """
    The path in a Fedora tree of the file titled `title`, for manifests without a source path.

    Kernels and initrds go where Foreman looks for them, bootloaders where their package keeps
    them, other files under `images/`.
    """
    if not isinstance(title, str) or not title:
        return title
    for paths in DEFAULT_BOOTLOADERS.get(arch, {}).values():
        for path in paths:
            if path.rsplit("/", 1)[-1] == title:
                return path.lstrip("/")
    if title in ("vmlinuz", "initrd.img"):
        return f"{_KERNEL_DIR.get(arch, 'images/pxeboot')}/{title}"
    return f"images/{title}"
