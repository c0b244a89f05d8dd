"""The OpenAPI schema Pulp generates for bootfiles: every endpoint, accurate field kinds."""

import json
import subprocess
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("openapi") / "api.json"
    subprocess.run(
        ["pulpcore-manager", "openapi", "--component", "bootfiles", "--file", str(path)],
        check=True,
        capture_output=True,
    )
    return json.loads(path.read_text())


@pytest.mark.parametrize(
    "path",
    [
        "/pulp/api/v3/remotes/bootfiles/bootfiles/",
        "/pulp/api/v3/repositories/bootfiles/bootfiles/",
        "{bootfiles_bootfiles_repository_href}sync/",
        "{bootfiles_bootfiles_repository_href}push/",
        "/pulp/api/v3/remotes/bootfiles/oci/",
        "{bootfiles_bootfiles_repository_href}versions/",
        "/pulp/api/v3/distributions/bootfiles/bootfiles/",
        "/pulp/api/v3/content/bootfiles/files/",
        "/pulp/api/v3/content/bootfiles/trees/",
    ],
)
def test_endpoint_is_documented(schema, path):
    assert path in schema["paths"]


def properties(schema, name):
    return schema["components"]["schemas"][name]["properties"]


def test_content_is_read_only(schema):
    assert "post" not in schema["paths"]["/pulp/api/v3/content/bootfiles/files/"]
    files = properties(schema, "bootfiles.BootFileResponse")
    for field in ("name", "relative_path", "content_path", "release", "arch", "sha256"):
        assert files[field]["readOnly"] is True, field


def test_remote_fields(schema):
    remote = properties(schema, "bootfiles.BootfilesRemote")
    assert remote["policy"]["allOf"][0]["$ref"].endswith("/PolicyEnum")
    # {arch: {package: [path, ...]}}, or null for the defaults.
    bootloaders = remote["bootloaders"]
    assert bootloaders["type"] == ["object", "null"]
    assert bootloaders["additionalProperties"]["additionalProperties"]["items"]["type"] == "string"
    assert "url" in schema["components"]["schemas"]["bootfiles.BootfilesRemote"]["required"]


def test_distribution_shows_pull_references(schema):
    distribution = properties(schema, "bootfiles.BootfilesDistributionResponse")
    assert distribution["oci_references"] == {
        "type": "array",
        "items": {"type": "string"},
        "readOnly": True,
        "description": distribution["oci_references"]["description"],
    }
    assert distribution["registry_path"]["readOnly"] is True
    # Read-only fields are not part of the request body.
    assert "oci_references" not in properties(schema, "bootfiles.BootfilesDistribution")


def test_sync_request(schema):
    sync = properties(schema, "BootfilesRepositorySync")
    assert set(sync) == {"remote", "mirror"}


REFERENCE = Path(__file__).parents[3] / "docs" / "user" / "reference.md"


def test_every_field_is_in_the_reference_page(schema):
    """docs/user/reference.md names every field of every bootfiles schema."""
    page = REFERENCE.read_text()
    missing = {
        f"{name}.{field}"
        for name, component in schema["components"]["schemas"].items()
        if "bootfiles" in name.lower() and not name.startswith("Paginated")
        for field in component.get("properties", {})
        if f"`{field}`" not in page
    }
    assert not missing, f"fields missing from {REFERENCE.name}: {sorted(missing)}"


def test_every_filter_is_in_the_reference_page(schema):
    page = REFERENCE.read_text()
    own_filters = {
        parameter["name"]
        for path in (
            "/pulp/api/v3/content/bootfiles/files/",
            "/pulp/api/v3/content/bootfiles/trees/",
        )
        for parameter in schema["paths"][path]["get"].get("parameters", [])
        if parameter["in"] == "query"
        and parameter["name"] not in ("limit", "offset", "ordering", "fields", "exclude_fields")
        and not parameter["name"].startswith(("pulp_label", "pulp_href", "prn", "q"))
    }
    missing = {name for name in own_filters if f"`{name}`" not in page}
    assert not missing, f"filters missing from {REFERENCE.name}: {sorted(missing)}"
