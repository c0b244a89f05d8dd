"""Which pushed tags a bootfiles repository takes, and the trees each gives (pure rules)."""

import json

import pytest
from pulp_glue.bootfiles.netboot.constants import NETBOOT_FORMAT
from pulp_glue.bootfiles.netboot.oci import (
    IndexEntry,
    NetbootFile,
    build_index,
    build_manifest,
    sha256_digest,
    signed_digest,
)
from pulp_glue.bootfiles.netboot.oci_read import NetbootRuleError

from pulp_bootfiles.app.constants import TREE_ORIGIN
from pulp_bootfiles.app.oci.push_in.rules import pushed_trees

KERNEL = NetbootFile("vmlinuz", "a" * 64, 1234, "images/pxeboot/vmlinuz")
INITRD = NetbootFile("initrd.img", "b" * 64, 5678, "images/pxeboot/initrd.img")
AMD64 = build_manifest([KERNEL, INITRD], release="44")
ARM64 = build_manifest([KERNEL], release="44")
INDEX = build_index(
    [
        IndexEntry(sha256_digest(AMD64), len(AMD64), "amd64", "fedora-44"),
        IndexEntry(sha256_digest(ARM64), len(ARM64), "arm64", "fedora-44"),
    ],
    release="44",
)
PUSHED = {sha256_digest(AMD64): AMD64, sha256_digest(ARM64): ARM64}


def no_family(release):
    return None


@pytest.mark.django_db  # BootTree() asks for the default domain
def test_an_index_gives_one_tree_per_listed_manifest_with_the_os_of_its_platform():
    specs = pushed_trees("44", INDEX, PUSHED.get, no_family)
    assert [(s.family, s.artifact.release, s.listing.arch) for s in specs] == [
        ("fedora", "44", "x86_64"),
        ("fedora", "44", "aarch64"),
    ]
    assert [s.artifact.digest for s in specs] == list(PUSHED)
    tree = specs[0].boottree([], TREE_ORIGIN.PUSH)
    assert tree.manifest_digest == sha256_digest(AMD64)
    assert tree.origin == TREE_ORIGIN.PUSH
    # The same manifest synced from a registry is served as it came too: the same unit.
    assert specs[0].boottree([], TREE_ORIGIN.REGISTRY).digest == tree.digest
    # A tree served rebuilt (the prototype's) is another unit, served by no kept manifest.
    specs[0].format = NETBOOT_FORMAT.PROTOTYPE
    rebuilt = specs[0].boottree([], TREE_ORIGIN.REGISTRY)
    assert rebuilt.digest != tree.digest
    assert rebuilt.manifest_digest == ""


def test_a_lone_manifest_takes_the_os_name_from_the_repository():
    (spec,) = pushed_trees("44-amd64", AMD64, PUSHED.get, lambda release: "Fedora")
    assert (spec.family, spec.listing.os_version, spec.listing.arch) == (
        "Fedora",
        "fedora-44",
        "x86_64",
    )
    with pytest.raises(NetbootRuleError, match="push the index '44' listing this manifest"):
        pushed_trees("44-amd64", AMD64, PUSHED.get, no_family)


@pytest.mark.parametrize(
    "tag, data, rule",
    [
        ("latest", AMD64, "a netboot manifest is pushed as '<release>-<goarch>'"),
        ("fedora-44-amd64", AMD64, "a netboot manifest is pushed as '<release>-<goarch>'"),
        ("44-amd64", INDEX, "an image index is pushed as its release's tag"),
        ("45-amd64", AMD64, "is '44', not the release '45'"),
        ("44", b"not json", "the pushed manifest is not JSON"),
        (
            "44",
            json.dumps({"mediaType": "application/vnd.docker.distribution.manifest.v2+json"}),
            "is neither a netboot manifest",
        ),
    ],
)
def test_refusals_name_the_tag_and_the_rule(tag, data, rule):
    data = data.encode() if isinstance(data, str) else data
    with pytest.raises(NetbootRuleError, match=rule) as refused:
        pushed_trees(tag, data, PUSHED.get, lambda release: "Fedora")
    assert str(refused.value).startswith(f"tag {tag}")


def test_an_index_whose_manifests_were_not_pushed_or_differ_is_refused():
    missing = {sha256_digest(AMD64): AMD64}
    with pytest.raises(NetbootRuleError, match=r"lists sha256:\w+ for aarch64, which was not"):
        pushed_trees("44", INDEX, missing.get, no_family)
    # An index tagged with the whole os.version (as the Foreman pipeline tags) is not the spec's.
    with pytest.raises(NetbootRuleError, match="as its release's tag '44'"):
        pushed_trees("fedora-44", INDEX, PUSHED.get, no_family)


def test_a_signature_is_taken_for_a_manifest_the_repository_holds():
    tag = sha256_digest(AMD64).replace(":", "-") + ".sig"
    assert signed_digest(tag) == sha256_digest(AMD64)
    assert pushed_trees(tag, b"{}", PUSHED.get, no_family) == []
    unknown = "sha256-" + "0" * 64 + ".sig"
    with pytest.raises(NetbootRuleError, match="which this repository does not hold"):
        pushed_trees(unknown, b"{}", PUSHED.get, no_family)
    assert signed_digest("44-amd64") is None
