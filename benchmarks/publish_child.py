"""Time `oci_content_for` on the stack's database, in a Django process of its own (bench_publish).

    PULP_SETTINGS=<dev>/settings.py python -m benchmarks.publish_child REPOSITORY_NAME

Three timings over the trees of the repository's latest version, passed as the lazy queryset
`match_oci_side` passes (so loading the trees and their files counts):

- "existing": the OCI side exists already (the sync built it): what every later version pays;
- "first": the OCI side built from nothing. Inside a transaction that is rolled back at the end,
  the units the first call returned are deleted (with their version memberships), then
  `oci_content_for` runs again and must create them all: Blobs, Manifests, index, Tags;
- "repeated": three more calls in the same transaction, the median reported.

Artifact rows and MEDIA_ROOT (files, bytes) are counted before and after the "first" and
"repeated" calls: building the OCI side must copy no bytes. Prints one JSON line.
"""

import json
import os
import statistics
import sys
import time


def media_usage(root: str) -> tuple[int, int]:
    """(files, bytes) under `root`."""
    files = size = 0
    for directory, _dirs, names in os.walk(root):
        for name in names:
            files += 1
            size += os.lstat(os.path.join(directory, name)).st_size
    return files, size


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def main(repository_name: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pulpcore.app.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import transaction
    from pulp_container.app.models import Blob, Manifest, Tag
    from pulpcore.plugin.models import Artifact, RepositoryContent

    from pulp_bootfiles.app.models import BootfilesRepository, BootTree
    from pulp_bootfiles.app.oci.content import oci_content_for

    version = BootfilesRepository.objects.get(name=repository_name).latest_version()

    def trees():
        return BootTree.objects.filter(pk__in=version.content).prefetch_related("files")

    arches = sorted(tree.arch for tree in trees())
    units, existing = timed(oci_content_for, trees())
    kinds = {
        kind.__name__: [u.pk for u in units if isinstance(u, kind)]
        for kind in (Tag, Manifest, Blob)
    }
    with transaction.atomic():
        pks = [unit.pk for unit in units]
        RepositoryContent.objects.filter(content_id__in=pks).delete()
        Tag.objects.filter(pk__in=kinds["Tag"]).delete()
        Manifest.objects.filter(pk__in=kinds["Manifest"]).delete()
        Blob.objects.filter(pk__in=kinds["Blob"]).delete()
        gone = not Manifest.objects.filter(pk__in=kinds["Manifest"]).exists()
        artifacts_before = Artifact.objects.count()
        media_before = media_usage(settings.MEDIA_ROOT)
        rebuilt, first = timed(oci_content_for, trees())
        repeated = [timed(oci_content_for, trees())[1] for _ in range(3)]
        artifacts_after = Artifact.objects.count()
        media_after = media_usage(settings.MEDIA_ROOT)
        created = Manifest.objects.filter(pk__in=[u.pk for u in rebuilt]).count()
        transaction.set_rollback(True)
    print(
        json.dumps(
            {
                "arches": arches,
                "units": {kind: len(pks) for kind, pks in kinds.items()},
                "deleted_before_first": gone,
                "manifests_rebuilt": created,
                "existing_s": existing,
                "first_s": first,
                "repeated_s": statistics.median(repeated),
                "artifacts": [artifacts_before, artifacts_after],
                "media": [list(media_before), list(media_after)],
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
