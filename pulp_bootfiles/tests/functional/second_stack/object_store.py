"""A local S3 server (moto's server mode) with one bucket, for the S3 domain's storage."""

import boto3
from moto.server import ThreadedMotoServer

from pulp_bootfiles.tests.functional.second_stack.stack import free_port

CREDENTIALS = {"aws_access_key_id": "bootfiles-test", "aws_secret_access_key": "bootfiles-test"}
REGION = "us-east-1"


class ObjectStore:
    """`start()` serves S3 on 127.0.0.1 and creates `bucket`; `keys()` lists what it holds."""

    def __init__(self, bucket="pulp-bootfiles"):
        self.bucket = bucket
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port)

    def client(self):
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=REGION, **CREDENTIALS)

    def start(self):
        self.server.start()
        self.client().create_bucket(Bucket=self.bucket)

    def stop(self):
        self.server.stop()

    def keys(self):
        paginator = self.client().get_paginator("list_objects_v2")
        return {
            item["Key"]
            for page in paginator.paginate(Bucket=self.bucket)
            for item in page.get("Contents", ())
        }

    def storage_settings(self):
        """The `storage_settings` of a Pulp domain stored in this bucket."""
        return {
            "access_key": CREDENTIALS["aws_access_key_id"],
            "secret_key": CREDENTIALS["aws_secret_access_key"],
            "bucket_name": self.bucket,
            "endpoint_url": self.endpoint,
            "region_name": REGION,
            "addressing_style": "path",
            "signature_version": "s3v4",
        }
