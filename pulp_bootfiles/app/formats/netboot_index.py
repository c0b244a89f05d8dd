"""
The machine-readable index of what a distribution serves: `<base_path>/.bootfiles.json`.

Any HTTP-only consumer (a capsule, a cache, an iPXE script, Foreman) can check every byte it
fetches against it. One JSON document, deterministic bytes (sorted keys and lists, no
timestamps of its own):

    {"format": "pulp-bootfiles-index", "version": 1,
     "trees": [{"release": "40", "arch": "x86_64", "family": "Fedora", "short": "Fedora",
                "variant": "Everything", "build_timestamp": 1713000000,
                "kernel_version": "6.8.5-301.fc40.x86_64", "digest": "...",
                "source_url": "https://.../40/Everything/x86_64/os/",
                "boot_iso_bootloaders": null,
                "files": [{"name": "vmlinuz", "path": "images/pxeboot/vmlinuz",
                           "sha256": "...", "size": 15000000, "source_package": "",
                           "source_package_checksum": "", "signing_key_id": "",
                           "sbat": null}, ...],
                "treeinfo": {"path": ".treeinfo", "sha256": "...", "size": 1424}}]}

Trees that came as v1 artifacts also list `manifest_digest` and `manifest` (the manifest's
JSON text, byte for byte), and the document an `oci` object with what their copies serve too:

    "oci": {"indexes": {"40": "<the release index's JSON text>"},
            "signatures": [{"manifest": "sha256:...", "name": "sha256:...@...", "digest":
                            "sha256:...", "type": "atomic", "key_id": "...", "timestamp": 1,
                            "creator": "...", "data": "<base64>"}],
            "attachments": [{"tag": "sha256-<hex>.sig", "manifest": "<JSON text>",
                             "blobs": {"sha256:...": "<base64>"}}]}

`signatures` are pulp_container's (simple signing, served by its signature API extension),
`attachments` sigstore / cosign signatures (the attachment tag, its manifest and small blobs).

Paths are relative to the tree's directory `<release>/<arch>/`. `size` is null for a file
Pulp has not downloaded yet (on_demand). `digest` is the BootTree's identity, `source_url` its
provenance: with them a capsule syncing from the index makes the same tree units and the same
OCI manifests. Readers are tolerant of what later writers add within version 1: unknown keys
are ignored, and `digest`, `source_url` and `boot_iso_bootloaders` (added after the first
writers) read as "", "" and null when absent. `sbat` is null or a list of SBAT entries, each an
object of the six `pulp_glue.bootfiles.netboot.sbat.FIELDS`.

Pure: no Django; `read_index` checks everything it reads and names the file and the place of
each problem.
"""

import base64
import binascii
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field

from pulp_glue.bootfiles.netboot.oci import SIGNATURE_TAG
from pulp_glue.bootfiles.netboot.paths import path_problem
from pulp_glue.bootfiles.netboot.sbat import FIELDS as SBAT_FIELDS

INDEX_NAME = ".bootfiles.json"
FORMAT, VERSION = "pulp-bootfiles-index", 1
MAX_INDEX_SIZE = 16 * 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
# A release, arch or flat file name: one path component, not ".", ".." or a dot file.
_COMPONENT = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")


class NetbootIndexError(ValueError):
    """An index that cannot be used; the message names the file and where it is wrong."""


@dataclass(frozen=True)
class IndexFile:
    name: str
    path: str
    sha256: str
    size: int | None
    source_package: str = ""
    source_package_checksum: str = ""
    signing_key_id: str = ""
    sbat: list | None = None


@dataclass(frozen=True)
class IndexTree:
    release: str
    arch: str
    family: str
    short: str
    variant: str
    build_timestamp: int | None
    kernel_version: str
    files: tuple  # of IndexFile, sorted by path
    treeinfo: IndexFile | None  # the tree's .treeinfo (name ".treeinfo")
    digest: str = ""  # the BootTree's digest ("" from writers before it was listed)
    source_url: str = ""  # the tree root it was synced from (provenance)
    boot_iso_bootloaders: dict | None = None  # BootTree.boot_iso_bootloaders
    manifest_digest: str = ""  # BootTree.manifest_digest
    manifest: str | None = None  # the JSON text of that manifest, when it has one


@dataclass(frozen=True)
class IndexSignature:
    """A simple-signing signature of a listed manifest (pulp_container's ManifestSignature)."""

    manifest: str  # the signed manifest's digest
    name: str
    digest: str
    type: str
    key_id: str
    timestamp: int
    creator: str
    data: str  # base64 of the signature


@dataclass(frozen=True)
class IndexAttachment:
    """A sigstore signature: its tag (`sha256-<hex>.sig`), manifest text and blobs' bytes."""

    tag: str
    manifest: str
    blobs: dict  # {digest: base64 of the bytes}


@dataclass(frozen=True)
class IndexOCI:
    """What copies of kept trees serve besides them: release indexes and signatures."""

    indexes: dict = field(default_factory=dict)  # {release: JSON text}
    signatures: tuple = ()  # IndexSignature
    attachments: tuple = ()  # IndexAttachment

    def __bool__(self):
        return bool(self.indexes or self.signatures or self.attachments)


