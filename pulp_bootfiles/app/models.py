"""Content, remote and repository models of pulp_bootfiles."""

from django.db import models
from pulp_container.app.models import Blob, ContainerDistribution, Manifest, Tag
from pulpcore.plugin.models import AutoAddObjPermsMixin, Content, Remote, Repository
from pulpcore.plugin.repo_version_utils import remove_duplicates, validate_repo_version
from pulpcore.plugin.util import get_domain_pk

from pulp_bootfiles.app.version_rules import drop_files_outside_their_tree, match_oci_side


class BootFile(Content):
    """
    One file of a netboot set: a tree image, or a bootloader extracted from an RPM.

    Its content path in a repository version is `<release>/<arch>/<relative_path>`.

    Fields:
        name (str): Flat file name, used as OCI layer title ("vmlinuz", "shimx64.efi").
        relative_path (str): Path in the tree ("images/pxeboot/vmlinuz"), or inside the
            package for extracted files ("boot/efi/EFI/fedora/shimx64.efi").
        release (str): Release version of the tree the file belongs to ("40").
        arch (str): Architecture of that tree ("x86_64").
        sha256 (str): Hex SHA-256 of the file.
        source_package (str): NEVRA of the RPM the file was extracted from; "" for images.
        source_package_checksum (str): "<type>:<hex>" checksum of that RPM as listed in the
            repodata, so an unchanged package is recognised without downloading it again.
    """

    TYPE = "file"
    repo_key_fields = ("release", "arch", "relative_path")

    _pulp_domain = models.ForeignKey("core.Domain", default=get_domain_pk, on_delete=models.PROTECT)

    name = models.TextField()
    relative_path = models.TextField()
    release = models.TextField()
    arch = models.TextField()
    sha256 = models.CharField(max_length=64)
    source_package = models.TextField(default="", blank=True)
    source_package_checksum = models.TextField(default="", blank=True)

    @property
    def content_path(self):
        """The path of this file in a repository version and under a distribution."""
        return f"{self.release}/{self.arch}/{self.relative_path}"

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        unique_together = (
            "release",
            "arch",
            "relative_path",
            "sha256",
            "source_package_checksum",
            "_pulp_domain",
        )


class BootTree(Content):
    """
    The netboot set of one (release, arch) tree: its `.treeinfo` and its BootFiles.

    A repository version holds at most one BootTree per (release, arch), and exactly the
    BootFiles of that tree under `<release>/<arch>/`.

    Fields:
        family (str): Product name from `.treeinfo` ("Fedora").
        short (str): Short product name ("Fedora").
        release (str): Release version ("40").
        variant (str): Tree variant ("Everything"), "" when the tree names none.
        arch (str): Tree architecture ("x86_64").
        build_timestamp (int): `.treeinfo` build timestamp (seconds since the epoch), if any.
        digest (str): SHA-256 over the tree's identity (treeinfo digest and its files), which
            makes a tree with the same files the same content unit.
        repodata_checksum (str): "<type>:<hex>" of the primary metadata its bootloaders were
            chosen from ("" when it has none); a re-sync that finds the same primary reuses
            them without fetching it. Not part of the identity.
        files (BootFile): The files of this tree.
    """

    TYPE = "tree"
    repo_key_fields = ("release", "arch")

    _pulp_domain = models.ForeignKey("core.Domain", default=get_domain_pk, on_delete=models.PROTECT)

    family = models.TextField()
    short = models.TextField(default="", blank=True)
    release = models.TextField()
    variant = models.TextField(default="", blank=True)
    arch = models.TextField()
    build_timestamp = models.BigIntegerField(null=True)
    digest = models.CharField(max_length=64)
    repodata_checksum = models.TextField(default="", blank=True)
    files = models.ManyToManyField(BootFile, related_name="trees")

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        unique_together = ("digest", "_pulp_domain")


class BootfilesRemote(Remote, AutoAddObjPermsMixin):
    """
    A Fedora-style tree to sync from: `url` is the tree root that holds `.treeinfo`.

    Fields:
        bootloaders (dict): Which files to extract from which packages, per tree arch:
            `{"x86_64": {"shim-x64": ["/boot/efi/EFI/fedora/shimx64.efi"]}}`. Null means the
            defaults in `constants.DEFAULT_BOOTLOADERS`.
    """

    TYPE = "bootfiles"

    bootloaders = models.JSONField(null=True)

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        permissions = [
            ("manage_roles_bootfilesremote", "Can manage roles on bootfiles remotes"),
        ]


class BootfilesRepository(Repository, AutoAddObjPermsMixin):
    """
    A repository of the netboot trees of one OS family, one BootTree per (release, arch).

    Each version also holds its OCI side, derived from its trees when the version is made:
    pulp_container Blobs (reusing the BootFiles' Artifacts), per-arch Manifests, per-release
    indexes and their Tags, which pulp_container's registry serves as they are.

    Fields:
        pending_blobs, pending_manifests: Always empty. pulp_container's registry looks up
            content being pushed there when a digest is not in the served version; having
            them lets it answer "unknown" (404) for our repositories as for its own.
    """

    TYPE = "bootfiles"
    CONTENT_TYPES = [BootFile, BootTree, Blob, Manifest, Tag]
    REMOTE_TYPES = [BootfilesRemote]

    pending_blobs = models.ManyToManyField(Blob)
    pending_manifests = models.ManyToManyField(Manifest)

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        permissions = [
            ("sync_bootfilesrepository", "Can start a sync task"),
            ("modify_bootfilesrepository", "Can modify content of the repository"),
            ("manage_roles_bootfilesrepository", "Can manage roles on bootfiles repositories"),
            ("repair_bootfilesrepository", "Can repair repository versions"),
        ]

    def finalize_new_version(self, new_version):
        """One tree per (release, arch) with exactly its files, its OCI side, no clashes."""
        remove_duplicates(new_version)
        drop_files_outside_their_tree(new_version)
        match_oci_side(new_version)
        validate_repo_version(new_version)


class BootfilesDistribution(ContainerDistribution):
    """
    Serves a bootfiles repository (version) under one base path, two ways.

    It is a ContainerDistribution, so pulp_container's registry resolves its base path and
    serves the OCI side of the version (`<registry>/<base_path>:40-amd64`), while pulpcore's
    content app serves the same version's files as plain HTTP
    (`/pulp/content/<base_path>/40/x86_64/images/pxeboot/vmlinuz`). One name, one object, so
    Pulp's unique, non-overlapping base path rule holds by itself.
    """

    TYPE = "bootfiles"
    SERVE_FROM_PUBLICATION = False

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        permissions = [
            ("manage_roles_bootfilesdistribution", "Can manage roles on bootfiles distributions"),
        ]
