"""`pull --policy` with sigstoreSigned, without a registry: signatures made by cosign and by
containers/image (sigstore_fixtures/, with the verdicts containers/image's own tests expect),
signatures of generated ECDSA P-384, RSA and Ed25519 keys, the payload and identity checks, and
the attachment manifest as an in-memory registry serves it."""

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from test_pull_rules import registry  # noqa: F401 (the in-memory registry fixture)

from pulp_glue.bootfiles import pull as pulling
from pulp_glue.bootfiles.netboot.oci import sha256_digest
from pulp_glue.bootfiles.pull import PullError, pull, signatures, sigstore
from pulp_glue.bootfiles.pull.registry import Fetched, Reference, RegistryError
from pulp_glue.bootfiles.pull.signatures import Accepted, PolicyError, SignatureRefused

FIXTURES = Path(__file__).parent / "sigstore_fixtures"
SIGNED = sha256_digest((FIXTURES / "manifest.json").read_bytes())  # what both fixtures sign
COSIGN_NAME = "192.168.64.2:5000/cosign-signed-single-sample"  # cosign signs no tag
SKOPEO_NAME = "192.168.64.2:5000/skopeo-signed:tag"
OCI = "application/vnd.oci.image.manifest.v1+json"


def fixture_layer(name):
    """A layer of containers/image's `dir:` sigstore signature file: (media type, payload,
    annotations)."""
    data = (FIXTURES / name).read_bytes()
    assert data.startswith(b"\x00sigstore-json\n")
    document = json.loads(data.split(b"\n", 1)[1])
    return document["mimeType"], base64.b64decode(document["payload"]), document["annotations"]


def attachment_manifest(layers, media_type=OCI):
    """The `sha256-<hex>.sig` manifest cosign writes, and its blobs."""
    config = b'{"architecture":"","os":"","rootfs":{"type":"layers","diff_ids":[]},"config":{}}'
    blobs = {sha256_digest(config): config}
    descriptors = []
    for layer_type, payload, annotations in layers:
        blobs[sha256_digest(payload)] = payload
        descriptors.append(
            {
                "mediaType": layer_type,
                "size": len(payload),
                "digest": sha256_digest(payload),
                "annotations": annotations,
            }
        )
    manifest = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "size": len(config),
            "digest": sha256_digest(config),
        },
        "layers": descriptors,
    }
    return json.dumps(manifest).encode(), blobs


class Source:
    """The parts of a Registry that `signatures.judge` asks: the extension's simple signatures
    (none here) and the tags and blobs of the sigstore attachments."""

    def __init__(self, tags=None, blobs=None, media_type=OCI):
        self.tags, self.blobs, self.media_type = tags or {}, blobs or {}, media_type
        self.fetched = []

    def signatures(self, digest):
        return []

    def manifest(self, reference, accept, missing_ok=False):
        assert missing_ok and tuple(accept) == sigstore.ATTACHMENT_MEDIA_TYPES
        if reference not in self.tags:
            return None
        return Fetched(self.tags[reference], self.media_type, sha256_digest(self.tags[reference]))

    def small_blob(self, digest, size, limit):
        self.fetched.append(digest)
        data = self.blobs[digest]
        assert len(data) == size <= limit
        return data


def signed_source(*layers, digest=SIGNED, media_type=OCI):
    manifest, blobs = attachment_manifest(layers, media_type)
    return Source({sigstore.attachment_tag(digest): manifest}, blobs, media_type)


def policy(tmp_path, **requirement):
    requirement = {"type": "sigstoreSigned", **requirement}
    document = {"default": [{"type": "reject"}], "transports": {"docker": {"": []}}}
    document["default"] = [requirement]
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(document))
    return signatures.load_policy(path)


COSIGN_PUB = str(FIXTURES / "cosign.pub")
OTHER_PUB = str(FIXTURES / "cosign2.pub")
# What judge says accepted, naming the key as a refusal does.
BY_COSIGN_PUB = Accepted("sigstoreSigned", f"{COSIGN_PUB} (ECDSA P-256, sha256:c87a79018f346cc0)")


COSIGN, SKOPEO = "cosign-signed.signature", "skopeo-signed-with-tag.signature"
REPOSITORY = {"type": "matchRepository"}
EXACT = {"type": "matchExact"}