@dataclass(frozen=True)
class IndexDocument:
    trees: tuple  # IndexTree
    oci: IndexOCI


# Attachments' blobs are small JSON payloads; a bigger one is no signature.
MAX_ATTACHMENT_BLOB = 4 * 1024 * 1024
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def render_index(trees, oci=None) -> bytes:
    """The index of `trees` (IndexTree) and `oci` (IndexOCI), as deterministic JSON bytes."""
    documents = []
    for tree in sorted(trees, key=lambda t: (t.release, t.arch)):
        document = asdict(tree)
        document["files"] = sorted(document["files"], key=lambda f: f["path"])
        if document["treeinfo"] is not None:
            document["treeinfo"] = {
                key: document["treeinfo"][key] for key in ("path", "sha256", "size")
            }
        if not document["manifest_digest"]:
            # Trees served rebuilt list neither, so their index reads as before.
            del document["manifest_digest"], document["manifest"]
        documents.append(document)
    body = {"format": FORMAT, "version": VERSION, "trees": documents}
    if oci:
        body["oci"] = {
            "indexes": oci.indexes,
            "signatures": sorted(
                (asdict(signature) for signature in oci.signatures),
                key=lambda s: (s["manifest"], s["digest"]),
            ),
            "attachments": sorted(
                (asdict(attachment) for attachment in oci.attachments), key=lambda a: a["tag"]
            ),
        }
    return (json.dumps(body, sort_keys=True, indent=1) + "\n").encode()


def read_index(data: bytes, source=INDEX_NAME) -> tuple[IndexTree, ...]:
    """The checked trees of an index; raises NetbootIndexError naming `source` and the problem."""
    return read_document(data, source).trees


def read_document(data: bytes, source=INDEX_NAME) -> IndexDocument:
    """Parse and check an index; raises NetbootIndexError naming `source` and the problem."""
    if len(data) > MAX_INDEX_SIZE:
        raise NetbootIndexError(f"{source}: larger than {MAX_INDEX_SIZE} bytes")
    try:
        body = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NetbootIndexError(f"{source}: not JSON ({exc})") from None
    where = _Where(source)
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise where.error(f"not a {FORMAT} document")
    if body.get("version") != VERSION:
        raise where.error(f"version {body.get('version')!r} is not {VERSION}")
    trees = _list(body, "trees", where)
    read = tuple(_tree(tree, where.at(f"trees[{i}]")) for i, tree in enumerate(trees))
    pairs = [(tree.release, tree.arch) for tree in read]
    if len(set(pairs)) != len(pairs):
        raise where.error("lists a (release, arch) twice")
    oci = body.get("oci")
    return IndexDocument(read, IndexOCI() if oci is None else _oci(oci, where.at("oci")))


def _oci(body, where):
    if not isinstance(body, dict):
        raise where.error("must be an object")
    indexes = body.get("indexes", {})
    if not isinstance(indexes, dict) or not all(
        isinstance(release, str) and _COMPONENT.fullmatch(release) and isinstance(text, str)
        for release, text in indexes.items()
    ):
        raise where.error("'indexes' must map releases to JSON texts")
    signatures = tuple(
        _signature(entry, where.at(f"signatures[{i}]"))
        for i, entry in enumerate(_optional_list(body, "signatures", where))
    )
    attachments = tuple(
        _attachment(entry, where.at(f"attachments[{i}]"))
        for i, entry in enumerate(_optional_list(body, "attachments", where))
    )
    return IndexOCI(indexes, signatures, attachments)


def _signature(body, where):
    if not isinstance(body, dict):
        raise where.error("must be an object")
    timestamp = _count(body, "timestamp", where)
    data = _text(body, "data", where)
    _base64(data, "data", where)
    return IndexSignature(
        manifest=_text(body, "manifest", where, _DIGEST),
        name=_text(body, "name", where),
        digest=_text(body, "digest", where, _DIGEST),
        type=_text(body, "type", where),
        key_id=_text(body, "key_id", where, required=False),
        timestamp=0 if timestamp is None else timestamp,
        creator=_text(body, "creator", where, required=False),
        data=data,
    )


def _attachment(body, where):
    if not isinstance(body, dict):
        raise where.error("must be an object")
    blobs = body.get("blobs")
    if not isinstance(blobs, dict):
        raise where.error("'blobs' must be an object")
    for digest, encoded in blobs.items():
        if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
            raise where.error(f"blob {digest!r} is not a sha256 digest")
        if not isinstance(encoded, str):
            raise where.error(f"blob {digest} must be base64 text")
        data = _base64(encoded, f"blob {digest}", where)
        if len(data) > MAX_ATTACHMENT_BLOB:
            raise where.error(f"blob {digest} is larger than {MAX_ATTACHMENT_BLOB} bytes")
        if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
            raise where.error(f"blob {digest}: its bytes have another sha256")
    return IndexAttachment(
        tag=_text(body, "tag", where, SIGNATURE_TAG),
        manifest=_text(body, "manifest", where),
        blobs=blobs,
    )


