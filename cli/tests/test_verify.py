"""`distribution verify`'s report (pulp_glue.bootfiles.pull.verify) against an in-memory
registry: which tags are reported, the simple signatures (OpenPGP, made with pysequoia) and
sigstore attachments of each, and the policy's verdicts, accepted, refused and mixed. The
registry client's tag list pagination against a small HTTP server. No Pulp needed."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import yaml
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pysequoia import SignatureMode, Tsk, sign
from pysequoia import verify as openpgp_verify
from test_pull_sigstore import attachment_manifest

from pulp_glue.bootfiles.netboot.constants import MEDIA_TYPE
from pulp_glue.bootfiles.netboot.oci import sha256_digest
from pulp_glue.bootfiles.pull import sigstore
from pulp_glue.bootfiles.pull.registry import Fetched, Reference, Registry, RegistryError
from pulp_glue.bootfiles.pull.signatures import Accepted, load_policy
from pulp_glue.bootfiles.pull.verify import (
    ACCEPTED,
    REFUSED,
    SigstoreSignature,
    VerifyError,
    netboot_tags,
    verify,
    verify_tags,
)

REPOSITORY = "pulp.example:443/fedora"
BASE = Reference.parse(f"{REPOSITORY}:latest")
MANIFESTS = {
    "40": (b'{"index": 40}', MEDIA_TYPE.INDEX_OCI),
    "40-amd64": (b'{"manifest": "40-amd64"}', MEDIA_TYPE.MANIFEST_OCI),
    "40-arm64": (b'{"manifest": "40-arm64"}', MEDIA_TYPE.MANIFEST_OCI),
    "latest": (b'{"something": "else"}', MEDIA_TYPE.MANIFEST_OCI),
}
DIGEST = {tag: sha256_digest(data) for tag, (data, _) in MANIFESTS.items()}


class FakeRegistry:
    """One repository's tags, manifests, simple signatures and blobs, counting what is asked."""

    def __init__(self):
        self.manifests = dict(MANIFESTS)
        self.simple: dict[str, list[bytes]] = {}
        self.blobs: dict[str, bytes] = {}
        self.asked: list = []

    def tags(self):
        return list(self.manifests)

    def manifest(self, reference, accept, missing_ok=False):
        self.asked.append(("manifest", reference))
        if reference not in self.manifests:
            assert missing_ok, reference
            return None
        data, media_type = self.manifests[reference]
        return Fetched(data, media_type, sha256_digest(data))

    def signatures(self, digest):
        self.asked.append(("signatures", digest))
        return self.simple.get(digest, [])

    def small_blob(self, digest, size, limit):
        self.asked.append(("blob", digest))
        return self.blobs[digest]

    def attach(self, tag, payload, key):
        """cosign's attachment for `tag`'s manifest: `payload` signed by `key`."""
        signature = base64.b64encode(key.sign(payload, ec.ECDSA(hashes.SHA256()))).decode()
        layer = (sigstore.SIGNATURE_MEDIA_TYPE, payload, {sigstore.SIGNATURE_ANNOTATION: signature})
        manifest, blobs = attachment_manifest([layer])
        self.manifests[sigstore.attachment_tag(DIGEST[tag])] = (manifest, MEDIA_TYPE.MANIFEST_OCI)
        self.blobs.update(blobs)


def claim(tag, kind="atomic container signature"):
    return json.dumps(
        {
            "critical": {
                "identity": {"docker-reference": f"{REPOSITORY}:{tag}"},
                "image": {"docker-manifest-digest": DIGEST[tag]},
                "type": kind,
            },
            "optional": {},
        }
    ).encode()


@pytest.fixture(scope="module")
def openpgp():
    """Publisher and stranger OpenPGP keys: (Tsk, Cert, the fingerprint of the signing key)."""
    made = {}
    for name in ("Publisher", "Stranger"):
        tsk = Tsk.generate(f"{name} <{name.lower()}@example.com>")
        cert = tsk.extract_certificate()
        signed = sign(tsk.signer(), b"x", mode=SignatureMode.INLINE, armor=False)
        signing_key = openpgp_verify(bytes=signed, store=lambda _ids, c=cert: [c])
        made[name.lower()] = (tsk, cert, signing_key.valid_sigs[0].signing_key)
    return made


@pytest.fixture(scope="module")
def cosign():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def registry(openpgp, cosign):
    """40 signed by the publisher, 40-amd64 by the stranger (simple) and the publisher's
    cosign key (sigstore), 40-arm64 unsigned; `latest` and the attachment tag beside them."""
    made = FakeRegistry()

    def simple(tag, signer):
        tsk = openpgp[signer][0]
        made.simple.setdefault(DIGEST[tag], []).append(
            sign(tsk.signer(), claim(tag), mode=SignatureMode.INLINE, armor=False)
        )

    simple("40", "publisher")
    simple("40-amd64", "stranger")
    made.attach("40-amd64", claim("40-amd64", sigstore.PAYLOAD_TYPE), cosign)
    return made


