"""REST serializers: remote, repository, sync request, distribution and read-only content."""

import posixpath
import re
from gettext import gettext as _
from urllib.parse import urlparse

from pulp_container.app.models import ManifestSigningService, Tag
from pulp_container.app.serializers import RegistryPathField, validate_registry_path
from pulp_glue.bootfiles.netboot.bootconfigs import check_kernel_args, is_plain_host
from pulp_glue.bootfiles.netboot.constants import (
    DEFAULT_BOOTLOADERS,
    NETBOOT_FORMATS,
    SUPPORTED_ARCHES,
)
from pulp_glue.bootfiles.netboot.sbat import SBAT_POLICY_LEVEL, revoked_components
from pulpcore.plugin.models import Remote
from pulpcore.plugin.serializers import (
    ContentRedirectContentGuardSerializer,
    DetailRelatedField,
    DistributionSerializer,
    NoArtifactContentSerializer,
    RelatedField,
    RemoteSerializer,
    RepositorySerializer,
    RepositorySyncURLSerializer,
    RepositoryVersionRelatedField,
    SingleContentArtifactField,
)
from pulpcore.plugin.util import get_domain
from rest_framework import serializers

from pulp_bootfiles.app.formats.openpgp import Keyring, KeyringError
from pulp_bootfiles.app.formats.tree_matrix import MatrixError, check_matrix
from pulp_bootfiles.app.models import (
    BootFile,
    BootfilesDistribution,
    BootfilesOCIRemote,
    BootfilesRemote,
    BootfilesRepository,
    BootTree,
)

# RPM package names: what rpmbuild accepts in Name: (no whitespace, no path separators).
_PACKAGE_NAME = re.compile(r"^[A-Za-z0-9._+-]+$")


class ArtifactHrefField(SingleContentArtifactField):
    """The href of the one Artifact of a content unit; read-only, since sync makes content."""

    queryset = None

    def __init__(self, **kwargs):
        # Null: an on_demand file not downloaded yet, a tree synced from a registry.
        super().__init__(read_only=True, allow_null=True, **kwargs)


class BootFileSerializer(NoArtifactContentSerializer):
    """A file of a netboot set (read-only: BootFiles are made by sync)."""

    name = serializers.CharField(
        read_only=True, help_text=_("Flat file name, the OCI layer title (e.g. 'vmlinuz').")
    )
    relative_path = serializers.CharField(
        read_only=True,
        help_text=_(
            "Path in the tree (e.g. 'images/pxeboot/vmlinuz'), or inside the package for "
            "files extracted from an RPM (e.g. 'boot/efi/EFI/fedora/shimx64.efi')."
        ),
    )
    content_path = serializers.CharField(
        read_only=True,
        help_text=_("Path under a distribution's base path: '<release>/<arch>/<relative_path>'."),
    )
    release = serializers.CharField(read_only=True, help_text=_("Release of the tree ('40')."))
    arch = serializers.CharField(read_only=True, help_text=_("Architecture of the tree."))
    sha256 = serializers.CharField(read_only=True, help_text=_("SHA-256 of the file."))
    source_package = serializers.CharField(
        read_only=True,
        help_text=_("NEVRA of the RPM the file was extracted from; empty for tree images."),
    )
    source_package_checksum = serializers.CharField(
        read_only=True,
        help_text=_("Checksum of that RPM as listed in the repodata ('sha256:<hex>')."),
    )
    artifact = ArtifactHrefField(
        help_text=_("The file's Artifact; null while an on_demand file is not downloaded yet."),
    )
    signing_key_id = serializers.CharField(
        read_only=True,
        help_text=_(
            "Key id of the remote's OpenPGP key whose signature on the source package was "
            "verified at sync; empty when nothing was verified (tree images, remotes without "
            "keys)."
        ),
    )
    sbat = serializers.JSONField(
        read_only=True,
        help_text=_(
            "SBAT entries of a UEFI binary's .sbat section (component_name, "
            "component_generation, vendor_name, vendor_package_name, vendor_version, "
            "vendor_url); null for other files."
        ),
    )
    sbat_revocations = serializers.SerializerMethodField(
        help_text=_(
            "SBAT components revoked by SbatLevel %(level)s (shim before 15.8): Secure Boot "
            "machines that applied it refuse to run this file. Empty when none."
        )
        % {"level": SBAT_POLICY_LEVEL},
    )
    sbat_revoked = serializers.SerializerMethodField(
        help_text=_("True when sbat_revocations is not empty.")
    )

    def get_sbat_revocations(self, bootfile) -> list[str]:
        return revoked_components(bootfile.sbat or [])

    def get_sbat_revoked(self, bootfile) -> bool:
        return bool(revoked_components(bootfile.sbat or []))

    class Meta:
        model = BootFile
        fields = NoArtifactContentSerializer.Meta.fields + (
            "name",
            "relative_path",
            "content_path",
            "release",
            "arch",
            "sha256",
            "source_package",
            "source_package_checksum",
            "artifact",
            "signing_key_id",
            "sbat",
            "sbat_revocations",
            "sbat_revoked",
        )