def _base64(text, what, where):
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise where.error(f"{what} is not base64") from None


class _Where:
    def __init__(self, source, place=""):
        self.source, self.place = source, place

    def at(self, place):
        return _Where(self.source, f"{self.place}.{place}" if self.place else place)

    def error(self, problem):
        return NetbootIndexError(
            f"{self.source}: {self.place + ': ' if self.place else ''}{problem}"
        )


def _list(body, key, where):
    value = body.get(key) if isinstance(body, dict) else None
    if not isinstance(value, list):
        raise where.error(f"'{key}' must be a list")
    return value


def _optional_list(body, key, where):
    return _list(body, key, where) if key in body else []


def _text(body, key, where, pattern=None, required=True):
    value = body.get(key, "" if not required else None)
    if not isinstance(value, str) or (required and not value):
        kind = "a non-empty string" if required else "a string"
        raise where.error(f"'{key}' must be {kind}")
    if pattern is not None and not pattern.fullmatch(value):
        raise where.error(f"'{key}' {value!r} is not valid")
    return value


def _count(body, key, where):
    value = body.get(key)
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
        raise where.error(f"'{key}' must be a non-negative integer or null")
    return value


def _file(body, where, name_required=True):
    if not isinstance(body, dict):
        raise where.error("must be an object")
    path = _text(body, "path", where)
    problem = path_problem(path)
    if problem:
        raise where.error(f"path {path!r} {problem}")
    return IndexFile(
        name=_text(body, "name", where, _COMPONENT) if name_required else ".treeinfo",
        path=path,
        sha256=_text(body, "sha256", where, _SHA256),
        size=_count(body, "size", where),
        source_package=_text(body, "source_package", where, required=False),
        source_package_checksum=_text(body, "source_package_checksum", where, required=False),
        signing_key_id=_text(body, "signing_key_id", where, required=False),
        sbat=_sbat(body.get("sbat"), where),
    )


def _sbat(sbat, where):
    """Null, or SBAT entries as BootFile.sbat keeps them (they go into OCI annotations)."""
    if sbat is None:
        return None
    if not isinstance(sbat, list):
        raise where.error("'sbat' must be a list or null")
    for i, entry in enumerate(sbat):
        if not isinstance(entry, dict) or set(entry) != set(SBAT_FIELDS):
            raise where.error(f"sbat[{i}] must be an object of {', '.join(SBAT_FIELDS)}")
        generation = entry["component_generation"]
        texts = [entry[key] for key in SBAT_FIELDS if key != "component_generation"]
        if not isinstance(generation, int) or isinstance(generation, bool) or generation < 0:
            raise where.error(f"sbat[{i}]: 'component_generation' must be a non-negative integer")
        if not all(
            isinstance(text, str) and "," not in text and "\n" not in text for text in texts
        ):
            raise where.error(f"sbat[{i}]: fields must be strings without ',' or newlines")
    return sbat


def _tree(body, where):
    if not isinstance(body, dict):
        raise where.error("must be an object")
    files = tuple(
        _file(entry, where.at(f"files[{i}]")) for i, entry in enumerate(_list(body, "files", where))
    )
    paths = [entry.path for entry in files]
    if len(set(paths)) != len(paths):
        raise where.error("lists a path twice")
    names = [entry.name for entry in files]  # OCI layer titles
    if len(set(names)) != len(names):
        raise where.error("lists a file name twice")
    treeinfo = body.get("treeinfo")
    digest = _text(body, "digest", where, required=False)
    if digest and not _SHA256.fullmatch(digest):
        raise where.error(f"'digest' {digest!r} is not valid")
    boot_iso_bootloaders = body.get("boot_iso_bootloaders")
    if boot_iso_bootloaders is not None and not isinstance(boot_iso_bootloaders, dict):
        raise where.error("'boot_iso_bootloaders' must be an object or null")
    manifest_digest = _text(body, "manifest_digest", where, required=False)
    manifest = body.get("manifest")
    if manifest_digest and not _DIGEST.fullmatch(manifest_digest):
        raise where.error(f"'manifest_digest' {manifest_digest!r} is not valid")
    if manifest is not None and not isinstance(manifest, str):
        raise where.error("'manifest' must be a JSON text or null")
    if manifest is not None and manifest_digest != (
        "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    ):
        raise where.error(f"'manifest' is not the manifest {manifest_digest or '(none named)'}")
    return IndexTree(
        release=_text(body, "release", where, _COMPONENT),
        arch=_text(body, "arch", where, _COMPONENT),
        family=_text(body, "family", where),
        short=_text(body, "short", where, required=False),
        variant=_text(body, "variant", where, required=False),
        build_timestamp=_count(body, "build_timestamp", where),
        kernel_version=_text(body, "kernel_version", where, required=False),
        files=files,
        treeinfo=None if treeinfo is None else _file(treeinfo, where.at("treeinfo"), False),
        digest=digest,
        source_url=_text(body, "source_url", where, required=False),
        boot_iso_bootloaders=boot_iso_bootloaders,
        manifest_digest=manifest_digest,
        manifest=manifest,
    )
