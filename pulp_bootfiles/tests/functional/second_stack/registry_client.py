"""Registry requests through pulp_container's token auth, as any OCI client makes them."""

import re

import requests

ACCEPT = "application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json"


def bearer_token(challenge, auth=None):
    """Ask the token server named by a `WWW-Authenticate: Bearer ...` challenge."""
    params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
    realm = params.pop("realm")
    response = requests.get(realm, params=params, auth=auth, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def registry_get(api_base, path, auth=None, allow_redirects=True):
    """GET `/v2/<path>`, answering the token challenge as `auth` (None: anonymous)."""
    return authorized_get(f"{api_base}/v2/{path}", auth, allow_redirects, ACCEPT)


def signatures_get(api_base, path, digest, auth=None):
    """The signature API extension's list of `digest`'s signatures in repository `path`."""
    return authorized_get(
        f"{api_base}/extensions/v2/{path}/signatures/{digest}", auth, accept="application/json"
    )


def authorized_get(url, auth=None, allow_redirects=True, accept=ACCEPT):
    """GET a registry URL, answering the token challenge as `auth` (None: anonymous)."""
    response = requests.get(url, headers={"Accept": accept}, timeout=30)
    if response.status_code != 401:
        return response
    token = bearer_token(response.headers["WWW-Authenticate"], auth)
    headers = {"Accept": accept, "Authorization": f"Bearer {token}"}
    return requests.get(url, headers=headers, timeout=30, allow_redirects=allow_redirects)
