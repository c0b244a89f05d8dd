"""
A tree remote's URL as a matrix of trees: `{release}` and `{arch}` in its path, and the lists
(`releases`, `arches`) that fill them in.

https://mirror.example/fedora/linux/releases/{release}/Everything/{arch}/os/ with releases
["41", "42"] and arches ["x86_64", "aarch64"] names four tree roots, one per (release, arch)
cell. A URL without placeholders is one tree, as it always was, and takes no lists.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from pulp_glue.bootfiles.netboot.constants import SUPPORTED_ARCHES

from pulp_bootfiles.app.formats.treeinfo import is_safe_release

RELEASE, ARCH = "release", "arch"
PLACEHOLDERS = (RELEASE, ARCH)
# The list field of a remote that fills each placeholder in.
LIST_FIELDS = {RELEASE: "releases", ARCH: "arches"}

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class MatrixError(ValueError):
    """A URL and lists that do not make a matrix; the message says what is wrong, and `field`
    which of the remote's fields it is about ("url", "releases" or "arches")."""

    def __init__(self, message, field="url"):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Cell:
    """One tree of the matrix: its root URL and the (release, arch) it must describe.

    `release` is None when the URL has no `{release}`: the tree's `.treeinfo` says it."""

    release: str | None
    arch: str | None
    url: str

    @property
    def name(self):
        return "/".join(part or "*" for part in (self.release, self.arch))


def placeholders(url: str) -> frozenset:
    """The placeholders in `url`: a subset of PLACEHOLDERS; anything else in braces is an error."""
    found = _PLACEHOLDER.findall(url)
    unknown = sorted({name for name in found if name not in PLACEHOLDERS})
    if unknown:
        listed = ", ".join("{" + name + "}" for name in unknown)
        raise MatrixError(
            f"unknown placeholder {listed} in the URL; only {{release}} and {{arch}} are known"
        )
    rest = _PLACEHOLDER.sub("", url)
    if "{" in rest or "}" in rest:
        raise MatrixError("unbalanced '{' or '}' in the URL; placeholders are {release}, {arch}")
    if found and any(
        "{" in part for part in (urlsplit(url).netloc, urlsplit(url).query, urlsplit(url).fragment)
    ):
        raise MatrixError("placeholders belong in the URL's path, not its host or query")
    return frozenset(found)


def check_matrix(url: str, releases, arches) -> frozenset:
    """
    Check that the placeholders of `url` and the lists (None: not set) match; return the
    placeholders. Each placeholder needs its non-empty list of distinct valid values, and each
    list its placeholder.
    """
    used = placeholders(url)
    for placeholder, values, check in (
        (RELEASE, releases, _check_release),
        (ARCH, arches, _check_arch),
    ):
        field = LIST_FIELDS[placeholder]
        if values is None:
            if placeholder in used:
                raise MatrixError(f"the URL has {{{placeholder}}} but {field} is not set")
            continue
        if placeholder not in used:
            raise MatrixError(f"{field} is set but the URL has no {{{placeholder}}} to fill in")
        if not values:
            raise MatrixError(f"{field} is empty; list at least one or leave it unset", field)
        duplicates = sorted({value for value in values if values.count(value) > 1})
        if duplicates:
            raise MatrixError(f"{field} lists {', '.join(duplicates)} more than once", field)
        for value in values:
            check(value, field)
    return used


def cells(url: str, releases, arches) -> list[Cell]:
    """The trees of the matrix, release by release in the order listed; [] for a plain URL."""
    used = check_matrix(url, releases, arches)
    if not used:
        return []
    return [
        Cell(release, arch, _fill(url, release, arch))
        for release in (releases if RELEASE in used else [None])
        for arch in (arches if ARCH in used else [None])
    ]


def check_cell(cell: Cell, release: str, arch: str, source: str):
    """A fetched tree must be the cell it was fetched for: a mirror serving 41's tree under 42
    would make the repository hold a tree twice and lose the other."""
    wanted = (cell.release or release, cell.arch or arch)
    if wanted != (release, arch):
        raise MatrixError(
            f"{source} describes the tree {release}/{arch}, not {wanted[0]}/{wanted[1]}, "
            "the cell of the remote's releases and arches it was fetched for"
        )


def _fill(url, release, arch):
    values = {RELEASE: release, ARCH: arch}
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], url)


def _check_release(release, field):
    if not isinstance(release, str) or not is_safe_release(release):
        raise MatrixError(
            f"release {release!r} is not a safe path component (letters, digits, '.', '_', "
            "'-'; not starting with '.')",
            field,
        )


def _check_arch(arch, field):
    if arch not in SUPPORTED_ARCHES:
        raise MatrixError(
            f"unknown arch {arch!r}; expected one of {', '.join(SUPPORTED_ARCHES)}", field
        )
