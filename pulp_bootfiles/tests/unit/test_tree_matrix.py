"""A remote's URL as a matrix of trees: the placeholders, the lists, the cells, the cell check."""

import pytest

from pulp_bootfiles.app.formats.tree_matrix import (
    Cell,
    MatrixError,
    cells,
    check_cell,
    check_matrix,
)

FEDORA = "https://mirror.invalid/fedora/releases/{release}/Everything/{arch}/os/"


@pytest.mark.parametrize(
    "url, releases, arches, used",
    [
        ("https://mirror.invalid/f/41/x86_64/os/", None, None, set()),
        (FEDORA, ["41", "42"], ["x86_64", "aarch64"], {"release", "arch"}),
        ("https://mirror.invalid/f/{release}/x86_64/", ["9.4", "rawhide"], None, {"release"}),
        ("https://mirror.invalid/f/41/{arch}/{arch}/", None, ["s390x"], {"arch"}),
    ],
)
def test_accepted(url, releases, arches, used):
    assert check_matrix(url, releases, arches) == used


@pytest.mark.parametrize(
    "url, releases, arches, message",
    [
        (FEDORA, None, ["x86_64"], "the URL has {release} but releases is not set"),
        (FEDORA, ["41"], None, "the URL has {arch} but arches is not set"),
        ("https://m.invalid/41/", ["41"], None, "releases is set but the URL has no {release}"),
        ("https://m.invalid/{release}/", ["41"], ["x86_64"], "arches is set but the URL has no"),
        (FEDORA, [], ["x86_64"], "releases is empty"),
        (FEDORA, ["41"], [], "arches is empty"),
        (FEDORA, ["41", "42", "41"], ["x86_64"], "releases lists 41 more than once"),
        (FEDORA, ["41"], ["x86_64", "x86_64"], "arches lists x86_64 more than once"),
        (FEDORA, ["41"], ["amd64"], "unknown arch 'amd64'; expected one of x86_64"),
        (FEDORA, ["../41"], ["x86_64"], "release '../41' is not a safe path component"),
        (FEDORA, [".hidden"], ["x86_64"], "release '.hidden' is not a safe path component"),
        (FEDORA, ["4 1"], ["x86_64"], "release '4 1' is not a safe path component"),
        (FEDORA, ["41/x"], ["x86_64"], "release '41/x' is not a safe path component"),
        ("https://m.invalid/{foo}/", None, None, "unknown placeholder {foo} in the URL"),
        ("https://m.invalid/{Release}/", ["41"], None, "unknown placeholder {Release}"),
        ("https://m.invalid/{release/", ["41"], None, "unbalanced '{' or '}'"),
        ("https://m.invalid/release}/", None, None, "unbalanced '{' or '}'"),
        ("https://{arch}.m.invalid/", None, ["x86_64"], "placeholders belong in the URL's path"),
        ("https://m.invalid/?r={release}", ["41"], None, "placeholders belong in the URL's path"),
    ],
)
def test_refused(url, releases, arches, message):
    with pytest.raises(MatrixError, match="^") as caught:
        check_matrix(url, releases, arches)
    assert message in str(caught.value)


def test_cells_in_the_order_listed():
    assert [c.url for c in cells(FEDORA, ["42", "41"], ["aarch64", "x86_64"])] == [
        "https://mirror.invalid/fedora/releases/42/Everything/aarch64/os/",
        "https://mirror.invalid/fedora/releases/42/Everything/x86_64/os/",
        "https://mirror.invalid/fedora/releases/41/Everything/aarch64/os/",
        "https://mirror.invalid/fedora/releases/41/Everything/x86_64/os/",
    ]
    assert cells(FEDORA, ["41"], ["x86_64"])[0].name == "41/x86_64"


def test_one_placeholder_leaves_the_other_to_the_treeinfo():
    (cell,) = cells("https://m.invalid/41/{arch}/", None, ["ppc64le"])
    assert cell == Cell(None, "ppc64le", "https://m.invalid/41/ppc64le/")
    assert cell.name == "*/ppc64le"
    check_cell(cell, "41", "ppc64le", ".treeinfo")  # any release
    with pytest.raises(MatrixError, match="describes the tree 41/x86_64, not 41/ppc64le"):
        check_cell(cell, "41", "x86_64", ".treeinfo")


def test_a_plain_url_has_no_cells():
    assert cells("https://m.invalid/f/41/x86_64/os/", None, None) == []


@pytest.mark.parametrize(
    "release, arch",
    [("41", "x86_64"), ("42", "aarch64"), ("41", "aarch64")],
)
def test_check_cell_refuses_another_tree(release, arch):
    cell = Cell("42", "x86_64", "https://m.invalid/42/x86_64/")
    with pytest.raises(MatrixError) as caught:
        check_cell(cell, release, arch, "https://m.invalid/42/x86_64/.treeinfo")
    assert str(caught.value).startswith(
        f"https://m.invalid/42/x86_64/.treeinfo describes the tree {release}/{arch}, not 42/x86_64"
    )
    check_cell(cell, "42", "x86_64", "x")