class BootTreeSerializer(NoArtifactContentSerializer):
    """The netboot set of one (release, arch) tree (read-only: BootTrees are made by sync)."""

    family = serializers.CharField(read_only=True, help_text=_("Product name ('Fedora')."))
    short = serializers.CharField(read_only=True, help_text=_("Short product name."))
    release = serializers.CharField(read_only=True, help_text=_("Release version ('40')."))
    variant = serializers.CharField(read_only=True, help_text=_("Variant ('Everything')."))
    arch = serializers.CharField(read_only=True, help_text=_("Architecture ('x86_64')."))
    build_timestamp = serializers.IntegerField(
        read_only=True, allow_null=True, help_text=_("Build timestamp from '.treeinfo'.")
    )
    digest = serializers.CharField(
        read_only=True, help_text=_("SHA-256 identifying the tree: its .treeinfo and files.")
    )
    source_url = serializers.CharField(
        read_only=True, help_text=_("URL of the tree root it was first synced from.")
    )
    kernel_version = serializers.CharField(
        read_only=True,
        help_text=_(
            "Release the tree's x86 kernel image declares ('6.8.5-301.fc40.x86_64'); empty "
            "when unknown."
        ),
    )
    boot_iso_bootloaders = serializers.JSONField(
        read_only=True,
        help_text=_(
            "What the tree's boot.iso holds where its packages give a signed shim or GRUB: "
            "{member: {'sha256': hex or null, 'matches': name of the BootFile with the same "
            "bytes, or null}}; null when not checked (no boot.iso or such bootloaders, or "
            "boot.iso not downloaded at sync)."
        ),
    )
    manifest_digest = serializers.CharField(
        read_only=True,
        help_text=_(
            "Digest of the netboot manifest this tree came as (pushed, or synced from a "
            "registry or another Pulp), served byte for byte here and by every copy; empty "
            "for trees whose manifest Pulp builds from their files."
        ),
    )
    origin = serializers.CharField(
        read_only=True,
        help_text=_(
            "How the tree came into this Pulp: 'tree' (synced from a tree root and its RPMs), "
            "'registry' (synced from an OCI registry, replicate too), 'push' (pushed through "
            "the registry), 'distribution' (synced from another Pulp's distribution root) or "
            "'import' (a pulpcore import). Set by its first arrival; no digest depends on it."
        ),
    )
    treeinfo = ArtifactHrefField(
        help_text=_(
            "Artifact of the tree's original '.treeinfo'; null for a tree synced from a registry."
        )
    )
    files = DetailRelatedField(
        many=True,
        read_only=True,
        view_name_pattern=r"contents(-.*/.*)-detail",
        help_text=_("The BootFiles of this tree."),
    )

    class Meta:
        model = BootTree
        fields = NoArtifactContentSerializer.Meta.fields + (
            "family",
            "short",
            "release",
            "variant",
            "arch",
            "build_timestamp",
            "digest",
            "treeinfo",
            "files",
            "source_url",
            "kernel_version",
            "boot_iso_bootloaders",
            "manifest_digest",
            "origin",
        )


