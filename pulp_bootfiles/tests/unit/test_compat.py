"""The bridges between the supported pulpcore / pulp-container lines (app/compat.py)."""

from importlib.metadata import version

from pulp_container.app.models import ManifestSignature
from pulp_container.app.registry_api import Blobs, BlobUploads, Manifests, Signatures

from pulp_bootfiles.app import compat
from pulp_bootfiles.app.oci.push_in.middleware import ROUTED
from pulp_bootfiles.app.viewsets import BootfilesRepositoryViewSet


def test_the_versions_are_the_installed_ones():
    for name, release in (("pulpcore", compat.PULPCORE), ("pulp-container", compat.PULP_CONTAINER)):
        assert ".".join(map(str, release)) == ".".join(version(name).split(".")[:2])


def test_the_sign_action_stays_routed():
    # The mixin fills the request in before the action; an override of `sign` itself would
    # hide pulp_container's action from the router (a 404 at .../sign/).
    actions = {action.__name__ for action in BootfilesRepositoryViewSet.get_extra_actions()}
    assert "sign" in actions
    assert "sign" not in vars(compat.SignsAtTheDistributionsBasePath)


def test_the_registry_views_routed_follow_the_installed_pulp_container():
    assert ROUTED[Manifests][0] == ({"PUT", "DELETE"} if compat.REGISTRY_TAKES_DELETES else {"PUT"})
    assert (Blobs in ROUTED) == compat.REGISTRY_TAKES_DELETES
    assert (BlobUploads in ROUTED) == (Signatures in ROUTED) == compat.REGISTRY_CHECKS_PUSH_ENABLED


def test_carried_signatures_keep_the_fields_this_line_has():
    has_fingerprint = any(
        field.name == "fingerprint" for field in ManifestSignature._meta.concrete_fields
    )
    values = {"name": "n", "key_id": "K", "fingerprint": "F", "not_a_field": 1}
    kept = compat.manifest_signature_fields(values)
    assert kept == {"name": "n", "key_id": "K", **({"fingerprint": "F"} if has_fingerprint else {})}
