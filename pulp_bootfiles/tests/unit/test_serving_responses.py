"""ServedFileResponse on a real aiohttp server: ranges, and validators judged by the sha256."""

import asyncio
import hashlib

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from multidict import CIMultiDict

from pulp_bootfiles.app.serving.index import ServedFile, ServedIndex
from pulp_bootfiles.app.serving.responses import ServedFileResponse

DATA = bytes(range(256)) * 40  # 10,240 bytes
SHA = hashlib.sha256(DATA).hexdigest()
ETAG = f'"{SHA}"'


def fetch(tmp_path, method="GET", headers=None, path_name="file"):
    (tmp_path / "file").write_bytes(DATA)

    async def handler(_request):
        return ServedFileResponse(tmp_path / path_name, SHA)

    async def run():
        app = web.Application()
        app.router.add_route("*", "/f", handler)
        async with TestServer(app) as server, aiohttp.ClientSession() as session:
            async with session.request(method, server.make_url("/f"), headers=headers) as resp:
                return resp.status, CIMultiDict(resp.headers), await resp.read()

    return asyncio.run(run())


@pytest.mark.parametrize(
    "headers, status, body",
    [
        ({}, 200, DATA),
        ({"Range": "bytes=100-199"}, 206, DATA[100:200]),
        ({"Range": "bytes=10000-"}, 206, DATA[10000:]),
        ({"Range": "bytes=-40"}, 206, DATA[-40:]),
        ({"Range": "bytes=10000-99999"}, 206, DATA[10000:]),
        ({"Range": "bytes=100-", "If-Range": ETAG}, 206, DATA[100:]),
        ({"Range": "bytes=100-", "If-Range": '"0123"'}, 200, DATA),
        ({"Range": "bytes=100-", "If-Range": f"W/{ETAG}"}, 200, DATA),
        ({"Range": "bytes=100-", "If-Range": "Thu, 01 Jan 2099 00:00:00 GMT"}, 200, DATA),
        ({"If-None-Match": ETAG}, 304, b""),
        ({"If-None-Match": f'"x", W/{ETAG}'}, 304, b""),
        ({"If-None-Match": '"x"'}, 200, DATA),
        ({"If-Match": ETAG}, 200, DATA),
        ({"If-Match": '"x"'}, 412, b""),
        ({"If-Modified-Since": "Thu, 01 Jan 2099 00:00:00 GMT"}, 304, b""),
        ({"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"}, 200, DATA),
        ({"Range": "bytes=20000-"}, 416, b""),
        ({"Range": "bytes=abc"}, 416, b""),
    ],
)
def test_validators_and_ranges(tmp_path, headers, status, body):
    got_status, got_headers, got_body = fetch(tmp_path, headers=headers)
    assert (got_status, got_body) == (status, body)
    if status != 416:
        assert got_headers["ETag"] == ETAG
    if status == 206:
        start = len(DATA) - len(body)
        if "100-" in headers.get("Range", ""):
            start = 100
        assert got_headers["Content-Range"] == f"bytes {start}-{start + len(body) - 1}/{len(DATA)}"
    if status == 416:
        assert got_headers["Content-Range"] == f"bytes */{len(DATA)}"


def test_head_sends_headers_only(tmp_path):
    status, headers, body = fetch(tmp_path, method="HEAD")
    assert (status, body) == (200, b"")
    assert headers["Content-Length"] == str(len(DATA)) and headers["ETag"] == ETAG
    assert headers["Accept-Ranges"] == "bytes" and "Last-Modified" in headers


def test_missing_file_is_a_404(tmp_path):
    status, headers, _body = fetch(tmp_path, path_name="gone")
    assert status == 404 and "ETag" not in headers


def test_index_directories_come_from_the_content_paths():
    files = {
        path: ServedFile(path, "0" * 64, 1, path, None)
        for path in ("40/x86_64/.treeinfo", "40/x86_64/images/pxeboot/vmlinuz", "41/aarch64/x")
    }
    index = ServedIndex("pk", {}, files)
    assert index.directories == {
        "": {"40/", "41/"},
        "40/": {"x86_64/"},
        "40/x86_64/": {".treeinfo", "images/"},
        "40/x86_64/images/": {"pxeboot/"},
        "40/x86_64/images/pxeboot/": {"vmlinuz"},
        "41/": {"aarch64/"},
        "41/aarch64/": {"x"},
    }