class BootfilesRemoteSerializer(RemoteSerializer):
    """A Fedora-style tree to sync from."""

    url = serializers.CharField(
        help_text=_(
            "URL of the tree root, the directory that holds '.treeinfo'; or of another Pulp's "
            "bootfiles distribution ('<content origin>/pulp/content/<base_path>/'), whose "
            "'.bootfiles.json' lists the trees to sync, all of them (a capsule). With "
            "'{release}' and/or '{arch}' in its path it names a matrix of tree roots, one per "
            "value of 'releases' and 'arches', all synced by one sync "
            "('https://mirror.example/fedora/linux/releases/{release}/Everything/{arch}/os/')."
        ),
    )
    releases = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "The releases to fill '{release}' of the URL in with, e.g. ['41', '42']; each a safe "
            "path component. Null (the default) when the URL has no '{release}'."
        ),
    )
    arches = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "The arches to fill '{arch}' of the URL in with, of %(arches)s. Null (the default) "
            "when the URL has no '{arch}'."
        )
        % {"arches": ", ".join(SUPPORTED_ARCHES)},
    )
    skip_missing = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "When true, a tree of the matrix whose '.treeinfo' is not there upstream (404, an "
            "arch a release never had) is skipped and named in the task's progress reports "
            "(code 'sync.matrix.skipped'); when false (the default) it fails the sync. Any other "
            "problem fails the sync either way."
        ),
    )
    policy = serializers.ChoiceField(
        help_text=_(
            "'immediate' downloads every file at sync time; 'on_demand' and 'streamed' defer "
            "the images until a client asks for them. Bootloaders are always extracted at sync."
        ),
        choices=Remote.POLICY_CHOICES,
        default=Remote.IMMEDIATE,
    )
    bootloaders = serializers.DictField(
        child=serializers.DictField(
            child=serializers.ListField(child=serializers.CharField(), allow_empty=False)
        ),
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "Files to extract from RPM packages of the tree's repository, per tree arch: "
            "{arch: {package name: [absolute path in the package, ...]}}. Null uses the "
            "defaults, written for Fedora: %(defaults)s; RHEL, CentOS (Stream), AlmaLinux and "
            "Rocky trees get the same packages from their own EFI directory (EFI/redhat, "
            "centos, almalinux, rocky)"
        )
        % {"defaults": dict(DEFAULT_BOOTLOADERS)},
    )

    openpgp_keys = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        default=None,
        trim_whitespace=False,
        help_text=_(
            "ASCII-armored OpenPGP public keys (one or more, e.g. Fedora's release key). When "
            "set, every package a sync extracts bootloaders from must carry a header signature "
            "by one of them, over an unaltered header and payload; otherwise the sync fails."
        ),
    )
    openpgp_key_ids = serializers.SerializerMethodField(
        help_text=_("Key ids of the primary keys in openpgp_keys.")
    )

    def get_openpgp_key_ids(self, remote) -> list[str]:
        if not remote.openpgp_keys:
            return []
        return Keyring.from_armored(remote.openpgp_keys).primary_key_ids

    def validate_openpgp_keys(self, value):
        """Public keys that pysequoia reads, or nothing ("" and null mean no verification)."""
        if not value:
            return None
        try:
            Keyring.from_armored(value)
        except KeyringError as exc:
            raise serializers.ValidationError(str(exc)) from exc
        return value

    def validate_url(self, url):
        """A tree root is fetched over HTTP(S), or from an allowed local path (file://)."""
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https", "file") or (
            parsed.scheme != "file" and not parsed.hostname
        ):
            raise serializers.ValidationError(
                _("'{url}' is not an http(s):// or file:// URL of a tree root.").format(url=url)
            )
        return super().validate_url(url)

    def validate_bootloaders(self, value):
        """Arches, package names and paths (the field itself checks the nesting)."""
        if value is None:
            return None
        for arch, packages in value.items():
            if arch not in SUPPORTED_ARCHES:
                raise serializers.ValidationError(
                    _("Unknown arch '{arch}'; expected one of {arches}.").format(
                        arch=arch, arches=", ".join(SUPPORTED_ARCHES)
                    )
                )
            names = set()
            for package, paths in packages.items():
                if not _PACKAGE_NAME.match(package):
                    raise serializers.ValidationError(
                        _("'{package}' is not a valid RPM package name.").format(package=package)
                    )
                for path in paths:
                    _validate_package_path(package, path)
                    name = posixpath.basename(path)
                    if name in names:
                        raise serializers.ValidationError(
                            _("Two files named '{name}' for {arch}: names must be unique.").format(
                                name=name, arch=arch
                            )
                        )
                    names.add(name)
        return value

    def validate(self, data):
        """The URL's placeholders and the lists that fill them in must match
        (`formats.tree_matrix`); a partial update is checked with the remote's other values."""
        data = super().validate(data)

        def value(field):
            if field in data:
                return data[field]
            return getattr(self.instance, field, None)

        try:
            check_matrix(value("url") or "", value("releases"), value("arches"))
        except MatrixError as exc:
            raise serializers.ValidationError({exc.field: str(exc)}) from exc
        return data

    class Meta:
        fields = RemoteSerializer.Meta.fields + (
            "bootloaders",
            "openpgp_keys",
            "openpgp_key_ids",
            "releases",
            "arches",
            "skip_missing",
        )
        model = BootfilesRemote


