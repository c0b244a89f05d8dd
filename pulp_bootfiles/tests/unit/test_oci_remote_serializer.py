"""Validation of the OCI remote: registry URL, repository name, policy, tag patterns."""

import pytest

from pulp_bootfiles.app.serializers import BootfilesOCIRemoteSerializer

# The serializer checks the name is unique, so it reads the (real) database.
pytestmark = pytest.mark.django_db


def errors(**fields):
    data = {"name": "n", "url": "https://registry.invalid", "upstream_name": "fedora/netboot"}
    serializer = BootfilesOCIRemoteSerializer(data={**data, **fields})
    serializer.is_valid()
    return serializer.errors


def test_a_registry_remote_with_tag_patterns_is_accepted():
    assert errors(include_tags=["4?", "rawhide-*"], exclude_tags=["*-s390x"]) == {}


@pytest.mark.parametrize("url", ["file:///srv/registry", "registry.invalid", "https://"])
def test_url_refused(url):
    assert "is not an http(s):// URL of a registry" in str(errors(url=url)["url"])


@pytest.mark.parametrize("name", ["Fedora/Netboot", "fedora//netboot", "netboot:40", ""])
def test_upstream_name_refused(name):
    assert "upstream_name" in errors(upstream_name=name)


@pytest.mark.parametrize("policy", ["on_demand", "streamed"])
def test_deferred_policies_refused(policy):
    assert "only 'immediate' is supported" in str(errors(policy=policy)["policy"])
