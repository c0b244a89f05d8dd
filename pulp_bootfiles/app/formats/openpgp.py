"""OpenPGP public keys given by a user, split into certificates by pysequoia (Sequoia-PGP).

A `Keyring` holds the certificates of one or more ASCII-armored (or binary) public keys and
knows every key id in them, primary keys and subkeys, so a signature's issuer can be named and
told apart from a stranger's. For each v4 key it also keeps the self-signatures that verify
(bindings, expiry, revocations), which `openpgp_policy` judges as of a signature's date.
"""

import struct
from dataclasses import dataclass

from pysequoia import Cert
from pysequoia.packet import PacketPile, Tag

from . import openpgp_packets as packets
from .openpgp_policy import Binding, KeyState

_KEY_PACKETS = (Tag.PublicKey, Tag.PublicSubkey)
# self-signature types: certifications of a user id, direct-key, subkey binding, revocations
_CERTIFICATIONS, _DIRECT_KEY = (0x10, 0x11, 0x12, 0x13), 0x1F
_SUBKEY_BINDING, _KEY_REVOCATION, _SUBKEY_REVOCATION = 0x18, 0x20, 0x28


class KeyringError(ValueError):
    """The keys cannot be used; the message says why."""


def key_id(fingerprint: str) -> str:
    """The 16-hex-digit key id rpm prints: the low 64 bits of a v4 fingerprint, the high of v6."""
    fingerprint = fingerprint.lower()
    return fingerprint[:16] if len(fingerprint) == 64 else fingerprint[-16:]


@dataclass(frozen=True)
class Keyring:
    """
    Public certificates and the key ids they hold.

    Fields:
        certs (tuple of pysequoia.Cert): The certificates, for `pysequoia.verify`.
        key_ids (dict): Every key id (primary and subkeys, lowercase hex) -> the key id of the
            certificate's primary key.
        states (dict): Key id -> `KeyState`, for every v4 key whose packet could be read.
    """

    certs: tuple
    key_ids: dict
    states: dict

    @classmethod
    def from_armored(cls, text: str) -> "Keyring":
        """Parse one or more public keys; refuse secret keys and anything that is not a key."""
        try:
            certs = Cert.split_bytes(text.encode())
        except Exception as exc:  # pysequoia raises plain exceptions with a Rust backtrace
            first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise KeyringError(f"not an OpenPGP public key: {first_line}") from exc
        if not certs:
            raise KeyringError("no OpenPGP public key found")
        if any(cert.has_secret_keys for cert in certs):
            raise KeyringError("contains secret key material; give the public keys only")
        key_ids, states = {}, {}
        for cert in certs:
            primary = key_id(cert.fingerprint)
            pile = list(PacketPile.from_bytes(bytes(cert)))
            for packet in pile:
                if packet.tag in _KEY_PACKETS and packet.fingerprint:
                    key_ids[key_id(packet.fingerprint)] = primary
            states.update(_key_states(pile, primary))
        return cls(tuple(certs), key_ids, states)

    @property
    def primary_key_ids(self) -> list[str]:
        """The key ids of the certificates, sorted, for messages and the API."""
        return sorted(set(self.key_ids.values()))

    def holds(self, issuer_key_id: str | None) -> bool:
        """Whether a signature's issuer key id is one of these keys."""
        return bool(issuer_key_id) and issuer_key_id.lower() in self.key_ids


def _key_states(pile, primary_id):
    """KeyStates of a certificate's v4 keys, from the self-signatures that verify."""
    try:
        primary = KeyState(primary_id, primary_id, packets.parse_public_key(pile[0].body), [], [])
    except packets.PacketError:
        return {}  # a v3 or v6 key: only pysequoia's verification applies to it
    states, current, component = {primary_id: primary}, primary, (b"", b"")
    for packet in pile[1:]:
        if packet.tag == Tag.PublicSubkey:
            current, component = _subkey_state(packet, primary_id), (b"", b"")
            if current:
                states[current.key_id] = current
        elif packet.tag in (Tag.UserID, Tag.UserAttribute):
            component = (b"\xb4" if packet.tag == Tag.UserID else b"\xd1", packet.body)
        elif packet.tag == Tag.Signature and current is not None:
            _add_self_signature(primary, current, component, packet.body)
    return states


def _subkey_state(packet, primary_id):
    try:
        key = packets.parse_public_key(packet.body)
    except packets.PacketError:
        return None
    return KeyState(key_id(packet.fingerprint), primary_id, key, [], [])


def _add_self_signature(primary, current, component, body):
    try:
        signature = packets.parse_signature(body)
    except packets.PacketError:
        return
    if signature.issuer not in ("", primary.key_id) or signature.hash_algo == 1:  # MD5
        return
    on_subkey = current is not primary
    prefix, user = component
    if signature.version == 4:  # a V3 certification hashes the user id without a header
        user = prefix + struct.pack(">I", len(user)) + user
    if signature.sig_type == _DIRECT_KEY and not on_subkey:
        data, target = primary.key.hashed(), "binding"
    elif signature.sig_type in _CERTIFICATIONS and not on_subkey:
        data, target = primary.key.hashed() + user, "binding"
    elif signature.sig_type == _KEY_REVOCATION and not on_subkey:
        data, target = primary.key.hashed(), "revocation"
    elif signature.sig_type in (_SUBKEY_BINDING, _SUBKEY_REVOCATION) and on_subkey:
        data = primary.key.hashed() + current.key.hashed()
        target = "binding" if signature.sig_type == _SUBKEY_BINDING else "revocation"
    else:
        return
    if not packets.verify(signature, primary.key, data):
        return
    hashed = signature.subpackets
    if target == "revocation":
        reason = hashed.get(packets.SUB_REVOCATION_REASON)
        current.revocations.append((signature.created, reason[0] if reason else 0))
        return
    expires = hashed.get(packets.SUB_KEY_EXPIRES)
    flags = hashed.get(packets.SUB_KEY_FLAGS)
    current.bindings.append(
        Binding(
            signature.created,
            int.from_bytes(expires, "big") if expires else 0,
            flags[0] if flags else None,
        )
    )
