"""A local S3 server (moto's server mode) with one bucket, for the S3 domain's storage."""

import subprocess
import sys
import time

import boto3
import requests
from moto.server import ThreadedMotoServer

from pulp_bootfiles.tests.functional.second_stack.stack import free_port

# pulp_container 2.30 redirects blobs only for this (older) name of the S3 backend.
S3_STORAGE = "storages.backends.s3boto3.S3Boto3Storage"
CREDENTIALS = {"aws_access_key_id": "bootfiles-test", "aws_secret_access_key": "bootfiles-test"}
REGION = "us-east-1"


class ObjectStore:
    """`start()` serves S3 on 127.0.0.1 and creates `bucket`; `keys()` lists what it holds.

    moto runs in a thread of this process, or with `process=True` in a process of its own
    (`self.process`), so that serving many large objects does not hold this one's GIL.
    """

    NAME = "moto"
    STOP_GRACE = 20  # seconds between asking the server process to stop and killing it

    def __init__(self, bucket="pulp-bootfiles", process=False):
        self.bucket = bucket
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.server = (
            None if process else ThreadedMotoServer(ip_address="127.0.0.1", port=self.port)
        )
        self.process = None

    def client(self):
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION, **CREDENTIALS)

    def start(self):
        if self.server:
            self.server.start()
        else:
            self._start_process()
        self.client().create_bucket(Bucket=self.bucket)

    def _start_process(self, timeout=30):
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        self.process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + timeout
        while True:
            try:
                requests.get(self.endpoint, timeout=2)
                return
            except requests.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"moto did not come up on {self.endpoint}") from None
                time.sleep(0.2)

    def stop(self):
        if self.server:
            self.server.stop()
        elif self.process:
            self.process.terminate()
            try:
                self.process.wait(self.STOP_GRACE)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def create_bucket(self, name):
        """Create another bucket in the same server."""
        self.client().create_bucket(Bucket=name)

    def keys(self):
        paginator = self.client().get_paginator("list_objects_v2")
        return {
            item["Key"]
            for page in paginator.paginate(Bucket=self.bucket)
            for item in page.get("Contents", ())
        }

    def storage_settings(self):
        """The `storage_settings` of a Pulp domain stored in this bucket (also the OPTIONS of
        a STORAGES entry)."""
        return {
            "access_key": CREDENTIALS["aws_access_key_id"],
            "secret_key": CREDENTIALS["aws_secret_access_key"],
            "bucket_name": self.bucket,
            "endpoint_url": self.endpoint,
            "region_name": REGION,
            "addressing_style": "path",
            "signature_version": "s3v4",
        }
