"""
What one repository version serves as plain files: its trees, every file's content path,
sha256, size and stored Artifact, and the directories they make.

A repository version never changes once it is complete, so its index is built once (three
queries) and kept in a small per-process cache keyed by the version's pk. Whatever a
distribution points at next, the content handler asks for the index of the version served at
that moment: a cached index can be unused, never stale. Only the Artifact of an on_demand file
appears later; such files are looked up again until they have one.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial

from pulpcore.plugin.models import ContentArtifact, RepositoryVersion

from pulp_bootfiles.app.constants import TREEINFO_NAME
from pulp_bootfiles.app.formats.netboot_index import IndexFile, IndexOCI, IndexTree, render_index
from pulp_bootfiles.app.models import BootFile, BootTree
from pulp_bootfiles.app.serving.oci_listing import kept_manifests, oci_listing
from pulp_bootfiles.app.serving.recent import Recent

CACHED_VERSIONS = 64  # indexes kept per process; a few KB each
CONFIGS_REMEMBERED = 64  # generated configs kept per index (distributions x trees x loaders)


@dataclass(frozen=True)
class ServedFile:
    """One file of the version: `content_path` is `<release>/<arch>/<path in the tree>`."""

    content_path: str
    sha256: str
    size: int | None  # None: on_demand and not downloaded yet
    artifact_name: str | None  # the Artifact's storage name; None when not downloaded yet
    content_artifact_pk: object


@dataclass(frozen=True)
class ServedTree:
    """A tree of the version, with {flat name: path in the tree} of its files."""

    family: str
    release: str
    variant: str
    arch: str
    files: dict

    @property
    def title(self) -> str:
        return " ".join(filter(None, [self.family, self.release, self.variant, self.arch]))


@dataclass
class ServedIndex:
    """The plain files of one repository version, and the directories they make."""

    version_pk: object
    trees: dict  # (release, arch) -> ServedTree
    files: dict  # content path -> ServedFile
    listing: tuple = ()  # IndexTree of every tree, for the published index document
    # () -> IndexOCI, what copies of kept trees serve too; asked only for the document.
    oci: Callable = IndexOCI
    directories: dict = field(default_factory=dict)  # "a/b/" -> {child name or "sub/"}
    # Generated configs' (text, sha256), keyed by everything they are made of besides this
    # version (see handler._config): a rack asks for the same few a hundred times at once.
    configs: Recent = field(default_factory=lambda: Recent(CONFIGS_REMEMBERED))

    @cached_property
    def document(self) -> bytes:
        """`.bootfiles.json`: every tree and file with its sha256, size and provenance."""
        return render_index(self.listing, self.oci())

    def __post_init__(self):
        self.directories = {"": set()}
        for path in self.files:
            parent = ""
            for part in path.split("/")[:-1]:
                self.directories.setdefault(parent, set()).add(part + "/")
                parent += part + "/"
                self.directories.setdefault(parent, set())
            self.directories[parent].add(path.rpartition("/")[2])

    def tree(self, release: str, arch: str) -> ServedTree | None:
        return self.trees.get((release, arch))


def build_index(version) -> ServedIndex:
    """Read the index of `version` from the database (the BootTrees and BootFiles only: the
    OCI side of the version is the registry's, not part of the plain tree)."""
    trees = {}
    tree_objects = list(BootTree.objects.filter(pk__in=version.content).prefetch_related("files"))
    for tree in tree_objects:
        files = {boot_file.name: boot_file.relative_path for boot_file in tree.files.all()}
        trees[tree.release, tree.arch] = ServedTree(
            tree.family, tree.release, tree.variant, tree.arch, files
        )
    sha256_of = dict(BootFile.objects.filter(pk__in=version.content).values_list("pk", "sha256"))
    served = {}
    content_artifacts = ContentArtifact.objects.filter(
        content__in=version.content,
        content__pulp_type__in=[BootFile.get_pulp_type(), BootTree.get_pulp_type()],
    ).values_list(
        "pk", "content_id", "relative_path", "artifact__file", "artifact__size", "artifact__sha256"
    )
    for pk, content_pk, path, name, size, artifact_sha256 in content_artifacts:
        served[path] = ServedFile(
            path, sha256_of.get(content_pk) or artifact_sha256 or "", size, name or None, pk
        )
    manifests = kept_manifests(version, tree_objects)
    listing = tuple(_listed(tree, served, manifests) for tree in tree_objects)
    return ServedIndex(
        version.pk, trees, served, listing, partial(oci_listing, version, tree_objects, manifests)
    )


def _listed(tree, served, manifests) -> IndexTree:
    """A tree as the index document lists it, sizes from the stored Artifacts."""
    prefix = f"{tree.release}/{tree.arch}/"

    def size(path):
        entry = served.get(prefix + path)
        return None if entry is None else entry.size

    files = tuple(
        IndexFile(
            f.name,
            f.relative_path,
            f.sha256,
            size(f.relative_path),
            f.source_package,
            f.source_package_checksum,
            f.signing_key_id,
            f.sbat,
        )
        for f in tree.files.all()
    )
    treeinfo = served.get(prefix + TREEINFO_NAME)
    return IndexTree(
        tree.release,
        tree.arch,
        tree.family,
        tree.short,
        tree.variant,
        tree.build_timestamp,
        tree.kernel_version,
        files,
        None
        if treeinfo is None
        else IndexFile(TREEINFO_NAME, TREEINFO_NAME, treeinfo.sha256, treeinfo.size),
        tree.digest,
        tree.source_url,
        tree.boot_iso_bootloaders,
        # A tree whose manifest the version lacks is served rebuilt: listed as such.
        tree.manifest_digest if tree.manifest_digest in manifests else "",
        manifests.get(tree.manifest_digest),
    )


_indexes = Recent(CACHED_VERSIONS)  # version pk -> ServedIndex, the versions served last


def index_for(version_pk) -> ServedIndex:
    """The (cached) index of a complete repository version."""
    return _indexes.get_or_build(
        version_pk, lambda: build_index(RepositoryVersion.objects.get(pk=version_pk))
    )
