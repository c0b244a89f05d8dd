"""
The safe-relative-path rule for paths read from a remote's metadata.

Every such path (treeinfo images and repository, repodata locations) is joined to the remote's
URL and to Pulp content paths, so it must not leave the tree or name another host.
"""

import re

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def path_problem(path: str) -> str | None:
    """Say what keeps `path` from being a safe relative path inside a tree, or None if it is one."""
    parts = path.split("/")
    problems = (
        (not path, "is empty"),
        (_CONTROL.search(path), "contains a control character"),
        ("\\" in path, "contains a backslash"),
        (path.startswith("//") or _SCHEME.match(path), "is a URL, not a relative path"),
        (path.startswith("/"), "is absolute"),
        ("" in parts, "has an empty path component"),
        (".." in parts, "has a '..' component"),
        ("." in parts, "has a '.' component"),
    )
    return next((problem for found, problem in problems if found), None)
