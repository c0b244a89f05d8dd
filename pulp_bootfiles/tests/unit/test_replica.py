"""The bootfiles Replicator: what it makes of an upstream bootfiles distribution."""

import pytest
from django.apps import apps

from pulp_bootfiles.app.models import BootfilesOCIRemote, BootfilesRepository
from pulp_bootfiles.app.replica import BootfilesReplicator
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
    return BootfilesReplicator(
        pulp_ctx=None, task_group=None, remote_settings=settings, server=server
    )


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
