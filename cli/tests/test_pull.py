"""`pulp bootfiles pull` against the live stack: each layout, a second run that changes
nothing, an update that downloads only the new layers, and the refusals (a tampered layer, a
missing signature, a wrong signer, a pull killed after its first blob) that each leave the
previous set serving. A small proxy in front of Pulp's registry tampers, holds or asks for a
token (registry_proxy.py)."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from endpoints import API, DISTRIBUTIONS, REMOTES, REPOSITORIES

# The functional suite's test keys and manifest signing service (skopeo standalone-sign).
from pulp_bootfiles.tests.functional.test_chain_of_trust import (  # noqa: F401
    keys,
    signing_service,
)
from registry_proxy import RegistryProxy

pytestmark = pytest.mark.functional

REGISTRY = API.split("://", 1)[1]
BIG = ("install.img", "boot.iso")  # left out of the first set, so a full pull is an update


@pytest.fixture(scope="module")
def served(pulp, synced):
    """Version 1 of the session's synced x86_64 repository, distributed at its own base path."""
    tree, repository = synced
    base_path = f"pull-{uuid.uuid4().hex[:8]}"
    version = repository["versions_href"] + "1/"
    body = {"name": base_path, "base_path": base_path, "repository_version": version}
    href = pulp.run(DISTRIBUTIONS, body)["created_resources"][0]
    yield tree, base_path
    pulp.wait(pulp.delete(href).json()["task"])


@pytest.fixture
def proxy():
    made = RegistryProxy(API)
    yield made
    made.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def served_files(dest: Path) -> dict:
    """{path: sha256} of every file DEST serves (through the links), its state dir left out."""
    found = {}
    for directory, dirnames, filenames in os.walk(dest, followlinks=True):
        dirnames[:] = [name for name in dirnames if name != ".pulp-bootfiles"]
        for name in filenames:
            path = Path(directory, name)
            found[path.relative_to(dest).as_posix()] = sha256(path)
    return found


def expected(tree, *exclude):
    return {name: digest for name, digest in tree.expected_files().items() if name not in exclude}


def pull(cli, reference, dest, expect=0, exclude=(), **options):
    excluded = [arg for title in exclude for arg in ("--exclude", title)]
    return cli(
        "pull", reference, *excluded, dest=str(dest), plain_http=True, expect=expect, **options
    )


def test_flat_then_unchanged_then_update(cli, served, tmp_path):
    tree, base_path = served
    reference = f"{REGISTRY}/{base_path}:{tree.release}"
    first = pull(cli, reference, tmp_path, exclude=BIG[:1])
    assert served_files(tmp_path) == expected(tree, BIG[0])
    assert first.stdout.startswith("updated:")

    links = {p.name: os.readlink(p) for p in tmp_path.iterdir() if p.is_symlink()}
    state = sorted(str(p) for p in (tmp_path / ".pulp-bootfiles").rglob("*"))
    mtimes = {p: p.lstat().st_mtime_ns for p in tmp_path.rglob("*")}
    again = pull(cli, reference, tmp_path, exclude=BIG[:1])
    assert again.stdout.startswith("unchanged:") and "0 downloaded" in again.stdout
    assert {p.name: os.readlink(p) for p in tmp_path.iterdir() if p.is_symlink()} == links
    assert sorted(str(p) for p in (tmp_path / ".pulp-bootfiles").rglob("*")) == state
    assert {p: p.lstat().st_mtime_ns for p in tmp_path.rglob("*") if p.name != "lock"} == {
        p: m for p, m in mtimes.items() if p.name != "lock"
    }

    update = pull(cli, reference, tmp_path)
    count = len(tree.expected_files())
    assert f"1 downloaded, {count - 1} reused" in update.stdout, update.stdout
    assert served_files(tmp_path) == expected(tree)
    sets = list((tmp_path / ".pulp-bootfiles").glob("*/sets/*"))
    assert len(sets) == 2, sets  # the new set and its record; the old set is gone


