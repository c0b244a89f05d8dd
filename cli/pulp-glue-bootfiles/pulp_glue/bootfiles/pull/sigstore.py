"""Sigstore (cosign) signatures of a manifest: where they are, and how one is checked, as
containers/image does for a `sigstoreSigned` requirement with public keys.

cosign, and containers/image with `use-sigstore-attachments: true`, store the signatures of
manifest `sha256:<hex>` as an image manifest tagged `sha256-<hex>.sig` in the same repository.
Each layer of media type `application/vnd.dev.cosign.simplesigning.v1+json` is a payload blob,
its `dev.cosignproject.cosign/signature` annotation the base64 signature of the blob's bytes by
one of the policy's keys: ECDSA (SHA-256, DER), RSA (PKCS #1 v1.5, SHA-256) or Ed25519, the
verifiers sigstore picks for each key type. The payload is JSON naming the manifest digest and
the reference signed; `claims` reads it as strictly as containers/image does.
"""

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa

from pulp_glue.bootfiles.netboot.constants import DIGEST, MEDIA_TYPE
from pulp_glue.bootfiles.pull.registry import RegistryError

SIGNATURE_MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json"
SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
PAYLOAD_TYPE = "cosign container image signature"
# containers/image reads at most this much of a payload (iolimits.MaxSignatureBodySize).
MAX_PAYLOAD_SIZE = 4 * 1024 * 1024
# containers/image takes an OCI image manifest only; older cosign wrote Docker schema 2.
ATTACHMENT_MEDIA_TYPES = (
    MEDIA_TYPE.MANIFEST_OCI,
    "application/vnd.docker.distribution.manifest.v2+json",
)
_PEM = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.*?-----END \1-----", re.DOTALL)
_SIGNED_DIGEST = re.compile(r"sha256:[0-9a-f]{64}|sha384:[0-9a-f]{96}|sha512:[0-9a-f]{128}")


@dataclass(frozen=True)
class Attachment:
    """One signature layer: its payload bytes and its base64 signature (None: not annotated)."""

    payload: bytes
    signature: str | None


def attachment_tag(digest: str) -> str:
    """`sha256-<hex>.sig`: the tag of manifest `digest`'s signatures."""
    return digest.replace(":", "-", 1) + ".sig"


def attachments(registry, digest: str) -> list[Attachment]:
    """The signature layers of `digest`'s attachment manifest; none when the tag is missing.
    Layers of other media types (attestations, SBOMs) are not fetched."""
    tag = attachment_tag(digest)
    fetched = registry.manifest(tag, ATTACHMENT_MEDIA_TYPES, missing_ok=True)
    if fetched is None:
        return []
    found = []
    for layer_digest, size, signature in _signature_layers(fetched, tag):
        payload = registry.small_blob(layer_digest, size, MAX_PAYLOAD_SIZE)
        found.append(Attachment(payload, signature))
    return found


def _signature_layers(fetched, tag: str) -> list[tuple[str, int, str | None]]:
    try:
        document = json.loads(fetched.data)
        media_type = fetched.media_type
        if media_type not in ATTACHMENT_MEDIA_TYPES:
            media_type = document.get("mediaType", media_type)
        layers = document["layers"]
        if not isinstance(layers, list):
            raise TypeError("'layers' is no list")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise RegistryError(f"{tag}: not a sigstore attachment manifest ({exc})") from exc
    if media_type not in ATTACHMENT_MEDIA_TYPES:
        raise RegistryError(f"{tag}: a {media_type!r} is not a sigstore attachment manifest")
    found = []
    for layer in layers:
        if not isinstance(layer, dict) or layer.get("mediaType") != SIGNATURE_MEDIA_TYPE:
            continue
        digest, size = layer.get("digest"), layer.get("size")
        annotations = layer.get("annotations") or {}
        signature = annotations.get(SIGNATURE_ANNOTATION) if isinstance(annotations, dict) else None
        if not isinstance(digest, str) or not DIGEST.fullmatch(digest):
            raise RegistryError(f"{tag}: signature layer digest {digest!r} is not sha256:<hex>")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise RegistryError(f"{tag}: signature layer {digest} has size {size!r}")
        if size > MAX_PAYLOAD_SIZE:
            raise RegistryError(
                f"{tag}: signature payload {digest} is {size} bytes, more than {MAX_PAYLOAD_SIZE}"
            )
        found.append((digest, size, signature if isinstance(signature, str) else None))
    return found


