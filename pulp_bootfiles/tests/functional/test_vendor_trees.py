"""EL 9 trees as RHEL, CentOS Stream, AlmaLinux and Rocky mirrors lay them out, from sync to
boot configs: the BaseOS tree's `.treeinfo` also names AppStream (`../../../AppStream/...`),
shim and GRUB live under the vendor's EFI directory, and the remote leaves `bootloaders` unset."""

import hashlib
import re
import uuid

import pytest

from pulp_bootfiles.tests.fixtures.treegen import VENDORS, build_tree
from pulp_bootfiles.tests.functional.conftest import FILES, TREES
from pulp_bootfiles.tests.functional.pulp_api import CONTENT
from pulp_bootfiles.tests.functional.serving import distributed_trees, get, sha256_of


@pytest.fixture(scope="module", params=sorted(VENDORS))
def vendor_served(request, pulp, fixture_server):
    """One vendor's mirror, its BaseOS tree synced with default bootloaders and distributed."""
    vendor = request.param
    top = f"{vendor}-{uuid.uuid4().hex[:12]}"
    tree = build_tree(fixture_server.root / top, vendor=vendor, salt=top)
    tree_path = tree.root.relative_to(fixture_server.root).as_posix()
    fixture_server.requests.clear()
    with distributed_trees(pulp, [fixture_server.url(tree_path) + "/"]) as distribution:
        yield {
            "vendor": VENDORS[vendor],
            "tree": tree,
            "requested": list(fixture_server.requests),
            "repository": pulp.get(distribution["repository"]),
            "base": f"{CONTENT}/pulp/content/{distribution['base_path']}",
        }


def test_sync_reads_the_baseos_tree_and_its_vendor_bootloaders(vendor_served, pulp):
    vendor, tree = vendor_served["vendor"], vendor_served["tree"]
    version = vendor_served["repository"]["latest_version_href"]
    (boot_tree,) = pulp.list(TREES, repository_version=version)
    assert (boot_tree["family"], boot_tree["release"], boot_tree["variant"]) == (
        vendor.family,
        vendor.release,
        "BaseOS",
    )
    files = {f["content_path"]: f for f in pulp.list(FILES, repository_version=version)}
    prefix = f"{vendor.release}/x86_64/"
    expected = {prefix + path: sha for path, sha in tree.images.items()}
    expected.update({prefix + p.lstrip("/"): b.sha256 for p, b in tree.bootfiles.items()})
    assert {path: f["sha256"] for path, f in files.items()} == expected
    shim = files[f"{prefix}boot/efi/EFI/{vendor.efi_dir}/shimx64.efi"]
    assert shim["source_package"] == "shim-x64-15.10-1.x86_64"
    # BaseOS's GRUB, not the newer one in the AppStream repository, which is never read.
    grub = files[f"{prefix}boot/efi/EFI/{vendor.efi_dir}/grubx64.efi"]
    assert grub["source_package"] == "grub2-efi-x64-1:2.06-5.x86_64"
    assert not [path for path in vendor_served["requested"] if "AppStream" in path]


def test_served_files_are_the_trees(vendor_served):
    vendor, tree = vendor_served["vendor"], vendor_served["tree"]
    prefix = f"{vendor_served['base']}/{vendor.release}/x86_64"
    for path, sha256 in tree.images.items():
        assert sha256_of(f"{prefix}/{path}") == sha256, path
    for path, expected in tree.bootfiles.items():
        assert sha256_of(f"{prefix}{path}") == expected.sha256, path
    assert get(f"{prefix}/.treeinfo").content == tree.treeinfo_path.read_bytes()


def test_boot_configs_name_files_that_exist(vendor_served):
    vendor, tree = vendor_served["vendor"], vendor_served["tree"]
    prefix = f"{vendor_served['base']}/{vendor.release}/x86_64"
    ipxe = get(f"{prefix}/boot.ipxe").text
    kernel = re.search(r"^kernel (\S+) initrd=initrd.img inst.stage2=(\S+)", ipxe, re.M)
    initrd = re.search(r"^initrd --name initrd.img (\S+)$", ipxe, re.M)
    assert kernel and initrd, ipxe
    assert sha256_of(kernel.group(1)) == tree.images["images/pxeboot/vmlinuz"]
    assert sha256_of(initrd.group(1)) == tree.images["images/pxeboot/initrd.img"]
    assert kernel.group(2) == prefix
    stage2 = get(f"{kernel.group(2)}/images/install.img").content
    assert hashlib.sha256(stage2).hexdigest() == tree.images["images/install.img"]

    grub = get(f"{prefix}/grub.cfg").text
    origin = CONTENT.split("://", 1)[1]
    http = dict(re.findall(r"set (kernel|initrd)=\(http,[^)\s]+\)(\S+)", grub))
    assert set(http) == {"kernel", "initrd"}, grub
    assert sha256_of(f"http://{origin}{http['kernel']}") == tree.images["images/pxeboot/vmlinuz"]
    assert sha256_of(f"http://{origin}{http['initrd']}") == tree.images["images/pxeboot/initrd.img"]
    # The grub.cfg that a GRUB loaded by UEFI HTTP boot reads beside itself, in the vendor's
    # directory, and the binaries there.
    directory = f"{prefix}/boot/efi/EFI/{vendor.efi_dir}"
    assert get(f"{directory}/grub.cfg").text == grub
    assert 'href="./grubx64.efi"' in get(f"{directory}/").text
    pxelinux = get(f"{prefix}/pxelinux.cfg/default").text
    names = re.findall(r"^\s*KERNEL (\S+)$", pxelinux, re.M)
    names += re.findall(r"APPEND initrd=(\S+)", pxelinux)
    assert names and set(names) <= set(tree.expected_files()), pxelinux
