"""OpenPGP public keys given by a user, read with pysequoia (Sequoia-PGP); no crypto of our own.

A `Keyring` holds the certificates of one or more ASCII-armored (or binary) public keys and
knows every key id in them, primary keys and subkeys, so a signature's issuer can be named and
told apart from a stranger's.
"""

from dataclasses import dataclass

from pysequoia import Cert
from pysequoia.packet import PacketPile, Tag

_KEY_PACKETS = (Tag.PublicKey, Tag.PublicSubkey)


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
    """

    certs: tuple
    key_ids: dict

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
        key_ids = {}
        for cert in certs:
            primary = key_id(cert.fingerprint)
            for packet in PacketPile.from_bytes(bytes(cert)):
                if packet.tag in _KEY_PACKETS and packet.fingerprint:
                    key_ids[key_id(packet.fingerprint)] = primary
        return cls(tuple(certs), key_ids)

    @property
    def primary_key_ids(self) -> list[str]:
        """The key ids of the certificates, sorted, for messages and the API."""
        return sorted(set(self.key_ids.values()))

    def holds(self, issuer_key_id: str | None) -> bool:
        """Whether a signature's issuer key id is one of these keys."""
        return bool(issuer_key_id) and issuer_key_id.lower() in self.key_ids
