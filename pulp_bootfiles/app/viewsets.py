"""REST endpoints: remotes, repositories (with sync), versions and read-only content."""

from drf_spectacular.utils import extend_schema
from pulp_container.app.viewsets import SignOperationsMixin
from pulpcore.plugin.serializers import AsyncOperationResponseSerializer
from pulpcore.plugin.tasking import dispatch
from pulpcore.plugin.viewsets import (
    ContentFilter,
    DistributionViewSet,
    OperationPostponedResponse,
    ReadOnlyContentViewSet,
    RemoteViewSet,
    RepositoryVersionViewSet,
    RepositoryViewSet,
    RolesMixin,
)
from rest_framework.decorators import action

from pulp_bootfiles.app import tasks
from pulp_bootfiles.app.access_policy import (
    CONTENT_POLICY,
    locked_roles,
    owned_object_policy,
    repository_version_policy,
)
from pulp_bootfiles.app.compat import SignsAtTheDistributionsBasePath
from pulp_bootfiles.app.models import (
    BootFile,
    BootfilesDistribution,
    BootfilesOCIRemote,
    BootfilesRemote,
    BootfilesRepository,
    BootTree,
)
from pulp_bootfiles.app.serializers import (
    BootfilesDistributionSerializer,
    BootFileSerializer,
    BootfilesOCIRemoteSerializer,
    BootfilesRemoteSerializer,
    BootfilesRepositoryPushSerializer,
    BootfilesRepositorySerializer,
    BootfilesRepositorySyncSerializer,
    BootTreeSerializer,
)

_TREE_FILTERS = {"release": ["exact", "in"], "arch": ["exact", "in"]}


class BootFileFilter(ContentFilter):
    class Meta:
        model = BootFile
        fields = {
            **_TREE_FILTERS,
            "name": ["exact", "in"],
            "relative_path": ["exact", "in"],
            "sha256": ["exact"],
            "source_package": ["exact"],
            "signing_key_id": ["exact"],
        }


class BootTreeFilter(ContentFilter):
    class Meta:
        model = BootTree
        fields = {
            **_TREE_FILTERS,
            "family": ["exact"],
            "variant": ["exact"],
            "digest": ["exact"],
            "manifest_digest": ["exact"],
            "origin": ["exact", "in"],
        }


class BootFileViewSet(ReadOnlyContentViewSet):
    """
    <!-- User-facing documentation, rendered as html-->
    A file of a netboot set (kernel, initrd, installer image, bootloader), made by sync.
    """

    endpoint_name = "files"
    queryset = BootFile.objects.prefetch_related("_artifacts")
    serializer_class = BootFileSerializer
    filterset_class = BootFileFilter
    DEFAULT_ACCESS_POLICY = CONTENT_POLICY


class BootTreeViewSet(ReadOnlyContentViewSet):
    """
    <!-- User-facing documentation, rendered as html-->
    The netboot set of one (release, arch) tree: its .treeinfo and its files, made by sync.
    """

    endpoint_name = "trees"
    queryset = BootTree.objects.prefetch_related("_artifacts", "files")
    serializer_class = BootTreeSerializer
    filterset_class = BootTreeFilter
    DEFAULT_ACCESS_POLICY = CONTENT_POLICY


class BootfilesRemoteViewSet(RemoteViewSet, RolesMixin):
    """
    <!-- User-facing documentation, rendered as html-->
    A Fedora-style tree to sync from: `url` is the directory that holds `.treeinfo`.
    """

    endpoint_name = "bootfiles"
    queryset = BootfilesRemote.objects.all()
    serializer_class = BootfilesRemoteSerializer
    queryset_filtering_required_permission = "bootfiles.view_bootfilesremote"
    DEFAULT_ACCESS_POLICY = owned_object_policy("bootfilesremote")
    LOCKED_ROLES = locked_roles("bootfilesremote")


class BootfilesOCIRemoteViewSet(RemoteViewSet, RolesMixin):
    """
    <!-- User-facing documentation, rendered as html-->
    A registry repository of netboot OCI artifacts to sync from, or to push to.
    """

    endpoint_name = "oci"
    queryset = BootfilesOCIRemote.objects.all()
    serializer_class = BootfilesOCIRemoteSerializer
    queryset_filtering_required_permission = "bootfiles.view_bootfilesociremote"
    DEFAULT_ACCESS_POLICY = owned_object_policy("bootfilesociremote")
    LOCKED_ROLES = locked_roles("bootfilesociremote")


# Tree or OCI remote: the view permission of its own type (global_access_conditions).
_VIEW_REMOTE = "has_remote_param_view_perms"
_VIEW_REPOSITORY = (
    "has_repo_or_repo_ver_param_model_or_domain_or_obj_perms:bootfiles.view_bootfilesrepository"
)