# containers/image's TestPRSigstoreSignedIsRunningImageAllowed, case by case, and the other
# identity rules.
@pytest.mark.parametrize(
    "fixture, reference, identity, accepted",
    [
        (COSIGN, f"{COSIGN_NAME}:latest", REPOSITORY, True),
        (COSIGN, f"{COSIGN_NAME}@{SIGNED}", REPOSITORY, True),
        (COSIGN, "testing/manifest:notlatest", REPOSITORY, False),
        (SKOPEO, SKOPEO_NAME, EXACT, True),
        (SKOPEO, SKOPEO_NAME.replace(":tag", ":othertag"), EXACT, False),
        (COSIGN, f"{COSIGN_NAME}:latest", EXACT, False),
        # The default, matchRepoDigestOrExact: the tag must match; by digest, the repository,
        # but a signed name without a tag (cosign's) is exact for no rule.
        (SKOPEO, SKOPEO_NAME, None, True),
        (SKOPEO, SKOPEO_NAME.replace(":tag", f"@{SIGNED}"), None, True),
        (COSIGN, f"{COSIGN_NAME}:latest", None, False),
        (COSIGN, f"{COSIGN_NAME}@{SIGNED}", None, False),
        (COSIGN, "x/y:1", {"type": "exactRepository", "dockerRepository": COSIGN_NAME}, True),
        (COSIGN, "x/y:1", {"type": "exactReference", "dockerReference": COSIGN_NAME}, False),
        (SKOPEO, "x/y:1", {"type": "exactReference", "dockerReference": SKOPEO_NAME}, True),
    ],
)
def test_cosign_and_containers_image_signatures(tmp_path, fixture, reference, identity, accepted):
    requirement = {"keyPath": COSIGN_PUB} | ({"signedIdentity": identity} if identity else {})
    judged = policy(tmp_path, **requirement)
    source = signed_source(fixture_layer(fixture))
    ref = Reference.parse(reference)
    if accepted:
        assert signatures.judge(judged, ref, SIGNED, source) == (BY_COSIGN_PUB,)
        return
    with pytest.raises(SignatureRefused) as refused:
        signatures.judge(judged, ref, SIGNED, source)
    signed = sigstore.claims(fixture_layer(fixture)[1])[1]
    assert str(refused.value) == (
        f"{ref} ({SIGNED}): no sigstore signature is accepted by {COSIGN_PUB} (ECDSA P-256, "
        f"sha256:c87a79018f346cc0): [\"it names '{signed}', which "
        f'{(identity or {}).get("type", "matchRepoDigestOrExact")} does not accept for {ref}"]'
    )


def test_another_key_refuses_naming_the_key_and_the_digest(tmp_path):
    judged = policy(tmp_path, keyPath=OTHER_PUB)
    source = signed_source(fixture_layer("skopeo-signed-with-tag.signature"))
    with pytest.raises(SignatureRefused) as refused:
        signatures.judge(judged, Reference.parse(SKOPEO_NAME), SIGNED, source)
    assert str(refused.value).startswith(
        f"{SKOPEO_NAME} ({SIGNED}): no sigstore signature is accepted by {OTHER_PUB} (ECDSA P-256,"
    )
    assert str(refused.value).endswith(": ['not signed by a key of the policy']")


@pytest.mark.parametrize(
    "keys, name",
    [
        ({"keyData": base64.b64encode((FIXTURES / "cosign.pub").read_bytes()).decode()}, "keyData"),
        ({"keyPaths": [OTHER_PUB, COSIGN_PUB]}, COSIGN_PUB),
        ({"keyDatas": [base64.b64encode((FIXTURES / "cosign2.pub").read_bytes()).decode()]}, None),
    ],
)
def test_key_sources(tmp_path, keys, name):
    judged = policy(tmp_path, **keys)
    source = signed_source(fixture_layer("skopeo-signed-with-tag.signature"))
    if name is not None:
        (accepted,) = signatures.judge(judged, Reference.parse(SKOPEO_NAME), SIGNED, source)
        assert accepted.key == f"{name} (ECDSA P-256, sha256:c87a79018f346cc0)"
        return
    with pytest.raises(SignatureRefused, match=r"accepted by keyDatas\[0\] \(ECDSA P-256, sha"):
        signatures.judge(judged, Reference.parse(SKOPEO_NAME), SIGNED, source)


