"""Reading a registry through an OCI remote: tags, manifests and blobs; errors name the tag."""

import json
import os
from urllib.parse import urljoin, urlparse, urlunparse

from pulp_glue.bootfiles.netboot.constants import MEDIA_TYPE
from pulp_glue.bootfiles.netboot.oci_read import MAX_MANIFEST_SIZE
from pulpcore.plugin.exceptions import DigestValidationError, SizeValidationError, SyncError

from pulp_bootfiles.app.sync.fetch import download_errors

_ACCEPT = {"Accept": f"{MEDIA_TYPE.MANIFEST_OCI},{MEDIA_TYPE.INDEX_OCI}"}


class Registry:
    """The upstream repository `remote.upstream_name` at the registry `remote.url`."""

    def __init__(self, remote):
        self.remote = remote
        self.name = remote.upstream_name

    def url(self, path):
        return urljoin(self.remote.url, f"/v2/{self.name}/{path}")

    async def _download(self, url, tag, what, headers=None, **expected):
        downloader = self.remote.get_downloader(url=url, **expected)
        try:
            with download_errors(what, url, where=f"tag {tag}"):
                await downloader.run(
                    extra_data={"headers": dict(headers or {}), "repo_name": self.name}
                )
        except (DigestValidationError, SizeValidationError) as exc:
            raise SyncError(f"tag {tag}: {what} does not match its bytes: {exc}") from exc
        return downloader

    async def tags(self):
        """Every tag of the upstream repository, following the registry's Link pagination."""
        tags, url = [], self.url("tags/list")
        while url:
            downloader = await self._download(url, "list", "the tag list")
            with open(downloader.path, "rb") as file:
                page = json.loads(file.read(MAX_MANIFEST_SIZE))
            tags.extend(page.get("tags") or [])
            link = downloader.response_headers.get("Link")
            if link is None:
                break
            # RFC 5988: the URI reference may be relative or absolute.
            _, _, path, params, query, fragment = urlparse(link.split(";")[0].strip("<> "))
            url = urljoin(self.remote.url, urlunparse(("", "", path, params, query, fragment)))
        return tags

    async def manifest(self, reference, tag, digest=None, size=None):
        """
        The bytes of the manifest `reference` (a tag or a digest) that `tag` leads to.

        With `digest` (and `size`) the bytes are checked against them, as the index lists them.
        """
        expected = {}
        if digest:
            expected["expected_digests"] = {"sha256": digest.removeprefix("sha256:")}
        if size:
            expected["expected_size"] = size
        what = f"manifest {reference}"
        downloader = await self._download(
            self.url(f"manifests/{reference}"), tag, what, headers=_ACCEPT, **expected
        )
        if os.path.getsize(downloader.path) > MAX_MANIFEST_SIZE:
            raise SyncError(f"tag {tag}: {what} is larger than {MAX_MANIFEST_SIZE} bytes")
        with open(downloader.path, "rb") as file:
            return file.read()

    async def blob(self, digest, size, tag, title):
        """Download the blob `digest` to a file, checking its digest and size; the result."""
        what = f"layer {title!r} ({digest})"
        downloader = await self._download(
            self.url(f"blobs/{digest}"),
            tag,
            what,
            expected_digests={"sha256": digest.removeprefix("sha256:")},
            expected_size=size,
        )
        return downloader
