"""A containers `policy.json` (containers-policy.json(5)) judging a manifest's signatures, as
skopeo and podman do for the `docker` transport.

Supported requirements: `insecureAcceptAnything`, `reject`, `signedBy` with `keyType:
GPGKeys` (`keyPath`, `keyPaths` or `keyData`), and `sigstoreSigned` with public keys
(`keyPath`, `keyPaths`, `keyData` or `keyDatas`; not Fulcio, Rekor or PKI), each with the
`signedIdentity` kinds that need no remapping. Every requirement of the matching scope must
hold.

- signedBy: a simple signature from the registry's signature extension, an OpenPGP signed
  message (verified by Sequoia, pysequoia) holding JSON whose `critical` part names the
  manifest digest (`docker-manifest-digest`) and the reference (`docker-reference`).
- sigstoreSigned: a sigstore attachment (`sha256-<hex>.sig`, see `sigstore`): a payload of the
  same shape, with a detached signature by one of the policy's public keys.
"""

import base64
import json
from dataclasses import dataclass
from pathlib import Path

from pysequoia import Cert, verify

from pulp_glue.bootfiles.pull import sigstore

SIGNATURE_TYPE = "atomic container signature"
# A sigstoreSigned requirement's own fields; the keyless ones are refused by name.
_SIGSTORE_KEYS = ("keyPath", "keyPaths", "keyData", "keyDatas")
_SIGSTORE_KEYLESS = (
    "fulcio",
    "pki",
    "rekorPublicKeyPath",
    "rekorPublicKeyPaths",
    "rekorPublicKeyData",
    "rekorPublicKeyDatas",
)


class SignatureRefused(Exception):
    """The policy refuses the image; the message says which rule and why."""


class PolicyError(ValueError):
    """The policy file cannot be used; the message names it and the problem."""


@dataclass(frozen=True)
class Accepted:
    """A requirement that held, and the key whose signature it took (none for
    insecureAcceptAnything): a signedBy certificate's fingerprint and first user ID, or a
    sigstoreSigned public key as `sigstore.PublicKey` names it."""

    requirement: str
    key: str | None = None

    def __str__(self) -> str:
        return f"{self.requirement} by {self.key}" if self.key else self.requirement


def load_policy(path: Path) -> dict:
    try:
        policy = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PolicyError(f"{path}: {exc}") from exc
    if not isinstance(policy, dict) or not isinstance(policy.get("default", []), list):
        raise PolicyError(f"{path}: not a containers policy (an object with a 'default' list)")
    policy["_path"] = str(path)
    return policy


def requirements(policy: dict, registry: str, repository: str) -> list:
    """The requirements of the most specific `docker` scope matching the image, else default:
    `host/repo`, then its parent namespaces, then `host`, then `*.domain` wildcards."""
    scopes = policy.get("transports", {}).get("docker", {})
    name = f"{registry}/{repository}"
    candidates = [name]
    while "/" in name:
        name = name.rsplit("/", 1)[0]
        candidates.append(name)
    host = registry.split(":")[0]
    labels = host.split(".")
    candidates += ["*." + ".".join(labels[i:]) for i in range(1, len(labels))]
    for scope in candidates:
        if scope in scopes:
            return scopes[scope]
    return policy.get("default", [])


def judge(policy, reference, digest: str, source) -> tuple[Accepted, ...]:
    """Raise SignatureRefused unless every requirement for `reference` accepts manifest
    `digest`; return what each requirement accepted. `source` is the Registry: its simple
    signatures (`signatures(digest)`) are fetched for a signedBy requirement, its sigstore
    attachments for a sigstoreSigned one."""
    found = requirements(policy, reference.registry, reference.repository)
    if not found:
        raise SignatureRefused(f"{policy['_path']}: no requirement applies to {reference}")
    fetched = {}  # each kind is fetched once, and only when a requirement needs it

    def signatures(kind):
        if kind not in fetched:
            if kind == "signedBy":
                fetched[kind] = source.signatures(digest)
            else:
                fetched[kind] = sigstore.attachments(source, digest)
        return fetched[kind]

    accepted = []
    for requirement in found:
        kind = requirement.get("type")
        if kind == "insecureAcceptAnything":
            key = None
        elif kind == "reject":
            raise SignatureRefused(f"{policy['_path']}: {reference} is rejected by the policy")
        elif kind == "signedBy":
            key = _signed_by(requirement, policy["_path"], reference, digest, signatures(kind))
        elif kind == "sigstoreSigned":
            keys = _sigstore_keys(requirement, policy["_path"])
            key = _sigstore_signed(requirement, keys, reference, digest, signatures(kind))
        else:
            raise SignatureRefused(
                f"{policy['_path']}: requirement type {kind!r} is not supported by this pull"
            )
        accepted.append(Accepted(kind, key))
    return tuple(accepted)


