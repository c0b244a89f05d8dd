"""Content, remote and repository models of pulp_bootfiles."""

from django.contrib.postgres import fields
from django.db import models
from pulp_container.app.downloaders import RegistryAuthDownloaderFactory
from pulp_container.app.models import (
    Blob,
    ContainerDistribution,
    Manifest,
    ManifestSignature,
    ManifestSigningService,
    Tag,
)
from pulpcore.plugin.models import AutoAddObjPermsMixin, Content, Remote, Repository
from pulpcore.plugin.util import get_domain_pk

from pulp_bootfiles.app.model_hooks import registered
from pulp_bootfiles.app.sync.downloader import (
    OffloadedRegistryDownloader,
    offloaded_download_factory,
)


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
        signing_key_id (str): Key id (16 hex digits, as rpm prints it) of the OpenPGP key whose
            signature on that RPM was verified at sync; "" when nothing was verified.
        sbat (list): The SBAT entries of a UEFI PE file's `.sbat` section, each a dict of
            component_name, component_generation, vendor_name, vendor_package_name,
            vendor_version, vendor_url; null for files that are not PE or have no section.
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
    signing_key_id = models.CharField(max_length=16, default="", blank=True)
    sbat = models.JSONField(null=True)

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
            "signing_key_id",
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
        source_url (str): URL of the tree root it was first synced from (provenance; not part
            of the identity, so the same tree from a mirror is the same unit).
        kernel_version (str): Version its x86 kernel image declares ("6.8.5-301.fc40.x86_64"),
            "" when unknown (another image format, or not downloaded at sync).
        boot_iso_bootloaders (dict): What the tree's boot.iso carries where the tree's packages
            give a signed shim or GRUB: `{member: {"sha256": hex or None, "matches": name or
            None}}`, `matches` naming the BootFile with the same bytes; null when not checked
            (no boot.iso, no such bootloaders, or not downloaded at sync).
        manifest_digest (str): "sha256:<hex>" of the netboot manifest this tree came as
            (pushed, or synced from a registry or another Pulp), which versions holding the
            tree serve byte for byte, on this server and on every copy; "" for trees whose
            manifest Pulp builds from their files (synced from RPMs, or the prototype format).
        origin (str): How the tree came into this Pulp, one of `constants.TREE_ORIGIN`
            (tree, registry, push, distribution, import); set by its first arrival, not part
            of the identity.
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
    source_url = models.TextField(default="", blank=True)
    kernel_version = models.TextField(default="", blank=True)
    boot_iso_bootloaders = models.JSONField(null=True, default=None)
    manifest_digest = models.TextField(default="", blank=True)
    origin = models.TextField(default="", blank=True)
    files = models.ManyToManyField(BootFile, related_name="trees")

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        unique_together = ("digest", "_pulp_domain")


class BootfilesRemote(Remote, AutoAddObjPermsMixin):
    """
    A Fedora-style tree to sync from: `url` is the tree root that holds `.treeinfo`, or a
    matrix of tree roots when it holds `{release}` and/or `{arch}` (`formats.tree_matrix`).

    Fields:
        bootloaders (dict): Which files to extract from which packages, per tree arch:
            `{"x86_64": {"shim-x64": ["/boot/efi/EFI/fedora/shimx64.efi"]}}`. Null means the
            defaults in `pulp_glue.bootfiles.netboot.constants.DEFAULT_BOOTLOADERS`.
        openpgp_keys (str): ASCII-armored OpenPGP public keys; when set, every package a sync
            extracts from must carry a valid header signature by one of them.
        releases (list): The values of `{release}` in `url`; null when it has none.
        arches (list): The values of `{arch}` in `url` (SUPPORTED_ARCHES); null when it has none.
        skip_missing (bool): A matrix cell whose `.treeinfo` answers 404 is skipped (and named
            in the task's progress reports) instead of failing the sync.
    """

    TYPE = "bootfiles"

    bootloaders = models.JSONField(null=True)
    openpgp_keys = models.TextField(null=True)
    releases = fields.ArrayField(models.TextField(), null=True)
    arches = fields.ArrayField(models.TextField(), null=True)
    skip_missing = models.BooleanField(default=False)

    @property
    def download_factory(self):
        """pulpcore's factory, with the images' disk and hashing work off the event loop."""
        try:
            return self._download_factory
        except AttributeError:
            self._download_factory = offloaded_download_factory(self)
            return self._download_factory

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        permissions = [
            ("manage_roles_bootfilesremote", "Can manage roles on bootfiles remotes"),
        ]


