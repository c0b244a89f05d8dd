"""pulp-glue contexts for pulp_bootfiles: remotes, repositories (and versions), distributions
and the read-only BootFile / BootTree content made by sync."""

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
    """A Fedora-style tree to sync from (`url` is the directory holding `.treeinfo`)."""

    PLUGIN = "bootfiles"
    RESOURCE_TYPE = "bootfiles"
    ENTITY = _("bootfiles remote")
    ENTITIES = _("bootfiles remotes")
    HREF = "bootfiles_bootfiles_remote_href"
    ID_PREFIX = "remotes_bootfiles_bootfiles"
    # An empty --bootloaders resets the selection to null: the server's defaults.
    NULLABLES = PulpRemoteContext.NULLABLES | {"bootloaders"}
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
