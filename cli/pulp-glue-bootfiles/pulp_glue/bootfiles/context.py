"""pulp-glue contexts for pulp_bootfiles: remotes (trees and OCI registries), repositories (and
versions, sync, push, sign), distributions and the read-only BootFile / BootTree content."""

import re
import typing as t

from pulp_glue.common.context import (
    EntityDefinition,
    PluginRequirement,
    PulpContentContext,
    PulpDistributionContext,
    PulpEntityContext,
    PulpRemoteContext,
    PulpRepositoryContext,
    PulpRepositoryVersionContext,
)
from pulp_glue.common.exceptions import PulpException
from pulp_glue.common.i18n import get_translation

translation = get_translation(__package__)
_ = translation.gettext

NEEDS_BOOTFILES = [PluginRequirement("bootfiles")]
_VERSION_SUFFIX = re.compile(r"versions/\d+/$")


class PulpBootfilesFileContentContext(PulpContentContext):
    """A file of a netboot set (kernel, initrd, installer image, bootloader)."""

    PLUGIN = "bootfiles"
    RESOURCE_TYPE = "files"
    ENTITY = _("bootfiles file")
    ENTITIES = _("bootfiles files")
    HREF = "bootfiles_boot_file_href"
    ID_PREFIX = "content_bootfiles_files"
    NEEDS_PLUGINS = NEEDS_BOOTFILES


class PulpBootfilesTreeContentContext(PulpContentContext):
    """The netboot set of one (release, arch) tree."""

    PLUGIN = "bootfiles"
    RESOURCE_TYPE = "trees"
    ENTITY = _("bootfiles tree")
    ENTITIES = _("bootfiles trees")
    HREF = "bootfiles_boot_tree_href"
    ID_PREFIX = "content_bootfiles_trees"
    NEEDS_PLUGINS = NEEDS_BOOTFILES


# PRNs name the model ("prn:bootfiles.bootfile:<id>"), which the generic "<type>content"
# naming of content contexts does not match.
for _model, _context in (
    ("bootfile", PulpBootfilesFileContentContext),
    ("boottree", PulpBootfilesTreeContentContext),
):
    _context.MODEL = _model
    PulpEntityContext.PRN_TYPE_REGISTRY[f"bootfiles:{_model}"] = _context


class PulpBootfilesRemoteContext(PulpRemoteContext):
    """A Fedora-style tree to sync from (`url` is the directory holding `.treeinfo`, or with
    `{release}`/`{arch}` a matrix of them, filled in from `releases` and `arches`)."""

    PLUGIN = "bootfiles"
    RESOURCE_TYPE = "bootfiles"
    ENTITY = _("bootfiles remote")
    ENTITIES = _("bootfiles remotes")
    HREF = "bootfiles_bootfiles_remote_href"
    ID_PREFIX = "remotes_bootfiles_bootfiles"
    # An empty --bootloaders resets the selection to null: the server's defaults; an empty
    # --openpgp-keys turns the package signature check off; an empty --release/--arch clears
    # the list (a URL without that placeholder).
    NULLABLES = PulpRemoteContext.NULLABLES | {"bootloaders", "openpgp_keys", "releases", "arches"}
    CAPABILITIES = {"roles": []}
    NEEDS_PLUGINS = NEEDS_BOOTFILES


class PulpBootfilesOCIRemoteContext(PulpRemoteContext):
    """A registry repository of netboot OCI artifacts, to sync from or to push to."""

    PLUGIN = "bootfiles"
    RESOURCE_TYPE = "oci"
    ENTITY = _("bootfiles OCI remote")
    ENTITIES = _("bootfiles OCI remotes")
    HREF = "bootfiles_bootfiles_o_c_i_remote_href"
    ID_PREFIX = "remotes_bootfiles_oci"
    # Empty tag filters reset them to null: every netboot tag, none left out.
    NULLABLES = PulpRemoteContext.NULLABLES | {"include_tags", "exclude_tags"}
    CAPABILITIES = {"roles": []}
    NEEDS_PLUGINS = NEEDS_BOOTFILES


class PulpBootfilesRepositoryVersionContext(PulpRepositoryVersionContext):
    ENTITY = _("bootfiles repository version")
    ENTITIES = _("bootfiles repository versions")
    HREF = "bootfiles_bootfiles_repository_version_href"
    ID_PREFIX = "repositories_bootfiles_bootfiles_versions"
    NEEDS_PLUGINS = NEEDS_BOOTFILES


