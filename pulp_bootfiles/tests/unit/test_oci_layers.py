"""Compressed layers are decompressed to the file their annotations name, or refused."""

import hashlib

import pytest
import zstandard
from pulp_glue.bootfiles.netboot.oci import NetbootFile
from pulp_glue.bootfiles.netboot.oci_read import LayerBlob
from pulpcore.plugin.exceptions import SyncError

from pulp_bootfiles.app.oci.sync_in.layers import decompress_layer

BODY = b"kernel bytes " * 5000


def layer(tmp_path, data):
    path = tmp_path / "blob"
    path.write_bytes(data)
    return str(path), LayerBlob("sha256:" + "a" * 64, len(data), "zstd")


def file(body=BODY, size=None):
    return NetbootFile("vmlinuz", hashlib.sha256(body).hexdigest(), size or len(body), "v")


def test_a_zstd_layer_gives_its_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path, blob = layer(tmp_path, zstandard.ZstdCompressor().compress(BODY))
    out = decompress_layer(path, blob, file(), "rhel-9-x86_64")
    assert (tmp_path / out).read_bytes() == BODY


@pytest.mark.parametrize(
    ("data", "expected", "message"),
    [
        (BODY, file(), "is not compressed data, not zstd"),
        (b"\x1f\x8b" + BODY, file(), "is gzip, not zstd"),
        (zstandard.ZstdCompressor().compress(BODY + b"!"), file(), "more than 65000 bytes"),
        (zstandard.ZstdCompressor().compress(BODY[:-1]), file(), "decompresses to 64999 bytes"),
        (
            zstandard.ZstdCompressor().compress(BODY[::-1]),
            file(),
            f"but its annotations say 65000 bytes with sha256:{hashlib.sha256(BODY).hexdigest()}",
        ),
        (zstandard.ZstdCompressor().compress(BODY)[:-20], file(), "but its annotations say"),
    ],
    ids=["plain", "gzip", "longer", "shorter", "other-bytes", "truncated"],
)
def test_a_layer_that_is_not_its_file_is_refused(tmp_path, monkeypatch, data, expected, message):
    monkeypatch.chdir(tmp_path)
    path, blob = layer(tmp_path, data)
    with pytest.raises(SyncError) as error:
        decompress_layer(path, blob, expected, "rhel-9-x86_64")
    assert "tag rhel-9-x86_64: layer 'vmlinuz' (sha256:aaaa" in str(error.value)
    assert message in str(error.value)
