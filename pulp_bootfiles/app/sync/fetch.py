"""Downloads through the remote (its TLS, proxy, auth and retry settings), with clear errors."""

from contextlib import contextmanager
from urllib.parse import urljoin

import aiohttp
from pulpcore.plugin.exceptions import SyncError
from yarl import URL

from pulp_bootfiles.app.sync.downloader import ResponseError


def tree_url(base_url, path):
    """
    URL of `path` (already checked to be a safe relative path) under the directory `base_url`.

    The URL the HTTP client will request (aiohttp decodes percent-encoded dots and removes dot
    segments) must stay below `base_url` on the same host, without a query or fragment; if it
    does not, the sync fails naming the path.
    """
    if not base_url.endswith("/"):
        base_url += "/"
    url = urljoin(base_url, path)
    base, requested = URL(base_url), URL(url)
    below = requested.path.startswith(base.path) and requested.raw_path.startswith(base.raw_path)
    if (
        requested.origin() != base.origin()
        or not below
        or requested.raw_query_string
        or requested.raw_fragment
    ):
        raise SyncError(f"{path!r} would be requested as {requested}, not a file below {base}")
    return url


async def fetch(remote, url, what, expected_digests=None, expected_size=None, max_size=None):
    """
    Download `url` into the task's working directory and return the DownloadResult.

    `what` names the file for the user ("repodata/repomd.xml", "package shim-x64-15.8-3.x86_64").
    Digest and size mismatches keep pulpcore's own errors, which name the URL and both digests.
    The download stops once it passes `max_size` or `expected_size` bytes: pulpcore checks the
    size only at the end, and a hostile server could otherwise fill the worker's disk.
    """
    downloader = remote.get_downloader(
        url=url, expected_digests=expected_digests, expected_size=expected_size
    )
    limits = [size for size in (max_size, expected_size) if size is not None]
    if limits:
        _stop_past(downloader, min(limits), what, url)
    with download_errors(what, url):
        return await downloader.run()


async def announced_size(remote, url):
    """
    The size of `url` as its server announces it, or None when it does not say (or the URL is
    not HTTP). Used for files not downloaded at sync (on_demand): the download later checks it.
    """
    downloader = remote.get_downloader(url=url)
    if not hasattr(downloader, "announced_size"):
        return None
    try:
        return await downloader.announced_size()
    except (aiohttp.ClientError, TimeoutError):
        return None


@contextmanager
def download_errors(what, url, where=""):
    """
    Turn a failed download (HTTP status, connection, timeout) into a SyncError naming the file,
    the URL and the cause; `where` prefixes it ("tag 40-amd64").
    """
    prefix = f"{where}: " if where else ""
    try:
        yield
    except ResponseError as exc:  # already says what went wrong
        raise SyncError(f"{prefix}could not download {what} from {url}: {exc.message}") from exc
    except aiohttp.ClientResponseError as exc:
        raise SyncError(
            f"{prefix}could not download {what} from {url}: HTTP {exc.status} {exc.message}"
        ) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise SyncError(
            f"{prefix}could not download {what} from {url}: {exc or type(exc).__name__}"
        ) from exc


def _stop_past(downloader, limit, what, url):
    """Fail the download as soon as more than `limit` bytes arrived (at most one chunk more)."""
    handle_data = downloader.handle_data

    async def handle_bounded(data):
        await handle_data(data)
        # artifact_attributes counts the bytes of the current attempt (a retry starts at 0)
        if downloader.artifact_attributes["size"] > limit:
            raise SyncError(f"{what} from {url} is larger than {limit} bytes; refusing the rest")

    downloader.handle_data = handle_bounded


async def fetch_unless_missing(remote, url, what, **limits):
    """`fetch`, or None when the server answers 404 (the file is not there; nothing retried)."""
    try:
        return await fetch(remote, url, what, **limits)
    except SyncError as exc:
        cause = exc.__cause__
        if isinstance(cause, aiohttp.ClientResponseError) and cause.status == 404:
            return None
        raise