def test_the_signature_of_another_manifest_is_refused(tmp_path):
    judged = policy(tmp_path, keyPath=COSIGN_PUB)
    other = sha256_digest(b"another manifest")
    # The attachment is found under the other manifest's tag, but signs the fixture's.
    source = signed_source(fixture_layer("skopeo-signed-with-tag.signature"), digest=other)
    with pytest.raises(SignatureRefused, match=rf"\['it signs manifest {SIGNED}'\]"):
        signatures.judge(judged, Reference.parse(SKOPEO_NAME), other, source)


def test_no_attachment_tag_means_no_signature(tmp_path):
    judged = policy(tmp_path, keyPath=COSIGN_PUB)
    with pytest.raises(SignatureRefused) as refused:
        signatures.judge(judged, Reference.parse(SKOPEO_NAME), SIGNED, Source())
    assert str(refused.value) == (
        f"{SKOPEO_NAME}: a sigstore signature by {COSIGN_PUB} (ECDSA P-256, "
        f"sha256:c87a79018f346cc0) is required, but {SIGNED} has none (no "
        f"application/vnd.dev.cosign.simplesigning.v1+json layer in "
        f"{SIGNED.replace(':', '-')}.sig)"
    )


def test_other_attachments_are_not_signatures_and_not_fetched(tmp_path):
    judged = policy(tmp_path, keyPath=COSIGN_PUB)
    _, payload, annotations = fixture_layer("skopeo-signed-with-tag.signature")
    source = signed_source(("text/plain", payload, annotations))
    with pytest.raises(SignatureRefused, match="is required, but sha256:634a8f35"):
        signatures.judge(judged, Reference.parse(SKOPEO_NAME), SIGNED, source)
    assert source.fetched == []


def test_one_bad_signature_beside_a_good_one_is_enough(tmp_path):
    judged = policy(tmp_path, keyPath=COSIGN_PUB)
    media_type, payload, annotations = fixture_layer("skopeo-signed-with-tag.signature")
    forged = payload.replace(b':tag"', b':tog"')
    assert forged != payload
    bad = (media_type, forged, annotations)
    unannotated = (media_type, payload + b" ", {})
    source = signed_source(bad, unannotated, (media_type, payload, annotations))
    signatures.judge(judged, Reference.parse(SKOPEO_NAME), SIGNED, source)
    source = signed_source(bad, unannotated)
    with pytest.raises(SignatureRefused) as refused:
        signatures.judge(judged, Reference.parse(SKOPEO_NAME), SIGNED, source)
    assert str(refused.value).endswith(
        ": ['not signed by a key of the policy', "
        "'it has no dev.cosignproject.cosign/signature annotation']"
    )


def test_a_docker_schema2_attachment_manifest_is_read(tmp_path):
    judged = policy(tmp_path, keyPath=COSIGN_PUB)
    docker = "application/vnd.docker.distribution.manifest.v2+json"
    source = signed_source(fixture_layer("skopeo-signed-with-tag.signature"), media_type=docker)
    signatures.judge(judged, Reference.parse(SKOPEO_NAME), SIGNED, source)


def test_an_attachment_tag_that_is_no_image_manifest_is_the_registrys_error(tmp_path):
    judged = policy(tmp_path, keyPath=COSIGN_PUB)
    index = "application/vnd.oci.image.index.v1+json"
    source = signed_source(fixture_layer("skopeo-signed-with-tag.signature"), media_type=index)
    with pytest.raises(RegistryError, match="is not a sigstore attachment manifest"):
        signatures.judge(judged, Reference.parse(SKOPEO_NAME), SIGNED, source)


def test_an_oversized_payload_is_not_fetched(tmp_path):
    judged = policy(tmp_path, keyPath=COSIGN_PUB)
    manifest, blobs = attachment_manifest([fixture_layer("skopeo-signed-with-tag.signature")])
    document = json.loads(manifest)
    document["layers"][0]["size"] = sigstore.MAX_PAYLOAD_SIZE + 1
    source = Source({sigstore.attachment_tag(SIGNED): json.dumps(document).encode()}, blobs)
    with pytest.raises(RegistryError, match=r"is 4194305 bytes, more than 4194304"):
        signatures.judge(judged, Reference.parse(SKOPEO_NAME), SIGNED, source)
    assert source.fetched == []


