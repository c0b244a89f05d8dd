"""Where the tests find the stack (env BOOTFILES_API, as the plugin's own tests) and its APIs."""

import os

API = os.environ.get("BOOTFILES_API", "http://127.0.0.1:24817")
V3 = "/pulp/api/v3/"
REMOTES = V3 + "remotes/bootfiles/bootfiles/"
OCI_REMOTES = V3 + "remotes/bootfiles/oci/"
REPOSITORIES = V3 + "repositories/bootfiles/bootfiles/"
DISTRIBUTIONS = V3 + "distributions/bootfiles/bootfiles/"
FILES = V3 + "content/bootfiles/files/"
TREES = V3 + "content/bootfiles/trees/"
