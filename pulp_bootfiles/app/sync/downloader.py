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
"""

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

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


class OffloadedHttpDownloader(OffloadedDiskWork, HttpDownloader):
    """pulpcore's HttpDownloader, with its disk and hashing work off the event loop."""


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
