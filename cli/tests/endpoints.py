"""Where the tests find the stack (env BOOTFILES_API, as the plugin's own tests), its APIs, and
the one object of a name at one of them."""

import os

API = os.environ.get("BOOTFILES_API", "http://127.0.0.1:24817")
V3 = "/pulp/api/v3/"
REMOTES = V3 + "remotes/bootfiles/bootfiles/"
OCI_REMOTES = V3 + "remotes/bootfiles/oci/"
REPOSITORIES = V3 + "repositories/bootfiles/bootfiles/"
DISTRIBUTIONS = V3 + "distributions/bootfiles/bootfiles/"
FILES = V3 + "content/bootfiles/files/"
TREES = V3 + "content/bootfiles/trees/"

TREE_URL = "https://mirror.example/fedora/releases/40/Everything/x86_64/os/"


def only(pulp, endpoint, name):
    """The one object named `name` at `endpoint` (the REST client `pulp` lists it)."""
    results = pulp.list(endpoint, name=name)
    assert len(results) == 1, results
    return results[0]
