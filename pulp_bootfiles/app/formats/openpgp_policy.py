"""Judge a header signature the way rpm-sequoia does, with one message per reason to refuse.

rpm-sequoia (rpm's OpenPGP backend) uses Sequoia's standard policy with V3 signature packets
allowed, and judges the signing key as of the signature's creation time
(`cert.with_policy(policy, sig_time)` in its `pgp_verify_signature`): a key that expired
after signing still verifies, a signature made after the key's expiry does not; a revocation
for compromise (or without a reason) voids every signature, a "superseded" or "retired" one
only those made after it. Signatures relying on legacy cryptography (SHA-1, MD5, RSA or DSA
below 2048 bits) are "NOTTRUSTED", which fails `rpmkeys -K`.
"""

import time
from dataclasses import dataclass
from datetime import datetime, timezone

from . import openpgp_packets as packets

WEAK_HASHES = {1, 2, 3}  # MD5, SHA-1, RIPEMD-160: Sequoia refuses them for data signatures
# Sequoia's standard policy: sizes refused outright, and sizes refused from a date on.
MIN_BITS = 2048
BITS_2048_CUTOFF = datetime(2030, 2, 1, tzinfo=timezone.utc).timestamp()
CLOCK_SKEW = 5 * 60  # rpm-sequoia tolerates signatures up to 5 minutes in the future
# Revocation reasons; "superseded" and "retired" void only later signatures, any other all.
REASONS = {0: "no reason given", 1: "superseded", 2: "compromised", 3: "retired"}
SOFT_REASONS = {1, 3}


class SignatureRefused(ValueError):
    """A header signature is refused; the message says why (without the package's name)."""


@dataclass(frozen=True)
class Binding:
    """A valid self-signature binding a key: when it was made and what it says."""

    created: int
    expires_after: int  # seconds after the key's creation; 0: never
    flags: int | None  # key flags, None when the signature has none


@dataclass
class KeyState:
    """A (sub)key of a certificate and its verified self-signatures."""

    key_id: str
    primary_id: str
    key: packets.PublicKey
    bindings: list
    revocations: list  # (created, reason code) of valid revocation signatures

    def binding_at(self, moment: int):
        """The newest binding made by `moment`, else the newest one (rpm falls back to now)."""
        made = [b for b in self.bindings if b.created <= moment] or self.bindings
        return max(made, key=lambda b: b.created) if made else None

    def expiry(self, moment: int):
        binding = self.binding_at(moment)
        if binding and binding.expires_after:
            return self.key.created + binding.expires_after
        return None

    def revoked_at(self, moment: int):
        """The reason code of a revocation in force at `moment`, else None."""
        for created, reason in self.revocations:
            if reason not in SOFT_REASONS or created <= moment:
                return reason
        return None


def _date(seconds):
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _check_algorithms(signature, state, now):
    if signature.hash_algo in WEAK_HASHES or signature.digest(b"") is None:
        raise SignatureRefused(
            f"header signature by key {state.key_id} uses {signature.hash_name}, which rpm's "
            "policy refuses"
        )
    key = state.key
    if key.pk_algo not in packets.ALGO_NAMES or (
        key.pk_algo == packets.ECDSA and key.material[0] not in packets.CURVES
    ):
        raise SignatureRefused(
            f"key {state.key_id} uses public-key algorithm {key.pk_algo}, which rpm's policy "
            "refuses"
        )
    if key.bits and (key.bits < MIN_BITS or (key.bits < 3072 and now >= BITS_2048_CUTOFF)):
        raise SignatureRefused(
            f"key {state.key_id} is a {key.bits}-bit {packets.ALGO_NAMES[key.pk_algo]} key, "
            "which rpm's policy refuses"
        )


def _check_alive(signature, state, now):
    expires = signature.subpackets.get(packets.SUB_SIG_EXPIRES)
    lifetime = int.from_bytes(expires, "big") if expires else 0
    if signature.created > now + CLOCK_SKEW:
        raise SignatureRefused(
            f"header signature by key {state.key_id} is dated {_date(signature.created)}, "
            "in the future"
        )
    if lifetime and signature.created + lifetime <= now:
        raise SignatureRefused(
            f"header signature by key {state.key_id} expired on "
            f"{_date(signature.created + lifetime)}"
        )


def _check_key(state, role, signature, sign_capable):
    moment = signature.created
    binding = state.binding_at(moment)
    if binding is None:
        raise SignatureRefused(f"{role} {state.key_id} has no valid self-signature")
    reason = state.revoked_at(moment)
    if reason is not None:
        raise SignatureRefused(
            f"header signature by key {signature.issuer}: {role} {state.key_id} is revoked "
            f"({REASONS.get(reason, f'reason {reason}')})"
        )
    expiry = state.expiry(moment)
    if expiry is not None and moment >= expiry:
        raise SignatureRefused(
            f"header signature by key {signature.issuer} was made on {_date(moment)}, but "
            f"{role} {state.key_id} expired on {_date(expiry)}"
        )
    if sign_capable and binding.flags is not None and not binding.flags & packets.FLAG_SIGN:
        raise SignatureRefused(f"key {state.key_id} is not marked for signing")


def judge(signature, signing, primary, data: bytes, now: float | None = None) -> None:
    """
    Refuse `signature` over `data` unless rpm-sequoia would accept it.

    `signing` is the KeyState the issuer names, `primary` its certificate's primary key.
    Raises SignatureRefused with the reason: weak algorithm, signature not alive, bad
    signature (the data was altered), key revoked, expired or not for signing.
    """
    now = time.time() if now is None else now
    _check_algorithms(signature, signing, now)
    _check_alive(signature, signing, now)
    if not packets.verify(signature, signing.key, data):
        raise SignatureRefused(
            f"header signature by key {signing.key_id} does not verify: the header was "
            "altered after signing"
        )
    if primary is not signing:
        _check_key(primary, "certificate", signature, sign_capable=False)
    _check_key(signing, "key", signature, sign_capable=True)
