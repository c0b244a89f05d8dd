"""The index document: deterministic bytes, read back as written, every problem named."""

import json

import pytest

from pulp_bootfiles.app.formats.netboot_index import (
    IndexFile,
    IndexTree,
    NetbootIndexError,
    read_index,
    render_index,
)

SHA = "a" * 64
FILES = (
    IndexFile("vmlinuz", "images/pxeboot/vmlinuz", SHA, 15),
    IndexFile(
        "shimx64.efi",
        "boot/efi/EFI/fedora/shimx64.efi",
        "b" * 64,
        None,
        "shim-x64-15.8-3.x86_64",
        "sha256:" + "c" * 64,
        "a15b79cc8a3a6f53",
        [
            {
                "component_name": "shim",
                "component_generation": 4,
                "vendor_name": "UEFI shim",
                "vendor_package_name": "shim",
                "vendor_version": "1",
                "vendor_url": "https://github.com/rhboot/shim",
            }
        ],
    ),
)
TREE = IndexTree(
    "40",
    "x86_64",
    "Fedora",
    "Fedora",
    "Everything",
    1713090917,
    "6.8.5",
    FILES,
    IndexFile(".treeinfo", ".treeinfo", "d" * 64, 1424),
)
OTHER = IndexTree("41", "aarch64", "Fedora", "", "", None, "", (), None)


def test_render_is_deterministic_and_reads_back():
    data = render_index([OTHER, TREE])
    assert data == render_index([TREE, OTHER])
    trees = read_index(data)
    assert [(t.release, t.arch) for t in trees] == [("40", "x86_64"), ("41", "aarch64")]
    first = trees[0]
    assert [f.path for f in first.files] == sorted(f.path for f in FILES)
    assert {f.path: f for f in first.files} == {f.path: f for f in FILES}
    assert first.treeinfo == TREE.treeinfo and trees[1].treeinfo is None
    assert json.loads(data)["trees"][0]["treeinfo"] == {
        "path": ".treeinfo",
        "sha256": "d" * 64,
        "size": 1424,
    }


def _broken(edit):
    body = json.loads(render_index([TREE]))
    edit(body)
    return json.dumps(body).encode()


def _file(body):
    return body["trees"][0]["files"][0]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"{not json", ".bootfiles.json: not JSON"),
        (b"[]", "not a pulp-bootfiles-index document"),
        (_broken(lambda b: b.update(version=2)), "version 2 is not 1"),
        (_broken(lambda b: b.update(trees={})), "'trees' must be a list"),
        (
            _broken(lambda b: b["trees"].append(b["trees"][0])),
            "lists a (release, arch) twice",
        ),
        (
            _broken(lambda b: b["trees"][0].update(release="40/../41")),
            "trees[0]: 'release' '40/../41' is not valid",
        ),
        (
            _broken(lambda b: _file(b).update(path="../../etc/passwd")),
            "trees[0].files[0]: path '../../etc/passwd' has a '..' component",
        ),
        (
            _broken(lambda b: _file(b).update(path="images/%2e%2e/x")),
            "trees[0].files[0]: path 'images/%2e%2e/x'",
        ),
        (_broken(lambda b: _file(b).update(sha256="abc")), "'sha256' 'abc' is not valid"),
        (_broken(lambda b: _file(b).update(size=-1)), "'size' must be a non-negative integer"),
        (_broken(lambda b: _file(b).update(size=True)), "'size' must be a non-negative integer"),
        (_broken(lambda b: _file(b).update(sbat="shim,4")), "'sbat' must be a list or null"),
        (_broken(lambda b: _file(b).update(signing_key_id=7)), "'signing_key_id' must be a string"),
        (
            _broken(lambda b: b["trees"][0]["files"].append(_file(b))),
            "trees[0]: lists a path twice",
        ),
        (b" " * (16 * 1024 * 1024 + 1), "larger than 16777216 bytes"),
    ],
)
def test_bad_documents_are_refused_naming_the_place(data, message):
    with pytest.raises(NetbootIndexError) as refused:
        read_index(data)
    assert message in str(refused.value)
    assert str(refused.value).startswith(".bootfiles.json: ")
