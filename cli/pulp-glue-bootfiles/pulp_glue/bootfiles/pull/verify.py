"""Which netboot tags a registry repository (a distribution on Pulp or on a capsule) serves
signed, by whom, and what a containers `policy.json` makes of each, as `pull --policy` would.

    from pulp_glue.bootfiles.pull.verify import verify
    for tag in verify("pulp.example/fedora", policy="/etc/containers/policy.json"):
        print(tag.tag, tag.digest, tag.verdict, tag.accepted_by or tag.refusal)

The netboot tags are the release tags naming an index (`40`, or `rawhide` beside
`rawhide-amd64`) and the `<release>-<goarch>` tags naming per-arch manifests, read as the
server's sync reads a tag list. Each is reported with its manifest digest, the simple
signatures the registry's signature extension holds for that digest (the issuer of each, from
its OpenPGP packets), the signatures of its sigstore attachment (`sha256-<hex>.sig`, so those
tags are counted here, not reported themselves) and, with a policy, the judge's verdict on the
tag's manifest. Other tags (`latest`) are left out.
"""

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from pysequoia import verify as openpgp_verify

from pulp_glue.bootfiles.netboot.oci_read import split_tag, wanted_releases
from pulp_glue.bootfiles.pull import signatures, sigstore
from pulp_glue.bootfiles.pull.reading import ACCEPT
from pulp_glue.bootfiles.pull.registry import Reference, Registry, RegistryError
from pulp_glue.bootfiles.pull.signatures import Accepted, SignatureRefused

__all__ = ["ACCEPTED", "REFUSED", "TagReport", "VerifyError", "netboot_tags", "verify"]

ACCEPTED, REFUSED = "accepted", "refused"


class VerifyError(Exception):
    """The registry or the policy could not be read; no verdict was reached."""


@dataclass(frozen=True)
class SimpleSignature:
    """A signature from the registry's signature extension: the key IDs or fingerprints its
    OpenPGP signature packets name as issuer (empty: not an OpenPGP signed message), and with a
    policy the signedBy certificate it verifies with (None: none of them)."""

    issuers: tuple[str, ...]
    verified_by: str | None = None


@dataclass(frozen=True)
class SigstoreSignature:
    """A signature layer of the sigstore attachment: the reference its payload names (None:
    not a sigstore payload), and with a policy the sigstoreSigned key that verifies it."""

    identity: str | None
    verified_by: str | None = None


@dataclass(frozen=True)
class TagReport:
    """One netboot tag. `verdict` is ACCEPTED or REFUSED with a policy, None without one;
    `accepted_by` names each requirement that held and its key, `refusal` the judge's
    message (digest, key, problem)."""

    tag: str
    digest: str
    media_type: str
    simple_signatures: tuple[SimpleSignature, ...]
    sigstore_signatures: tuple[SigstoreSignature, ...]
    verdict: str | None = None
    accepted_by: tuple[Accepted, ...] = ()
    refusal: str | None = None

    def as_dict(self) -> dict:
        """Plain dicts, lists and strings, for JSON or YAML (which would tag a tuple)."""
        return dataclasses.asdict(self, dict_factory=_plain_dict)


def verify(
    registry_path: str,
    policy=None,
    *,
    plain_http: bool = False,
    tls_verify=True,
    username: str | None = None,
    password: str | None = None,
) -> list[TagReport]:
    """Report every netboot tag of `registry_path` (`<registry>/<repository>`, a
    distribution's `registry_path`), judged by `policy` (a policy.json path) when given.
    Raises VerifyError when the registry or the policy cannot be read; a refusal is a verdict."""
    try:
        # The tag is a placeholder: each tag reported gets a reference of its own.
        base = Reference.parse(f"{registry_path}:latest")
        judged = signatures.load_policy(Path(policy)) if policy else None
        registry = Registry(
            base, plain_http=plain_http, tls_verify=tls_verify, username=username, password=password
        )
        return verify_tags(registry, base, judged)
    except (ValueError, RegistryError) as exc:  # a PolicyError is a ValueError
        raise VerifyError(str(exc)) from exc


