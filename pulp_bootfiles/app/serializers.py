"""REST serializers: remote, repository, sync request, distribution and read-only content."""

import posixpath
import re
from gettext import gettext as _
from urllib.parse import urlparse

from pulp_container.app.models import Tag
from pulp_container.app.serializers import RegistryPathField, validate_registry_path
from pulpcore.plugin.models import Remote
from pulpcore.plugin.serializers import (
    ContentRedirectContentGuardSerializer,
    DetailRelatedField,
    DistributionSerializer,
    NoArtifactContentSerializer,
    RemoteSerializer,
    RepositorySerializer,
    RepositorySyncURLSerializer,
    RepositoryVersionRelatedField,
    SingleContentArtifactField,
)
from pulpcore.plugin.util import get_domain
from rest_framework import serializers

from pulp_bootfiles.app.constants import DEFAULT_BOOTLOADERS, SUPPORTED_ARCHES
from pulp_bootfiles.app.models import (
    BootFile,
    BootfilesDistribution,
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
        super().__init__(read_only=True, **kwargs)


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
    treeinfo = ArtifactHrefField(help_text=_("Artifact of the tree's original '.treeinfo'."))
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
        )


class BootfilesRemoteSerializer(RemoteSerializer):
    """A Fedora-style tree to sync from."""

    url = serializers.CharField(
        help_text=_("URL of the tree root, the directory that holds '.treeinfo'."),
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
            "defaults: %(defaults)s"
        )
        % {"defaults": dict(DEFAULT_BOOTLOADERS)},
    )

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

    class Meta:
        fields = RemoteSerializer.Meta.fields + ("bootloaders",)
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


class BootfilesRepositorySerializer(RepositorySerializer):
    """A repository of the netboot trees of one OS family."""

    class Meta:
        fields = RepositorySerializer.Meta.fields
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
        )
