"""OpenPGP signature packets (versions 3 and 4) and v4 public keys, and the signature math.

rpm signs headers with V3 packets as well as V4 ones (Red Hat's, CentOS's and openSUSE's
packages carry "Header V3 RSA/SHA256"), and Sequoia, hence pysequoia, refuses V3 under its
standard policy while rpm-sequoia accepts it. So the packets are read here (RFC 4880 sections
4.2, 5.2 and 5.5, RFC 9580 for Ed25519) and the public-key operations are `cryptography`'s.
Every parse error is a `PacketError` saying what is wrong.
"""

import hashlib
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed, encode_dss_signature

TAG_SIGNATURE = 2
# OpenPGP hash ids -> (hashlib name, cryptography class, name rpm prints)
HASHES = {
    1: ("md5", hashes.MD5, "MD5"),
    2: ("sha1", hashes.SHA1, "SHA1"),
    3: ("ripemd160", None, "RIPEMD160"),
    8: ("sha256", hashes.SHA256, "SHA256"),
    9: ("sha384", hashes.SHA384, "SHA384"),
    10: ("sha512", hashes.SHA512, "SHA512"),
    11: ("sha224", hashes.SHA224, "SHA224"),
    12: ("sha3_256", hashes.SHA3_256, "SHA3-256"),
    14: ("sha3_512", hashes.SHA3_512, "SHA3-512"),
}
RSA_ALGOS = (1, 3)  # RSA encrypt-or-sign, RSA sign-only
DSA, ECDSA, EDDSA_LEGACY, ED25519 = 17, 19, 22, 27
ALGO_NAMES = {1: "RSA", 3: "RSA", DSA: "DSA", ECDSA: "ECDSA", EDDSA_LEGACY: "EdDSA", 27: "Ed25519"}
CURVES = {  # OID bytes -> cryptography curve (None: EdDSA's Ed25519)
    bytes.fromhex("2a8648ce3d030107"): ec.SECP256R1(),
    bytes.fromhex("2b81040022"): ec.SECP384R1(),
    bytes.fromhex("2b81040023"): ec.SECP521R1(),
    bytes.fromhex("2b2403030208010107"): ec.BrainpoolP256R1(),
    bytes.fromhex("2b240303020801010b"): ec.BrainpoolP384R1(),
    bytes.fromhex("2b240303020801010d"): ec.BrainpoolP512R1(),
    bytes.fromhex("2b06010401da470f01"): None,
}
SUB_CREATED, SUB_SIG_EXPIRES, SUB_KEY_EXPIRES, SUB_ISSUER = 2, 3, 9, 16
SUB_KEY_FLAGS, SUB_REVOCATION_REASON, SUB_ISSUER_FPR = 27, 29, 33
FLAG_SIGN = 0x02


class PacketError(ValueError):
    """An OpenPGP packet cannot be read; the message says why."""


@dataclass(frozen=True)
class Signature:
    """The parts of a V3 or V4 signature packet that verification and policy need."""

    version: int
    sig_type: int
    pk_algo: int
    hash_algo: int
    created: int  # seconds since the epoch
    issuer: str  # 16 hex digits, lowercase; "" when the packet names none
    left16: bytes
    mpis: tuple  # the signature's integers (RSA: s; DSA, ECDSA, EdDSA: r, s)
    hashed_trailer: bytes  # what is hashed after the signed data
    subpackets: dict = field(default_factory=dict)  # hashed area: type -> first body

    @property
    def hash_name(self) -> str:
        return HASHES.get(self.hash_algo, (None, None, f"hash #{self.hash_algo}"))[2]

    def digest(self, data: bytes):
        """The hash over `data` and the signature's hashed trailer, or None if unknown."""
        if self.hash_algo not in HASHES or HASHES[self.hash_algo][1] is None:
            return None
        hasher = hashlib.new(HASHES[self.hash_algo][0])
        hasher.update(data)
        hasher.update(self.hashed_trailer)
        return hasher.digest()


