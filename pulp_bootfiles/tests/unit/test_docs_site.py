"""The docs site builds without a broken link, and the change log builds from its fragments."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[3]
FRAGMENT = re.compile(r"\d+\.(feature|bugfix|doc|removal|deprecation|misc)(\.\d+)?")


def test_docs_site_builds_strictly(tmp_path):
    # --strict: a broken link, a missing anchor or a page left out of the nav is an error.
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "user" / "quickstart" / "index.html").exists()


def test_change_fragments_are_named_for_towncrier():
    names = [p.name for p in (ROOT / "CHANGES").iterdir() if not p.name.startswith(".")]
    assert [n for n in names if not FRAGMENT.fullmatch(n)] == []


def test_changelog_builds_from_the_fragments():
    result = subprocess.run(
        [sys.executable, "-m", "towncrier", "build", "--draft", "--version", "next"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    # Every fragment of a type whose content towncrier shows is in the notes (a type left out of
    # pyproject.toml is silently dropped: the removal warning once was).
    types = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["towncrier"]["type"]
    shown = {kind["directory"] for kind in types if kind["showcontent"]}
    fragments = [p for p in (ROOT / "CHANGES").iterdir() if FRAGMENT.fullmatch(p.name)]
    assert {p.name.split(".")[1] for p in fragments} <= {kind["directory"] for kind in types}
    for fragment in fragments:
        if fragment.name.split(".")[1] in shown:
            first_line = fragment.read_text().splitlines()[0]
            assert first_line in result.stdout, fragment.name
