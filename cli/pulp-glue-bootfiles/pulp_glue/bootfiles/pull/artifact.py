"""The client's reading of netboot OCI artifacts (pulp/netboot-oci-specs, v1): an index's
platforms and a manifest's layers, with the rules a consumer relies on checked.

The server has a stricter reader (pulp_bootfiles/app/formats/netboot_oci_read.py); this one
lives with the CLI so a PXE server needs only the CLI, not Pulp.
"""

import json
import re
from dataclasses import dataclass

from pulp_glue.bootfiles.pull.registry import DIGEST

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
ACCEPT = (MANIFEST, INDEX)
ARTIFACT_TYPE = "application/vnd.org.pulpproject.netboot.artifact.v1"
NETBOOT_FILE = "application/x-netboot-file"
EMPTY_CONFIG = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
VERSION_ANNOTATION, SPEC_VERSION = "org.pulpproject.netboot.version", "1"
TITLE = "org.opencontainers.image.title"
TREE_URL = "org.pulpproject.netboot.tree.url"
# Go/OCI architecture names and the distribution's (Fedora) names used in paths.
ARCH_OF_GOARCH = {"amd64": "x86_64", "arm64": "aarch64", "ppc64le": "ppc64le", "s390x": "s390x"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ArtifactError(ValueError):
    """An artifact breaks a rule the pull relies on; the message names it and the rule."""


@dataclass(frozen=True)
class Platform:
    """A per-arch manifest an index lists."""

    digest: str
    arch: str  # Fedora name: x86_64
    os_name: str  # "fedora" of os.version "fedora-40"
    release: str  # "40"


@dataclass(frozen=True)
class Layer:
    title: str
    digest: str
    size: int


@dataclass(frozen=True)
class Manifest:
    digest: str
    layers: tuple
    annotations: dict

    def titles(self) -> dict:
        return {layer.title: layer for layer in self.layers}


def _json(data: bytes, where: str) -> dict:
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{where}: not JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise ArtifactError(f"{where}: not a JSON object")
    return document


def _require(condition, where: str, rule: str) -> None:
    if not condition:
        raise ArtifactError(f"{where}: {rule}")


def _annotations(obj, where):
    annotations = obj.get("annotations") or {}
    _require(isinstance(annotations, dict), where, "annotations are not a map")
    return annotations


def read_index(data: bytes, where: str) -> list[Platform]:
    """The platforms of a netboot image index."""
    index = _json(data, where)
    _require(index.get("mediaType") == INDEX, where, f"mediaType is not {INDEX}")
    found = _annotations(index, where).get(VERSION_ANNOTATION)
    _require(found == SPEC_VERSION, where, f"{VERSION_ANNOTATION} is {found!r}, not '1'")
    entries = index.get("manifests")
    _require(isinstance(entries, list) and entries, where, "it lists no manifests")
    platforms = []
    for entry in entries:
        _require(isinstance(entry, dict), where, "an entry is not a JSON object")
        digest, platform = entry.get("digest"), entry.get("platform") or {}
        what = f"entry {digest}"
        _require(isinstance(digest, str) and DIGEST.fullmatch(digest), where, f"{what}: bad digest")
        goarch, os_version = platform.get("architecture"), platform.get("os.version", "")
        _require(goarch in ARCH_OF_GOARCH, where, f"{what}: architecture {goarch!r} is unknown")
        os_name, _, release = os_version.rpartition("-") if isinstance(os_version, str) else "  "
        _require(os_name and release, where, f"{what}: os.version {os_version!r} is not <os>-<rel>")
        platforms.append(Platform(digest, ARCH_OF_GOARCH[goarch], os_name, release))
    arches = [platform.arch for platform in platforms]
    _require(len(set(arches)) == len(arches), where, f"it lists an arch twice: {arches}")
    return platforms


def title_problem(title) -> str | None:
    """Why a layer title cannot be a file name in a directory, or None."""
    if not isinstance(title, str) or not title:
        return "is empty"
    if title in (".", "..") or title.startswith("."):
        return "is not a plain file name"
    if "/" in title or "\\" in title or _CONTROL.search(title):
        return "contains a path separator or a control character"
    return None


def read_manifest(data: bytes, digest: str, where: str) -> Manifest:
    """The layers of a netboot manifest; its titles are safe file names, each used once."""
    manifest = _json(data, where)
    _require(manifest.get("mediaType") == MANIFEST, where, f"mediaType is not {MANIFEST}")
    _require(
        manifest.get("artifactType") == ARTIFACT_TYPE, where, f"artifactType is not {ARTIFACT_TYPE}"
    )
    annotations = _annotations(manifest, where)
    found = annotations.get(VERSION_ANNOTATION)
    _require(found == SPEC_VERSION, where, f"{VERSION_ANNOTATION} is {found!r}, not '1'")
    config = manifest.get("config") or {}
    _require(config.get("digest") == EMPTY_CONFIG, where, "the config is not the empty descriptor")
    layers = manifest.get("layers")
    _require(isinstance(layers, list) and layers, where, "it has no layers")
    read = []
    for layer in layers:
        _require(isinstance(layer, dict), where, "a layer is not a JSON object")
        title = _annotations(layer, where).get(TITLE)
        what = f"layer {title!r}"
        problem = title_problem(title)
        _require(problem is None, where, f"{what} title {problem}")
        _require(layer.get("mediaType") == NETBOOT_FILE, where, f"{what} is not {NETBOOT_FILE}")
        layer_digest, size = layer.get("digest"), layer.get("size")
        _require(
            isinstance(layer_digest, str) and DIGEST.fullmatch(layer_digest),
            where,
            f"{what} has a bad digest",
        )
        _require(
            isinstance(size, int) and not isinstance(size, bool) and size >= 0,
            where,
            f"{what} has a bad size",
        )
        read.append(Layer(title, layer_digest, size))
    titles = [layer.title for layer in read]
    _require(len(set(titles)) == len(titles), where, f"a title is used twice: {titles}")
    return Manifest(digest, tuple(read), annotations)
