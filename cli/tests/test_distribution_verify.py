"""`pulp bootfiles distribution verify` against the live stack: a distribution whose per-arch
tag the publisher's key signs (pulp_container's manifest signing service, skopeo
standalone-sign) and whose release tag it does not, reported without a policy, judged by the
publisher's and a stranger's policy (exit status 3 on a refusal), then signed throughout; and
the same report through another registry host (--registry, as a capsule), whose policy scope
is its own."""

import json
import uuid

import pytest
from endpoints import API, DISTRIBUTIONS, REMOTES, REPOSITORIES

# The functional suite's test keys and manifest signing service (skopeo standalone-sign).
from pulp_bootfiles.tests.functional.test_chain_of_trust import (  # noqa: F401
    keys,
    signing_service,
)
from registry_proxy import RegistryProxy
from test_pull import REGISTRY, policy_file

pytestmark = pytest.mark.functional


@pytest.fixture(scope="module")
def distributed(pulp, synced):
    """A repository of its own with the synced tree, served by a distribution of its name."""
    tree, repository = synced
    name = f"verify-{uuid.uuid4().hex[:8]}"
    mine = pulp.post(REPOSITORIES, {"name": name}, expect=201).json()
    (remote,) = pulp.list(REMOTES, name=repository["name"])  # `synced` names it so
    pulp.run(mine["pulp_href"] + "sync/", {"remote": remote["pulp_href"]})
    body = {"name": name, "base_path": name, "repository": mine["pulp_href"]}
    distribution = pulp.run(DISTRIBUTIONS, body)["created_resources"][0]
    yield tree, name
    pulp.wait(pulp.delete(distribution).json()["task"])
    pulp.wait(pulp.delete(mine["pulp_href"]).json()["task"])


def verify(cli, name, expect=0, **options):
    result = cli("distribution verify", name=name, expect=expect, **options)
    return result, {report["tag"]: report for report in json.loads(result.stdout)}


def test_verify(cli, distributed, signing_service, keys, tmp_path):  # noqa: F811
    tree, name = distributed
    release, per_arch = tree.release, f"{tree.release}-amd64"
    service = signing_service["name"]
    cli("repository sign", name=name, manifest_signing_service=service, tag=per_arch)
    publisher, stranger = keys["publisher"], keys["stranger"]

    _, found = verify(cli, name)
    assert sorted(found) == [release, per_arch]
    assert found[per_arch]["digest"].startswith("sha256:")
    assert found[per_arch]["simple_signatures"] == [
        {"issuers": [publisher.fingerprint.lower()], "verified_by": None}
    ]
    assert found[release]["simple_signatures"] == []
    for report in found.values():
        assert report["sigstore_signatures"] == []
        assert (report["verdict"], report["accepted_by"], report["refusal"]) == (None, [], None)

    trusted = policy_file(tmp_path / "publisher", publisher)
    result, found = verify(cli, name, expect=3, policy=str(trusted))
    accepted = found[per_arch]
    assert accepted["verdict"] == "accepted" and accepted["refusal"] is None
    [(requirement, key)] = [(a["requirement"], a["key"]) for a in accepted["accepted_by"]]
    assert requirement == "signedBy"
    assert key.startswith(publisher.fingerprint.lower()) and "Netboot Publisher" in key
    assert accepted["simple_signatures"][0]["verified_by"] == key
    refused = found[release]
    assert (refused["verdict"], refused["accepted_by"]) == ("refused", [])
    assert refused["refusal"] == (
        f"{REGISTRY}/{name}:{release}: a signature is required, but {refused['digest']} has none"
    )
    assert f"refused: {release}: {refused['refusal']}\n" in result.stderr
    assert f"{REGISTRY}/{name}: 1 of 2 tags accepted, 1 refused" in result.stderr

    other = policy_file(tmp_path / "stranger", stranger)
    _, found = verify(cli, name, expect=3, policy=str(other))
    assert found[per_arch]["refusal"].endswith(
        "no signature is accepted: ['not signed by a key of the policy']"
    )
    assert found[per_arch]["simple_signatures"][0]["verified_by"] is None

    cli("repository sign", name=name, manifest_signing_service=service)  # every tag
    result, found = verify(cli, name, policy=str(trusted))
    assert {report["verdict"] for report in found.values()} == {"accepted"}
    assert "2 of 2 tags accepted, 0 refused" in result.stderr


def test_verify_through_another_registry_host(cli, distributed, signing_service, keys, tmp_path):  # noqa: F811
    """A capsule serves the same repository under its own host: the signatures name the
    primary's, which its policy accepts with exactRepository."""
    tree, name = distributed
    cli("repository sign", name=name, manifest_signing_service=signing_service["name"])
    _, direct = verify(cli, name)
    proxy = RegistryProxy(API)
    try:
        _, proxied = verify(cli, name, registry=proxy.host, plain_http=True)
        assert proxied == direct

        trusted = policy_file(tmp_path / "publisher", keys["publisher"])
        key = json.loads(trusted.read_text())["transports"]["docker"][REGISTRY][0]["keyPath"]
        signed_by = {"type": "signedBy", "keyType": "GPGKeys", "keyPath": key}
        # The primary's policy scope does not apply to the capsule's host: default reject.
        result, found = verify(
            cli, name, expect=3, registry=proxy.host, plain_http=True, policy=str(trusted)
        )
        assert found[tree.release]["refusal"] == (
            f"{trusted}: {proxy.host}/{name}:{tree.release} is rejected by the policy"
        )
        identity = {"type": "exactRepository", "dockerRepository": f"{REGISTRY}/{name}"}
        capsule = tmp_path / "capsule.json"
        capsule.write_text(
            json.dumps(
                {
                    "default": [{"type": "reject"}],
                    "transports": {
                        "docker": {proxy.host: [{**signed_by, "signedIdentity": identity}]}
                    },
                }
            )
        )
        _, found = verify(cli, name, registry=proxy.host, plain_http=True, policy=str(capsule))
        assert {report["verdict"] for report in found.values()} == {"accepted"}
    finally:
        proxy.close()


def test_verify_errors(cli, distributed, tmp_path):
    _tree, name = distributed
    result = cli("distribution verify", name="no-such-distribution", expect=1)
    assert "Could not find bootfiles distribution" in result.stderr
    (tmp_path / "policy.json").write_text("[]")
    result = cli("distribution verify", name=name, policy=str(tmp_path / "policy.json"), expect=1)
    assert "not a containers policy" in result.stderr and "Traceback" not in result.stderr
    result = cli(
        "distribution verify", name=name, registry="127.0.0.1:9", plain_http=True, expect=1
    )
    assert f"http://127.0.0.1:9/v2/{name}/tags/list" in result.stderr
