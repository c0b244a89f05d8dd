"""Tests of rpm's version order: compare_evr (with rpm 4.15's "^")."""

import shutil
import subprocess

import pytest

from pulp_bootfiles.app.formats.evr import compare_evr


@pytest.mark.parametrize(
    "first, second, expected",
    [
        ((0, "15.8", "3"), (0, "15.8", "3"), 0),
        ((0, "15.10", "1"), (0, "15.8", "1"), 1),  # numeric, not string, comparison
        ((1, "2.06", "1"), (0, "2.99", "1"), 1),  # epoch first
        ((0, "2.99", "1"), (1, "2.06", "1"), -1),
        ((0, "1.0", "1"), (0, "1.0~rc1", "1"), 1),  # "~" sorts before anything, even the end
        ((0, "1.0~rc1", "1"), (0, "1.0~rc2", "1"), -1),
        ((0, "1.0~~", "1"), (0, "1.0~", "1"), -1),
        ((0, "1.0^git1", "1"), (0, "1.0", "1"), 1),  # "^" sorts after the end ...
        ((0, "1.0^git1", "1"), (0, "1.0.1", "1"), -1),  # ... and before anything else
        ((0, "1.0^", "1"), (0, "1.0", "1"), 1),
        ((0, "1.0^1", "1"), (0, "1.0^2", "1"), -1),
        ((0, "1.0^1", "1"), (0, "1.0~1", "1"), 1),
        ((0, "1.0~rc1^git2", "1"), (0, "1.0~rc1", "1"), 1),
        ((0, "1.0", "1"), (0, "1.0a", "1"), -1),  # a longer string with more segments wins
        ((0, "1.a", "1"), (0, "1.1", "1"), -1),  # numeric segments beat alpha ones
        ((0, "1.010", "1"), (0, "1.10", "1"), 0),  # leading zeros do not count
        ((0, "1_0", "1"), (0, "1.0", "1"), 0),  # separators are all alike
        ((0, "6.04", "0.26.fc40"), (0, "6.04", "0.26.fc39"), 1),  # then the release
        ((0, "6.04", "0.9.fc40"), (0, "6.04", "0.10.fc40"), -1),
        ((0, "2.06", "1.fc40"), (0, "2.06", "1.fc40.1"), -1),
    ],
)
def test_compare_evr(first, second, expected):
    assert compare_evr(first, second) == expected
    assert compare_evr(second, first) == -expected


@pytest.mark.skipif(shutil.which("rpm") is None, reason="needs the rpm binary to compare with")
def test_compare_evr_agrees_with_rpm():
    """Cross-check the table's version pairs with rpm's own rpmvercmp (rpm's Lua rpm.vercmp)."""
    pairs = [
        ("15.10", "15.8"),
        ("1.0", "1.0~rc1"),
        ("1.0~rc1", "1.0~rc2"),
        ("1.0~~", "1.0~"),
        ("1.0^git1", "1.0"),
        ("1.0^git1", "1.0.1"),
        ("1.0^", "1.0"),
        ("1.0^1", "1.0^2"),
        ("1.0^1", "1.0~1"),
        ("1.0~rc1^git2", "1.0~rc1"),
        ("1.0", "1.0a"),
        ("1.a", "1.1"),
        ("1.010", "1.10"),
        ("1_0", "1.0"),
        ("1.0.^1", "1.0^2"),
        ("1.0^1", "1.0."),
        ("0.26.fc40", "0.26.fc39"),
        ("1.fc40", "1.fc40.1"),
        ("1.0^a~b", "1.0^a"),
    ]
    lua = " ".join(f"%{{lua: print(rpm.vercmp('{a}', '{b}'))}}" for a, b in pairs)
    output = subprocess.run(["rpm", "--eval", lua], capture_output=True, text=True, check=True)
    expected = [int(value) for value in output.stdout.split()]
    assert [compare_evr((0, a, "1"), (0, b, "1")) for a, b in pairs] == expected