def test_tftp_layout_with_configs(cli, served, tmp_path):
    tree, base_path = served
    reference = f"{REGISTRY}/{base_path}:{tree.release}-amd64"
    pull(cli, reference, tmp_path, layout="tftp", kernel_args="console=ttyS0", exclude=BIG)
    files = served_files(tmp_path)
    assert {name: files[name] for name in expected(tree, *BIG)} == expected(tree, *BIG)
    pxelinux = (tmp_path / "pxelinux.cfg" / "default").read_text()
    assert "KERNEL vmlinuz" in pxelinux and "APPEND initrd=initrd.img" in pxelinux
    assert "console=ttyS0" in pxelinux
    grub = (tmp_path / "grub.cfg").read_text()
    assert "set kernel=/vmlinuz" in grub and "set initrd=/initrd.img" in grub
    assert "linux $kernel" in grub and "console=ttyS0" in grub
    assert (tmp_path / "grub" / "grub.cfg").read_text() == grub


@pytest.mark.parametrize(
    "layout, directory, links",
    [
        (
            "foreman",
            "bootloader-universe/pxegrub2/{os}/{release}/x86_64",
            {"boot.efi": "grubx64.efi", "boot-sb.efi": "shimx64.efi"},
        ),
        (
            "nboci",
            "{os}/{release}/x86_64",
            {"boot": "shimx64.efi", "boot-alt": "grubx64.efi", "boot-legacy": "pxelinux.0"},
        ),
    ],
)
def test_arch_directory_layouts(cli, served, tmp_path, layout, directory, links):
    tree, base_path = served
    pull(cli, f"{REGISTRY}/{base_path}:{tree.release}", tmp_path, layout=layout, exclude=BIG)
    where = directory.format(os=tree.family.lower(), release=tree.release)
    files = served_files(tmp_path)
    assert {path: digest for path, digest in files.items()} == {
        f"{where}/{name}": digest for name, digest in expected(tree, *BIG).items()
    } | {f"{where}/{link}": expected(tree)[target] for link, target in links.items()}
    for link, target in links.items():
        assert os.readlink(tmp_path / where / link) == target
    # Directories above the arch stay real: Foreman's universe holds other OSes too.
    assert not (tmp_path / where).parent.is_symlink()


def test_per_arch_tag_cannot_make_an_os_layout(cli, served, tmp_path):
    tree, base_path = served
    result = pull(cli, f"{REGISTRY}/{base_path}:{tree.release}-amd64", tmp_path, 1, layout="nboci")
    assert "needs the OS, release and arch an index names" in result.stderr
    result = pull(cli, f"{REGISTRY}/{base_path}:{tree.release}", tmp_path, 1, arch="s390x")
    assert "lists x86_64, not every one of ['s390x']" in result.stderr


def test_refuses_to_hide_what_it_did_not_make(cli, served, tmp_path):
    tree, base_path = served
    (tmp_path / "vmlinuz").write_text("the operator's own")
    result = pull(cli, f"{REGISTRY}/{base_path}:{tree.release}", tmp_path, 1)
    assert "vmlinuz exists and was not made by this pull" in result.stderr
    assert (tmp_path / "vmlinuz").read_text() == "the operator's own"


def old_set(cli, tree, reference, dest, **options):
    """Pull the set without the big images; return what DEST serves."""
    pull(cli, reference, dest, exclude=BIG, **options)
    files = served_files(dest)
    assert files == expected(tree, *BIG)
    return files


def test_tampered_layer_leaves_the_old_set(cli, served, tmp_path, proxy):
    tree, base_path = served
    reference = f"{proxy.host}/{base_path}:{tree.release}"
    before = old_set(cli, tree, reference, tmp_path)
    proxy.tamper.add(f"sha256:{tree.expected_files()['install.img']}")
    result = pull(cli, reference, tmp_path, 1)
    assert "/blobs/sha256:" in result.stderr and "with digest sha256:" in result.stderr
    assert served_files(tmp_path) == before
    assert not list((tmp_path / ".pulp-bootfiles").glob("*/partial-*"))


def test_token_auth(cli, served, tmp_path, proxy):
    tree, base_path = served
    proxy.token_auth = True
    reference = f"{proxy.host}/{base_path}:{tree.release}"
    refused = pull(cli, reference, tmp_path, 1, exclude=BIG)
    assert "/token: no token for repository:" in refused.stderr
    old_set(cli, tree, reference, tmp_path, username="robot", password="s3cret")