@pytest.mark.parametrize(
    "requirement, message",
    [
        ({"keyPath": COSIGN_PUB, "rekorPublicKeyPath": COSIGN_PUB}, "with rekorPublicKeyPath"),
        ({"fulcio": {"caPath": "/x", "oidcIssuer": "i", "subjectEmail": "e"}}, "with fulcio "),
        ({"pki": {"caRootsPath": "/x"}}, "with pki "),
        ({}, "needs exactly one of keyPath, keyPaths, keyData, keyDatas, not none"),
        ({"keyPath": COSIGN_PUB, "keyData": "eA=="}, "not ['keyPath', 'keyData']"),
        ({"keyPaths": []}, "keyPaths is not a list of one or more entries"),
        ({"keyPath": "/nonexistent.pub"}, "No such file"),
        ({"keyData": "not base64!"}, "cannot read the sigstoreSigned keyData"),
        ({"keyData": base64.b64encode(b"-----BEGIN PGP PUBLIC KEY BLOCK-----\nx\n").decode()},
         "no PEM block"),
        ({"keyPath": COSIGN_PUB, "keypath": COSIGN_PUB}, "unknown fields ['keypath']"),
    ],
)  # fmt: skip
def test_policy_errors(tmp_path, requirement, message):
    judged = policy(tmp_path, **requirement)
    with pytest.raises(PolicyError) as refused:
        signatures.judge(judged, Reference.parse(SKOPEO_NAME), SIGNED, Source())
    assert message in str(refused.value)
    assert str(refused.value).startswith(str(tmp_path / "policy.json"))
    if "fulcio" in requirement or "pki" in requirement or "rekorPublicKeyPath" in requirement:
        assert "is not supported by this pull" in str(refused.value)


def payload(digest=SIGNED, reference=SKOPEO_NAME, **changes):
    document = {
        "critical": {
            "identity": {"docker-reference": reference},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature",
        },
        "optional": {"creator": "test", "timestamp": 1700000000},
    }
    document.update(changes)
    return json.dumps(document).encode()


def generated_keys():
    """(private key, sign(payload) as sigstore's signers sign, description) per key type."""
    p384 = ec.generate_private_key(ec.SECP384R1())
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ed = ed25519.Ed25519PrivateKey.generate()
    return [
        (p384, lambda data: p384.sign(data, ec.ECDSA(hashes.SHA256())), "ECDSA P-384"),
        (rsa_key, lambda data: rsa_key.sign(data, padding.PKCS1v15(), hashes.SHA256()), "RSA 2048"),
        (ed, ed.sign, "Ed25519"),
    ]


@pytest.mark.parametrize("index", range(3))
def test_generated_keys_of_each_type(tmp_path, index):
    private, sign, kind = generated_keys()[index]
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "key.pub").write_bytes(pem)
    judged = policy(tmp_path, keyPath=str(tmp_path / "key.pub"))
    data = payload()
    layer = (sigstore.SIGNATURE_MEDIA_TYPE, data, {sigstore.SIGNATURE_ANNOTATION: ""})
    layer[2][sigstore.SIGNATURE_ANNOTATION] = base64.b64encode(sign(data)).decode()
    signatures.judge(judged, Reference.parse(SKOPEO_NAME), SIGNED, signed_source(layer))
    tampered = (layer[0], data.replace(b"1700000000", b"1700000001"), layer[2])
    with pytest.raises(SignatureRefused, match=rf"accepted by .*key.pub \({kind}, sha256:"):
        signatures.judge(judged, Reference.parse(SKOPEO_NAME), SIGNED, signed_source(tampered))


@pytest.mark.parametrize(
    "data, problem",
    [
        (payload(optional=None), None),  # cosign writes "optional": null
        (payload(optional={"anything": [1]}), None),  # other optional fields are ignored
        (payload().replace(b"cosign container image signature", b"atomic container signature"),
         "its payload type is 'atomic container signature', not 'cosign container image"),
        (payload(extra=1), "its payload has critical, extra, optional, not critical, optional"),
        (payload(critical={"type": sigstore.PAYLOAD_TYPE, "image": {}, "identity": {}}),
         "its payload has no fields, not docker-manifest-digest"),
        (payload(optional={"timestamp": 1.5}), "optional.timestamp is not an integer"),
        (payload(optional={"creator": 7}), "optional.creator is not a string"),
        (payload(optional=[]), "optional is neither null nor an object"),
        (payload(digest="sha256:abc"), "its docker-manifest-digest 'sha256:abc' is not a digest"),
        (payload(reference=None), "its docker-reference None is not a string"),
        (b'{"critical": {}, "critical": {}, "optional": null}', "duplicate key 'critical'"),
        (payload(optional={"timestamp": float("nan")}), "NaN is not JSON"),
        (b"\xff", "its payload is not JSON"),
    ],
)  # fmt: skip
def test_payload_checks(data, problem):
    if problem is None:
        assert sigstore.claims(data) == (SIGNED, SKOPEO_NAME)
        return
    with pytest.raises(sigstore.PayloadError) as refused:
        sigstore.claims(data)
    assert problem in str(refused.value)


