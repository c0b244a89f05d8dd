"""A containers `policy.json` (containers-policy.json(5)) judging simple-signing signatures,
as skopeo and podman do for the `docker` transport.

Supported requirements: `insecureAcceptAnything`, `reject` and `signedBy` with `keyType:
GPGKeys` (`keyPath`, `keyPaths` or `keyData`) and the `signedIdentity` kinds that need no
remapping. A signature is an OpenPGP signed message holding JSON whose `critical` part names
the manifest digest (`docker-manifest-digest`) and the reference (`docker-reference`); it must
verify with one of the policy's keys and name both. Every requirement of the matching scope
must hold. OpenPGP is Sequoia's (pysequoia).
"""

import base64
import json
from pathlib import Path

from pysequoia import Cert, verify

SIGNATURE_TYPE = "atomic container signature"


class SignatureRefused(Exception):
    """The policy refuses the image; the message says which rule and why."""


class PolicyError(ValueError):
    """The policy file cannot be used; the message names it and the problem."""


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


def judge(policy, reference, digest: str, signatures: list[bytes]) -> None:
    """Raise SignatureRefused unless every requirement for `reference` accepts manifest
    `digest` with these signatures."""
    found = requirements(policy, reference.registry, reference.repository)
    if not found:
        raise SignatureRefused(f"{policy['_path']}: no requirement applies to {reference}")
    for requirement in found:
        kind = requirement.get("type")
        if kind == "insecureAcceptAnything":
            continue
        if kind == "reject":
            raise SignatureRefused(f"{policy['_path']}: {reference} is rejected by the policy")
        if kind != "signedBy":
            raise SignatureRefused(
                f"{policy['_path']}: requirement type {kind!r} is not supported by this pull"
            )
        _signed_by(requirement, policy["_path"], reference, digest, signatures)


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


def _signed_by(requirement, path, reference, digest, signatures) -> None:
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
            return
        problems.append(problem)
    raise SignatureRefused(f"{reference} ({digest}): no signature is accepted: {problems}")


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