def verify_tags(registry, base: Reference, policy: dict | None) -> list[TagReport]:
    """`verify` with a Registry (or anything answering as one) and a loaded policy."""
    source = _Once(registry)
    keys = _PolicyKeys(policy, base)
    return [
        _report(source, dataclasses.replace(base, tag=tag), policy, keys)
        for tag in netboot_tags(registry.tags())
    ]


def netboot_tags(tags) -> list[str]:
    """The release and per-arch tags of a tag list, sorted; attachment and other tags left
    out, by the rules the server's sync reads a tag list with (`wanted_releases`)."""
    tags = list(tags)
    releases = wanted_releases(tags)
    chosen = []
    for tag in tags:
        parts = split_tag(tag)
        if parts is not None and (parts[1] is not None or parts[0] in releases):
            chosen.append(tag)
    return sorted(set(chosen))


def _plain_dict(items) -> dict:
    return {key: list(value) if isinstance(value, tuple) else value for key, value in items}


def _report(source, reference: Reference, policy, keys) -> TagReport:
    fetched = source.manifest(reference.tag, ACCEPT)
    digest = fetched.digest
    simple = tuple(
        SimpleSignature(_issuers(signature), keys.signed_by(signature))
        for signature in source.signatures(digest)
    )
    attached = tuple(
        SigstoreSignature(_identity(attachment), keys.sigstore(attachment))
        for attachment in sigstore.attachments(source, digest)
    )
    report = TagReport(reference.tag, digest, fetched.media_type, simple, attached)
    if policy is None:
        return report
    try:
        accepted = signatures.judge(policy, reference, digest, source)
    except SignatureRefused as exc:
        return dataclasses.replace(report, verdict=REFUSED, refusal=str(exc))
    return dataclasses.replace(report, verdict=ACCEPTED, accepted_by=accepted)


def _issuers(signature: bytes) -> tuple[str, ...]:
    """The issuer key IDs / fingerprints Sequoia reads from the signature packets: it asks
    the key store for them, which here has no keys, so the verification itself fails."""
    asked: list[str] = []

    def store(ids):
        asked.extend(ids)
        return []

    try:
        openpgp_verify(bytes=signature, store=store)
    except Exception:  # pysequoia: no valid signature (none can be), or not OpenPGP at all
        pass
    return tuple(dict.fromkeys(asked))


def _identity(attachment) -> str | None:
    try:
        return sigstore.claims(attachment.payload)[1]
    except sigstore.PayloadError:
        return None


class _PolicyKeys:
    """The keys of the policy's requirements for the repository, and which of them verifies a
    signature (None without a policy)."""

    def __init__(self, policy, base: Reference):
        self.certs = signatures.signed_by_certs(policy, base) if policy else []
        self.keys = signatures.sigstore_keys(policy, base) if policy else []

    def signed_by(self, signature: bytes) -> str | None:
        if not self.certs:
            return None
        try:
            result = openpgp_verify(bytes=signature, store=lambda _ids: self.certs)
        except Exception:  # pysequoia: no signature by these certificates
            return None
        return signatures.describe_cert(self.certs, result.valid_sigs[0].certificate)

    def sigstore(self, attachment) -> str | None:
        try:
            key = signatures.verifying_key(attachment, self.keys)
        except ValueError:  # no signature annotation, or not base64
            return None
        return None if key is None else str(key)


class _Once:
    """A Registry whose manifests, signatures and blobs are fetched once: the report and the
    judge read the same ones."""

    def __init__(self, registry):
        self.registry = registry
        self._cache: dict = {}

    def _once(self, key, fetch):
        if key not in self._cache:
            self._cache[key] = fetch()
        return self._cache[key]

    def manifest(self, reference, accept, missing_ok=False):
        return self._once(
            ("manifest", reference, tuple(accept), missing_ok),
            lambda: self.registry.manifest(reference, accept, missing_ok),
        )

    def signatures(self, digest):
        return self._once(("signatures", digest), lambda: self.registry.signatures(digest))

    def small_blob(self, digest, size, limit):
        return self._once(("blob", digest), lambda: self.registry.small_blob(digest, size, limit))