def _validate_package_path(package, path):
    """An extracted file's path: absolute, normalised, inside the package, not a directory."""
    if (
        not path.startswith("/")
        or path.endswith("/")
        or posixpath.normpath(path) != path
        or "\x00" in path
    ):
        raise serializers.ValidationError(
            _(
                "'{path}' in '{package}' must be a normalised absolute file path, "
                "like '/boot/efi/EFI/fedora/shimx64.efi'."
            ).format(path=path, package=package)
        )


class BootfilesOCIRemoteSerializer(RemoteSerializer):
    """A registry repository of netboot OCI artifacts to sync from, or to push to."""

    url = serializers.CharField(
        help_text=_("URL of the registry, e.g. 'https://quay.io' (its API is under '/v2/')."),
    )
    upstream_name = serializers.CharField(
        help_text=_("Name of the repository in the registry, e.g. 'fedora/netboot'."),
    )
    include_tags = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "Tags to sync, as fnmatch patterns ('4?', '40-amd64'); null takes every netboot "
            "tag. A release tag takes all its architectures, '<release>-<goarch>' one."
        ),
    )
    exclude_tags = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Tags to leave out, as fnmatch patterns."),
    )
    formats = serializers.ListField(
        child=serializers.ChoiceField(choices=NETBOOT_FORMATS),
        required=False,
        allow_null=True,
        allow_empty=False,
        default=None,
        help_text=_(
            "Artifact formats to accept: 'netboot-v1' (the netboot OCI spec), "
            "'foreman-pipeline' (v1 as podman writes it, tags '<os>-<release>[-<goarch>]'), "
            "'nboci-prototype' (March 2024, zstd layers). null accepts every one; a selected "
            "tag in another format fails the sync."
        ),
    )
    policy = serializers.ChoiceField(
        help_text=_(
            "Only 'immediate': a layer's size and bytes are checked at sync, before it is served."
        ),
        choices=Remote.POLICY_CHOICES,
        default=Remote.IMMEDIATE,
    )

    def validate_policy(self, policy):
        if policy != Remote.IMMEDIATE:
            raise serializers.ValidationError(
                _("An OCI remote downloads every layer at sync: only 'immediate' is supported.")
            )
        return policy

    def validate_url(self, url):
        """A registry is spoken to over HTTP(S), at its root."""
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise serializers.ValidationError(
                _("'{url}' is not an http(s):// URL of a registry.").format(url=url)
            )
        return super().validate_url(url)

    def validate_upstream_name(self, value):
        """A repository name as the OCI distribution spec writes it."""
        return validate_registry_path(value)

    class Meta:
        fields = RemoteSerializer.Meta.fields + (
            "upstream_name",
            "include_tags",
            "exclude_tags",
            "formats",
        )
        model = BootfilesOCIRemote


class BootfilesRepositorySerializer(RepositorySerializer):
    """A repository of the netboot trees of one OS family."""

    manifest_signing_service = RelatedField(
        help_text=_(
            "A pulp_container manifest signing service; the repository's `sign` action uses "
            "it unless the request names another."
        ),
        view_name="signing-services-detail",
        queryset=ManifestSigningService.objects.all(),
        required=False,
        allow_null=True,
    )

    class Meta:
        fields = RepositorySerializer.Meta.fields + ("manifest_signing_service",)
        model = BootfilesRepository


class BootfilesRepositorySyncSerializer(RepositorySyncURLSerializer):
    """Sync a tree into the repository."""

    mirror = serializers.BooleanField(
        required=False,
        default=False,
        help_text=_(
            "If true, the new version holds only the synced tree; if false (the default), "
            "trees of other (release, arch) pairs are kept. Either way the synced tree's own "
            "files replace the previous ones of that pair."
        ),
    )


