"""The responses the content handler builds: files with their sha256 as a strong ETag, configs,
listings and misses."""

import asyncio
import hashlib
import html
import mimetypes
import os
from urllib.parse import quote

from aiohttp import hdrs, web

# As pulpcore's content app: shared caches (CDNs) must ask again before reusing a response.
CACHE_CONTROL = "public, max-age=0, must-revalidate"


def _etags(header: str) -> list[tuple[bool, str]]:
    """(weak, opaque tag) of each entity tag in an If-Match/If-None-Match/If-Range value."""
    tags = []
    for item in header.split(","):
        item = item.strip()
        weak = item.startswith("W/")
        tags.append((weak, item[2:] if weak else item))
    return tags


def _matches(header: str, etag: str, weak_ok: bool) -> bool:
    if header.strip() == "*":
        return True
    return any(tag == etag and (weak_ok or not weak) for weak, tag in _etags(header))


class ServedFileResponse(web.StreamResponse):
    """
    A stored file sent with sendfile, its sha256 as strong ETag, every validator judged by it.

    aiohttp's FileResponse makes its ETag from the file's mtime and size and reads `If-Range`
    only as a date, so a download resumed with `If-Range: "<old ETag>"` after the file at that
    path changed got a 206 of the new file, spliced by the client onto the old bytes. Here a
    resumed download of a changed file gets the whole new file (200). Being no FileResponse,
    it is also never stored by pulpcore's content cache, whose hits would answer with
    aiohttp's validators again (see also UncachedResponse).
    """

    def __init__(self, path, sha256: str, headers=None):
        super().__init__(headers=headers)
        self._path = path
        self.etag = sha256
        self.headers[hdrs.ACCEPT_RANGES] = "bytes"

    async def prepare(self, request):
        loop = asyncio.get_running_loop()
        try:
            file = await loop.run_in_executor(None, open, self._path, "rb")
        except OSError:
            self.set_status(web.HTTPNotFound.status_code)
            self.etag = None
            return await super().prepare(request)
        try:
            stat = os.fstat(file.fileno())
            self.last_modified = stat.st_mtime
            start, count = self._judge(request, stat)
            writer = await super().prepare(request)
            if count and request.method != hdrs.METH_HEAD:
                await loop.sendfile(request.transport, file, start, count)
            return writer
        finally:
            await loop.run_in_executor(None, file.close)

    def _judge(self, request, stat) -> tuple[int, int]:
        """Set the status and headers the validators and range ask for; (offset, count)."""
        headers, etag, size = request.headers, self.headers[hdrs.ETAG], stat.st_size
        if hdrs.IF_MATCH in headers and not _matches(headers[hdrs.IF_MATCH], etag, False):
            return self._bodiless(web.HTTPPreconditionFailed.status_code)
        if hdrs.IF_NONE_MATCH in headers:
            if _matches(headers[hdrs.IF_NONE_MATCH], etag, True):
                return self._bodiless(web.HTTPNotModified.status_code)
        elif request.if_modified_since and stat.st_mtime <= request.if_modified_since.timestamp():
            return self._bodiless(web.HTTPNotModified.status_code)
        if_range = headers.get(hdrs.IF_RANGE)
        if hdrs.RANGE not in headers or (if_range is not None and if_range.strip() != etag):
            # No range, or an If-Range that is not this file's strong ETag: the whole file.
            self.content_length = size
            return 0, size
        try:
            wanted = request.http_range
        except ValueError:
            return self._unsatisfiable(size)
        start, stop = wanted.start, wanted.stop
        if start is None:
            start = 0
        elif start < 0 and stop is None:  # the last -start bytes
            start = max(size + start, 0)
        stop = size if stop is None else min(stop, size)
        if start >= size or stop <= start:
            return self._unsatisfiable(size)
        self.set_status(web.HTTPPartialContent.status_code)
        self.headers[hdrs.CONTENT_RANGE] = f"bytes {start}-{stop - 1}/{size}"
        self.content_length = stop - start
        return start, stop - start

    def _bodiless(self, status) -> tuple[int, int]:
        self.set_status(status)
        if status != web.HTTPNotModified.status_code:
            self.content_length = 0
        return 0, 0

    def _unsatisfiable(self, size) -> tuple[int, int]:
        self.headers[hdrs.CONTENT_RANGE] = f"bytes */{size}"
        return self._bodiless(web.HTTPRequestRangeNotSatisfiable.status_code)


