"""
The signatures an OCI sync carries with the manifests it keeps.

- Sigstore attachments: the upstream's `sha256-<hex>.sig` tags of kept manifests and indexes,
  each a small manifest with small blobs (cosign's and `skopeo --sign-by-sigstore`'s layout).
- Simple signing through the signature API extension that Pulp's registry (and others) serve,
  when the registry announces it (`X-Registry-Supports-Signatures: 1` on `/v2/`), as
  pulp_container's own sync finds them.
"""

import base64
import json
import logging
from urllib.parse import urljoin

import aiohttp
from asgiref.sync import sync_to_async
from pulp_container.constants import SIGNATURE_API_EXTENSION_VERSION, SIGNATURE_HEADER
from pulp_glue.bootfiles.netboot.oci import signed_digest
from pulpcore.plugin.exceptions import SyncError

from pulp_bootfiles.app.formats.netboot_index import MAX_ATTACHMENT_BLOB
from pulp_bootfiles.app.oci.carried_signatures import (
    CarriedSignatureError,
    keep_attachment,
    keep_simple_signature,
)

log = logging.getLogger(__name__)


async def carried_signatures(registry, tags, signable):
    """
    The saved signature units (Tags of attachments, ManifestSignatures) of the manifests
    `signable` ({digest: Manifest}) that the upstream holds.
    """
    units = []
    for tag in sorted(tags):
        if signed_digest(tag) in signable:
            units.append(await _attachment(registry, tag, signable))
    if await _has_signature_api(registry):
        for digest in sorted(signable):
            units.extend(await _api_signatures(registry, signable[digest]))
    return units


async def _attachment(registry, tag, signable):
    data = await registry.manifest(tag, tag)
    try:
        document = json.loads(data)
        descriptors = [document["config"], *document["layers"]]
        sizes = {d["digest"]: d["size"] for d in descriptors}
    except (ValueError, KeyError, TypeError):
        raise SyncError(f"tag {tag}: a signature tag that names no image manifest") from None
    blobs = {}
    for digest, size in sizes.items():
        if not isinstance(size, int) or not 0 <= size <= MAX_ATTACHMENT_BLOB:
            raise SyncError(f"tag {tag}: blob {digest} of {size} bytes is no signature payload")
        downloader = await registry.blob(digest, size, tag, "signature payload")
        with open(downloader.path, "rb") as file:
            blobs[digest] = file.read()
    try:
        return await sync_to_async(keep_attachment)(tag, data, blobs, set(signable))
    except CarriedSignatureError as exc:
        raise SyncError(f"tag {tag}: {exc}") from exc


async def _has_signature_api(registry):
    """Whether the registry announces pulp_container's signature API extension."""
    downloader = registry.remote.get_downloader(url=urljoin(registry.remote.url, "/v2/"))
    try:
        result = await downloader.run(extra_data={"repo_name": registry.name})
        headers = result.headers
    except aiohttp.ClientResponseError as exc:
        headers = exc.headers or {}
    return (headers or {}).get(SIGNATURE_HEADER) == "1"


async def _api_signatures(registry, manifest):
    url = urljoin(
        registry.remote.url, f"/extensions/v2/{registry.name}/signatures/{manifest.digest}"
    )
    downloader = registry.remote.get_downloader(url=url)
    where = f"the signatures of {manifest.digest} ({url})"
    try:
        await downloader.run(extra_data={"repo_name": registry.name})
        with open(downloader.path, "rb") as file:
            listed = json.loads(file.read(MAX_ATTACHMENT_BLOB)).get("signatures") or []
    except aiohttp.ClientResponseError as exc:
        if exc.status == 404:
            return []
        raise SyncError(f"{where}: HTTP {exc.status} {exc.message}") from exc
    except (ValueError, AttributeError) as exc:
        raise SyncError(f"{where}: not a signature list ({exc})") from exc
    units = []
    for signature in listed:
        if not isinstance(signature, dict) or signature.get("type") != "atomic":
            continue
        if signature.get("schemaVersion") != SIGNATURE_API_EXTENSION_VERSION:
            continue
        try:
            raw = base64.b64decode(signature.get("content") or "", validate=True)
            units.append(
                await sync_to_async(keep_simple_signature)(manifest, raw, signature.get("name"))
            )
        except (ValueError, CarriedSignatureError) as exc:
            raise SyncError(f"{where}: {exc}") from exc
    return units
