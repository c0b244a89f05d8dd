"""The responses the content handler builds: files with their sha256 as a strong ETag, configs,
listings and misses."""

import hashlib
import html
import mimetypes
from urllib.parse import quote

from aiohttp import hdrs, web
from multidict import CIMultiDict, CIMultiDictProxy

# As pulpcore's content app: shared caches (CDNs) must ask again before reusing a response.
CACHE_CONTROL = "public, max-age=0, must-revalidate"
_CONDITIONALS = (
    hdrs.IF_MATCH,
    hdrs.IF_NONE_MATCH,
    hdrs.IF_MODIFIED_SINCE,
    hdrs.IF_UNMODIFIED_SINCE,
)


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


class ServedFileResponse(web.FileResponse):
    """
    aiohttp's FileResponse (sendfile, ranges) with the file's sha256 as its strong ETag.

    aiohttp makes its ETag from the file's mtime and size and reads `If-Range` only as a date,
    so a download resumed with `If-Range: "<old ETag>"` after the file at that path changed got
    a 206 of the new file, spliced by the client onto the old bytes. Here every validator is
    judged by the sha256: a resumed download of a changed file gets the whole new file (200).
    """

    def __init__(self, path, sha256: str, headers=None):
        super().__init__(path, headers=headers)
        self._sha256_etag = f'"{sha256}"'

    @property
    def etag(self):
        return super().etag

    @etag.setter
    def etag(self, _value):
        # FileResponse assigns its mtime-size tag while preparing; the content's digest wins.
        web.StreamResponse.etag.fset(self, self._sha256_etag[1:-1])

    async def prepare(self, request):
        headers = request.headers
        if hdrs.IF_MATCH in headers and not _matches(
            headers[hdrs.IF_MATCH], self._sha256_etag, False
        ):
            return await self._bodiless(request, web.HTTPPreconditionFailed.status_code)
        if hdrs.IF_NONE_MATCH in headers and _matches(
            headers[hdrs.IF_NONE_MATCH], self._sha256_etag, True
        ):
            return await self._bodiless(request, web.HTTPNotModified.status_code)
        kept = CIMultiDict(headers)
        for name in _CONDITIONALS:
            kept.popall(name, None)
        if_range = kept.popall(hdrs.IF_RANGE, [None])[0]
        if if_range is not None and if_range.strip() != self._sha256_etag:
            # An entity tag that is not ours, a weak one, or a date: send the whole file.
            kept.popall(hdrs.RANGE, None)
        return await super().prepare(request.clone(headers=CIMultiDictProxy(kept)))

    async def _bodiless(self, request, status):
        """304 or 412: headers only (the ETag included), without opening the file."""
        self.set_status(status)
        self.etag = self._sha256_etag
        return await web.StreamResponse.prepare(self, request)


def file_response(path, sha256: str, content_path: str) -> ServedFileResponse:
    content_type = mimetypes.guess_type(content_path)[0] or "application/octet-stream"
    headers = {hdrs.CONTENT_TYPE: content_type, hdrs.CACHE_CONTROL: CACHE_CONTROL}
    return ServedFileResponse(path, sha256, headers=headers)


def text_response(text: str) -> web.Response:
    """A generated config, with the sha256 of its text as its ETag."""
    etag = hashlib.sha256(text.encode()).hexdigest()
    response = web.Response(text=text, content_type="text/plain")
    response.headers[hdrs.CACHE_CONTROL] = CACHE_CONTROL
    response.etag = etag
    return response


def listing_response(title_path: str, entries) -> web.Response:
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
    return web.Response(
        text=body, content_type="text/html", headers={hdrs.CACHE_CONTROL: CACHE_CONTROL}
    )


def add_slash(name: str) -> web.Response:
    """A directory asked for without its '/': redirect, relative to the request."""
    return web.Response(status=301, headers={hdrs.LOCATION: quote(name) + "/"})


def not_found() -> web.Response:
    return web.Response(status=404, text="404: Not Found")
