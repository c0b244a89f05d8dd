"""
What pulpcore's PulpExporter writes and PulpImporter reads for bootfiles repository versions.

A version's trees, their files and its OCI side (Blobs, Manifests, index entries, signatures,
Tags) travel as they are, so an imported version serves the same bytes under the same manifest
digests, and `sign`ed manifests keep their signatures. Finalizing the imported version derives
the OCI side from the trees again (`version_rules.match_oci_side`): it finds the imported units
by digest and changes nothing, which is what the export/import tests check.
"""

from import_export import fields, widgets
from pulp_container.app.modelresource import (
    BlobResource,
    ManifestResource,
    ManifestSignatureResource,
    TagResource,
)
from pulp_container.app.models import Manifest, ManifestListManifest
from pulpcore.plugin.importexport import BaseContentResource, QueryModelResource
from pulpcore.plugin.modelresources import RepositoryResource
from pulpcore.plugin.util import get_domain_pk

from pulp_bootfiles.app.constants import TREE_ORIGIN
from pulp_bootfiles.app.models import BootFile, BootfilesRepository, BootTree


class BootfilesContentResource(BaseContentResource):
    """The units of one content type in the exported version, found again by natural key."""

    def set_up_queryset(self):
        return self.Meta.model.objects.filter(pk__in=self.repo_version.content).order_by(
            "content_ptr_id"
        )

    def dehydrate__pulp_domain(self, content):
        return str(content._pulp_domain_id)


class BootFileResource(BootfilesContentResource):
    class Meta:
        model = BootFile
        import_id_fields = model.natural_key_fields()


class ExportedFilesWidget(widgets.ManyToManyWidget):
    """
    A tree's files as the exporting Pulp's ids; on import, the BootFiles of the current domain
    that carry them as `upstream_id` (BootFileResource, imported first, sets it).
    """

    def __init__(self):
        super().__init__(BootFile, separator=",", field="pk")

    def clean(self, value, row=None, **kwargs):
        ids = sorted({part.strip() for part in (value or "").split(",") if part.strip()})
        files = BootFile.objects.filter(upstream_id__in=ids, _pulp_domain_id=get_domain_pk())
        found = {str(upstream_id) for upstream_id in files.values_list("upstream_id", flat=True)}
        if found != set(ids):
            raise ValueError(
                f"tree {row.get('release')}/{row.get('arch')} (digest {row.get('digest')}) lists "
                f"files the export does not hold: {', '.join(sorted(set(ids) - found))}"
            )
        return files


class BootTreeResource(BootfilesContentResource):
    files = fields.Field(column_name="files", attribute="files", widget=ExportedFilesWidget())

    def before_save_instance(self, instance, row, **kwargs):
        # `origin` says how a tree came into this Pulp, so it does not travel: a tree new
        # here came by import, one this Pulp had keeps its own.
        if instance._state.adding:
            instance.origin = TREE_ORIGIN.IMPORT
        super().before_save_instance(instance, row, **kwargs)

    class Meta:
        model = BootTree
        import_id_fields = model.natural_key_fields()
        exclude = BootfilesContentResource.Meta.exclude + ("origin",)


class DomainManifestWidget(widgets.ForeignKeyWidget):
    """A Manifest named by its digest, looked up in the current domain only."""

    def __init__(self):
        super().__init__(Manifest, field="digest")

    def get_queryset(self, value, row, *args, **kwargs):
        return Manifest.objects.filter(pulp_domain_id=get_domain_pk())


class IndexEntryResource(QueryModelResource):
    """
    The entries of the version's image indexes (pulp_container's ManifestListManifest), found
    again by (index, listed manifest) digests in the importing domain. pulp_container's own
    resource also exports the row id, and imports by it: on another server that id names an
    unrelated row or collides with one.
    """

    image_manifest = fields.Field(
        column_name="image_manifest", attribute="image_manifest", widget=DomainManifestWidget()
    )
    manifest_list = fields.Field(
        column_name="manifest_list", attribute="manifest_list", widget=DomainManifestWidget()
    )

    def set_up_queryset(self):
        return ManifestListManifest.objects.filter(
            image_manifest__pk__in=self.repo_version.content,
            manifest_list__pk__in=self.repo_version.content,
        ).order_by("id")

    class Meta:
        model = ManifestListManifest
        exclude = ("id",)
        import_id_fields = ("image_manifest", "manifest_list")


class SignatureResource(ManifestSignatureResource):
    """pulp_container's signatures, their manifest looked up in the importing domain only."""

    signed_manifest = fields.Field(
        column_name="signed_manifest", attribute="signed_manifest", widget=DomainManifestWidget()
    )


class BootfilesRepositoryResource(RepositoryResource):
    def set_up_queryset(self):
        return BootfilesRepository.objects.filter(pk=self.repo_version.repository_id)

    class Meta:
        model = BootfilesRepository
        # A signing service is this server's own; pending_* are always empty.
        exclude = RepositoryResource.Meta.exclude + (
            "manifest_signing_service",
            "pending_blobs",
            "pending_manifests",
        )


IMPORT_ORDER = [
    BootFileResource,
    BootTreeResource,
    BlobResource,
    ManifestResource,
    IndexEntryResource,
    SignatureResource,
    TagResource,
    BootfilesRepositoryResource,
]