def test_kill_after_the_first_blob_leaves_the_old_set(cli, served, tmp_path, proxy):
    tree, base_path = served
    reference = f"{proxy.host}/{base_path}:{tree.release}"
    before = old_set(cli, tree, reference, tmp_path)
    proxy.blobs.clear()
    proxy.hold_second_blob = True
    script = (
        "import sys; from pulp_glue.bootfiles.pull import pull; "
        "pull(sys.argv[1], sys.argv[2], plain_http=True, exclude=sys.argv[3:])"
    )
    process = subprocess.Popen([sys.executable, "-c", script, reference, str(tmp_path)])
    try:
        assert proxy.holding.wait(60), "the pull never asked for a second blob"
        assert [name.rsplit(":", 1)[1][:12] for name in proxy.blobs] == [
            tree.expected_files()[title][:12] for title in BIG[::-1]
        ]  # boot.iso downloaded (its record written), install.img held
        assert len(list((tmp_path / ".pulp-bootfiles").glob("*/partial-*/boot.iso"))) == 1
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
        proxy.release.set()
    assert served_files(tmp_path) == before
    # The next pull removes the partial set and completes.
    proxy.hold_second_blob = False
    pull(cli, reference, tmp_path)
    assert served_files(tmp_path) == expected(tree)
    assert not list((tmp_path / ".pulp-bootfiles").glob("*/partial-*"))


@pytest.fixture(scope="module")
def signed(pulp, synced, signing_service, keys):  # noqa: F811
    """A repository of its own with the synced tree, signed by the publisher key, distributed."""
    tree, repository = synced
    name = f"pull-signed-{uuid.uuid4().hex[:8]}"
    mine = pulp.post(REPOSITORIES, {"name": name}, expect=201).json()
    (remote,) = pulp.list(REMOTES, name=repository["name"])  # `synced` names it so
    pulp.run(mine["pulp_href"] + "sync/", {"remote": remote["pulp_href"]})
    body = {"name": name, "base_path": name, "repository": mine["pulp_href"]}
    distribution = pulp.run(DISTRIBUTIONS, body)["created_resources"][0]
    pulp.run(
        mine["pulp_href"] + "sign/", {"manifest_signing_service": signing_service["pulp_href"]}
    )
    yield tree, name
    pulp.wait(pulp.delete(distribution).json()["task"])
    pulp.wait(pulp.delete(mine["pulp_href"]).json()["task"])


def policy_file(directory: Path, key) -> Path:
    """A policy.json requiring the stack's registry to be signedBy `key`, in `directory`."""
    directory.mkdir()
    exported = subprocess.run(
        ["gpg", "--batch", "--homedir", str(key.home), "--export", key.fingerprint],
        check=True,
        capture_output=True,
    ).stdout
    (directory / "key.gpg").write_bytes(exported)
    signed_by = [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": str(directory / "key.gpg")}]
    document = {"default": [{"type": "reject"}], "transports": {"docker": {REGISTRY: signed_by}}}
    (directory / "policy.json").write_text(json.dumps(document))
    return directory / "policy.json"


def test_signature_policy(cli, served, signed, keys, tmp_path):  # noqa: F811
    tree, signed_path = signed
    publisher = policy_file(tmp_path / "publisher", keys["publisher"])
    stranger = policy_file(tmp_path / "stranger", keys["stranger"])
    dest = tmp_path / "dest"
    reference = f"{REGISTRY}/{signed_path}:{tree.release}"

    before = old_set(cli, tree, reference, dest, policy=str(publisher))
    refused = pull(cli, reference, dest, 1, policy=str(stranger))
    assert "no signature is accepted: ['not signed by a key of the policy']" in refused.stderr
    assert served_files(dest) == before

    # The same manifests unsigned (the served version 1, another name): refused.
    _tree, unsigned_path = served
    unsigned = tmp_path / "unsigned"
    unsigned_reference = f"{REGISTRY}/{unsigned_path}:{tree.release}"
    before = old_set(cli, tree, unsigned_reference, unsigned)
    refused = pull(cli, unsigned_reference, unsigned, 1, policy=str(publisher))
    assert "a signature is required, but sha256:" in refused.stderr, refused.stderr
    assert served_files(unsigned) == before
