"""The second stack (domains, token auth) and its S3 server, shared by the tests here only."""

import uuid

import pytest

from pulp_bootfiles.app.serving.storage_classes import FILESYSTEM_STORAGE
from pulp_bootfiles.tests.functional.conftest import REMOTES, REPOSITORIES
from pulp_bootfiles.tests.functional.pulp_api import PulpAPI
from pulp_bootfiles.tests.functional.second_stack.object_store import S3_STORAGE, ObjectStore
from pulp_bootfiles.tests.functional.second_stack.stack import SecondStack
from pulp_bootfiles.tests.functional.users import UserFactory

DOMAINS = "/pulp/api/v3/domains/"
DISTRIBUTIONS = "/pulp/api/v3/distributions/bootfiles/bootfiles/"
FILESYSTEM_DOMAIN = "alpha"
S3_DOMAIN = "objects"


class DomainAPI(PulpAPI):
    """The API of one domain: the hrefs the tests write ("/pulp/api/v3/...") go to it."""

    def __init__(self, base, domain, auth=("admin", "password")):
        super().__init__(base=base, auth=auth)
        self.domain = domain

    def href(self, href):
        return href.replace("/pulp/api/v3/", f"/pulp/{self.domain}/api/v3/", 1)

    def url(self, href):
        return super().url(self.href(href))


class SecondPulp:
    """What the tests see: the stack's addresses, its S3 server and a client per domain."""

    def __init__(self, stack, object_store):
        self.stack = stack
        self.object_store = object_store
        self.registry = stack.registry
        self.content = stack.content

    def api(self, domain="default", auth=("admin", "password")):
        return DomainAPI(self.stack.api, domain, auth)

    def create_domains(self):
        admin = self.api()
        media = self.stack.dev_dir / f"{FILESYSTEM_DOMAIN}-media"
        for name, storage_class, storage_settings in (
            (FILESYSTEM_DOMAIN, FILESYSTEM_STORAGE, {"location": str(media)}),
            (S3_DOMAIN, S3_STORAGE, self.object_store.storage_settings()),
        ):
            body = {
                "name": name,
                "storage_class": storage_class,
                "storage_settings": storage_settings,
            }
            admin.post(DOMAINS, body, expect=201)


@pytest.fixture(scope="session")
def object_store():
    store = ObjectStore()
    store.start()
    yield store
    store.stop()


@pytest.fixture(scope="session")
def second_pulp(object_store):
    """A stack of its own with DOMAIN_ENABLED, token auth, and an S3 domain on `object_store`."""
    stack = SecondStack()
    stack.start()
    try:
        pulp = SecondPulp(stack, object_store)
        pulp.create_domains()
        yield pulp
    finally:
        stack.stop()


@pytest.fixture
def user_factory_second(second_pulp):
    """Users of the second stack (default domain), deleted after the test."""
    users = UserFactory(second_pulp.api())
    yield users
    users.delete_all()


def synced_and_distributed(api, tree_url, **distribution_fields):
    """Sync the tree at `tree_url` into a new repository of `api`'s domain and distribute it.

    Nothing is deleted afterwards: the whole stack goes at the end of the session.
    """
    suffix = uuid.uuid4().hex[:10]
    remote = api.post(REMOTES, {"name": f"remote-{suffix}", "url": tree_url}, expect=201).json()
    repository = api.post(REPOSITORIES, {"name": f"repo-{suffix}"}, expect=201).json()
    api.run(repository["pulp_href"] + "sync/", {"remote": remote["pulp_href"]})
    return api.get(repository["pulp_href"]), distribute(api, repository, **distribution_fields)


def distribute(api, repository, **fields):
    """A new distribution of `repository` (a unique base path unless `fields` name one)."""
    suffix = uuid.uuid4().hex[:10]
    body = {
        "name": f"dist-{suffix}",
        "base_path": f"netboot-{suffix}",
        "repository": repository["pulp_href"],
        **fields,
    }
    return api.get(api.run(DISTRIBUTIONS, body)["created_resources"][0])
