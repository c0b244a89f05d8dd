"""The bootfiles Replicator: what it makes of an upstream bootfiles distribution."""

import importlib.metadata

import pytest
from django.apps import apps
from pulp_container.app.models import ContainerDistribution

from pulp_bootfiles.app.models import (
    BootfilesDistribution,
    BootfilesOCIRemote,
    BootfilesRepository,
)
from pulp_bootfiles.app.replica import BootfilesReplicator, ContainerReplicatorBesideBootfiles
from pulp_bootfiles.app.tasks import synchronize_oci

pytestmark = pytest.mark.django_db

UPSTREAM_DISTRIBUTION = {
    "name": "fedora-netboot",
    "base_path": "fedora/netboot",
    "repository": "/pulp/api/v3/repositories/bootfiles/bootfiles/0190/",
    "pulp_labels": {"site": "main"},
}


@pytest.fixture
def replicator():
    # pulpcore.plugin does not export the model; the app registry has it.
    server = apps.get_model("core", "UpstreamPulp").objects.create(
        name="main", base_url="https://main.example", api_root="/pulp/", policy="labeled"
    )
    settings = {"tls_validation": True, "policy": "on_demand"}
    # Positional: pulpcore 3.105 names the settings `tls_settings`, newer lines `remote_settings`.
    return BootfilesReplicator(None, None, settings, server)


def test_pulpcore_finds_the_replicator():
    assert apps.get_app_config("bootfiles").replicator_classes == [BootfilesReplicator]


def test_the_remote_reads_the_upstream_registry_at_the_base_path(replicator):
    remote = replicator.create_or_update_remote(dict(UPSTREAM_DISTRIBUTION))
    assert isinstance(remote, BootfilesOCIRemote)
    stored = BootfilesOCIRemote.objects.get(name="fedora-netboot")
    assert (stored.url, stored.upstream_name) == ("https://main.example", "fedora/netboot")
    # An upstream-pulp asking for on_demand remotes still gets a checked, immediate sync.
    assert stored.policy == "immediate"
    # The label that `labeled` replication manages its objects by.
    assert stored.pulp_labels["UpstreamPulp"] == str(replicator.server.pk)


def test_the_repository_is_synced_with_mirror(replicator):
    remote = replicator.create_or_update_remote(dict(UPSTREAM_DISTRIBUTION))
    repository = replicator.create_or_update_repository(remote)
    assert isinstance(repository, BootfilesRepository)
    assert BootfilesReplicator.sync_task is synchronize_oci
    assert replicator.sync_params(repository, remote) == {
        "remote_pk": str(remote.pk),
        "repository_pk": str(repository.pk),
        "mirror": True,
    }


def test_a_distribution_serving_nothing_gets_no_remote(replicator):
    empty = {**UPSTREAM_DISTRIBUTION, "repository": None, "repository_version": None}
    assert replicator.create_or_update_remote(empty) is None


# pulp_container's replicator, as `replicate` runs it beside ours.

CONTAINER_UPSTREAM = {
    "name": "fedora-bootc",
    "base_path": "fedora/bootc",
    "pulp_href": "/pulp/api/v3/distributions/container/container/0191/",
    "repository": "/pulp/api/v3/repositories/container/container/0192/",
}
# How pulp_container's distribution list shows a bootfiles distribution: its own href.
BOOTFILES_UPSTREAM = {
    **UPSTREAM_DISTRIBUTION,
    "pulp_href": "/pulp/api/v3/distributions/bootfiles/bootfiles/0193/",
}


class UpstreamContainerDistributions:
    """The upstream's container distribution list, as pulp-glue would page through it."""

    listed = [CONTAINER_UPSTREAM, BOOTFILES_UPSTREAM]

    def __init__(self, pulp_ctx):
        pass

    def list_iterator(self, parameters, batch_size):
        yield from self.listed


@pytest.fixture
def container_replicator(replicator):
    container = ContainerReplicatorBesideBootfiles(
        None, None, replicator.tls_settings, replicator.server
    )
    container.distribution_ctx_cls = UpstreamContainerDistributions
    return container


@pytest.fixture
def dispatched(monkeypatch):
    """The tasks a replicator dispatches, as (task function name, args), not run."""
    calls = []
    monkeypatch.setattr(
        "pulpcore.app.replica.dispatch",
        lambda func, *, args=(), **kwargs: calls.append((func.__name__, args)),
    )
    return calls


def test_pulpcore_runs_container_replication_beside_ours():
    classes = apps.get_app_config("container").replicator_classes
    assert classes == [ContainerReplicatorBesideBootfiles]


def test_container_replication_skips_upstream_bootfiles_distributions(container_replicator):
    names = [d["name"] for d in container_replicator.upstream_distributions()]
    assert names == ["fedora-bootc"]


def test_container_replication_does_not_remove_bootfiles_distributions(
    container_replicator, dispatched
):
    labels = {"UpstreamPulp": str(container_replicator.server.pk)}
    ours = BootfilesDistribution.objects.create(
        name="fedora-netboot", base_path="fedora/netboot", pulp_labels=labels
    )
    gone = ContainerDistribution.objects.create(
        name="gone-upstream", base_path="gone", pulp_labels=labels
    )
    kept = ContainerDistribution.objects.create(
        name="fedora-bootc", base_path="fedora/bootc", pulp_labels=labels
    )

    container_replicator.remove_missing(["fedora-bootc"])

    (deletion,) = [args for name, args in dispatched if name == "general_multi_delete"]
    deleted = {pk for pk, _app, _serializer in deletion[0]}
    assert deleted == {gone.pk}
    assert ours.pk not in deleted and kept.pk not in deleted


def test_status_and_replication_see_the_package_version():
    # pulpcore reports the app config's version in status/, and replication checks plugin
    # versions against it; it must follow the package's.
    assert apps.get_app_config("bootfiles").version == importlib.metadata.version("pulp-bootfiles")