def file_response(path, sha256: str, content_path: str) -> ServedFileResponse:
    content_type = mimetypes.guess_type(content_path)[0] or "application/octet-stream"
    headers = {hdrs.CONTENT_TYPE: content_type, hdrs.CACHE_CONTROL: CACHE_CONTROL}
    return ServedFileResponse(path, sha256, headers=headers)


class UncachedResponse(web.StreamResponse):
    """
    A small response (config, listing, redirect, miss) that pulpcore's content cache leaves
    alone: it stores only Response and FileResponse objects.

    pulpcore invalidates a base path's cache entries before a distribution change commits, and
    only after a new version commits; a request racing either change stores its old answer
    again, and the cache then serves it until the entry expires: a config naming a kernel the
    served version no longer has, or a deleted distribution's files. The index answers these
    requests without a query of the plugin's own, so nothing is worth that risk.
    """

    def __init__(self, body: str, status=200, content_type="text/plain", headers=None):
        super().__init__(status=status, headers=headers)
        self._bytes = body.encode()
        self.content_type = content_type
        self.charset = "utf-8"
        self.content_length = len(self._bytes)
        self.headers[hdrs.CACHE_CONTROL] = CACHE_CONTROL

    async def prepare(self, request):
        writer = await super().prepare(request)
        if request.method != hdrs.METH_HEAD and self.status not in (204, 304):
            await self.write(self._bytes)
        return writer


def text_etag(text: str) -> str:
    """The ETag of a generated text: its sha256."""
    return hashlib.sha256(text.encode()).hexdigest()


def text_response(
    text: str, content_type="text/plain", etag: str | None = None
) -> UncachedResponse:
    """A generated config or document, with the sha256 of its text as its ETag (`etag`, when
    the caller kept it)."""
    response = UncachedResponse(text, content_type=content_type)
    response.etag = etag or text_etag(text)
    return response


def listing_response(title_path: str, entries) -> UncachedResponse:
    """An HTML index of `entries` (names, directories ending in '/'), as pulpcore renders one."""
    lines = ['<a href="../">../</a>'] + [
        f'<a href="./{quote(name)}">{html.escape(name)}</a>' for name in sorted(entries)
    ]
    title = html.escape(title_path)
    body = (
        f"<!DOCTYPE html>\n<html>\n<head><title>Index of {title}</title></head>\n<body>\n"
        f"<h1>Index of {title}</h1>\n<hr><pre>"
        + "\n".join(lines)
        + "\n</pre><hr></body>\n</html>\n"
    )
    return UncachedResponse(body, content_type="text/html")


def add_slash(name: str) -> UncachedResponse:
    """A directory asked for without its '/': redirect, relative to the request."""
    location = quote(name) + "/"
    return UncachedResponse(
        f"301: Moved Permanently to {location}\n", status=301, headers={hdrs.LOCATION: location}
    )


def not_found() -> UncachedResponse:
    return UncachedResponse("404: Not Found\n", status=404)


def probe_miss() -> web.HTTPNotFound:
    """
    The 404 of a per-machine config name (`bootconfigs.is_probe_miss`), which no version
    serves: the one answer pulpcore's content cache may keep (it keeps a raised HTTPNotFound
    marked cacheable), since no change of version can make it stale. A cached probe costs
    pulpcore no SQL at all.
    """
    response = web.HTTPNotFound(text="404: Not Found\n")
    response.cacheable = True
    return response