def test_a_bad_payload_is_refused_once_its_signature_verifies(tmp_path):
    private, sign, _ = generated_keys()[2]
    pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    judged = policy(tmp_path, keyData=base64.b64encode(pem).decode())
    data = payload().replace(b"cosign container image signature", b"something else")
    annotations = {sigstore.SIGNATURE_ANNOTATION: base64.b64encode(sign(data)).decode()}
    source = signed_source((sigstore.SIGNATURE_MEDIA_TYPE, data, annotations))
    with pytest.raises(SignatureRefused) as refused:
        signatures.judge(judged, Reference.parse(SKOPEO_NAME), SIGNED, source)
    assert "accepted by keyData (Ed25519, sha256:" in str(refused.value)
    assert "its payload type is 'something else'" in str(refused.value)
    annotations[sigstore.SIGNATURE_ANNOTATION] = "%%%"
    source = signed_source((sigstore.SIGNATURE_MEDIA_TYPE, data, annotations))
    with pytest.raises(SignatureRefused, match="its signature is not base64"):
        signatures.judge(judged, Reference.parse(SKOPEO_NAME), SIGNED, source)


def test_attachments_are_fetched_only_for_a_sigstore_requirement(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"default": [{"type": "insecureAcceptAnything"}]}))
    source = signed_source(fixture_layer("skopeo-signed-with-tag.signature"))
    source.manifest = None  # not called
    accepted = signatures.judge(
        signatures.load_policy(path), Reference.parse(SKOPEO_NAME), SIGNED, source
    )
    assert accepted == (Accepted("insecureAcceptAnything"),)
    assert str(accepted[0]) == "insecureAcceptAnything"


# The whole pull, with the in-memory registry of test_pull_rules: a refusal writes nothing.
def test_pull_with_a_sigstore_policy(registry, tmp_path):  # noqa: F811
    reference = "registry.example/fedora:40-amd64"
    manifest = registry.manifests["40-amd64"][0]
    private, sign, _ = generated_keys()[0]
    (tmp_path / "key.pub").write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    data = payload(sha256_digest(manifest), reference)
    annotations = {sigstore.SIGNATURE_ANNOTATION: base64.b64encode(sign(data)).decode()}
    attachment, blobs = attachment_manifest([(sigstore.SIGNATURE_MEDIA_TYPE, data, annotations)])

    class Signed(registry):
        def manifest(self, reference, accept, missing_ok=False):
            if reference not in self.manifests and missing_ok:
                return None
            return super().manifest(reference, accept)

        def small_blob(self, digest, size, limit):
            return blobs[digest]

    pulling.Registry = Signed  # the fixture's monkeypatch restores the real one
    judged = tmp_path / "policy.json"
    judged.write_text(json.dumps({"default": [{"type": "sigstoreSigned", "keyPath": OTHER_PUB}]}))
    dest = tmp_path / "dest"
    with pytest.raises(PullError, match="unsigned|has none"):
        pull(reference, dest, policy=judged)
    assert not dest.exists()

    Signed.manifests[sigstore.attachment_tag(sha256_digest(manifest))] = (attachment, OCI)
    with pytest.raises(PullError, match=r"\['not signed by a key of the policy'\]"):
        pull(reference, dest, policy=judged)
    assert not dest.exists()

    requirement = {"type": "sigstoreSigned", "keyPath": str(tmp_path / "key.pub")}
    judged.write_text(json.dumps({"default": [requirement]}))
    assert pull(reference, dest, policy=judged).changed
    assert (dest / "vmlinuz").read_bytes() == b"vmlinuz bytes"