class PulpBootfilesRepositoryContext(PulpRepositoryContext):
    """A repository of the netboot trees of one OS family, one tree per (release, arch)."""

    PLUGIN = "bootfiles"
    RESOURCE_TYPE = "bootfiles"
    ENTITY = _("bootfiles repository")
    ENTITIES = _("bootfiles repositories")
    HREF = "bootfiles_bootfiles_repository_href"
    ID_PREFIX = "repositories_bootfiles_bootfiles"
    VERSION_CONTEXT = PulpBootfilesRepositoryVersionContext
    # An empty --manifest-signing-service clears the repository's default signing service.
    NULLABLES = PulpRepositoryContext.NULLABLES | {"manifest_signing_service"}
    CAPABILITIES = {"sync": [], "roles": []}
    NEEDS_PLUGINS = NEEDS_BOOTFILES

    def sync(
        self,
        body: EntityDefinition | None = None,
        *,
        remote: str | PulpEntityContext | None = None,
        mirror: bool | None = None,
    ) -> t.Any:
        """
        Sync a tree into this repository and wait for the task (unless in background mode).

        Parameters:
            body: Extra fields of the sync request.
            remote: The remote (context or href) to sync from; defaults to the repository's.
            mirror: Keep only the synced tree (True) or also the other (release, arch) trees.

        Returns:
            The finished (or, in background mode, the started) sync task.
        """
        payload: dict[str, t.Any] = dict(body or {})
        if remote is not None:
            payload["remote"] = remote
        if mirror is not None:
            payload["mirror"] = mirror
        if not payload.get("remote") and not self.entity.get("remote"):
            raise PulpException(
                _(
                    "Repository '{name}' has no remote to sync from; "
                    "pass one (--remote) or set the repository's remote."
                ).format(name=self.entity["name"])
            )
        return super().sync(body=payload)

    def push(self, remote: str | PulpEntityContext, version: int | None = None) -> t.Any:
        """
        Push a version's netboot OCI artifacts to the registry of an OCI remote.

        Parameters:
            remote: The OCI remote (context or href) naming the registry and repository.
            version: The version number to push; the latest one when None.

        Returns:
            The finished (or, in background mode, the started) push task.
        """
        body: dict[str, t.Any] = {"remote": remote}
        if version is not None:
            body["repository_version"] = self.version_href(version)
        return self.call("push", parameters={self.HREF: self.pulp_href}, body=body)

    def sign(
        self,
        manifest_signing_service: str | PulpEntityContext | None = None,
        future_base_path: str | None = None,
        tags: t.Sequence[str] | None = None,
    ) -> t.Any:
        """
        Sign the tagged manifests and indexes (pulp_container's `sign` action).

        Parameters:
            manifest_signing_service: The signing service; defaults to the repository's.
            future_base_path: The base path the signatures name; needed unless exactly one
                distribution serves the repository.
            tags: Sign only these tags; all when None or empty.

        Returns:
            The finished (or, in background mode, the started) signing task.
        """
        body: dict[str, t.Any] = {}
        if manifest_signing_service:
            body["manifest_signing_service"] = manifest_signing_service
        if future_base_path:
            body["future_base_path"] = future_base_path
        if tags:
            body["tags_list"] = list(tags)
        return self.call("sign", parameters={self.HREF: self.pulp_href}, body=body)

    def version_href(self, number: int) -> str:
        """The href of version `number` of this repository; fails if it does not exist."""
        version_ctx = self.get_version_context()
        version_ctx.entity = {"number": number}
        return version_ctx.pulp_href


class PulpBootfilesDistributionContext(PulpDistributionContext):
    """Serves a repository (version) as plain files and as netboot OCI artifacts."""

    PLUGIN = "bootfiles"
    RESOURCE_TYPE = "bootfiles"
    ENTITY = _("bootfiles distribution")
    ENTITIES = _("bootfiles distributions")
    HREF = "bootfiles_bootfiles_distribution_href"
    ID_PREFIX = "distributions_bootfiles_bootfiles"
    CAPABILITIES = {"roles": []}
    NEEDS_PLUGINS = NEEDS_BOOTFILES

    def create(
        self,
        body: EntityDefinition,
        parameters: t.Mapping[str, t.Any] | None = None,
        non_blocking: bool = False,
    ) -> t.Any:
        """Create a distribution (a task) and return it as the API shows it."""
        result = super().create(body, parameters=parameters, non_blocking=non_blocking)
        if not non_blocking and not self.pulp_ctx.fake_mode:
            # The task's result is serialized without a request, so its registry_path and
            # oci_references lack the registry host; read the distribution back.
            self.pulp_href = result["pulp_href"]
            result = self.entity
        return result

    def preprocess_entity(self, body: EntityDefinition, partial: bool = False) -> EntityDefinition:
        """
        Turn `version` (a number) into `repository_version`, of `repository` or, on update,
        of the repository the distribution serves now. `repository` and `repository_version`
        exclude each other, so setting one clears the other.
        """
        body = super().preprocess_entity(body, partial=partial)
        version = body.pop("version", None)
        if version is not None:
            repository_href = body.pop("repository", None)
            if repository_href is None and partial:
                repository_href = self._served_repository_href()
            if repository_href is None:
                raise PulpException(_("--version needs a repository (--repository)."))
            body["repository_version"] = f"{repository_href}versions/{version}/"
            body["repository"] = None
        elif "repository" in body:
            body["repository_version"] = None
        return body

    def _served_repository_href(self) -> str | None:
        entity = self.entity
        if entity.get("repository"):
            return str(entity["repository"])
        if entity.get("repository_version"):
            return _VERSION_SUFFIX.sub("", entity["repository_version"])
        return None
