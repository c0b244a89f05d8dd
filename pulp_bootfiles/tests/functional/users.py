"""Non-admin users for the RBAC tests, made through the API of any stack."""

import uuid

import pytest

from pulp_bootfiles.tests.functional.pulp_api import PulpAPI

USERS = "/pulp/api/v3/users/"


class UserFactory:
    """`make(*roles)` creates a user with `(role, object href or None)` roles; `delete_all()`."""

    def __init__(self, admin):
        self.admin = admin
        self.hrefs = []

    def __call__(self, *roles):
        name = f"user-{uuid.uuid4().hex[:10]}"
        password = uuid.uuid4().hex
        body = {"username": name, "password": password}
        user = self.admin.post(USERS, body, expect=201).json()
        self.hrefs.append(user["pulp_href"])
        for role, obj in roles:
            body = {"role": role, "content_object": obj}
            self.admin.post(user["pulp_href"] + "roles/", body, expect=201)
        return PulpAPI(base=self.admin.base, auth=(name, password))

    def delete_all(self):
        for href in self.hrefs:
            self.admin.delete(href)


@pytest.fixture
def user_factory(pulp):
    """Users of the main stack, deleted after the test."""
    users = UserFactory(pulp)
    yield users
    users.delete_all()
