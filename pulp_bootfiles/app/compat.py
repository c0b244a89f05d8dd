"""
Where the supported pulpcore and pulp-container lines differ, bridged in one place.

The plugin supports pulpcore 3.105 (the LTS line Katello 4.21 ships, with pulp-container
2.27) up to the newest it is tested with (pyproject.toml). Each shim below names the versions
it bridges, so that raising a lower bound means deleting the shims it names, and nothing else.
"""

from importlib.metadata import version

from django.apps import apps
from pulp_container.app.exceptions import RepositoryNotFound


def _release(distribution: str) -> tuple[int, int]:
    major, minor = version(distribution).split(".")[:2]
    return int(major), int(minor)


PULPCORE = _release("pulpcore")
PULP_CONTAINER = _release("pulp-container")

# pulp-container 2.27 and 2.28: the registry refuses every push into a repository whose class
# does not set PUSH_ENABLED ("Repository is read-only."); 2.29 dropped that check.
REGISTRY_CHECKS_PUSH_ENABLED = PULP_CONTAINER < (2, 29)

# pulp-container 2.27 and 2.28: the registry has no DELETE of manifests, tags or blobs at all
# (405 'Method "DELETE" not allowed.' for every repository); 2.29 added it, and the plugin
# refuses it for bootfiles distributions (`oci.push_in.views`).
REGISTRY_TAKES_DELETES = PULP_CONTAINER >= (2, 29)

# pulp-container 2.27 and 2.28: `sign` wants `future_base_path` from every repository but a
# ContainerPushRepository (`SignsAtTheDistributionsBasePath`); 2.29 refuses it where the
# repository has one distribution, whose base path it takes.
SIGN_WANTS_A_BASE_PATH = PULP_CONTAINER < (2, 29)

# pulpcore 3.105 and 3.106: a replicated distribution serves its repository (the latest
# version); from 3.107, `finalize_replication` points it at the version the sync made.
REPLICA_SERVES_A_VERSION = PULPCORE >= (3, 107)

# pulpcore before 3.118 (3.105 among them): the content cache keeps no 404, even one marked
# cacheable; 3.118 keeps a raised HTTPNotFound whose `cacheable` is true. Where it cannot, the
# plugin's content route answers the per-machine probe names itself, cache on or off.
CONTENT_CACHE_KEEPS_NOT_FOUND = PULPCORE >= (3, 118)


class PushesIntoBootfilesDistributions:
    """
    A mixin for pulp_container's registry views that take pushes (blob uploads, manifests,
    signatures), for pulp-container 2.27 and 2.28 (`REGISTRY_CHECKS_PUSH_ENABLED`).

    A bootfiles repository keeps PUSH_ENABLED false: elsewhere pulp_container reads it as
    "a ContainerPushRepository" (distributing a version, deleting the repository with its
    distribution), which it is not. Its pushes are checked by `oci.push_in` instead, so the
    registry's gate is skipped for bootfiles distributions here, as pulp-container 2.29 does
    for every repository. The view names its own distribution lookup
    (`bootfiles_distribution`).
    """

    def get_dr_push(self, request, path, create=False):
        distribution = self.bootfiles_distribution(path)
        if distribution is None:
            return super().get_dr_push(request, path, create=create)
        if distribution.repository is None:
            raise RepositoryNotFound(name=path)
        return distribution, distribution.repository.cast()


class ReplicatesDistributionsWithoutPublication:
    """
    A mixin for a pulpcore Replicator whose distributions have no `publication` field.

    pulpcore 3.105 and 3.106: `distribution_extra_fields` returns `"publication": None` with the
    repository, so the distribution serializer refuses the data ("Unexpected field"); 3.107
    leaves the served repository and publication to `finalize_replication`. pulp_container's
    own replicator drops the key the same way.
    """

    def distribution_extra_fields(self, repository, upstream_distribution, **kwargs):
        fields = super().distribution_extra_fields(repository, upstream_distribution, **kwargs)
        fields.pop("publication", None)
        return fields


class SignsAtTheDistributionsBasePath:
    """
    A mixin for a repository viewset with pulp_container's `sign` action, for pulp-container
    2.27 and 2.28: they require `future_base_path` from every repository but a
    ContainerPushRepository. 2.29 takes the base path of the repository's one distribution
    when the request names none (and requires it only for zero or several distributions), so
    `sign` of a distributed bootfiles repository needs no base path; here too.

    It fills the request in before the action runs (`initial`, after authentication and
    permissions), so pulp_container's `sign` action itself stays as it is.
    """

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not (SIGN_WANTS_A_BASE_PATH and self.action == "sign"):
            return
        if "future_base_path" not in request.data:
            distributions = self.get_object().distributions.all()[:2]
            if len(distributions) == 1:
                # DRF keeps the parsed body here; pulp_container's `sign` reads request.data.
                request._full_data = {
                    **request.data,
                    "future_base_path": distributions[0].base_path,
                }


def manifest_signature_fields(values):
    """
    `values` reduced to the fields ManifestSignature has on this line.

    pulp-container 2.27 has no `fingerprint` (the newest adds it beside key_id, its migration
    0049), so a signature carried from a newer server drops it here, and one from an older
    server has none to give.
    """
    # From the app registry: this module's flags are read where no Django app is loaded (the
    # functional tests), so it imports no model.
    signature_model = apps.get_model("container", "ManifestSignature")
    known = {field.name for field in signature_model._meta.concrete_fields}
    return {name: value for name, value in values.items() if name in known}