def policy_file(tmp_path, *requirements):
    document = {
        "default": [{"type": "reject"}],
        "transports": {"docker": {REPOSITORY: list(requirements)}},
    }
    (tmp_path / "policy.json").write_text(json.dumps(document))
    return load_policy(tmp_path / "policy.json")


def signed_by(tmp_path, cert):
    (tmp_path / "key.gpg").write_bytes(bytes(cert))
    return {"type": "signedBy", "keyType": "GPGKeys", "keyPath": str(tmp_path / "key.gpg")}


def sigstore_signed(tmp_path, key):
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "cosign.pub").write_bytes(pem)
    return {"type": "sigstoreSigned", "keyPath": str(tmp_path / "cosign.pub")}


def by_tag(reports):
    return {report.tag: report for report in reports}


def described(openpgp, name):
    _tsk, cert, _ = openpgp[name]
    return f"{cert.fingerprint} ({cert.user_ids[0]})"


def test_netboot_tags_only():
    tags = ["latest", "40-amd64", "rawhide-arm64", "rawhide", "stable", "40-mips", "40"]
    tags += [sigstore.attachment_tag(DIGEST["40"]), "41", "fedora-41-s390x", "x!"]
    wanted = ["40", "40-amd64", "41", "fedora-41-s390x", "rawhide", "rawhide-arm64"]
    assert netboot_tags(tags) == wanted


def test_without_a_policy_what_is_signed_and_by_whom(registry, openpgp):
    reports = verify_tags(registry, BASE, None)
    assert [r.tag for r in reports] == ["40", "40-amd64", "40-arm64"]  # not latest, not .sig
    found = by_tag(reports)
    assert (found["40"].digest, found["40"].media_type) == (DIGEST["40"], MEDIA_TYPE.INDEX_OCI)
    assert [s.issuers for s in found["40"].simple_signatures] == [(openpgp["publisher"][2],)]
    assert [s.issuers for s in found["40-amd64"].simple_signatures] == [(openpgp["stranger"][2],)]
    assert found["40-amd64"].sigstore_signatures == (SigstoreSignature(f"{REPOSITORY}:40-amd64"),)
    assert found["40"].sigstore_signatures == found["40-arm64"].sigstore_signatures == ()
    assert found["40-arm64"].simple_signatures == ()
    for report in reports:
        assert (report.verdict, report.accepted_by, report.refusal) == (None, (), None)
        assert all(s.verified_by is None for s in report.simple_signatures)
    plain = found["40-amd64"].as_dict()
    assert plain["sigstore_signatures"] == [
        {"identity": f"{REPOSITORY}:40-amd64", "verified_by": None}
    ]
    assert plain["simple_signatures"] == [
        {"issuers": [openpgp["stranger"][2]], "verified_by": None}
    ]
    assert yaml.safe_load(yaml.safe_dump(plain)) == plain  # no tuples, which YAML would tag


def test_signed_by_accepts_one_tag_and_refuses_the_others(registry, openpgp, tmp_path):
    policy = policy_file(tmp_path, signed_by(tmp_path, openpgp["publisher"][1]))
    found = by_tag(verify_tags(registry, BASE, policy))
    publisher = described(openpgp, "publisher")
    assert found["40"].verdict == ACCEPTED and found["40"].refusal is None
    assert found["40"].accepted_by == (Accepted("signedBy", publisher),)
    assert [s.verified_by for s in found["40"].simple_signatures] == [publisher]

    assert found["40-amd64"].verdict == REFUSED and found["40-amd64"].accepted_by == ()
    assert found["40-amd64"].refusal == (
        f"{REPOSITORY}:40-amd64 ({DIGEST['40-amd64']}): no signature is accepted: "
        "['not signed by a key of the policy']"
    )
    assert [s.verified_by for s in found["40-amd64"].simple_signatures] == [None]
    assert found["40-arm64"].refusal == (
        f"{REPOSITORY}:40-arm64: a signature is required, but {DIGEST['40-arm64']} has none"
    )


