"""Verify an RPM package against trusted OpenPGP keys, the way rpm itself does since 4.14.

rpm signs the main header only (RPMSIGTAG_RSA / RPMSIGTAG_DSA in v4 packages, the base64
RPMSIGTAG_OPENPGP array in v6 ones), and the main header holds digests of the compressed
payload (PAYLOADDIGEST a.k.a. PAYLOADSHA256, PAYLOADSHA512, PAYLOADSHA3_256). So a package is
authentic when one header signature by a trusted key verifies over the exact main header
bytes, and every payload digest in that header matches the bytes after it. The payload is
hashed as a stream; the OpenPGP work is pysequoia's.
"""

import base64
import binascii
import hashlib
from typing import BinaryIO

from pysequoia import Sig, verify

from . import openpgp_packets as packets
from .openpgp import Keyring, key_id
from .openpgp_policy import SignatureRefused, judge
from .rpm_header import RpmError, read_headers

CHUNK_SIZE = 1024 * 1024
SIGTAG_DSA = 267  # header-only signature: DSA, ECDSA and EdDSA keys
SIGTAG_RSA = 268  # header-only signature: RSA keys
SIGTAG_OPENPGP = 278  # rpm 6: every header signature, base64, any key type or packet version
LEGACY_SIGTAGS = (1002, 1005)  # rpm 3's header+payload signatures (PGP, GPG)
TAG_PAYLOADSHA256 = 5092  # "PAYLOADDIGEST" before rpm 6; its algorithm is in 5093
TAG_PAYLOADSHA512 = 5121
TAG_PAYLOADSHA3_256 = 5123
# OpenPGP hash algorithm ids, as PAYLOADDIGESTALGO gives them (RFC 9580 section 9.5).
PGP_HASHES = {8: "sha256", 9: "sha384", 10: "sha512", 11: "sha224", 12: "sha3_256"}


def verify_package(stream: BinaryIO, keyring: Keyring, source: str) -> str:
    """
    Check the package read from `stream` (at its start) and return the signing key id.

    Reads the stream to its end. `source` names the package in every error.

    Raises:
        RpmError: unsigned, signed by a key not in `keyring`, a header signature that does not
            verify (header altered), or a payload that does not match its signed digests.
    """
    signature_header, main = read_headers(stream, source)
    signing_key = _verify_header(signature_header, main, keyring, source)
    _verify_payload(stream, _payload_digests(main, source), source)
    return signing_key


def _header_signatures(signature_header, source):
    """The header-only signature packets, from every tag that carries one."""
    blobs = [signature_header.binary(tag) for tag in (SIGTAG_RSA, SIGTAG_DSA)]
    for text in signature_header.strings(SIGTAG_OPENPGP) or []:
        try:
            blobs.append(base64.b64decode(text, validate=True))
        except binascii.Error as exc:
            raise RpmError(f"{source}: OpenPGP signature tag is not base64") from exc
    return [blob for blob in blobs if blob]


def _parse(blob, source):
    """(issuer key id, our parse, or None for what pysequoia reads: V6 signatures)."""
    try:
        parsed = packets.parse_signature(packets.packet_body(blob, packets.TAG_SIGNATURE))
        return parsed.issuer, parsed
    except packets.PacketError:
        pass
    try:
        signature = Sig.from_bytes(blob)
    except Exception as exc:  # pysequoia's parse errors are plain exceptions
        raise RpmError(f"{source}: malformed OpenPGP signature in the signature header") from exc
    if signature.issuer_fingerprint:
        return key_id(signature.issuer_fingerprint), None
    return (signature.issuer_key_id or "").lower(), None


def _judge(issuer, parsed, blob, main, keyring):
    """The signing key id, or raise SignatureRefused saying why rpm would refuse."""
    if parsed is not None and issuer in keyring.states:
        signing = keyring.states[issuer]
        judge(parsed, signing, keyring.states[signing.primary_id], main.raw)
        return issuer
    # V6 signatures or keys: Sequoia's standard policy, as rpm 6 applies it
    try:
        result = verify(
            bytes=main.raw, store=lambda _ids: list(keyring.certs), signature=Sig.from_bytes(blob)
        )
    except Exception as exc:  # pysequoia: "Signature verification failed", plus a backtrace
        raise SignatureRefused(
            f"header signature by key {issuer} does not verify under Sequoia's standard "
            "policy: the header was altered after signing, or the key or algorithm is refused"
        ) from exc
    return key_id(result.valid_sigs[0].signing_key)


def _verify_header(signature_header, main, keyring, source):
    blobs = _header_signatures(signature_header, source)
    if not blobs:
        if any(signature_header.binary(tag) for tag in LEGACY_SIGTAGS):
            raise RpmError(
                f"{source}: has only a legacy header+payload signature (rpm 3); "
                "a header signature is required"
            )
        raise RpmError(
            f"{source}: is not signed; the remote requires a signature by one of "
            f"{', '.join(keyring.primary_key_ids)}"
        )
    signatures = [(*_parse(blob, source), blob) for blob in blobs]
    refusals = []
    for issuer, parsed, blob in signatures:
        if not keyring.holds(issuer):
            continue
        try:
            return _judge(issuer, parsed, blob, main, keyring)
        except SignatureRefused as refusal:
            refusals.append(refusal)
    if refusals:
        raise RpmError(f"{source}: {refusals[0]}")
    issuers = ", ".join(sorted({issuer or "unknown" for issuer, _, _ in signatures}))
    raise RpmError(
        f"{source}: signed by key {issuers}, which is not one of the remote's keys "
        f"({', '.join(keyring.primary_key_ids)})"
    )


def _payload_digests(main, source):
    """{hashlib name: expected hex digest} of the compressed payload, from the signed header."""
    digests = {}
    sha256 = main.strings(TAG_PAYLOADSHA256)
    if sha256:
        algorithm = main.integer("PAYLOADDIGESTALGO") or 8
        if algorithm not in PGP_HASHES:
            raise RpmError(f"{source}: unknown payload digest algorithm {algorithm}")
        digests[PGP_HASHES[algorithm]] = sha256[0]
    for tag, name in ((TAG_PAYLOADSHA512, "sha512"), (TAG_PAYLOADSHA3_256, "sha3_256")):
        value = main.strings(tag)
        if value:
            digests[name] = value[0]
    if not digests:
        raise RpmError(
            f"{source}: has no payload digest (built by rpm older than 4.14), so its payload "
            "cannot be checked against the signed header"
        )
    return {name: value.lower() for name, value in digests.items()}


def _verify_payload(stream, expected, source):
    hashers = {name: hashlib.new(name) for name in expected}
    while chunk := stream.read(CHUNK_SIZE):
        for hasher in hashers.values():
            hasher.update(chunk)
    for name, hasher in hashers.items():
        if hasher.hexdigest() != expected[name]:
            raise RpmError(
                f"{source}: payload {name} {hasher.hexdigest()} does not match the signed "
                f"header's {expected[name]}: the payload was altered after signing"
            )
