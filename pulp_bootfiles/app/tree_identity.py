"""
The digest that makes a BootTree one content unit, whichever sync or push made it.

Its own module so that the tree sync (`sync/`) and the OCI side (`oci/`) both compute it
without importing each other.
"""

import hashlib
import json


def tree_digest(treeinfo_sha256, files):
    """SHA-256 over a canonical listing of the tree: same .treeinfo and files, same digest."""
    listing = {
        "treeinfo": treeinfo_sha256,
        # A verified file is another unit than the same file unverified, so is its tree; the
        # key id is only listed when there is one, so unverified trees keep their digests.
        "files": sorted(
            [f.relative_path, f.sha256, f.source_package_checksum]
            + ([f.signing_key_id] if f.signing_key_id else [])
            for f in files
        ),
    }
    return hashlib.sha256(json.dumps(listing, sort_keys=True).encode()).hexdigest()