@dataclass(frozen=True)
class PublicKey:
    """A v4 public (sub)key packet: its algorithm and material, for `verify`."""

    body: bytes
    created: int
    pk_algo: int
    material: tuple  # RSA (n, e); DSA (p, q, g, y); ECDSA/EdDSA (curve OID, point)

    @property
    def bits(self) -> int:
        """The size Sequoia's policy buckets by: RSA's n, DSA's p; 0 for curves."""
        return self.material[0].bit_length() if self.pk_algo in RSA_ALGOS + (DSA,) else 0

    def hashed(self) -> bytes:
        """The key as it enters a self-signature's hash (RFC 4880 section 5.2.4)."""
        return b"\x99" + struct.pack(">H", len(self.body)) + self.body


def _mpis(data, offset, count, what):
    values = []
    for _ in range(count):
        if offset + 2 > len(data):
            raise PacketError(f"{what} is truncated")
        bits = struct.unpack_from(">H", data, offset)[0]
        end = offset + 2 + (bits + 7) // 8
        if end > len(data):
            raise PacketError(f"{what} is truncated")
        values.append(int.from_bytes(data[offset + 2 : end], "big"))
        offset = end
    return tuple(values), offset


def packet_body(data: bytes, expected_tag: int) -> bytes:
    """The body of the single packet in `data` (old or new format header)."""
    if not data or not data[0] & 0x80:
        raise PacketError("not an OpenPGP packet")
    if data[0] & 0x40:  # new format
        tag, offset = data[0] & 0x3F, 1
        first = data[1] if len(data) > 1 else 0
        if first < 192:
            length, offset = first, 2
        elif first < 224:
            length, offset = ((first - 192) << 8) + data[2] + 192, 3
        elif first == 255:
            length, offset = struct.unpack_from(">I", data, 2)[0], 6
        else:
            raise PacketError("partial-length packets cannot hold a signature")
    else:
        tag, length_type = (data[0] >> 2) & 0x0F, data[0] & 0x03
        size = {0: 1, 1: 2, 2: 4}.get(length_type)
        if size is None:
            length, offset = len(data) - 1, 1
        else:
            length = int.from_bytes(data[1 : 1 + size], "big")
            offset = 1 + size
    if tag != expected_tag:
        raise PacketError(f"packet tag {tag} where tag {expected_tag} was expected")
    if offset + length > len(data):
        raise PacketError("packet is truncated")
    return data[offset : offset + length]


def _subpackets(area):
    found, offset = {}, 0
    while offset < len(area):
        first = area[offset]
        if first < 192:
            length, offset = first, offset + 1
        elif first < 255:
            length, offset = ((first - 192) << 8) + area[offset + 1] + 192, offset + 2
        else:
            length, offset = struct.unpack_from(">I", area, offset + 1)[0], offset + 5
        if length == 0 or offset + length > len(area):
            raise PacketError("signature subpacket is truncated")
        found.setdefault(area[offset] & 0x7F, area[offset + 1 : offset + length])
        offset += length
    return found


def parse_signature(body: bytes) -> Signature:
    """A V3 or V4 signature packet's body; other versions raise PacketError."""
    if not body:
        raise PacketError("empty signature packet")
    version = body[0]
    if version in (2, 3):
        if len(body) < 19 or body[1] != 5:
            raise PacketError("malformed V3 signature packet")
        sig_type, created = body[2], struct.unpack_from(">I", body, 3)[0]
        issuer, pk_algo, hash_algo = body[7:15].hex(), body[15], body[16]
        left16, rest, hashed_trailer, hashed = body[17:19], 19, body[2:7], {}
        unhashed = {}
    elif version == 4:
        if len(body) < 6:
            raise PacketError("malformed V4 signature packet")
        sig_type, pk_algo, hash_algo = body[1], body[2], body[3]
        hashed_len = struct.unpack_from(">H", body, 4)[0]
        hashed_end = 6 + hashed_len
        hashed = _subpackets(body[6:hashed_end])
        unhashed_len = struct.unpack_from(">H", body, hashed_end)[0]
        unhashed_end = hashed_end + 2 + unhashed_len
        unhashed = _subpackets(body[hashed_end + 2 : unhashed_end])
        left16, rest = body[unhashed_end : unhashed_end + 2], unhashed_end + 2
        hashed_trailer = body[:hashed_end] + b"\x04\xff" + struct.pack(">I", hashed_end)
        if SUB_CREATED not in hashed:
            raise PacketError("V4 signature without a creation time")
        created = struct.unpack(">I", hashed[SUB_CREATED][:4])[0]
        issuer = _v4_issuer(hashed, unhashed)
    else:
        raise PacketError(f"V{version} signature packets are not read here")
    count = 1 if pk_algo in RSA_ALGOS else 0 if pk_algo == ED25519 else 2
    if pk_algo == ED25519:
        if len(body) < rest + 64:
            raise PacketError("signature is truncated")
        mpis = (body[rest : rest + 64],)
    else:
        mpis, _ = _mpis(body, rest, count, "signature")
    return Signature(
        version, sig_type, pk_algo, hash_algo, created, issuer, left16, mpis, hashed_trailer, hashed
    )


