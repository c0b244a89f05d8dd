"""The offloaded downloader against a real HTTP server: same bytes and digests as pulpcore's,
and errors that say what went wrong; the URLs the tree fetches request."""

import asyncio
import atexit
import hashlib
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp
import pytest
from pulpcore.plugin.exceptions import SyncError

from pulp_bootfiles.app.models import BootfilesOCIRemote, BootfilesRemote
from pulp_bootfiles.app.sync import downloader as offloaded
from pulp_bootfiles.app.sync.fetch import fetch, tree_url

pytestmark = pytest.mark.django_db

BODY = os.urandom(5 * 1024 * 1024 + 123)


class _Files(BaseHTTPRequestHandler):
    """Serves BODY; the first `resets` requests break off halfway through the body."""

    resets = 0

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        if _Files.resets > 0:
            _Files.resets -= 1
            self.wfile.write(BODY[: len(BODY) // 2])
            self.wfile.flush()
            # aiohttp fails a read at EOF even with bytes still buffered, so give the client
            # time to take in the half it was sent: the broken attempt then always writes (and
            # writes back) more than a step of it, whatever the load on the machine.
            time.sleep(1)
            self.connection.shutdown(2)
            return
        self.wfile.write(BODY)


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/images/install.img"
    httpd.shutdown()
    _Files.resets = 0


@pytest.fixture
def writebacks(monkeypatch, settings, tmp_path):
    """The writeback requests made, with a 1 MiB step so a 5 MiB body makes several."""
    settings.WORKING_DIRECTORY = str(tmp_path)
    calls = []
    start_writeback = offloaded.start_writeback
    monkeypatch.setattr(offloaded, "WRITEBACK_STEP", 1024 * 1024)

    def recorded(path, start, end):
        calls.append((start, end))
        start_writeback(path, start, end)

    monkeypatch.setattr(offloaded, "start_writeback", recorded)
    return calls


def download(url, max_retries=0):
    remote = BootfilesRemote(name="tree", url=url, max_retries=max_retries)

    async def run():
        factory = offloaded.offloaded_download_factory(remote)
        downloader = factory.build(
            url, expected_digests={"sha256": hashlib.sha256(BODY).hexdigest()}
        )
        assert isinstance(downloader, offloaded.OffloadedHttpDownloader)
        try:
            return await downloader.run()
        finally:
            # What pulpcore leaves to an atexit hook, which needs a loop at exit.
            await factory._session.close()
            atexit.unregister(factory._session_cleanup)

    return asyncio.run(run())


def test_the_file_and_every_digest_are_pulpcores(server, writebacks):
    result = download(server)
    with open(result.path, "rb") as stored:
        assert stored.read() == BODY
    for algorithm in ("sha224", "sha256", "sha384", "sha512"):
        assert result.artifact_attributes[algorithm] == hashlib.new(algorithm, BODY).hexdigest()
    assert result.artifact_attributes["size"] == len(BODY)
    # Writeback was started as the file grew, over consecutive ranges from the start.
    assert len(writebacks) >= 4
    assert writebacks[0][0] == 0
    assert all(prev[1] == nxt[0] for prev, nxt in zip(writebacks, writebacks[1:], strict=False))


def test_a_retry_after_a_broken_body_starts_a_clean_file(server, writebacks):
    _Files.resets = 1
    result = download(server, max_retries=1)
    with open(result.path, "rb") as stored:
        assert stored.read() == BODY
    assert result.artifact_attributes["sha512"] == hashlib.sha512(BODY).hexdigest()
    # The second attempt's writebacks start again at 0.
    assert [start for start, _end in writebacks].count(0) == 2


def test_a_body_broken_more_often_than_retried_fails(server, writebacks):
    _Files.resets = 2
    with pytest.raises(aiohttp.ClientPayloadError, match="Not enough data"):
        download(server, max_retries=1)


def test_a_coroutine_that_suspends_is_refused():
    async def suspends():
        await asyncio.sleep(0)

    with pytest.raises(RuntimeError, match="suspended"):
        offloaded._run_to_completion(suspends())


def test_both_remote_types_download_with_the_disk_work_offloaded(settings, tmp_path):
    settings.WORKING_DIRECTORY = str(tmp_path)
    remotes = [
        BootfilesRemote(name="tree", url="http://mirror.example/tree/"),
        BootfilesOCIRemote(name="oci", url="http://registry.example", upstream_name="netboot"),
    ]

    async def downloaders():
        made = []
        for remote in remotes:
            made.append(remote.get_downloader(url=remote.url + "/file"))
            await remote.download_factory._session.close()
            atexit.unregister(remote.download_factory._session_cleanup)
        return made

    for downloader in asyncio.run(downloaders()):
        assert isinstance(downloader, offloaded.OffloadedDiskWork)


class _Misbehaving(BaseHTTPRequestHandler):
    """Answers with a body longer than its Content-Length (kept-alive or closing), or with
    redirects in a loop; counts the requests."""

    requests = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        _Misbehaving.requests.append(self.path)
        if self.path.startswith("/loop"):
            self.send_response(302)
            self.send_header("Location", "/loop-b" if self.path == "/loop-a" else "/loop-a")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        version = "HTTP/1.1" if self.path.endswith("kept-alive") else "HTTP/1.0"
        # One write, so the surplus reaches the client with the response it follows.
        head = f"{version} 200 OK\r\nContent-Length: 512\r\n\r\n".encode()
        self.wfile.write(head + bytes(range(256)) * 4)
        self.close_connection = True


@pytest.fixture
def misbehaving(settings, tmp_path):
    settings.WORKING_DIRECTORY = str(tmp_path)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Misbehaving)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    _Misbehaving.requests = []
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def run_with_remote(url, use, max_retries=2):
    """`await use(remote)` for a tree remote at `url`, closing its session after."""
    remote = BootfilesRemote(name="tree", url=url, max_retries=max_retries)

    async def run():
        try:
            return await use(remote)
        finally:
            await remote.download_factory._session.close()
            atexit.unregister(remote.download_factory._session_cleanup)

    return asyncio.run(run())


@pytest.mark.parametrize(
    "path, problem, requests",
    [
        ("/images/install.img?closing", "the server sent more bytes than its Content-Length", 1),
        (
            "/images/install.img?kept-alive",
            "the server sent more bytes than its Content-Length, or an answer without an HTTP "
            "status line",
            1,
        ),
        ("/loop-a", "too many redirects (10 in a row, the last from ", 10),
    ],
)
def test_unclear_response_errors_say_what_went_wrong(misbehaving, path, problem, requests):
    url = misbehaving + path
    with pytest.raises(offloaded.ResponseError) as failure:
        run_with_remote(url, lambda remote: remote.get_downloader(url=url).run())
    assert str(failure.value).startswith(f"could not download {url}: {problem}")
    assert "\\x" not in str(failure.value)  # none of the surplus bytes
    # Still the aiohttp error pulpcore's content handler expects, and not retried.
    assert isinstance(failure.value, aiohttp.ClientResponseError)
    assert len(_Misbehaving.requests) == requests


def test_the_plugins_own_fetches_name_the_file_too(misbehaving):
    url = misbehaving + "/loop-a"
    with pytest.raises(SyncError) as failure:
        run_with_remote(url, lambda remote: fetch(remote, url, "repodata/repomd.xml"))
    assert (
        f"could not download repodata/repomd.xml from {url}: too many redirects (10 in a row"
        in str(failure.value)
    )


@pytest.mark.parametrize(
    "base, path, url",
    [
        (
            "http://m.example/tree",
            "images/pxeboot/vmlinuz",
            "http://m.example/tree/images/pxeboot/vmlinuz",
        ),
        ("http://m.example/tree/", "./", "http://m.example/tree/"),
        (
            "http://m.example/tree/BaseOS/",
            "Packages/s/shim.rpm",
            "http://m.example/tree/BaseOS/Packages/s/shim.rpm",
        ),
    ],
)
def test_tree_urls_stay_below_their_base(base, path, url):
    assert tree_url(base, path) == url


@pytest.mark.parametrize(
    "base, path, requested",
    [
        # the path rule refuses all of these; this checks what the HTTP client would request
        (
            "http://m.example/tree/",
            "images/%2e%2e/%2e%2e/%2e%2e/outside/X.img",
            "http://m.example/outside/X.img",
        ),
        (
            "http://m.example/tree/BaseOS/",
            "Packages/%2e%2e/%2E%2E/x.rpm",
            "http://m.example/tree/x.rpm",
        ),
        (
            "http://m.example/tree/BaseOS/",
            "../AppStream/x.rpm",
            "http://m.example/tree/AppStream/x.rpm",
        ),
        ("http://m.example/tree/", "//elsewhere.example/x", "http://elsewhere.example/x"),
        (
            "http://m.example/tree/",
            "images/pxeboot/vmlinuz?raw",
            "http://m.example/tree/images/pxeboot/vmlinuz?raw",
        ),
        (
            "http://m.example/tree/",
            "images/pxeboot/vmlinuz#frag",
            "http://m.example/tree/images/pxeboot/vmlinuz#frag",
        ),
    ],
)
def test_tree_urls_leaving_their_base_are_refused(base, path, requested):
    with pytest.raises(SyncError) as failure:
        tree_url(base, path)
    assert f"{path!r} would be requested as {requested}, not a file below {base}" in str(
        failure.value
    )
