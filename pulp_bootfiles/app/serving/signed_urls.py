"""Presigned object-storage URLs for the registry's blobs, handed out again for a while.

Why: signing a URL costs botocore about 0.3 ms of CPU, as much as the rest of a blob request
on the content app, and when a release lands every boot server asks for the same few blobs at
once. A signed URL is valid for the storage's `querystring_expire` (AWS_QUERYSTRING_EXPIRE,
3600 s by default); it is given out again for a tenth of that, so every client still gets one
that stays valid for at least nine tenths of the configured time.
"""

import time

from pulp_bootfiles.app.serving.recent import Recent

# Distinct blobs a content-app worker keeps URLs for: a few hundred artifacts at most.
URLS_REMEMBERED = 4096
REUSE_SHARE = 0.1


class SignedUrls:
    def __init__(self, size: int = URLS_REMEMBERED, clock=time.monotonic):
        self._recent = Recent(size, clock=clock)

    def url(self, domain, artifact_name: str, method: str, parameters: dict) -> str:
        """`domain`'s storage URL for `artifact_name`, signed now or a short while ago."""
        key = (
            domain.pulp_id,
            domain.pulp_last_updated,  # the storage's settings may have changed
            artifact_name,
            method,
            tuple(sorted(parameters.items())),
        )
        url = self._recent.get(key)
        if url is None:
            storage = domain.get_storage()
            url = storage.url(artifact_name, parameters=parameters, http_method=method)
            lifetime = getattr(storage, "querystring_expire", None)
            if lifetime:
                self._recent.put(key, url, seconds=lifetime * REUSE_SHARE)
        return url