def _v4_issuer(hashed, unhashed):
    for area in (hashed, unhashed):
        if SUB_ISSUER_FPR in area and area[SUB_ISSUER_FPR][:1] == b"\x04":
            return area[SUB_ISSUER_FPR][1:].hex()[-16:]
        if SUB_ISSUER in area:
            return area[SUB_ISSUER].hex()
    return ""


def parse_public_key(body: bytes) -> PublicKey:
    """A v4 public key or subkey packet's body."""
    if len(body) < 6 or body[0] != 4:
        raise PacketError(f"version {body[:1].hex() or 'none'} key packets are not read here")
    created, pk_algo = struct.unpack_from(">I", body, 1)[0], body[5]
    if pk_algo in RSA_ALGOS:
        material, _ = _mpis(body, 6, 2, "RSA key")
    elif pk_algo == DSA:
        material, _ = _mpis(body, 6, 4, "DSA key")
    elif pk_algo in (ECDSA, EDDSA_LEGACY):
        oid_len = body[6]
        oid = bytes(body[7 : 7 + oid_len])
        (point,), _ = _mpis(body, 7 + oid_len, 1, "EC key")
        material = (oid, point)
    elif pk_algo == ED25519:
        material = (None, body[6:38])
    else:
        material = ()
    return PublicKey(bytes(body), created, pk_algo, material)


def verify(signature: Signature, key: PublicKey, data: bytes) -> bool:
    """Whether `signature` by `key` verifies over `data` (the signature math only)."""
    digest = signature.digest(data)
    if digest is None or digest[:2] != signature.left16 or signature.pk_algo != key.pk_algo:
        return False
    algorithm = HASHES[signature.hash_algo][1]()
    try:
        _verify_math(signature, key, digest, algorithm)
    except (InvalidSignature, ValueError, TypeError, KeyError):
        return False
    return True


def _verify_math(signature, key, digest, algorithm):
    prehashed = Prehashed(algorithm)
    if key.pk_algo in RSA_ALGOS:
        n, e = key.material
        size = (n.bit_length() + 7) // 8
        rsa.RSAPublicNumbers(e, n).public_key().verify(
            signature.mpis[0].to_bytes(size, "big"), digest, padding.PKCS1v15(), prehashed
        )
    elif key.pk_algo == DSA:
        p, q, g, y = key.material
        public = dsa.DSAPublicNumbers(y, dsa.DSAParameterNumbers(p, q, g)).public_key()
        public.verify(encode_dss_signature(*signature.mpis), digest, prehashed)
    elif key.pk_algo == ECDSA:
        oid, point = key.material
        curve = CURVES[oid]
        raw = point.to_bytes((point.bit_length() + 7) // 8, "big")
        public = ec.EllipticCurvePublicKey.from_encoded_point(curve, raw)
        public.verify(encode_dss_signature(*signature.mpis), digest, ec.ECDSA(prehashed))
    elif key.pk_algo in (EDDSA_LEGACY, ED25519):
        raw = _ed25519_point(key)
        if key.pk_algo == ED25519:
            value = signature.mpis[0]
        else:
            value = b"".join(part.to_bytes(32, "big") for part in signature.mpis)
        ed25519.Ed25519PublicKey.from_public_bytes(raw).verify(value, digest)
    else:
        raise ValueError("unsupported public-key algorithm")


def _ed25519_point(key):
    oid, point = key.material
    if key.pk_algo == ED25519:
        return point
    if CURVES.get(oid, 0) is not None:
        raise ValueError("EdDSA on a curve other than Ed25519")
    raw = point.to_bytes(33, "big")
    if raw[0] != 0x40:  # the native-point prefix
        raise ValueError("EdDSA point without its 0x40 prefix")
    return raw[1:]