def test_sigstore_signed_names_the_verifying_key(registry, cosign, tmp_path):
    requirement = sigstore_signed(tmp_path, cosign)
    policy = policy_file(tmp_path, requirement)
    found = by_tag(verify_tags(registry, BASE, policy))
    assert found["40-amd64"].verdict == ACCEPTED
    (accepted,) = found["40-amd64"].accepted_by
    assert accepted.requirement == "sigstoreSigned"
    assert accepted.key.startswith(f"{requirement['keyPath']} (ECDSA P-256, sha256:")
    assert [s.verified_by for s in found["40-amd64"].sigstore_signatures] == [accepted.key]
    assert (found["40"].verdict, found["40-arm64"].verdict) == (REFUSED, REFUSED)
    assert "a sigstore signature by" in found["40"].refusal and "has none" in found["40"].refusal

    # Another key: the signature is still reported, verified by no key of the policy.
    stranger = ec.generate_private_key(ec.SECP256R1())
    found = by_tag(
        verify_tags(registry, BASE, policy_file(tmp_path, sigstore_signed(tmp_path, stranger)))
    )
    assert found["40-amd64"].verdict == REFUSED
    assert found["40-amd64"].sigstore_signatures == (
        SigstoreSignature(f"{REPOSITORY}:40-amd64", None),
    )
    assert "['not signed by a key of the policy']" in found["40-amd64"].refusal


def test_every_requirement_must_hold_and_each_is_named(registry, openpgp, cosign, tmp_path):
    publisher = signed_by(tmp_path, openpgp["publisher"][1])
    registry.simple[DIGEST["40-amd64"]].append(
        sign(openpgp["publisher"][0].signer(), claim("40-amd64"), mode=SignatureMode.INLINE)
    )
    both = policy_file(tmp_path, publisher, sigstore_signed(tmp_path, cosign))
    found = by_tag(verify_tags(registry, BASE, both))
    assert found["40-amd64"].verdict == ACCEPTED
    assert [a.requirement for a in found["40-amd64"].accepted_by] == ["signedBy", "sigstoreSigned"]
    assert found["40-amd64"].accepted_by[0].key == described(openpgp, "publisher")
    assert [s.verified_by for s in found["40-amd64"].simple_signatures] == [
        None,
        described(openpgp, "publisher"),
    ]
    assert found["40"].verdict == REFUSED  # signed, but no sigstore signature
    assert "a sigstore signature by" in found["40"].refusal


def test_the_judge_reads_what_the_report_read(registry, openpgp, cosign, tmp_path):
    both = policy_file(
        tmp_path, signed_by(tmp_path, openpgp["publisher"][1]), sigstore_signed(tmp_path, cosign)
    )
    verify_tags(registry, BASE, both)
    assert len(registry.asked) == len(set(registry.asked))  # nothing fetched twice
    assert ("manifest", "latest") not in registry.asked


def test_insecure_accept_anything_and_an_unreadable_signature(registry, tmp_path):
    registry.simple[DIGEST["40-arm64"]] = [b"not OpenPGP"]
    policy = policy_file(tmp_path, {"type": "insecureAcceptAnything"})
    found = by_tag(verify_tags(registry, BASE, policy))
    assert {r.verdict for r in found.values()} == {ACCEPTED}
    assert found["40-arm64"].accepted_by == (Accepted("insecureAcceptAnything"),)
    assert [s.issuers for s in found["40-arm64"].simple_signatures] == [()]


def test_verify_refuses_what_it_cannot_read(tmp_path):
    with pytest.raises(VerifyError, match="is not an OCI repository name"):
        verify("pulp.example/Not A Path")
    with pytest.raises(VerifyError, match="No such file"):
        verify("pulp.example/fedora", policy=tmp_path / "missing.json")
    with pytest.raises(VerifyError, match="/v2/fedora/tags/list"):
        verify("127.0.0.1:9/fedora", plain_http=True)  # nothing listens on the discard port


class Pages(BaseHTTPRequestHandler):
    """A tag list in pages, linked as registries link them (relative, `rel="next"`)."""

    PAGES = {
        "/v2/fedora/tags/list": (["40", "40-amd64"], "</v2/fedora/tags/list?n=2&last=40-amd64>"),
        "/v2/fedora/tags/list?n=2&last=40-amd64": (["41"], None),
        "/v2/bad/tags/list": ({"40": 1}, None),
    }

    def log_message(self, *args):
        pass

    def do_GET(self):
        tags, link = self.PAGES[self.path]
        body = json.dumps({"name": "fedora", "tags": tags}).encode()
        self.send_response(200)
        if link:
            self.send_header("Link", f'{link}; rel="next"')
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_tag_list_pages_are_followed():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"127.0.0.1:{server.server_address[1]}"
    try:
        listed = Registry(Reference.parse(f"{host}/fedora:40"), plain_http=True).tags()
        assert listed == ["40", "40-amd64", "41"]
        with pytest.raises(RegistryError, match="'tags' is not a list of strings"):
            Registry(Reference.parse(f"{host}/bad:40"), plain_http=True).tags()
    finally:
        server.shutdown()
        server.server_close()
