"""
Read the March 2024 netboot prototype, the format osbuild/nboci pushes and the only one it reads.

What `nboci push` writes (osbuild/nboci, pkg/nboci/push.go): one image manifest per tag, no
index; tag `<name>-<version>-<arch>` by default (any tag with `--tag`); `artifactType`
`application/vnd.unknown.artifact.v1`; the OCI empty config; one zstd-compressed layer per file,
`application/x-netboot-file+zstd`, annotated with the file's title and the digest and size of
the uncompressed file (`org.pulpproject.netboot.src.digest`, `.src.size`); manifest annotations
`org.pulpproject.netboot.os.name`, `.os.version`, `.os.arch` (Linux arch names) and the
entry points. Pure: the caller downloads the layers and checks both digests.
"""

import re

from pulp_glue.bootfiles.netboot.constants import ANNOTATION, DIGEST, MEDIA_TYPE, SUPPORTED_ARCHES
from pulp_glue.bootfiles.netboot.oci import NetbootFile, sha256_digest
from pulp_glue.bootfiles.netboot.oci_read import (
    ArchArtifact,
    ArtifactFile,
    LayerBlob,
    NetbootRuleError,
    default_path,
    load_json,
    read_layers,
)
from pulp_glue.bootfiles.netboot.paths import path_problem

PROTOTYPE_ARTIFACT_TYPE = "application/vnd.unknown.artifact.v1"
ZSTD_LAYER = "application/x-netboot-file+zstd"
OS_NAME = "org.pulpproject.netboot.os.name"
OS_VERSION = "org.pulpproject.netboot.os.version"
OS_ARCH = "org.pulpproject.netboot.os.arch"
SRC_DIGEST = "org.pulpproject.netboot.src.digest"
SRC_SIZE = "org.pulpproject.netboot.src.size"
# nboci's own checks: names and versions in lower case, and these arches (ppc64 is big-endian).
_NAME = re.compile(r"[a-z0-9._-]+")
_NBOCI_ARCHES = ("x86_64", "aarch64", "ppc64", "ppc64le")
# nboci's default tag; with --tag the manifest's annotations still say what it is.
_DEFAULT_TAG = re.compile(rf"[a-z0-9._-]+-(?:{'|'.join(_NBOCI_ARCHES)})")


def is_prototype_tag(tag):
    """Whether `tag` has the shape of nboci's default tag (`rhel-9.3.0-x86_64`)."""
    return bool(_DEFAULT_TAG.fullmatch(tag))


def is_prototype_manifest(document):
    """Whether a parsed manifest claims to be a prototype artifact (the caller then reads it)."""
    annotations = document.get("annotations")
    return isinstance(annotations, dict) and OS_NAME in annotations


def _require(tag, condition, rule):
    if not condition:
        raise NetbootRuleError(tag, rule)


def read_prototype(data, tag):
    """
    Check the bytes of the prototype manifest `tag` names.

    Returns:
        tuple: (family, release, arch, ArchArtifact); each ArtifactFile has the compressed
            layer as its `blob` and the uncompressed file's sha256 and size as its file.

    Raises:
        NetbootRuleError: It breaks a rule of the prototype, or names an arch Pulp does not
            serve.
    """
    manifest = load_json(data, tag, "the manifest")
    _require(tag, manifest.get("schemaVersion") == 2, "the manifest schemaVersion is not 2")
    _require(
        tag,
        manifest.get("mediaType") == MEDIA_TYPE.MANIFEST_OCI,
        f"the manifest mediaType is {manifest.get('mediaType')!r}, not {MEDIA_TYPE.MANIFEST_OCI!r}",
    )
    _require(
        tag,
        manifest.get("artifactType") == PROTOTYPE_ARTIFACT_TYPE,
        f"the prototype manifest artifactType is {manifest.get('artifactType')!r}, "
        f"not {PROTOTYPE_ARTIFACT_TYPE!r}",
    )
    annotations = _strings(tag, manifest.get("annotations"), "the manifest")
    family, release, arch = (annotations.get(key) for key in (OS_NAME, OS_VERSION, OS_ARCH))
    for key, value in ((OS_NAME, family), (OS_VERSION, release), (OS_ARCH, arch)):
        _require(
            tag,
            isinstance(value, str) and _NAME.fullmatch(value),
            f"the manifest annotation {key} is {value!r}, not a lower-case name",
        )
    _require(
        tag,
        arch in SUPPORTED_ARCHES,
        f"the manifest annotation {OS_ARCH} is {arch!r}; Pulp serves {list(SUPPORTED_ARCHES)}",
    )
    files = read_layers(tag, manifest, lambda layer: _layer(tag, layer, arch))
    artifact = ArchArtifact(digest=sha256_digest(data), files=files, release=release, created=None)
    return family, release, arch, artifact


def _strings(tag, annotations, what):
    _require(
        tag,
        isinstance(annotations, dict) and all(isinstance(v, str) for v in annotations.values()),
        f"{what} annotations must be a map of strings",
    )
    return annotations


def _layer(tag, layer, arch):
    annotations = _strings(tag, layer.get("annotations"), "a layer")
    title = annotations.get(ANNOTATION.TITLE)
    what = f"layer {title!r}"
    _require(
        tag,
        layer.get("mediaType") == ZSTD_LAYER,
        f"{what} mediaType is {layer.get('mediaType')!r}, not {ZSTD_LAYER!r}",
    )
    digest, size = layer.get("digest"), layer.get("size")
    _require(tag, isinstance(digest, str) and DIGEST.fullmatch(digest), f"{what} has a bad digest")
    _require(
        tag,
        isinstance(size, int) and not isinstance(size, bool) and size > 0,
        f"{what} has a bad size",
    )
    src_digest, src_size = annotations.get(SRC_DIGEST), annotations.get(SRC_SIZE, "")
    _require(
        tag,
        isinstance(src_digest, str) and DIGEST.fullmatch(src_digest),
        f"{what} annotation {SRC_DIGEST} is {src_digest!r}, not 'sha256:<64 hex>'",
    )
    _require(
        tag,
        src_size.isdigit() and src_size.isascii(),
        f"{what} annotation {SRC_SIZE} is {src_size!r}, not a size in bytes",
    )
    src_path = default_path(title, arch)
    problem = isinstance(src_path, str) and path_problem(src_path)
    _require(tag, not problem, f"{what} source path {src_path!r} {problem}")
    try:
        file = NetbootFile(
            title=title,
            sha256=src_digest.removeprefix("sha256:"),
            size=int(src_size),
            src_path=src_path,
        )
    except ValueError as exc:
        raise NetbootRuleError(tag, str(exc).rstrip(".")) from exc
    return ArtifactFile(file, src_path, blob=LayerBlob(digest, size, "zstd"))
