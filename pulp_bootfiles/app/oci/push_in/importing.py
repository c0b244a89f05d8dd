"""
Turn a tag pushed through the registry into the BootFiles and BootTrees of a new version.

pulp_container's registry adds a pushed tag, its manifest(s) and blobs to the repository in a
task of its own; our `finalize_new_version` (`version_rules`) calls `import_registry_push`
there, before the rules every version keeps. The push was checked against `rules` when the tag
was PUT (`views`), so a failure here is a race (the repository changed in between) and fails
the task, which pulp_container reports to the client; the repository keeps its previous
version.
"""

from pulp_container.app.models import Blob, Manifest, Tag
from pulp_glue.bootfiles.netboot.oci_read import NetbootRuleError
from pulpcore.plugin.models import Artifact, ContentArtifact, Task
from pulpcore.plugin.util import get_domain

from pulp_bootfiles.app.constants import TREE_ORIGIN
from pulp_bootfiles.app.models import BootFile, BootTree
from pulp_bootfiles.app.oci.push_in.rules import pushed_trees

# The task pulp_container's registry dispatches to add a pushed tag (by name: its task modules
# are not an API; test_push_into_pulp.py fails if the name changes).
REGISTRY_PUSH_TASK = "pulp_container.app.tasks.download_image_data.aadd_and_remove"


class RegistryPushError(Exception):
    """A pushed tag that cannot become trees (the message names tag and rule)."""


def is_registry_push():
    task = Task.current()
    return task is not None and task.name == REGISTRY_PUSH_TASK


def import_registry_push(repository, new_version):
    """
    Add the trees of the tags a registry push adds in `new_version`; clear them from pending.

    Returns:
        list of BootTree: The trees added (empty for a signature or a version not from a push).
    """
    if not is_registry_push():
        return []
    added = new_version.added()
    content = new_version.content
    domain = get_domain()

    def listed_manifest(digest):
        manifest = Manifest.objects.filter(pk__in=content, digest=digest).only("data").first()
        return manifest.data.encode() if manifest else None

    def family_of(release):
        return family_in(content, release)

    trees, files = [], []
    for tag in Tag.objects.filter(pk__in=added).select_related("tagged_manifest").order_by("name"):
        try:
            specs = pushed_trees(
                tag.name, tag.tagged_manifest.data.encode(), listed_manifest, family_of
            )
        except NetbootRuleError as exc:
            raise RegistryPushError(
                f"Pushed {exc}. Repository {repository.name} keeps its version "
                f"{new_version.number - 1}."
            ) from exc
        for spec in specs:
            tree_files = [_saved_file(bootfile, spec.tag, domain) for bootfile in spec.bootfiles()]
            trees.append(
                _saved_tree(spec.boottree(tree_files, TREE_ORIGIN.PUSH), tree_files, domain)
            )
            files.extend(tree_files)
    if trees:
        new_version.add_content(BootFile.objects.filter(pk__in=[f.pk for f in files]))
        new_version.add_content(BootTree.objects.filter(pk__in=[t.pk for t in trees]))
    repository.pending_blobs.remove(*Blob.objects.filter(pk__in=added))
    repository.pending_manifests.remove(*Manifest.objects.filter(pk__in=added))
    return trees


def family_in(content, release):
    """The OS family of the trees in `content` (of `release` if any): what a manifest pushed
    without an index belongs to; None when there is no tree."""
    trees = BootTree.objects.filter(pk__in=content).order_by("-release")
    tree = trees.filter(release=release).first() or trees.first()
    return tree.family if tree else None


def _saved_file(bootfile, tag, domain):
    """The stored BootFile like `bootfile`, its bytes the pushed layer's Artifact."""
    artifact = Artifact.objects.filter(sha256=bootfile.sha256, pulp_domain=domain).first()
    if artifact is None:
        raise RegistryPushError(
            f"Pushed tag {tag}: layer {bootfile.name} (sha256:{bootfile.sha256}) was not pushed."
        )
    key = {field: getattr(bootfile, field) for field in BootFile.natural_key_fields()}
    key["_pulp_domain"] = domain
    # Every other field too: a unit made here is shared with any sync that finds the same key
    # (and builds its manifests from these fields), so it must be whole.
    described = {
        field.name: getattr(bootfile, field.name)
        for field in BootFile._meta.local_concrete_fields
        if not field.primary_key and field.name not in key
    }
    saved, created = BootFile.objects.get_or_create(**key, defaults=described)
    if created:
        ContentArtifact.objects.create(
            content=saved, artifact=artifact, relative_path=saved.content_path
        )
    else:
        # A file synced on_demand now has its bytes.
        ContentArtifact.objects.filter(content=saved, artifact__isnull=True).update(
            artifact=artifact
        )
    return saved


def _saved_tree(tree, files, domain):
    saved = BootTree.objects.filter(digest=tree.digest, _pulp_domain=domain).first()
    if saved is None:
        tree._pulp_domain = domain
        tree.save()
        tree.files.set(files)
        saved = tree
    return saved
