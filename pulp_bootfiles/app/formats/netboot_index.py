"""
The machine-readable index of what a distribution serves: `<base_path>/.bootfiles.json`.

Any HTTP-only consumer (a capsule, a cache, an iPXE script, Foreman) can check every byte it
fetches against it. One JSON document, deterministic bytes (sorted keys and lists, no
timestamps of its own):

    {"format": "pulp-bootfiles-index", "version": 1,
     "trees": [{"release": "40", "arch": "x86_64", "family": "Fedora", "short": "Fedora",
                "variant": "Everything", "build_timestamp": 1713000000,
                "kernel_version": "6.8.5-301.fc40.x86_64",
                "files": [{"name": "vmlinuz", "path": "images/pxeboot/vmlinuz",
                           "sha256": "...", "size": 15000000, "source_package": "",
                           "source_package_checksum": "", "signing_key_id": "",
                           "sbat": null}, ...],
                "treeinfo": {"path": ".treeinfo", "sha256": "...", "size": 1424}}]}

Paths are relative to the tree's directory `<release>/<arch>/`. `size` is null for a file
Pulp has not downloaded yet (on_demand). Pure: no Django; `read_index` checks everything it
reads and names the file and the place of each problem.
"""

import json
import re
from dataclasses import asdict, dataclass

from pulp_bootfiles.app.formats.paths import path_problem

INDEX_NAME = ".bootfiles.json"
FORMAT, VERSION = "pulp-bootfiles-index", 1
MAX_INDEX_SIZE = 16 * 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_COMPONENT = re.compile(r"[A-Za-z0-9._-]+")


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


def render_index(trees) -> bytes:
    """The index of `trees` (IndexTree), as deterministic JSON bytes."""
    documents = []
    for tree in sorted(trees, key=lambda t: (t.release, t.arch)):
        document = asdict(tree)
        document["files"] = sorted(document["files"], key=lambda f: f["path"])
        if document["treeinfo"] is not None:
            document["treeinfo"] = {
                key: document["treeinfo"][key] for key in ("path", "sha256", "size")
            }
        documents.append(document)
    body = {"format": FORMAT, "version": VERSION, "trees": documents}
    return (json.dumps(body, sort_keys=True, indent=1) + "\n").encode()


def read_index(data: bytes, source=INDEX_NAME) -> tuple[IndexTree, ...]:
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
    return read


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
    sbat = body.get("sbat")
    if sbat is not None and not isinstance(sbat, list):
        raise where.error("'sbat' must be a list or null")
    return IndexFile(
        name=_text(body, "name", where, _COMPONENT) if name_required else ".treeinfo",
        path=path,
        sha256=_text(body, "sha256", where, _SHA256),
        size=_count(body, "size", where),
        source_package=_text(body, "source_package", where, required=False),
        source_package_checksum=_text(body, "source_package_checksum", where, required=False),
        signing_key_id=_text(body, "signing_key_id", where, required=False),
        sbat=sbat,
    )


def _tree(body, where):
    if not isinstance(body, dict):
        raise where.error("must be an object")
    files = tuple(
        _file(entry, where.at(f"files[{i}]")) for i, entry in enumerate(_list(body, "files", where))
    )
    paths = [entry.path for entry in files]
    if len(set(paths)) != len(paths):
        raise where.error("lists a path twice")
    treeinfo = body.get("treeinfo")
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
    )
