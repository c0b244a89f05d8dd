"""The docs site builds without a broken link, and the change log builds from its fragments."""

import re
import subprocess
import sys
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
    for fragment in (ROOT / "CHANGES").glob("*.feature"):
        first_line = fragment.read_text().splitlines()[0]
        assert first_line in result.stdout, fragment.name