class BootfilesRepositoryPushSerializer(serializers.Serializer):
    """Push a repository version's netboot OCI artifacts to the registry an OCI remote names."""

    remote = DetailRelatedField(
        view_name_pattern=r"remotes(-.*/.*)-detail",
        queryset=BootfilesOCIRemote.objects.all(),
        help_text=_(
            "The OCI remote to push to: its URL, repository name, credentials and tag filters."
        ),
    )
    repository_version = RepositoryVersionRelatedField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The version to push; the latest one when left out."),
    )

    def validate_repository_version(self, version):
        repository_pk = self.context["repository_pk"]
        if version is not None and str(version.repository_id) != str(repository_pk):
            raise serializers.ValidationError(_("Must be a version of this repository."))
        return version


class BootfilesDistributionSerializer(DistributionSerializer):
    """Serves a bootfiles repository (version) as plain files and as netboot OCI artifacts."""

    repository = DetailRelatedField(
        required=False,
        allow_null=True,
        view_name_pattern=r"repositories(-.*/.*)?-detail",
        queryset=BootfilesRepository.objects.all(),
        help_text=_("A bootfiles repository whose latest version is always served."),
    )
    repository_version = RepositoryVersionRelatedField(
        required=False,
        allow_null=True,
        help_text=_("A fixed bootfiles repository version to serve."),
    )
    private = serializers.BooleanField(
        default=False,
        help_text=_("Restrict registry pulls to users with pull permission on it."),
    )
    registry_path = RegistryPathField(
        source="base_path",
        read_only=True,
        help_text=_("The registry name of the OCI side: '<registry host>/<base_path>'."),
    )
    oci_references = serializers.SerializerMethodField(
        help_text=_("One pullable reference per tag, e.g. '<registry_path>:40-amd64'.")
    )

    kernel_args = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "Extra kernel arguments the generated boot configs add after "
            "'inst.stage2=<tree URL>', e.g. 'inst.ks=http://host/ks.cfg console=ttyS0'."
        ),
    )
    boot_origin = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "Origin ('http://host:port') at which booting machines reach Pulp's content app, "
            "for the absolute URLs in the generated boot configs. Empty: CONTENT_ORIGIN."
        ),
    )

    def validate_kernel_args(self, value):
        try:
            return check_kernel_args(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate_boot_origin(self, value):
        if not value:
            return value
        parts = urlparse(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
            raise serializers.ValidationError(
                _("Must be an http:// or https:// origin without a path, e.g. http://pulp:8080.")
            )
        if parts.query or parts.fragment or parts.params:
            raise serializers.ValidationError(_("Must not have a query or fragment."))
        if not is_plain_host(parts.netloc):
            # The configs write it unquoted (GRUB's `(http,host:port)`, iPXE and PXELINUX words).
            raise serializers.ValidationError(
                _("The host must be a plain host[:port]: letters, digits, '.', '-', ':' and [].")
            )
        return f"{parts.scheme}://{parts.netloc}"

    def get_oci_references(self, distribution) -> list[str]:
        version = distribution.get_repository_version()
        if version is None:
            return []
        registry_path = self.fields["registry_path"].to_representation(distribution.base_path)
        tags = Tag.objects.filter(pk__in=version.content).values_list("name", flat=True)
        return [f"{registry_path}:{tag}" for tag in sorted(tags)]

    def validate_base_path(self, value):
        """The base path is also the registry name, so it must be a valid one."""
        return validate_registry_path(super().validate_base_path(value))

    def validate(self, data):
        """A private distribution without a guard gets one, so plain HTTP is refused too."""
        data = super().validate(data)
        instance = self.instance
        private = data.get("private", instance.private if instance else False)
        guard = data.get("content_guard", instance.content_guard if instance else None)
        if private and guard is None:
            # pulp_container's content-redirect guard: the content app then serves its files
            # only through URLs the registry signed after checking the pull permission.
            data["content_guard"] = ContentRedirectContentGuardSerializer.get_or_create(
                {"name": "content redirect", "pulp_domain": get_domain()}
            )
        return data

    def validate_repository_version(self, version):
        if version is not None and not isinstance(version.repository.cast(), BootfilesRepository):
            raise serializers.ValidationError(_("Must be a version of a bootfiles repository."))
        return version

    class Meta:
        model = BootfilesDistribution
        fields = DistributionSerializer.Meta.fields + (
            "repository",
            "repository_version",
            "private",
            "registry_path",
            "oci_references",
            "kernel_args",
            "boot_origin",
        )
