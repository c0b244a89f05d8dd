"""`pull` against an in-memory registry: the consumer reads tags, titles and kernel arguments
by the server's own rules (pulp_glue.bootfiles.netboot), and keeps the checks of its own that
matter where it writes files. No server needed."""

import hashlib

import pytest

from pulp_glue.bootfiles import pull as pulling
from pulp_glue.bootfiles.netboot.bootconfigs import check_kernel_args
from pulp_glue.bootfiles.netboot.constants import MEDIA_TYPE
from pulp_glue.bootfiles.netboot.oci import (
    IndexEntry,
    NetbootFile,
    build_index,
    build_manifest,
    os_version,
    sha256_digest,
)
from pulp_glue.bootfiles.netboot.oci_read import NetbootRuleError, read_manifest
from pulp_glue.bootfiles.pull import PullError, pull, reading
from pulp_glue.bootfiles.pull.registry import Fetched

BLOBS = {name: f"{name} bytes".encode() for name in ("vmlinuz", "initrd.img", "pxelinux.0")}
BLOBS["ldlinux.c32"] = b"ldlinux bytes"
BLOBS["grubx64.efi"] = b"grub bytes"


def _file(title, data):
    return NetbootFile(title, hashlib.sha256(data).hexdigest(), len(data), f"images/{title}")


def _manifest(titles=tuple(BLOBS)):
    return build_manifest([_file(title, BLOBS[title]) for title in titles], release="40")


class FakeRegistry:
    """The tags and blobs of one repository, as `pull` asks a Registry for them."""

    manifests: dict = {}

    def __init__(self, ref, **options):
        self.blobs = {sha256_digest(data): data for data in BLOBS.values()}

    def manifest(self, reference, accept):
        data, media_type = self.manifests[reference]
        return Fetched(data, media_type, sha256_digest(data))

    def blob(self, digest, size, target):
        target.write_bytes(self.blobs[digest])

    def signatures(self, digest):
        return []


@pytest.fixture
def registry(monkeypatch):
    manifest = _manifest()
    entry = IndexEntry(sha256_digest(manifest), len(manifest), "amd64", os_version("Fedora", "40"))
    index = build_index([entry], release="40")
    FakeRegistry.manifests = {
        "40": (index, MEDIA_TYPE.INDEX_OCI),
        "40-amd64": (manifest, MEDIA_TYPE.MANIFEST_OCI),
        sha256_digest(manifest): (manifest, MEDIA_TYPE.MANIFEST_OCI),
    }
    monkeypatch.setattr(pulling, "Registry", FakeRegistry)
    return FakeRegistry


def test_a_tftp_pull_writes_the_servers_configs(registry, tmp_path):
    pull("registry.example/fedora:40", tmp_path, "tftp", stage2="http://pulp/t", kernel_args="a=1")
    pxelinux = (tmp_path / "pxelinux.cfg/default").read_text()
    assert "# Fedora 40 x86_64: written by `pulp bootfiles pull`" in pxelinux
    assert "  APPEND initrd=initrd.img inst.stage2=http://pulp/t a=1\n" in pxelinux
    grub = (tmp_path / "grub.cfg").read_text()
    assert "  set kernel=/vmlinuz\n" in grub and "(http," not in grub  # the TFTP root only
    assert "  linux $kernel inst.stage2=http://pulp/t a=1\n" in grub
    assert (tmp_path / "vmlinuz").read_bytes() == BLOBS["vmlinuz"]


def test_no_stage2_without_a_tree_url(registry, tmp_path):
    pull("registry.example/fedora:40-amd64", tmp_path, "tftp")
    assert "  APPEND initrd=initrd.img \n" in (tmp_path / "pxelinux.cfg/default").read_text()


@pytest.mark.parametrize("args", ["quiet | reboot", "a<b", "a>b", "`id`", "a&&b"])
def test_kernel_args_are_refused_with_the_servers_message(registry, tmp_path, args):
    with pytest.raises(ValueError) as server:
        check_kernel_args(args)
    with pytest.raises(PullError) as refused:
        pull("registry.example/fedora:40", tmp_path, "tftp", kernel_args=args)
    assert str(refused.value) == str(server.value)
    assert not (tmp_path / "pxelinux.cfg").exists()


@pytest.mark.parametrize("stage2", ["http://pulp/t a=1", "http://pulp/$x", "http://pulp/'"])
def test_a_stage2_url_that_is_not_one_plain_word_is_refused(registry, tmp_path, stage2):
    with pytest.raises(PullError, match="stage2 URL"):
        pull("registry.example/fedora:40", tmp_path, "tftp", stage2=stage2)


@pytest.mark.parametrize("tag", ["x!-amd64", ".40-amd64", "a/b"])
def test_a_tag_the_server_refuses_is_refused(tag):
    with pytest.raises(NetbootRuleError, match="is not a netboot tag"):
        reading.tag_parts(tag)


def test_a_per_arch_tag_gives_release_and_arch():
    assert reading.tag_parts("fedora-40-amd64") == ("fedora-40", "x86_64")
    assert reading.tag_parts("latest") == ("latest", None)


def test_a_pull_of_a_tag_the_server_refuses_fails(registry, tmp_path):
    # The reference parser refuses it first (the OCI tag grammar); tag_parts stands behind it.
    with pytest.raises(PullError):
        pull("registry.example/fedora:x!-amd64", tmp_path)


@pytest.mark.parametrize("title", ["boot.ipxe", "grub.cfg"])
def test_a_layer_named_like_a_generated_config_is_refused(registry, tmp_path, title):
    manifest = _manifest(["vmlinuz"]).replace(b'"vmlinuz"', f'"{title}"'.encode())
    registry.manifests["40-amd64"] = (manifest, MEDIA_TYPE.MANIFEST_OCI)
    with pytest.raises(PullError, match="is a boot configuration file"):
        pull("registry.example/fedora:40-amd64", tmp_path)


def test_a_hidden_title_is_refused_by_the_pull_only(registry, tmp_path):
    manifest = _manifest(["vmlinuz"]).replace(b'"vmlinuz"', b'".pulp-bootfiles"')
    assert read_manifest(manifest, "40-amd64", "40", "x86_64")  # the server takes it
    registry.manifests["40-amd64"] = (manifest, MEDIA_TYPE.MANIFEST_OCI)
    with pytest.raises(PullError, match="'.pulp-bootfiles' title is a hidden file name"):
        pull("registry.example/fedora:40-amd64", tmp_path)


def test_a_manifest_by_digest_takes_its_release_from_its_annotation(registry, tmp_path):
    digest = sha256_digest(registry.manifests["40-amd64"][0])
    result = pull(f"registry.example/fedora@{digest}", tmp_path)
    assert result.changed and (tmp_path / "vmlinuz").exists()
