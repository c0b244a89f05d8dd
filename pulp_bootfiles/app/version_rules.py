"""Rules every bootfiles repository version keeps, applied when a new version is finalized."""

from pulpcore.plugin.models import Content, Task

# The task pulp_container's registry dispatches for a pushed tag (by name: its task modules are
# not an API; test_push_into_pulp.py fails if the name changes).
REGISTRY_PUSH_TASK = "pulp_container.app.tasks.download_image_data.aadd_and_remove"


class RegistryPushRefused(Exception):
    """A push through pulp_container's registry into a bootfiles repository."""


def refuse_registry_pushes(new_version):
    """
    Fail a version made by a push through the registry.

    pulp_container's registry accepts pushes into the repository of any container
    distribution, and a bootfiles distribution is one; its manifest PUT adds the pushed tag and
    manifest in a task of its own. A bootfiles version's OCI side is derived from its trees
    (`match_oci_side`), so the pushed tag would be dropped while the client is told it
    succeeded. Failing the task makes the push fail instead (pulp_container answers the
    client with an error). Pushing into Pulp is not built yet: sync from a registry.
    """
    task = Task.current()
    if task is not None and task.name == REGISTRY_PUSH_TASK:
        raise RegistryPushRefused(
            f"Repository {new_version.repository.name} is a bootfiles repository: its tags and "
            "manifests are made from its trees, so it takes no pushes through the registry. "
            "Push to a registry and sync from it with a bootfiles OCI remote instead."
        )


def drop_files_outside_their_tree(new_version):
    """
    Remove every BootFile that no BootTree of the version lists.

    After `remove_duplicates` a version holds one tree per (release, arch); a re-sync whose tree
    no longer has a file (say `efiboot.img` went away) must not keep the old one around, with or
    without mirror mode, so a tree's directory always shows exactly that tree.
    """
    # Imported here: models.py calls this module from Repository.finalize_new_version.
    from pulp_bootfiles.app.models import BootFile, BootTree

    trees = BootTree.objects.filter(pk__in=new_version.content)
    listed = BootFile.objects.filter(trees__in=trees)
    strays = BootFile.objects.filter(pk__in=new_version.content).exclude(pk__in=listed)
    if strays.exists():
        new_version.remove_content(strays)


def match_oci_side(new_version):
    """
    Make the version's OCI content exactly what its trees give.

    Tags, manifests and blobs are a function of the trees (same files, same digests), so a
    re-sync that changes nothing changes nothing here either, and a changed kernel moves the
    tag to a new manifest. Manifests of earlier trees leave this version (older versions,
    which a distribution may still serve, keep theirs).
    """
    # Imported here: models.py calls this module from Repository.finalize_new_version.
    from pulp_container.app.models import Blob, Manifest, Tag

    from pulp_bootfiles.app.models import BootTree
    from pulp_bootfiles.app.oci_content import oci_content_for

    trees = BootTree.objects.filter(pk__in=new_version.content).prefetch_related("files")
    wanted = {unit.pk for unit in oci_content_for(trees)}
    present = set(
        new_version.content.filter(
            pulp_type__in=[Blob.get_pulp_type(), Manifest.get_pulp_type(), Tag.get_pulp_type()]
        ).values_list("pk", flat=True)
    )
    if present - wanted:
        new_version.remove_content(new_version.content.filter(pk__in=present - wanted))
    if wanted - present:
        new_version.add_content(Content.objects.filter(pk__in=wanted - present))


def drop_stale_signatures(new_version):
    """
    Remove the ManifestSignatures of manifests that left the version.

    A re-sync that changes a tree moves its tag to a new manifest; the old manifest's signature
    vouches for nothing the version serves. The new manifest is unsigned until signed again.
    """
    from pulp_container.app.models import Manifest, ManifestSignature

    manifests = Manifest.objects.filter(pk__in=new_version.content)
    stale = ManifestSignature.objects.filter(pk__in=new_version.content).exclude(
        signed_manifest__in=manifests
    )
    if stale.exists():
        new_version.remove_content(stale)
