"""
The quickstart (docs/user/quickstart.md) runs as written: every `sh` block, in order, in one
shell, against the live stack and a generated Fedora 41 tree. Only the page's three settings
(PULP, REGISTRY, MIRROR) are replaced; the files the page pulls are then compared by sha256
with what the tree holds.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from pulp_bootfiles.tests.fixtures.content import file_sha256

QUICKSTART = Path(__file__).parents[3] / "docs" / "user" / "quickstart.md"
NAMES = {
    "distributions/bootfiles/bootfiles/": "fedora",
    "repositories/bootfiles/bootfiles/": "fedora",
    "remotes/bootfiles/bootfiles/": "fedora-41-x86_64",
}


def shell_blocks(markdown):
    return re.findall(r"^```sh\n(.*?)^```", markdown, flags=re.S | re.M)


def with_settings(script, **settings):
    for name, value in settings.items():
        script, count = re.subn(rf"^{name}=\S+", f"{name}={value}", script, flags=re.M)
        assert count == 1, f"the quickstart must set {name} once"
    return script


def remove_quickstart_objects(pulp):
    for endpoint, name in NAMES.items():
        for obj in pulp.list(f"/pulp/api/v3/{endpoint}", name=name):
            response = pulp.delete(obj["pulp_href"])
            if response.status_code == 202:
                pulp.wait(response.json()["task"])


@pytest.fixture
def quickstart_names_free(pulp):
    remove_quickstart_objects(pulp)  # a name the page uses must not be taken already
    yield
    remove_quickstart_objects(pulp)


def test_quickstart_commands_work(pulp, tree_factory, tmp_path, quickstart_names_free):
    tree, mirror = tree_factory(release="41", arch="x86_64")
    registry = pulp.base.split("://", 1)[1]
    blocks = shell_blocks(QUICKSTART.read_text())
    assert len(blocks) >= 8, "the quickstart lost its commands"
    script = with_settings("\n".join(blocks), PULP=pulp.base, REGISTRY=registry, MIRROR=mirror)
    # Stop before "Clean up" would remove what is checked below; run it afterwards.
    body, cleanup = script.split("pulp bootfiles distribution destroy", 1)
    cleanup = "pulp bootfiles distribution destroy" + cleanup

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    oras = bin_dir / "oras"
    oras.write_text(
        f'#!/bin/sh\nexec {sys.executable} -m pulp_bootfiles.tests.functional.oras_standin "$@"\n'
    )
    oras.chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    env = {
        "PATH": f"{bin_dir}:{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }

    def run(commands):
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-xc", commands],
            cwd=work, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert result.returncode == 0, f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
        return result

    run(body)
    expected = tree.expected_files()
    for name in ("vmlinuz", "initrd.img", "shimx64.efi", "grubx64.efi", "pxelinux.0"):
        assert file_sha256(work / "netboot" / name) == expected[name], f"oras-pulled {name}"
    assert file_sha256(work / "vmlinuz") == expected["vmlinuz"]
    assert file_sha256(work / "shimx64.efi") == expected["shimx64.efi"]
    layout_index = json.loads((work / "fedora-netboot" / "index.json").read_text())
    assert layout_index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"] == (
        "41-amd64"
    )

    run(cleanup)
    for endpoint, name in NAMES.items():
        assert pulp.list(f"/pulp/api/v3/{endpoint}", name=name) == [], endpoint
