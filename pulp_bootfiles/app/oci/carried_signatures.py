"""
Signatures carried from another server (a capsule's upstream, an OCI sync's registry), kept
beside the manifests they sign so that a copy verifies as its upstream does.

Two kinds, as the upstream stores them:
- simple signing (containers' "atomic" signatures): pulp_container ManifestSignatures, which
  its registry serves through the signature API extension (skopeo's and podman's lookaside);
- sigstore attachments (cosign, `skopeo copy --sign-by-sigstore`): a manifest tagged
  `sha256-<hex>.sig` whose small blobs are the signed payloads.
Each is checked against what it claims before anything is saved: the digests of its bytes,
and that it signs a manifest this copy serves.
"""

import base64
import hashlib
import json

from django.db import transaction
from pulp_container.app.models import ManifestSignature, Tag
from pulp_container.app.utils import extract_data_from_signature
from pulp_glue.bootfiles.netboot.constants import MEDIA_TYPE
from pulp_glue.bootfiles.netboot.oci import sha256_digest, signed_digest
from pulpcore.plugin.util import get_domain

from pulp_bootfiles.app.compat import manifest_signature_fields
from pulp_bootfiles.app.oci.blobs import blob_of_bytes
from pulp_bootfiles.app.oci.content import image_manifest

# The manifest types an attachment comes as (cosign writes OCI; older tools Docker's v2s2).
ATTACHMENT_MEDIA_TYPES = (
    MEDIA_TYPE.MANIFEST_OCI,
    "application/vnd.docker.distribution.manifest.v2+json",
)
SIMPLE_SIGNING = "atomic"


class CarriedSignatureError(ValueError):
    """A signature that is not what it says (the message names it and the problem)."""


def keep_simple_signature(signed, raw, name=None):
    """
    The ManifestSignature of `raw` (a simple-signing signature's bytes) on the Manifest
    `signed`, read as pulp_container's own sync reads one (key id, fingerprint, timestamp and
    creator from its OpenPGP packets). It is not verified here: the consumer does that with
    its own keys, as it does against the upstream.

    Raises:
        CarriedSignatureError: Not a simple-signing signature, or one of another manifest.
    """
    try:
        claims = extract_data_from_signature(raw, signed.digest)
    except ValueError as exc:
        raise CarriedSignatureError(str(exc)) from exc
    claimed = ((claims.get("critical") or {}).get("image") or {}).get("docker-manifest-digest")
    if claimed != signed.digest:
        raise CarriedSignatureError(
            f"a signature listed for manifest {signed.digest} signs {claimed}"
        )
    digest = "sha256:" + hashlib.sha256(raw).hexdigest()
    values = manifest_signature_fields(
        {
            "name": name or f"{signed.digest}@{digest.removeprefix('sha256:')[:32]}",
            "type": SIMPLE_SIGNING,
            "key_id": claims["signing_key_id"],
            "fingerprint": claims.get("signing_key_fingerprint"),
            "timestamp": claims["signature_timestamp"],
            "creator": (claims.get("optional") or {}).get("creator") or "",
            "data": base64.b64encode(raw).decode(),
            "signed_manifest": signed,
        }
    )
    signature, _ = ManifestSignature.objects.get_or_create(
        digest=digest, _pulp_domain=get_domain(), defaults=values
    )
    return signature


def keep_attachment(tag, data, blobs, signed_digests):
    """
    The Tag `tag` (`sha256-<hex>.sig`) of the attachment manifest `data`, whose blobs'
    bytes are `blobs` ({digest: bytes}), when it signs one of `signed_digests`.

    Raises:
        CarriedSignatureError: It signs nothing served here, or its blobs are not its own.
    """
    signed = signed_digest(tag)
    if signed not in signed_digests:
        raise CarriedSignatureError(f"signature {tag}: signs {signed}, which is not served here")
    try:
        document = json.loads(data)
        media_type = document["mediaType"]
        listed = [document["config"], *document["layers"]]
        digests = [descriptor["digest"] for descriptor in listed]
    except (ValueError, KeyError, TypeError):
        raise CarriedSignatureError(f"signature {tag}: not an image manifest") from None
    if media_type not in ATTACHMENT_MEDIA_TYPES:
        raise CarriedSignatureError(f"signature {tag}: mediaType {media_type!r} is not a manifest")
    for digest in digests:
        body = blobs.get(digest)
        if body is None or sha256_digest(body) != digest:
            raise CarriedSignatureError(f"signature {tag}: blob {digest} is missing or altered")
    domain = get_domain()
    blob_units = [blob_of_bytes(blobs[digest], domain) for digest in digests]
    with transaction.atomic():
        manifest, created = image_manifest(data, media_type, blob_units[0], blob_units[1:], domain)
        if created:
            manifest.init_metadata(manifest_data=document)
            manifest.save()
    tag_unit, _ = Tag.objects.get_or_create(name=tag, tagged_manifest=manifest, _pulp_domain=domain)
    return tag_unit