@dataclass(frozen=True)
class PublicKey:
    """A policy key: where it came from (a path, or keyData), its type and SPKI fingerprint."""

    name: str
    key: object
    kind: str
    fingerprint: str  # sha256 of the DER SubjectPublicKeyInfo, hex

    def __str__(self) -> str:
        return f"{self.name} ({self.kind}, sha256:{self.fingerprint[:16]})"

    def verifies(self, payload: bytes, signature: bytes) -> bool:
        try:
            if isinstance(self.key, ec.EllipticCurvePublicKey):
                self.key.verify(signature, payload, ec.ECDSA(hashes.SHA256()))
            elif isinstance(self.key, rsa.RSAPublicKey):
                self.key.verify(signature, payload, padding.PKCS1v15(), hashes.SHA256())
            else:
                self.key.verify(signature, payload)
        except InvalidSignature:
            return False
        return True


def load_key(pem: bytes, name: str) -> PublicKey:
    """The first PEM block of `pem` (`PUBLIC KEY` or `RSA PUBLIC KEY`), as sigstore's
    UnmarshalPEMToPublicKey reads it. Raises ValueError."""
    block = _PEM.search(pem)
    if block is None:
        raise ValueError("no PEM block")
    if block.group(1) not in (b"PUBLIC KEY", b"RSA PUBLIC KEY"):
        raise ValueError(f"a PEM {block.group(1).decode()!r} block is not a public key")
    key = serialization.load_pem_public_key(block.group(0))
    if isinstance(key, ec.EllipticCurvePublicKey):
        kind = f"ECDSA {_CURVES.get(key.curve.name, key.curve.name)}"
    elif isinstance(key, rsa.RSAPublicKey):
        kind = f"RSA {key.key_size}"
    elif isinstance(key, ed25519.Ed25519PublicKey):
        kind = "Ed25519"
    else:
        raise ValueError(f"{type(key).__name__} keys are not sigstore keys")
    spki = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return PublicKey(name, key, kind, hashlib.sha256(spki).hexdigest())


_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


def decode_signature(text: str) -> bytes:
    """The annotation's base64 (standard alphabet, padded). Raises ValueError."""
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError(f"its signature is not base64 ({exc})") from exc


class PayloadError(ValueError):
    """The payload is not a sigstore payload; the message says what is wrong with it."""


def claims(payload: bytes) -> tuple[str, str]:
    """(docker-manifest-digest, docker-reference) of a payload, read as containers/image reads
    it: exactly the fields it names, `optional` null or an object whose `creator` is a string
    and `timestamp` an integer, and the type `cosign container image signature`."""
    try:
        document = json.loads(payload, object_pairs_hook=_unique, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(f"its payload is not JSON ({exc})") from exc
    critical, optional = _exact(document, "", "critical", "optional")
    if optional is not None:
        _check_optional(optional)
    kind, image, identity = _exact(critical, "critical.", "type", "image", "identity")
    if not isinstance(kind, str):
        raise PayloadError(f"its payload type {kind!r} is not a string")
    if kind != PAYLOAD_TYPE:
        raise PayloadError(f"its payload type is {kind!r}, not {PAYLOAD_TYPE!r}")
    (digest,) = _exact(image, "critical.image.", "docker-manifest-digest")
    (reference,) = _exact(identity, "critical.identity.", "docker-reference")
    if not isinstance(digest, str) or not _SIGNED_DIGEST.fullmatch(digest):
        raise PayloadError(f"its docker-manifest-digest {digest!r} is not a digest")
    if not isinstance(reference, str):
        raise PayloadError(f"its docker-reference {reference!r} is not a string")
    return digest, reference


def _unique(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def _no_constant(name):
    raise ValueError(f"{name} is not JSON")


def _exact(value, where: str, *fields):
    if not isinstance(value, dict):
        raise PayloadError(f"its payload's {where or 'top level'} is not an object")
    if set(value) != set(fields):
        found = ", ".join(sorted(f"{where}{key}" for key in value))
        raise PayloadError(f"its payload has {found or 'no fields'}, not {', '.join(fields)}")
    return [value[field] for field in fields]


def _check_optional(optional) -> None:
    if not isinstance(optional, dict):
        raise PayloadError("its payload's optional is neither null nor an object")
    if "creator" in optional and not isinstance(optional["creator"], str):
        raise PayloadError("its payload's optional.creator is not a string")
    if "timestamp" in optional:
        stamp = optional["timestamp"]
        if isinstance(stamp, bool) or not isinstance(stamp, int | float) or stamp != int(stamp):
            raise PayloadError("its payload's optional.timestamp is not an integer")