class BootfilesRepositoryViewSet(
    SignsAtTheDistributionsBasePath, SignOperationsMixin, RepositoryViewSet, RolesMixin
):
    """
    <!-- User-facing documentation, rendered as html-->
    A repository of netboot trees of one OS family, one tree per (release, arch). Its `sign`
    action (pulp_container's) signs the tagged manifests and indexes with a manifest signing
    service, for clients whose policy.json requires `signedBy`.
    """

    endpoint_name = "bootfiles"
    queryset = BootfilesRepository.objects.exclude(user_hidden=True)
    serializer_class = BootfilesRepositorySerializer
    queryset_filtering_required_permission = "bootfiles.view_bootfilesrepository"
    DEFAULT_ACCESS_POLICY = owned_object_policy(
        "bootfilesrepository",
        extra_actions=[("sync", "sync"), ("sign", "modify"), ("push", "sync")],
        create_conditions=[_VIEW_REMOTE],
        change_conditions=[_VIEW_REMOTE],
    )
    LOCKED_ROLES = locked_roles("bootfilesrepository", ["sync", "modify", "repair"])

    @extend_schema(
        description="Trigger an asynchronous task to sync a netboot tree.",
        summary="Sync from a remote",
        responses={202: AsyncOperationResponseSerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=BootfilesRepositorySyncSerializer)
    def sync(self, request, pk):
        """Dispatch a sync of the remote's tree into this repository."""
        repository = self.get_object()
        serializer = BootfilesRepositorySyncSerializer(
            data=request.data, context={"request": request, "repository_pk": pk}
        )
        serializer.is_valid(raise_exception=True)
        remote = serializer.validated_data.get("remote", repository.remote).cast()
        sync_task = (
            tasks.synchronize_oci if isinstance(remote, BootfilesOCIRemote) else tasks.synchronize
        )
        task = dispatch(
            sync_task,
            shared_resources=[remote],
            exclusive_resources=[repository],
            kwargs={
                "remote_pk": str(remote.pk),
                "repository_pk": str(repository.pk),
                "mirror": serializer.validated_data["mirror"],
            },
        )
        return OperationPostponedResponse(task, request)

    @extend_schema(
        description="Trigger an asynchronous task to push a repository version's netboot OCI "
        "artifacts (per-arch manifests, indexes, their tags and blobs) to a registry.",
        summary="Push to a registry",
        responses={202: AsyncOperationResponseSerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=BootfilesRepositoryPushSerializer)
    def push(self, request, pk):
        """Dispatch a push of a version of this repository to the OCI remote's registry."""
        repository = self.get_object()
        serializer = BootfilesRepositoryPushSerializer(
            data=request.data, context={"request": request, "repository_pk": pk}
        )
        serializer.is_valid(raise_exception=True)
        version = serializer.validated_data["repository_version"] or repository.latest_version()
        remote = serializer.validated_data["remote"]
        task = dispatch(
            tasks.push,
            shared_resources=[repository, remote],
            kwargs={"repository_version_pk": str(version.pk), "remote_pk": str(remote.pk)},
        )
        return OperationPostponedResponse(task, request)


class BootfilesRepositoryVersionViewSet(RepositoryVersionViewSet):
    """
    <!-- User-facing documentation, rendered as html-->
    A version of a bootfiles repository.
    """

    parent_viewset = BootfilesRepositoryViewSet
    DEFAULT_ACCESS_POLICY = repository_version_policy("bootfilesrepository")


class BootfilesDistributionViewSet(DistributionViewSet, RolesMixin):
    """
    <!-- User-facing documentation, rendered as html-->
    Serves a bootfiles repository (version) under one base path: as plain files from the
    content app and as netboot OCI artifacts from the registry (`<registry>/<base_path>:<tag>`).
    """

    endpoint_name = "bootfiles"
    queryset = BootfilesDistribution.objects.all()
    serializer_class = BootfilesDistributionSerializer
    # Updates run in a worker, not inside the API process: a worker that dies is replaced and
    # its task marked failed, while an API process that dies mid-update would leave the task
    # "running" (and the distribution locked) until pulpcore's cleanup, minutes later.
    ALLOW_NON_BLOCKING_UPDATE = False
    queryset_filtering_required_permission = "bootfiles.view_bootfilesdistribution"
    DEFAULT_ACCESS_POLICY = owned_object_policy(
        "bootfilesdistribution",
        create_conditions=[_VIEW_REPOSITORY],
        change_conditions=[_VIEW_REPOSITORY],
    )
    LOCKED_ROLES = locked_roles("bootfilesdistribution")
