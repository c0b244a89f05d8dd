"""
pulpcore's HTTP downloader (and pulp_container's registry downloader, built on it) with the
disk and hashing work moved off the event loop.

pulpcore's BaseDownloader writes every chunk, hashes it with each ALLOWED_CONTENT_CHECKSUMS
algorithm (four by default) and fsyncs the finished file on the event loop's thread, waiting
for each step. A tree sync downloads several images of up to 1 GB at once on that one loop, so
while it waits for the hashes or an fsync, no socket is read. Here the loop only receives: each
chunk's write and digests run in a thread while the loop goes on receiving for the other
downloads, and the closing fsync runs in a thread too. pulpcore's own code does the work,
unchanged; only where it runs differs.

The disk writes are also started as the file grows: pulpcore fsyncs a file once, when it is
complete, so the writeback of a 1 GB image would only begin then and the task would wait for
all of it at the end. Advising the kernel that the written part is not needed in the page cache
starts its writeback at once (and keeps gigabytes of images from crowding the page cache); the
final fsync then has only the tail left to wait for.

Two failures aiohttp words so that nobody can tell what went wrong are reworded here, where
every download (the plugin's own and pulpcore's image downloads) passes: a redirect loop
("0, message=''") and a body longer than its Content-Length (a parser error quoting the
surplus bytes as a "Bad status line").
"""

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

import aiohttp
from aiohttp.http_exceptions import HttpProcessingError
from pulp_container.app.downloaders import RegistryAuthHttpDownloader
from pulpcore.plugin.download import DownloaderFactory, HttpDownloader


def _run_to_completion(coroutine):
    """
    Run a coroutine that never suspends, in the calling thread.

    BaseDownloader.handle_data and finalize are coroutines for the subclasses' sake, but their
    bodies are plain blocking code, which is what has to leave the loop's thread.
    """
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError(f"{coroutine.__qualname__} suspended; it cannot run in a thread")


DISK_THREADS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="bootfiles-disk")
"""Threads that write and hash the downloads' chunks (pulpcore's own pool runs the four
digests of a chunk in parallel)."""

WRITEBACK_STEP = 32 * 1024 * 1024
"""Bytes written between two requests to start writing the file back to disk."""


class OffloadedDiskWork:
    """
    For a BaseDownloader subclass: its writes, digests and fsync run in threads, in order.

    A mixin, so both pulpcore's HttpDownloader (tree remotes) and pulp_container's
    registry downloader (OCI remotes) get it.
    """

    _writeback_path = None
    _written = 0
    _written_back = 0

    async def handle_data(self, data):
        # Awaited chunk by chunk, so the file and the digests see the bytes in order, and a
        # download holds one chunk at a time; the loop serves the other downloads meanwhile.
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(DISK_THREADS, self._handle_data_here, data)

    def _handle_data_here(self, data):
        """pulpcore's handle_data (write, digests), then the writeback of what came before."""
        _run_to_completion(super().handle_data(data))
        if self.path != self._writeback_path:  # a retry writes a new file
            self._writeback_path, self._written, self._written_back = self.path, 0, 0
        self._written += len(data)
        if self._written - self._written_back >= WRITEBACK_STEP:
            start_writeback(self.path, self._written_back, self._written)
            self._written_back = self._written

    async def finalize(self):
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(DISK_THREADS, _run_to_completion, super().finalize())

    async def run(self, extra_data=None):
        # Reworded after pulpcore's retries, which go by the original error.
        try:
            return await super().run(extra_data=extra_data)
        except aiohttp.ClientResponseError as exc:
            problem = response_problem(exc)
            if problem is None:
                raise
            raise ResponseError(
                exc.request_info, exc.history, status=exc.status, message=problem
            ) from exc


class ResponseError(aiohttp.ClientResponseError):
    """
    A failed response, its message saying what went wrong (`response_problem`).

    Still a ClientResponseError with the original status, so pulpcore's content handler
    (on-demand downloads) treats it as before; pulpcore keeps its message on a failed task.
    """

    def __str__(self):
        return f"could not download {self.request_info.real_url}: {self.message}"


def response_problem(exc):
    """What went wrong, in words, for the response errors aiohttp words unclearly; else None."""
    if isinstance(exc, aiohttp.TooManyRedirects):
        last = exc.history[-1] if exc.history else None
        where = f", the last from {last.url} to {last.headers.get('Location')}" if last else ""
        return f"too many redirects ({len(exc.history)} in a row{where})"
    if not isinstance(exc.__cause__, HttpProcessingError):
        return None
    # llhttp's words: a surplus after a `Connection: close` body is certain; on a kept-alive
    # connection the surplus is read as the next response's status line (aiohttp 3.14's llhttp
    # says "Bad status line", 3.13's, beside pulpcore 3.105, "Expected HTTP/").
    if exc.message.startswith("Data after"):
        return "the server sent more bytes than its Content-Length"
    if exc.message.startswith(("Bad status line", "Expected HTTP/")):
        return (
            "the server sent more bytes than its Content-Length, or an answer without an HTTP "
            "status line"
        )
    return f"the server's answer is not valid HTTP ({exc.message.splitlines()[0]})"


class OffloadedHttpDownloader(OffloadedDiskWork, HttpDownloader):
    """pulpcore's HttpDownloader, with its disk and hashing work off the event loop."""

    async def announced_size(self):
        """
        The size the server announces for the URL (a HEAD request with the remote's session,
        auth and proxy), or None when it answers otherwise than 200 with a Content-Length.
        """
        async with self.session.head(
            self.url, proxy=self.proxy, proxy_auth=self.proxy_auth, auth=self.auth
        ) as response:
            length = response.headers.get("Content-Length", "")
            if response.status != 200 or not (length.isascii() and length.isdigit()):
                return None
            return int(length)


class OffloadedRegistryDownloader(OffloadedDiskWork, RegistryAuthHttpDownloader):
    """pulp_container's token-auth registry downloader, its disk work off the event loop."""


def start_writeback(path, start, end):
    """
    Start writing bytes [start, end) of `path` to disk, without waiting for it.

    On Linux, POSIX_FADV_DONTNEED writes dirty pages back asynchronously and drops the clean
    ones; the data stays intact either way, so where the advice is not supported it is skipped.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, start, end - start, os.POSIX_FADV_DONTNEED)
    except OSError:
        pass
    finally:
        os.close(fd)


def offloaded_download_factory(remote):
    """A DownloaderFactory for `remote` whose HTTP(S) downloads use OffloadedHttpDownloader."""
    return DownloaderFactory(
        remote,
        downloader_overrides={"http": OffloadedHttpDownloader, "https": OffloadedHttpDownloader},
    )