def sigstore_keys(policy, reference) -> list:
    """The public keys of every sigstoreSigned requirement for `reference` (PublicKeys)."""
    return _keys_of(policy, reference, "sigstoreSigned", _sigstore_keys)


def signed_by_certs(policy, reference) -> list:
    """The OpenPGP certificates of every signedBy requirement for `reference` (pysequoia)."""
    return _keys_of(policy, reference, "signedBy", _keys)


def _keys_of(policy, reference, kind, read) -> list:
    """What `read(requirement, policy path)` gives for every `kind` requirement of `reference`."""
    found = requirements(policy, reference.registry, reference.repository)
    return [
        key
        for requirement in found
        if requirement.get("type") == kind
        for key in read(requirement, policy["_path"])
    ]


def _keys(requirement, path) -> list:
    if requirement.get("keyType") != "GPGKeys":
        raise PolicyError(f"{path}: signedBy keyType {requirement.get('keyType')!r} unsupported")
    blobs = []
    try:
        for key_path in [requirement.get("keyPath")] + list(requirement.get("keyPaths") or []):
            if key_path:
                blobs.append(Path(key_path).read_bytes())
        if requirement.get("keyData"):
            blobs.append(base64.b64decode(requirement["keyData"]))
        certs = [cert for blob in blobs for cert in Cert.split_bytes(blob)]
    except Exception as exc:  # OSError, or pysequoia's plain exceptions on bad key data
        raise PolicyError(f"{path}: cannot read the signedBy keys ({exc})") from exc
    if not certs:
        raise PolicyError(f"{path}: a signedBy requirement names no keys")
    return certs


def _signed_by(requirement, path, reference, digest, signatures) -> str:
    """The accepting certificate: its fingerprint and first user ID."""
    if not signatures:
        raise SignatureRefused(f"{reference}: a signature is required, but {digest} has none")
    certs = _keys(requirement, path)
    problems = []
    for signature in signatures:
        try:
            result = verify(bytes=signature, store=lambda _ids: certs)
        except Exception:  # pysequoia: "no valid signature", with Sequoia's backtrace
            problems.append("not signed by a key of the policy")
            continue
        problem = _claims_problem(result.bytes, requirement, reference, digest)
        if problem is None:
            return describe_cert(certs, result.valid_sigs[0].certificate)
        problems.append(problem)
    raise SignatureRefused(f"{reference} ({digest}): no signature is accepted: {problems}")


def describe_cert(certs, fingerprint: str) -> str:
    """`<fingerprint> (<first user ID>)` of the certificate of `certs` with that fingerprint."""
    for cert in certs:
        if cert.fingerprint == fingerprint and cert.user_ids:
            return f"{fingerprint} ({cert.user_ids[0]})"
    return fingerprint


def _claims_problem(payload: bytes, requirement, reference, digest) -> str | None:
    try:
        critical = json.loads(payload)["critical"]
        signed_digest = critical["image"]["docker-manifest-digest"]
        signed_reference = critical["identity"]["docker-reference"]
        kind = critical["type"]
    except (ValueError, KeyError, TypeError):
        return "its payload is not a simple-signing claim"
    if kind != SIGNATURE_TYPE:
        return f"its type is {kind!r}"
    if signed_digest != digest:
        return f"it signs manifest {signed_digest}"
    return _identity_problem(requirement.get("signedIdentity"), reference, signed_reference)