class BootfilesOCIRemote(Remote, AutoAddObjPermsMixin):
    """
    A registry repository of netboot OCI artifacts to sync from (another Pulp, quay, Fedora's).

    Downloads go through pulp_container's registry downloader, which answers the registry's
    Bearer token or Basic challenge with `username`/`password`. Also the target of a push.

    Fields:
        upstream_name (str): The repository name in the registry ("fedora/netboot").
        include_tags (list): Tag patterns (fnmatch) to sync; null means every netboot tag.
        exclude_tags (list): Tag patterns (fnmatch) to leave out.
        formats (list): The artifact formats a sync accepts (`NETBOOT_FORMATS` of
            `pulp_glue.bootfiles.netboot.constants`); null means every one. A selected tag in
            another format fails the sync.
    """

    TYPE = "oci"

    upstream_name = models.TextField()
    include_tags = fields.ArrayField(models.TextField(), null=True)
    exclude_tags = fields.ArrayField(models.TextField(), null=True)
    formats = fields.ArrayField(models.TextField(), null=True)

    @property
    def download_factory(self):
        """pulp_container's factory (one token shared by this remote's downloaders), with the
        layers' disk and hashing work off the event loop as for tree remotes."""
        try:
            return self._download_factory
        except AttributeError:
            self._download_factory = RegistryAuthDownloaderFactory(
                self,
                downloader_overrides={
                    "http": OffloadedRegistryDownloader,
                    "https": OffloadedRegistryDownloader,
                },
            )
            return self._download_factory

    def get_downloader(self, remote_artifact=None, url=None, **kwargs):
        """A downloader that handles the registry's auth challenges."""
        kwargs["remote"] = self
        return super().get_downloader(remote_artifact=remote_artifact, url=url, **kwargs)

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        permissions = [
            ("manage_roles_bootfilesociremote", "Can manage roles on bootfiles OCI remotes"),
        ]


class BootfilesRepository(Repository, AutoAddObjPermsMixin):
    """
    A repository of the netboot trees of one OS family, one BootTree per (release, arch).

    Each version also holds its OCI side, derived from its trees when the version is made:
    pulp_container Blobs (reusing the BootFiles' Artifacts), per-arch Manifests, per-release
    indexes and their Tags, which pulp_container's registry serves as they are.

    Fields:
        pending_blobs, pending_manifests: What a push through pulp_container's registry
            uploaded and no tag names yet (per-arch manifests before their index); a version
            made from the push takes them out (`oci.push_in.importing`).
        manifest_signing_service: The pulp_container ManifestSigningService that the `sign`
            action uses by default; its ManifestSignatures join the version and the registry
            serves them through its signature API extension, where skopeo and podman look.
    """

    TYPE = "bootfiles"
    CONTENT_TYPES = [BootFile, BootTree, Blob, Manifest, Tag, ManifestSignature]
    REMOTE_TYPES = [BootfilesRemote, BootfilesOCIRemote]
    # pulp_container asks this of every repository a ContainerDistribution serves (deleting a
    # namespace, distributing a version): not a ContainerPushRepository. Pushes into bootfiles
    # distributions are taken all the same, checked by `oci.push_in`.
    PUSH_ENABLED = False

    pending_blobs = models.ManyToManyField(Blob)
    pending_manifests = models.ManyToManyField(Manifest)
    manifest_signing_service = models.ForeignKey(
        ManifestSigningService, on_delete=models.SET_NULL, null=True
    )

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        permissions = [
            ("sync_bootfilesrepository", "Can start a sync task"),
            ("modify_bootfilesrepository", "Can modify content of the repository"),
            ("manage_roles_bootfilesrepository", "Can manage roles on bootfiles repositories"),
            ("repair_bootfilesrepository", "Can repair repository versions"),
        ]

    def finalize_new_version(self, new_version):
        """One tree per (release, arch) with exactly its files, its OCI side, no clashes: see
        `version_rules.finalize_new_version`."""
        # Registered at start-up (`model_hooks`): the rules use these models, so the models
        # do not import them.
        registered("finalize_new_version")(self, new_version)


class BootfilesDistribution(ContainerDistribution):
    """
    Serves a bootfiles repository (version) under one base path, two ways.

    It is a ContainerDistribution, so pulp_container's registry resolves its base path and
    serves the OCI side of the version (`<registry>/<base_path>:40-amd64`), while pulpcore's
    content app serves the same version's files as plain HTTP
    (`/pulp/content/<base_path>/40/x86_64/images/pxeboot/vmlinuz`). One name, one object, so
    Pulp's unique, non-overlapping base path rule holds by itself.

    Beside each tree's files the content app also serves boot configs generated from the
    served version (`<release>/<arch>/boot.ipxe`, `grub.cfg`, `pxelinux.cfg/default`, and a
    `grub.cfg` beside each GRUB binary; see `bootconfigs`).

    Fields:
        kernel_args (str): Extra kernel arguments the boot configs add ("inst.ks=... console=...").
        boot_origin (str): Origin ("http://host:port") booting machines reach the content app
            at, for the configs' absolute URLs; "" means CONTENT_ORIGIN.
    """

    TYPE = "bootfiles"
    SERVE_FROM_PUBLICATION = False

    kernel_args = models.TextField(default="", blank=True)
    boot_origin = models.TextField(default="", blank=True)

    def content_handler(self, path):
        """Answer every path under the base path from the served version's index (files,
        generated configs, listings, misses): see `serving.handler`."""
        # Registered at start-up (`model_hooks`): serving reads these models, so the models
        # do not import it.
        return registered("content_handler")(self, path)

    class Meta:
        default_related_name = "%(app_label)s_%(model_name)s"
        permissions = [
            ("manage_roles_bootfilesdistribution", "Can manage roles on bootfiles distributions"),
        ]
