"""Downloads through the remote (its TLS, proxy, auth and retry settings), with clear errors."""

from urllib.parse import urljoin

import aiohttp
from pulpcore.plugin.exceptions import SyncError


def tree_url(base_url, path):
    """URL of `path` (already checked to be a safe relative path) under the directory `base_url`."""
    if not base_url.endswith("/"):
        base_url += "/"
    return urljoin(base_url, path)


async def fetch(remote, url, what, expected_digests=None, expected_size=None):
    """
    Download `url` into the task's working directory and return the DownloadResult.

    `what` names the file for the user ("repodata/repomd.xml", "package shim-x64-15.8-3.x86_64").
    Digest and size mismatches keep pulpcore's own errors, which name the URL and both digests.
    """
    downloader = remote.get_downloader(
        url=url, expected_digests=expected_digests, expected_size=expected_size
    )
    try:
        return await downloader.run()
    except aiohttp.ClientResponseError as exc:
        raise SyncError(
            f"could not download {what} from {url}: HTTP {exc.status} {exc.message}"
        ) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise SyncError(
            f"could not download {what} from {url}: {exc or type(exc).__name__}"
        ) from exc
