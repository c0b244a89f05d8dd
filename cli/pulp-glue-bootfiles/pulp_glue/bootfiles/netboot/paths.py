"""
The safe-relative-path rule for paths read from a remote's metadata.

Every such path (treeinfo images and repository, repodata locations, a registry's source-path
annotations) is joined to the remote's URL, becomes a Pulp content path and is written into the
generated boot configs (iPXE, GRUB, PXELINUX), so it must not leave the tree, name another host,
carry a query or fragment, or hold a character any of those languages reads as syntax.

The characters allowed are those real trees use: Fedora, RHEL and openSUSE file and package
names are letters, digits and `._-`, plus `+` (libstdc++, gtk+, `1.0+git`), `~` (pre-releases,
`1.0~rc1`), `^` (snapshots, `0^20240101git`) and, rarely, `@ , =`. None of these is special in
a URL path, to GRUB's or iPXE's lexer or in a PXELINUX line.
"""

import re
from urllib.parse import unquote

SAFE_PATH_CHARACTERS = "A-Za-z0-9/._+~^@,=-"
_UNSAFE = re.compile(f"[^{SAFE_PATH_CHARACTERS}]")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def path_problem(path: str) -> str | None:
    """Say what keeps `path` from being a safe relative path inside a tree, or None if it is one."""
    return _structure_problem(path) or _encoding_problem(path) or _character_problem(path)


def _structure_problem(path: str) -> str | None:
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


def _encoding_problem(path: str) -> str | None:
    """A percent-encoded path: an HTTP client decodes it (and drops the dot segments it
    then finds), so it is judged decoded; a harmless one is refused too, since the file would
    be stored under a name other than the one the server serves."""
    decoded = unquote(path, errors="replace") if "%" in path else path
    if decoded == path:
        return None
    problem = _structure_problem(decoded)
    if problem:
        return f"{problem} once percent-decoded ({decoded!r})"
    return "is percent-encoded; paths must name the file as it is"


def _character_problem(path: str) -> str | None:
    if "?" in path:
        return "has a query string ('?'); paths must name a file"
    if "#" in path:
        return "has a fragment ('#'); paths must name a file"
    unsafe = sorted(set(_UNSAFE.findall(path)))
    if unsafe:
        return (
            f"contains {''.join(unsafe)!r}; paths may only hold letters, digits, '/' and "
            f"{SAFE_PATH_CHARACTERS.removeprefix('A-Za-z0-9/')!r}"
        )
    return None