def _sigstore_keys(requirement, path) -> list:
    """The public keys of a sigstoreSigned requirement: exactly one of keyPath, keyPaths,
    keyData (base64 of the PEM) or keyDatas, as containers/image requires."""
    keyless = [field for field in _SIGSTORE_KEYLESS if field in requirement]
    if keyless:
        raise PolicyError(
            f"{path}: sigstoreSigned with {', '.join(keyless)} (Fulcio, Rekor or PKI) is not "
            "supported by this pull; only public keys (keyPath, keyPaths, keyData, keyDatas)"
        )
    known = {"type", "signedIdentity", *_SIGSTORE_KEYS}
    unknown = sorted(field for field in requirement if field not in known)
    if unknown:
        raise PolicyError(f"{path}: sigstoreSigned has unknown fields {unknown}")
    given = [field for field in _SIGSTORE_KEYS if field in requirement]
    if len(given) != 1:
        raise PolicyError(
            f"{path}: sigstoreSigned needs exactly one of {', '.join(_SIGSTORE_KEYS)}, not "
            f"{given or 'none'}"
        )
    (field,) = given
    value = requirement[field]
    try:
        if field == "keyPath":
            named = [(value, Path(value).read_bytes())]
        elif field == "keyPaths":
            _non_empty_list(value, field)
            named = [(key_path, Path(key_path).read_bytes()) for key_path in value]
        elif field == "keyData":
            named = [("keyData", base64.b64decode(value, validate=True))]
        else:
            _non_empty_list(value, field)
            named = [
                (f"keyDatas[{i}]", base64.b64decode(data, validate=True))
                for i, data in enumerate(value)
            ]
        return [sigstore.load_key(pem, name) for name, pem in named]
    except (OSError, TypeError, ValueError) as exc:  # binascii.Error is a ValueError
        raise PolicyError(f"{path}: cannot read the sigstoreSigned {field} ({exc})") from exc


def _non_empty_list(value, field) -> None:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{field} is not a list of one or more entries")


def _sigstore_signed(requirement, keys, reference, digest, attachments) -> str:
    """The accepting key, as `sigstore.PublicKey` names it."""
    named = ", ".join(str(key) for key in keys)
    if not attachments:
        raise SignatureRefused(
            f"{reference}: a sigstore signature by {named} is required, but {digest} has none "
            f"(no {sigstore.SIGNATURE_MEDIA_TYPE} layer in {sigstore.attachment_tag(digest)})"
        )
    problems = []
    for attachment in attachments:
        problem, key = _attachment_problem(attachment, keys, requirement, reference, digest)
        if problem is None:
            return str(key)
        problems.append(problem)
    raise SignatureRefused(
        f"{reference} ({digest}): no sigstore signature is accepted by {named}: {problems}"
    )


def _attachment_problem(attachment, keys, requirement, reference, digest):
    """(problem or None, the key that verified the signature or None), as containers/image
    checks: the signature first, then the payload, its digest, its identity."""
    try:
        key = verifying_key(attachment, keys)
    except ValueError as exc:
        return str(exc), None
    if key is None:
        return "not signed by a key of the policy", None
    try:
        signed_digest, signed_reference = sigstore.claims(attachment.payload)
    except sigstore.PayloadError as exc:
        return str(exc), key
    if signed_digest != digest:
        return f"it signs manifest {signed_digest}", key
    return _identity_problem(requirement.get("signedIdentity"), reference, signed_reference), key


def verifying_key(attachment, keys):
    """The first of `keys` whose signature the attachment's annotation is, or None; a
    ValueError says why the attachment has no signature to check."""
    if attachment.signature is None:
        raise ValueError(f"it has no {sigstore.SIGNATURE_ANNOTATION} annotation")
    signature = sigstore.decode_signature(attachment.signature)
    return next((key for key in keys if key.verifies(attachment.payload, signature)), None)


def _repository(name: str) -> str:
    """`host[:port]/repo` of `host[:port]/repo:tag` or `...@digest`."""
    head, slash, last = name.split("@")[0].rpartition("/")
    return head + slash + last.split(":")[0]


def _names_tag_or_digest(name: str) -> bool:
    return "@" in name or ":" in name.rpartition("/")[2]


def _identity_problem(identity, reference, signed: str) -> str | None:
    """containers-policy.json's signedIdentity rules (default matchRepoDigestOrExact), as
    containers/image matches them: a signed name without a tag or digest (what cosign signs)
    is exact for no rule; matchRepository and exactRepository take it."""
    identity = identity or {"type": "matchRepoDigestOrExact"}
    kind, wanted = identity.get("type"), str(reference)
    repository = f"{reference.registry}/{reference.repository}"
    if kind == "matchExact" or (kind == "matchRepoDigestOrExact" and not reference.by_digest):
        ok = signed == wanted
    elif kind == "matchRepoDigestOrExact":
        ok = _names_tag_or_digest(signed) and _repository(signed) == repository
    elif kind == "matchRepository":
        ok = _repository(signed) == repository
    elif kind == "exactReference":
        ok = _names_tag_or_digest(signed) and signed == identity.get("dockerReference")
    elif kind == "exactRepository":
        ok = _repository(signed) == identity.get("dockerRepository")
    else:
        return f"signedIdentity {kind!r} is not supported by this pull"
    return None if ok else f"it names {signed!r}, which {kind} does not accept for {wanted}"
