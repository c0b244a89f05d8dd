"""
Sync a locally generated sample tree through the REST API, list what arrived, distribute it,
pull the netboot OCI artifact back with an OCI client (oras-py) and print the plain URLs.
"""

import argparse
import os
import sys
import time
from pathlib import Path

import requests
from oras.client import OrasClient

from pulp_bootfiles.tests.fixtures.content import file_sha256
from pulp_bootfiles.tests.fixtures.treegen import build_tree
from pulp_bootfiles.tests.functional.fixture_server import FixtureServer

API = os.environ.get("BOOTFILES_API", "http://127.0.0.1:24817")
CONTENT = os.environ.get("BOOTFILES_CONTENT", "http://127.0.0.1:24816")
V3 = f"{API}/pulp/api/v3"


def call(method, url, **kwargs):
    response = requests.request(
        method,
        url if url.startswith("http") else API + url,
        auth=("admin", "password"),
        timeout=60,
        **kwargs,
    )
    response.raise_for_status()
    return response.json() if response.content else None


def get_or_create(endpoint, name, body):
    found = call("GET", endpoint, params={"name": name})["results"]
    if found:
        return call("PATCH", found[0]["pulp_href"], json=body) and call(
            "GET", found[0]["pulp_href"]
        )
    return call("POST", endpoint, json={"name": name, **body})


def wait(task_href):
    while True:
        task = call("GET", task_href)
        if task["state"] in ("completed", "failed", "canceled"):
            return task
        time.sleep(0.3)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--release", default="40")
    parser.add_argument("--arch", default="x86_64")
    args = parser.parse_args()

    root = Path(".dev/sample-trees") / args.release / args.arch
    tree = build_tree(root, release=args.release, arch=args.arch)
    print(f"Sample tree: {root} ({len(tree.images)} images, {len(tree.bootfiles)} bootloaders)")
    with FixtureServer(root.parent.parent) as server:
        url = server.url(f"{args.release}/{args.arch}") + "/"
        remote = get_or_create(f"{V3}/remotes/bootfiles/bootfiles/", "sample", {"url": url})
        repository = get_or_create(f"{V3}/repositories/bootfiles/bootfiles/", "sample", {})
        print(f"Syncing {url} into repository 'sample' ...")
        task_href = call(
            "POST", repository["pulp_href"] + "sync/", json={"remote": remote["pulp_href"]}
        )["task"]
        task = wait(task_href)
    if task["state"] != "completed":
        print(f"Sync {task['state']}: {task['error']['description']}", file=sys.stderr)
        return 1
    for report in task["progress_reports"]:
        print(f"  {report['message']}: {report['done']}/{report['total'] or report['done']}")
    version = call("GET", repository["pulp_href"])["latest_version_href"]
    print(f"Repository version: {version}")
    files = call(
        "GET",
        "/pulp/api/v3/content/bootfiles/files/",
        params={"repository_version": version, "limit": 1000},
    )["results"]
    print(f"{'file':<14} {'sha256':<20} {'from':<42} path")
    for f in sorted(files, key=lambda f: f["content_path"]):
        source = f["source_package"] or ".treeinfo"
        print(f"{f['name']:<14} {f['sha256'][:16] + '...':<20} {source:<42} {f['content_path']}")
    return distribute_and_pull(repository, args)


def distribute_and_pull(repository, args):
    """Serve the repository, pull its artifact like `oras pull` does, show the plain URLs."""
    endpoint = f"{V3}/distributions/bootfiles/bootfiles/"
    found = call("GET", endpoint, params={"name": "sample"})["results"]
    if not found:
        body = {"name": "sample", "base_path": "sample", "repository": repository["pulp_href"]}
        task = wait(call("POST", endpoint, json=body)["task"])
        found = [call("GET", task["created_resources"][0])]
    distribution = found[0]
    goarch = {"x86_64": "amd64", "aarch64": "arm64"}.get(args.arch, args.arch)
    registry = API.split("://", 1)[1]  # pulp_container's /v2/ is served by the API here
    reference = f"{registry}/{distribution['base_path']}:{args.release}-{goarch}"
    outdir = Path(".dev/sample-pull")
    print(f"\nPulling {reference} with oras-py into {outdir}/")
    pulled = OrasClient(hostname=registry, insecure=True).pull(target=reference, outdir=str(outdir))
    for path in sorted(pulled):
        print(f"Downloaded {Path(path).name:<14} sha256:{file_sha256(path)}")
    print("\nOCI references:", *distribution["oci_references"], sep="\n  ")
    base = f"{CONTENT}/pulp/content/{distribution['base_path']}/{args.release}/{args.arch}"
    print(f"\nPlain HTTP (PXE, UEFI HTTP boot, Foreman medium {base}):")
    for name in ("images/pxeboot/vmlinuz", "images/pxeboot/initrd.img", "images/install.img"):
        print(f"  {base}/{name}")
    print("Generated boot configs for that tree (iPXE, GRUB, PXELINUX):")
    for name in ("boot.ipxe", "grub.cfg", "pxelinux.cfg/default"):
        config = requests.get(f"{base}/{name}", timeout=60)
        print(f"  {base}/{name}  ({config.status_code}, {len(config.content)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
