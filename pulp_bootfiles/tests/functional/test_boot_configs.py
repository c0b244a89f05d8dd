"""Boot configs generated beside each served tree: every URL and name in them resolves to the
tree's own files."""

import configparser
import re
import uuid

import pytest
import requests

from pulp_bootfiles.tests.fixtures.treegen import build_tree
from pulp_bootfiles.tests.functional.conftest import DISTRIBUTIONS
from pulp_bootfiles.tests.functional.pulp_api import CONTENT
from pulp_bootfiles.tests.functional.serving import distributed_trees, get, sha256_of

KERNEL_ARGS = "inst.ks=http://ks.example.com/ks.cfg?host=a&x=1 console=ttyS0,115200n8"
GRUB_KERNEL_ARGS = "'inst.ks=http://ks.example.com/ks.cfg?host=a&x=1' console=ttyS0,115200n8"


@pytest.fixture(scope="module")
def boot_served(pulp, fixture_server):
    """An x86_64 and an aarch64 tree of release 40, distributed with extra kernel args."""
    salt = uuid.uuid4().hex[:12]
    trees = {
        arch: build_tree(fixture_server.root / f"{salt}-{arch}", arch=arch, salt=salt)
        for arch in ("x86_64", "aarch64")
    }
    urls = [fixture_server.url(f"{salt}-{arch}") + "/" for arch in trees]
    with distributed_trees(pulp, urls, kernel_args=KERNEL_ARGS) as distribution:
        base = f"{CONTENT}/pulp/content/{distribution['base_path']}"
        yield {
            "x86": trees["x86_64"],
            "arm": trees["aarch64"],
            "distribution": distribution,
            "base": base,
        }


def check_stage2(stage2_url, tree):
    """anaconda's way: `<stage2>/.treeinfo`, then its [stage2] mainimage beside it."""
    treeinfo = get(f"{stage2_url}/.treeinfo").content
    assert treeinfo == tree.treeinfo_path.read_bytes()
    parser = configparser.ConfigParser()
    parser.read_string(treeinfo.decode())
    mainimage = parser["stage2"]["mainimage"]
    assert sha256_of(f"{stage2_url}/{mainimage}") == tree.images[mainimage]


def test_ipxe_urls_fetch_the_trees_kernel_initrd_and_stage2(boot_served):
    tree, base = boot_served["x86"], boot_served["base"]
    text = get(f"{base}/40/x86_64/boot.ipxe").text
    kernel = re.search(r"^kernel (\S+) initrd=initrd.img inst.stage2=(\S+) (.*)$", text, re.M)
    initrd = re.search(r"^initrd --name initrd.img (\S+)$", text, re.M)
    assert text.startswith("#!ipxe\n") and text.endswith("boot\n")
    assert kernel and initrd, text
    assert kernel.group(3) == KERNEL_ARGS
    assert sha256_of(kernel.group(1)) == tree.images["images/pxeboot/vmlinuz"]
    assert sha256_of(initrd.group(1)) == tree.images["images/pxeboot/initrd.img"]
    assert kernel.group(2) == f"{base}/40/x86_64"
    check_stage2(kernel.group(2), tree)


def test_grub_http_paths_and_tftp_names_are_the_trees_files(boot_served):
    tree, base = boot_served["x86"], boot_served["base"]
    text = get(f"{base}/40/x86_64/grub.cfg").text
    origin = CONTENT.split("://", 1)[1]
    found = re.findall(r"set (kernel|initrd)=\(http,([^)\s]+)\)(\S+)", text)
    assert {host for _, host, _ in found} == {origin}, text
    http = {role: path for role, _, path in found}
    assert f"if [ -f (http,{origin}){http['kernel']} ]; then" in text
    flat = dict(re.findall(r"set (kernel|initrd)=/(\S+)", text))
    assert set(http) == set(flat) == {"kernel", "initrd"}, text
    urls = {role: f"http://{origin}{path}" for role, path in http.items()}
    assert sha256_of(urls["kernel"]) == tree.images["images/pxeboot/vmlinuz"]
    assert sha256_of(urls["initrd"]) == tree.images["images/pxeboot/initrd.img"]
    # The TFTP names are the flat names of the tree's OCI artifact.
    assert {flat["kernel"], flat["initrd"]} <= set(tree.expected_files())
    linux = re.search(r"^\s*linux \$kernel inst.stage2=(\S+) (.*)$", text, re.M)
    assert linux and linux.group(2) == GRUB_KERNEL_ARGS, text
    check_stage2(linux.group(1), tree)


