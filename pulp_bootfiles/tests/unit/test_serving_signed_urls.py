"""SignedUrls: a blob's presigned URL is handed out again for a tenth of its lifetime only,
and never across a change of the domain's storage, the method or the response parameters.
Signed by django-storages' real S3 backend (signing is local: no S3 server is needed)."""

import datetime
import uuid
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from storages.backends.s3 import S3Storage

from pulp_bootfiles.app.serving.signed_urls import REUSE_SHARE, SignedUrls

PARAMETERS = {"ResponseContentType": "application/octet-stream"}


class CountingStorage(S3Storage):
    signed = 0

    def url(self, *args, **kwargs):
        CountingStorage.signed += 1
        return super().url(*args, **kwargs)


class Clock:
    now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def domain():
    storage = CountingStorage(
        access_key="key",
        secret_key="secret",
        bucket_name="pulp",
        endpoint_url="http://s3.example:9000",
        region_name="us-east-1",
        signature_version="s3v4",
        addressing_style="path",
        querystring_expire=600,
    )
    CountingStorage.signed = 0
    return SimpleNamespace(
        pulp_id=uuid.uuid4(),
        pulp_last_updated=datetime.datetime(2026, 12, 7, tzinfo=datetime.timezone.utc),
        get_storage=lambda: storage,
    )


def test_a_url_is_reused_for_a_tenth_of_its_lifetime_then_signed_again(domain):
    clock = Clock()
    urls = SignedUrls(clock=clock)
    first = urls.url(domain, "artifact/ab/cdef", "GET", PARAMETERS)
    query = parse_qs(urlsplit(first).query)
    assert urlsplit(first).path == "/pulp/artifact/ab/cdef"
    assert query["X-Amz-Expires"] == ["600"] and query["X-Amz-Signature"]

    clock.now += 600 * REUSE_SHARE - 1
    assert urls.url(domain, "artifact/ab/cdef", "GET", PARAMETERS) == first
    assert CountingStorage.signed == 1

    clock.now += 2  # past the tenth: the URL would now have less than 9/10 of its time left
    urls.url(domain, "artifact/ab/cdef", "GET", PARAMETERS)
    assert CountingStorage.signed == 2


def test_no_url_is_shared_across_method_parameters_artifact_or_a_storage_change(domain):
    urls = SignedUrls(clock=Clock())
    get = urls.url(domain, "artifact/ab/cdef", "GET", PARAMETERS)
    head = urls.url(domain, "artifact/ab/cdef", "HEAD", PARAMETERS)
    other = urls.url(domain, "artifact/ab/cdef", "GET", {**PARAMETERS, "ResponseCacheControl": "x"})
    urls.url(domain, "artifact/12/3456", "GET", PARAMETERS)
    assert CountingStorage.signed == 4
    assert head != get and "response-cache-control=x" in other

    # An edited domain (new storage settings) gets a new pulp_last_updated: signed again.
    domain.pulp_last_updated += datetime.timedelta(seconds=1)
    urls.url(domain, "artifact/ab/cdef", "GET", PARAMETERS)
    assert CountingStorage.signed == 5
