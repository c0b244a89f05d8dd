"""`pulp bootfiles distribution ...` against the live stack, checked through the REST API."""

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from endpoints import API, DISTRIBUTIONS

pytestmark = pytest.mark.functional


KERNEL_ARGS = "inst.ks=http://ks.example.com/web.cfg console=ttyS0,115200n8"


def test_distribution_lifecycle(cli, pulp, name, synced):
    tree, repository = synced
    created = cli(
        "distribution create",
        name=name,
        base_path=name,
        repository=repository["name"],
        kernel_args=KERNEL_ARGS,
        boot_origin="http://boot.example.com:8080/",
    )
    [distribution] = pulp.list(DISTRIBUTIONS, name=name)
    shown = cli("distribution show", name=name).json
    assert created.json == shown == distribution

    # What to pull and where the plain files are.
    host = API.split("://", 1)[1]
    assert shown["registry_path"] == f"{host}/{name}"
    assert shown["oci_references"] == [f"{host}/{name}:40", f"{host}/{name}:40-amd64"]
    assert shown["base_url"].endswith(f"/pulp/content/{name}/")
    vmlinuz = requests.get(shown["base_url"] + "40/x86_64/images/pxeboot/vmlinuz", timeout=30)
    assert vmlinuz.status_code == 200
    assert hashlib.sha256(vmlinuz.content).hexdigest() == tree.images["images/pxeboot/vmlinuz"]

    # The generated boot configs use --kernel-args and --boot-origin.
    assert (shown["kernel_args"], shown["boot_origin"]) == (
        KERNEL_ARGS,
        "http://boot.example.com:8080",
    )
    ipxe = requests.get(shown["base_url"] + "40/x86_64/boot.ipxe", timeout=30).text
    tree_url = f"http://boot.example.com:8080/pulp/content/{name}/40/x86_64"
    assert f"kernel {tree_url}/images/pxeboot/vmlinuz " in ipxe
    assert f"inst.stage2={tree_url} {KERNEL_ARGS}\n" in ipxe

    # --version pins a version of the repository served now; --repository follows it again.
    cli("distribution update", name=name, version=0, private=True, kernel_args="", boot_origin="")
    distribution = pulp.get(distribution["pulp_href"])
    assert (distribution["kernel_args"], distribution["boot_origin"]) == ("", "")
    assert distribution["repository"] is None
    assert distribution["repository_version"] == repository["versions_href"] + "0/"
    assert (distribution["private"], distribution["oci_references"]) == (True, [])
    cli("distribution update", name=name, version=1)
    assert pulp.get(distribution["pulp_href"])["repository_version"].endswith("/versions/1/")
    cli("distribution update", name=name, repository=repository["name"], private=False)
    distribution = pulp.get(distribution["pulp_href"])
    assert distribution["repository"] == repository["pulp_href"]
    assert (distribution["repository_version"], distribution["private"]) == (None, False)
    assert len(cli("distribution list", base_path=name).json) == 1

    cli("distribution destroy", name=name)
    assert pulp.list(DISTRIBUTIONS, name=name) == []


def test_distribution_errors(cli, pulp, name, synced):
    _tree, repository = synced
    result = cli("distribution create", name=name, base_path=name, version=1, expect=1)
    assert "--version needs a repository (--repository)" in result.stderr
    result = cli(
        "distribution create",
        name=name,
        base_path="Not A Registry Path",
        repository=repository["name"],
        expect=1,
    )
    assert "base_path" in result.stderr
    result = cli(
        "distribution create",
        name=name,
        base_path=name,
        repository=repository["name"],
        version=9,
        expect=1,
    )
    assert "repository_version" in result.stderr and "does not exist" in result.stderr
    for option, value, message in [
        ("kernel_args", "quiet; reboot", "kernel arguments may not contain ';'"),
        ("boot_origin", "ftp://pulp", "Must be an http:// or https:// origin without a path"),
    ]:
        result = cli("distribution create", name=name, base_path=name, expect=1, **{option: value})
        assert option in result.stderr and message in result.stderr, result.stderr
    assert pulp.list(DISTRIBUTIONS, name=name) == []


def test_installed_pulp_command(cli_config, synced):
    """The `pulp` executable finds the plugin through its entry point."""
    pulp_exe = Path(sys.executable).with_name("pulp")
    version = subprocess.run([pulp_exe, "--version"], capture_output=True, text=True, check=True)
    assert "bootfiles: " in version.stdout
    shown = subprocess.run(
        [pulp_exe, "--config", cli_config["config"], "bootfiles", "repository", "show"]
        + ["--name", synced[1]["name"]],
        capture_output=True,
        text=True,
        env={**os.environ, **cli_config["env"]},
    )
    assert shown.returncode == 0, shown.stderr
    assert '"latest_version_href"' in shown.stdout