def test_pxelinux_names_the_artifacts_files(boot_served):
    tree, base = boot_served["x86"], boot_served["base"]
    text = get(f"{base}/40/x86_64/pxelinux.cfg/default").text
    kernel = re.search(r"^\s*KERNEL (\S+)$", text, re.M).group(1)
    append = re.search(r"^\s*APPEND initrd=(\S+) inst.stage2=(\S+) (.*)$", text, re.M)
    files = tree.expected_files()
    assert files[kernel] == tree.images["images/pxeboot/vmlinuz"]
    assert files[append.group(1)] == tree.images["images/pxeboot/initrd.img"]
    assert {"pxelinux.0", "ldlinux.c32"} <= set(files)
    assert append.group(3) == KERNEL_ARGS
    check_stage2(append.group(2), tree)


@pytest.mark.parametrize("arch, grub", [("x86_64", "grubx64.efi"), ("aarch64", "grubaa64.efi")])
def test_grub_cfg_beside_grub_for_uefi_http_boot(boot_served, arch, grub):
    base = boot_served["base"]
    directory = f"{base}/40/{arch}/boot/efi/EFI/fedora"
    assert 'href="./grub.cfg"' in get(f"{directory}/").text
    assert f'href="./{grub}"' in get(f"{directory}/").text
    assert get(f"{directory}/grub.cfg").text == get(f"{base}/40/{arch}/grub.cfg").text
    missing = requests.get(f"{base}/40/{arch}/images/pxeboot/grub.cfg", timeout=30)
    assert missing.status_code == 404


def test_configs_are_listed_beside_the_files(boot_served):
    base = boot_served["base"]
    listing = get(f"{base}/40/x86_64/").text
    for name in ("boot.ipxe", "grub.cfg", "pxelinux.cfg/", ".treeinfo", "images/"):
        assert f'href="./{name}"' in listing, listing
    assert 'href="./default"' in get(f"{base}/40/x86_64/pxelinux.cfg/").text
    arm_listing = get(f"{base}/40/aarch64/").text
    assert 'href="./grub.cfg"' in arm_listing and "pxelinux.cfg" not in arm_listing


def test_aarch64_has_grub_and_ipxe_but_no_pxelinux(boot_served):
    tree, base = boot_served["arm"], boot_served["base"]
    text = get(f"{base}/40/aarch64/grub.cfg").text
    assert f"inst.stage2={base}/40/aarch64 {GRUB_KERNEL_ARGS}" in text
    kernel = re.search(r"^kernel (\S+) ", get(f"{base}/40/aarch64/boot.ipxe").text, re.M)
    assert sha256_of(kernel.group(1)) == tree.images["images/pxeboot/vmlinuz"]
    assert requests.get(f"{base}/40/aarch64/pxelinux.cfg/default", timeout=30).status_code == 404


@pytest.mark.parametrize(
    "path", ["41/x86_64/boot.ipxe", "40/ppc64le/grub.cfg", "40/x86_64/boot.ipxe/x"]
)
def test_no_config_for_a_tree_not_served(boot_served, path):
    assert requests.get(f"{boot_served['base']}/{path}", timeout=30).status_code == 404


def test_boot_origin_and_kernel_args_change_with_the_distribution(
    boot_served, pulp, distribution_factory
):
    distribution = distribution_factory(repository=boot_served["distribution"]["repository"])
    base = f"{CONTENT}/pulp/content/{distribution['base_path']}"
    assert f"inst.stage2={base}/40/x86_64\n" in get(f"{base}/40/x86_64/boot.ipxe").text
    task = pulp.request(
        "PATCH",
        distribution["pulp_href"],
        json={"boot_origin": "http://boot.example.com:8080/", "kernel_args": "  quiet  "},
        expect=202,
    ).json()["task"]
    pulp.wait(task)
    assert pulp.get(distribution["pulp_href"])["boot_origin"] == "http://boot.example.com:8080"
    tree_url = f"http://boot.example.com:8080/pulp/content/{distribution['base_path']}/40/x86_64"
    text = get(f"{base}/40/x86_64/boot.ipxe").text
    assert f"kernel {tree_url}/images/pxeboot/vmlinuz initrd=initrd.img " in text
    assert f"inst.stage2={tree_url} quiet\n" in text


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("kernel_args", "quiet\ninitrd /evil", "may not contain"),
        ("kernel_args", "a; reboot", "may not contain"),
        ("boot_origin", "ftp://pulp", "http:// or https://"),
        ("boot_origin", "http://pulp/pulp/content", "without a path"),
        ("boot_origin", "http://user:pw@pulp", "plain host[:port]"),
        ("boot_origin", "http://pu${x}lp:80", "plain host[:port]"),
    ],
)
def test_bad_fields_are_refused(pulp, field, value, message):
    body = {"name": "refused", "base_path": "refused", field: value}
    response = pulp.post(DISTRIBUTIONS, body, expect=400)
    assert message in response.json()[field][0]
