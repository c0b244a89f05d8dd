"""
A downloaded compressed layer turned into the file it carries, with both digests checked.

The registry checked the compressed blob against its layer digest while downloading; here the
decompressed bytes are checked against the file's own digest and size (the March 2024
prototype's `src.digest` and `src.size` annotations). Decompression streams to a file and stops
at the announced size, so a small hostile layer cannot fill the disk.
"""

import hashlib
import tempfile

from pulpcore.plugin.exceptions import SyncError

from pulp_bootfiles.app.formats.compression import (
    CompressionError,
    open_decompressed,
    read_head,
    sniff,
)

_CHUNK = 1024 * 1024


def decompress_layer(path, blob, file, tag):
    """
    Decompress the layer downloaded to `path` into a new file in the working directory.

    Args:
        path (str): The downloaded blob (already checked against `blob.digest`).
        blob (LayerBlob): The layer: its digest and compression.
        file (NetbootFile): The file it must give: title, sha256 and size.
        tag (str): The tag, for messages.

    Returns:
        str: Path of the decompressed file.

    Raises:
        SyncError: Not data of its compression, or not the file's size or digest.
    """
    what = f"tag {tag}: layer {file.title!r} ({blob.digest})"
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as source:
        kind = sniff(read_head(source))
        if kind != blob.compression:
            raise SyncError(f"{what} is {kind or 'not compressed data'}, not {blob.compression}")
        source.seek(0)
        with (
            open_decompressed(source, what, max_size=file.size) as stream,
            tempfile.NamedTemporaryFile(dir=".", prefix="layer-", delete=False) as target,
        ):
            try:
                while chunk := stream.read(_CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    target.write(chunk)
            except CompressionError as exc:
                raise SyncError(str(exc)) from None
    if size != file.size or digest.hexdigest() != file.sha256:
        raise SyncError(
            f"{what} decompresses to {size} bytes with sha256:{digest.hexdigest()}, but its "
            f"annotations say {file.size} bytes with sha256:{file.sha256}"
        )
    return target.name
