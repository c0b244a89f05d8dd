"""ISO 9660 images (a tree's `boot.iso`): the SHA-256 of named members.

pycdlib reads the volume descriptors and directory records by seeking in the stream, then each
wanted member's extent, so an 800 MB image costs its directories and those members only.
Members are looked up as a client sees them: by Rock Ridge names when the image has them (as
xorriso and lorax write it), else Joliet, else plain ISO 9660 names.
"""

import hashlib

import pycdlib
from pycdlib.pycdlibexception import PyCdlibException, PyCdlibInvalidInput


class _Hasher:
    """A write-only file object that hashes what pycdlib copies into it."""

    def __init__(self):
        self.hash = hashlib.sha256()

    def write(self, data):
        self.hash.update(data)
        return len(data)


def member_sha256s(stream, members, filename):
    """{member: sha256 hex, or None when the image lacks it} for `members` (paths in the image,
    "EFI/BOOT/BOOTX64.EFI"), read from the seekable binary `stream` of the image `filename`."""
    iso = pycdlib.PyCdlib()
    try:
        iso.open_fp(stream)
    except PyCdlibException as exc:
        raise ValueError(f"{filename}: not a readable ISO 9660 image: {exc}") from exc
    try:
        return {member: _sha256(iso, member, filename) for member in members}
    finally:
        iso.close()


def _sha256(iso, member, filename):
    lookup = _lookup(iso, member)
    try:
        record = iso.get_record(**lookup)
    except PyCdlibInvalidInput:
        return None  # no such path
    if record.is_dir():
        raise ValueError(f"{filename}: '{member}' is a directory, not a file")
    hasher = _Hasher()
    try:
        iso.get_file_from_iso_fp(hasher, **lookup)
    except PyCdlibException as exc:
        raise ValueError(f"{filename}: cannot read '{member}': {exc}") from exc
    return hasher.hash.hexdigest()


def _lookup(iso, member):
    path = "/" + member.strip("/")
    if iso.has_rock_ridge():
        return {"rr_path": path}
    if iso.has_joliet():
        return {"joliet_path": path}
    return {"iso_path": path.upper() + ";1"}
