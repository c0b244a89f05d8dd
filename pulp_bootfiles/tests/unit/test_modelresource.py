"""The export/import resources on the real database: trees find their files, index entries
are keyed by digests, and a tree whose files did not travel is refused by name."""

import hashlib
import uuid

import pytest
from pulp_container.app.models import Manifest, ManifestListManifest
from pulp_glue.bootfiles.netboot.constants import MEDIA_TYPE

from pulp_bootfiles.app.modelresource import (
    BootTreeResource,
    ExportedFilesWidget,
    IndexEntryResource,
)
from pulp_bootfiles.app.models import BootFile, BootTree

pytestmark = pytest.mark.django_db


def bootfile(path, upstream_id=None):
    return BootFile.objects.create(
        name=path.rsplit("/", 1)[-1],
        relative_path=path,
        release="40",
        arch="x86_64",
        sha256=hashlib.sha256(path.encode()).hexdigest(),
        upstream_id=upstream_id,
    )


def manifest(data, media_type=MEDIA_TYPE.MANIFEST_OCI):
    return Manifest.objects.create(
        digest="sha256:" + hashlib.sha256(data.encode()).hexdigest(),
        schema_version=2,
        media_type=media_type,
        data=data,
    )


def test_a_tree_comes_back_with_its_files_found_by_their_exported_ids():
    files = [bootfile("images/pxeboot/vmlinuz"), bootfile("images/pxeboot/initrd.img")]
    tree = BootTree.objects.create(
        family="Fedora", release="40", arch="x86_64", digest=hashlib.sha256(b"tree").hexdigest()
    )
    tree.files.set(files)
    dataset = BootTreeResource().export(BootTree.objects.filter(pk=tree.pk))
    # As on the importing server: the files carry the exporting server's ids as upstream_id.
    for unit in files:
        BootFile.objects.filter(pk=unit.pk).update(upstream_id=unit.pk)
    tree.delete()

    result = BootTreeResource().import_data(dataset, raise_errors=True)

    (row,) = result.rows
    imported = BootTree.objects.get(pk=row.object_id)
    assert imported.digest == tree.digest
    assert sorted(imported.files.values_list("pk", flat=True)) == sorted(f.pk for f in files)


def test_a_tree_whose_files_did_not_travel_is_refused_naming_them():
    here, missing = uuid.uuid4(), uuid.uuid4()
    bootfile("images/pxeboot/vmlinuz", upstream_id=here)
    row = {"release": "40", "arch": "x86_64", "digest": "ab" * 32}

    with pytest.raises(ValueError) as refused:
        ExportedFilesWidget().clean(f"{here},{missing}", row=row)

    assert str(refused.value) == (
        f"tree 40/x86_64 (digest {'ab' * 32}) lists files the export does not hold: {missing}"
    )
    assert list(ExportedFilesWidget().clean(str(here), row=row)) == list(
        BootFile.objects.filter(upstream_id=here)
    )


def test_index_entries_are_keyed_by_digests_not_by_the_exporting_row_id():
    index = manifest('{"index": 1}', MEDIA_TYPE.INDEX_OCI)
    listed = manifest('{"manifest": 1}')
    ManifestListManifest.objects.create(
        image_manifest=index, manifest_list=listed, architecture="amd64", os_version="fedora-40"
    )
    dataset = IndexEntryResource().export(ManifestListManifest.objects.filter(image_manifest=index))
    assert "id" not in dataset.headers
    assert dataset.dict[0]["image_manifest"] == index.digest

    # Importing on top of the same entry updates it in place; after deletion it comes back.
    again = IndexEntryResource().import_data(dataset, raise_errors=True)
    assert [row.import_type for row in again.rows] == ["update"]
    ManifestListManifest.objects.filter(image_manifest=index).delete()
    IndexEntryResource().import_data(dataset, raise_errors=True)
    (entry,) = ManifestListManifest.objects.filter(image_manifest=index)
    assert (entry.manifest_list, entry.architecture, entry.os_version) == (
        listed,
        "amd64",
        "fedora-40",
    )
