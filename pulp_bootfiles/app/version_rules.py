"""Rules every bootfiles repository version keeps, applied when a new version is finalized."""


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
