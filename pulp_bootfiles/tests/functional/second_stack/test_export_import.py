"""
Disconnected sites: a bootfiles repository exported with pulpcore's PulpExporter on this Pulp,
carried over as files, and imported with PulpImporter into a domain of the second stack, as
Katello moves content to a site without a network path to the upstream.

The import must give the same trees, files (metadata and served bytes) and OCI manifests
(digests and bytes), for a full chunked export and an incremental one on top of it.
"""

import hashlib
import os
import runpy
import shutil
import tarfile
import time
import uuid

import psycopg
import pytest
import requests

from pulp_bootfiles.app.serving.storage_classes import FILESYSTEM_STORAGE
from pulp_bootfiles.tests.fixtures.treegen import build_tree
from pulp_bootfiles.tests.functional.conftest import FILES, REMOTES, REPOSITORIES, TREES
from pulp_bootfiles.tests.functional.pulp_api import TaskFailed
from pulp_bootfiles.tests.functional.second_stack.conftest import distribute
from pulp_bootfiles.tests.functional.second_stack.registry_client import registry_get
from pulp_bootfiles.tests.functional.test_chain_of_trust import (  # noqa: F401 (fixtures)
    keys,
    signing_service,
)
from pulp_bootfiles.tests.functional.test_oci_sync import latest
from pulp_bootfiles.tests.functional.worker_watch import dev_dir

EXPORTERS = "/pulp/api/v3/exporters/core/pulp/"
IMPORTERS = "/pulp/api/v3/importers/core/pulp/"
DOMAINS = "/pulp/api/v3/domains/"
MANIFESTS = "/pulp/api/v3/content/container/manifests/"
TAGS = "/pulp/api/v3/content/container/tags/"
SIGNATURES = "/pulp/api/v3/content/container/signatures/"
FINISHED = ("completed", "failed", "canceled")
# What the API shows that is this server's own, not the content's.
# What each server has of its own; a tree's `origin` says how it came into that server.
LOCAL_FIELDS = (
    "pulp_href",
    "prn",
    "pulp_created",
    "pulp_last_updated",
    "artifact",
    "treeinfo",
    "origin",
)
# pulpcore's export task error when a version holds content that was never downloaded.
ON_DEMAND_REFUSAL = "Remote artifacts cannot be exported."


def export(pulp, exporter, **params):
    """Run an export of `exporter`; returns the PulpExport."""
    task = pulp.run(exporter["pulp_href"] + "exports/", params)
    (href,) = [href for href in task["created_resources"] if "/exports/" in href]
    return pulp.get(href)


def carry(the_export, destination):
    """Copy an export's files (tarball or chunks, and the table of contents) to `destination`,
    as they would travel to a disconnected site; returns the path of the copied toc."""
    destination.mkdir(parents=True)
    for path in the_export["output_file_info"]:
        shutil.copy(path, destination)
    return str(destination / the_export["toc_info"]["file"].rsplit("/", 1)[1])


def import_into(api, importer, toc, timeout=300):
    """Import from `toc`; returns the import task and the per-repository tasks it dispatches
    into its task group, all finished. (pulpcore never marks that group all dispatched: the
    import task dispatches the others before it completes.)"""
    response = api.post(
        api.href(importer["pulp_href"]) + "imports/",
        {"toc": toc, "create_repositories": True},
        expect=202,
    )
    group_href = api.href(response.json()["task_group"])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        group = api.get(group_href)
        tasks = [api.get(t["pulp_href"]) for t in group["tasks"]]
        dispatched = any(t["name"].endswith(".pulp_import") for t in tasks)
        if dispatched and all(t["state"] in FINISHED for t in tasks):
            failed = [(t["name"], t.get("error")) for t in tasks if t["state"] != "completed"]
            assert not failed, failed
            return tasks
        time.sleep(0.5)
    raise AssertionError(f"import group {group_href} did not finish")


def files(api, version):
    """{content path: the BootFile's fields}; and {href: content path}."""
    listed = api.list(FILES, repository_version=version)
    paths = {bootfile["pulp_href"]: bootfile["content_path"] for bootfile in listed}
    return {bootfile["content_path"]: without_local_fields(bootfile) for bootfile in listed}, paths


def trees(api, version):
    """{(release, arch): the BootTree's fields, its files as content paths}."""
    _, paths = files(api, version)
    return {
        (tree["release"], tree["arch"]): {
            **without_local_fields(tree),
            "files": sorted(paths[href] for href in tree["files"]),
        }
        for tree in api.list(TREES, repository_version=version)
    }


def without_local_fields(unit):
    return {key: value for key, value in unit.items() if key not in LOCAL_FIELDS}


def connect(settings_path):
    """A connection to the database of the stack whose settings file is `settings_path`
    (pulp_db.connect knows only the main stack's)."""
    database = runpy.run_path(str(settings_path))["DATABASES"]["default"]
    return psycopg.connect(
        host=database["HOST"], port=database["PORT"], user=database["USER"], dbname=database["NAME"]
    )


def repodata_checksums(settings_path, domain, digests):
    """{tree digest: repodata_checksum} from a stack's database (the API does not show it; a
    sync on the importing side uses it to reuse the bootloaders)."""
    with connect(settings_path) as connection:
        rows = connection.execute(
            "SELECT t.digest, t.repodata_checksum FROM bootfiles_boottree t"
            " JOIN core_domain d ON d.pulp_id = t._pulp_domain_id"
            " WHERE d.name = %s AND t.digest = ANY(%s)",
            (domain, list(digests)),
        ).fetchall()
    return dict(rows)


def manifests(api, version):
    return sorted(m["digest"] for m in api.list(MANIFESTS, repository_version=version))


def tags(api, version):
    return sorted(
        (t["name"], api.get(t["tagged_manifest"])["digest"])
        for t in api.list(TAGS, repository_version=version)
    )


def site_domain(second_pulp):
    """
    A new domain of the second stack that stores in Pulp's default storage (MEDIA_ROOT).

    pulpcore's importer writes the Artifacts' bytes through the default storage whatever the
    domain's own storage, so a domain with another location (or S3) would get Artifacts whose
    bytes are not where it reads them (docs/user/export-import.md).
    """
    name = f"site-{uuid.uuid4().hex[:8]}"
    body = {
        "name": name,
        "storage_class": FILESYSTEM_STORAGE,
        "storage_settings": {"location": str(second_pulp.stack.dev_dir / "media")},
    }
    second_pulp.api().post(DOMAINS, body, expect=201)
    return second_pulp.api(name)


def signatures(api, version):
    """(signature digest, name, key id, signed manifest digest) of a version's signatures."""
    return sorted(
        (s["digest"], s["name"], s["key_id"], api.get(s["signed_manifest"])["digest"])
        for s in api.list(SIGNATURES, repository_version=version)
    )


def assert_same_version(pulp, version, api, imported, second_pulp, base_path):
    """The imported version holds what the exported one does, and serves the same bytes."""
    exported_trees = trees(pulp, version)
    assert trees(api, imported) == exported_trees
    assert files(api, imported)[0] == files(pulp, version)[0]
    digests = [tree["digest"] for tree in exported_trees.values()]
    assert repodata_checksums(
        second_pulp.stack.dev_dir / "settings.py", api.domain, digests
    ) == repodata_checksums(os.environ["PULP_SETTINGS"], "default", digests)
    assert manifests(api, imported) == manifests(pulp, version)
    assert tags(api, imported) == tags(pulp, version)
    # Signatures cannot be made again without the key: they must have travelled.
    assert signatures(api, imported) == signatures(pulp, version)
    content = f"{second_pulp.content}/pulp/content/{api.domain}/{base_path}"
    for content_path, bootfile in files(pulp, version)[0].items():
        response = requests.get(f"{content}/{content_path}", timeout=60)
        assert response.status_code == 200, content_path
        assert hashlib.sha256(response.content).hexdigest() == bootfile["sha256"], content_path
    for name, digest in tags(pulp, version):
        served = registry_get(
            second_pulp.stack.api,
            f"{api.domain}/{base_path}/manifests/{name}",
            auth=("admin", "password"),
        )
        assert served.status_code == 200, (name, served.text)
        assert "sha256:" + hashlib.sha256(served.content).hexdigest() == digest, name


def artifact_digests(the_export):
    """The sha256 of each Artifact in an unchunked export (stored as artifact/<2>/<62>)."""
    (path,) = [path for path in the_export["output_file_info"] if path.endswith(".tar")]
    with tarfile.open(path) as tar:
        return {
            "".join(member.name.split("/")[-2:])
            for member in tar.getmembers()
            if member.name.startswith("artifact/")
        }


@pytest.fixture
def exports_dir():
    """A fresh directory for an exporter below the main stack's ALLOWED_EXPORT_PATHS."""
    path = dev_dir() / "exports" / uuid.uuid4().hex[:10]
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_export_then_import_gives_the_same_trees_files_and_manifests(
    pulp,
    second_pulp,
    fixture_server,
    created,
    exports_dir,
    signing_service,  # noqa: F811 (the fixture imported above)
):
    name = f"export-{uuid.uuid4().hex[:8]}"
    repository = created(REPOSITORIES, {"name": name})
    roots = {arch: fixture_server.root / f"{name}-{arch}" for arch in ("x86_64", "aarch64")}
    for arch, root in roots.items():
        build_tree(root, arch=arch, salt=name)
        remote = created(
            REMOTES, {"name": f"{name}-{arch}", "url": fixture_server.url(root.name + "/")}
        )
        pulp.run(repository["pulp_href"] + "sync/", {"remote": remote["pulp_href"]})
    pulp.run(
        repository["pulp_href"] + "sign/",
        {
            "manifest_signing_service": signing_service["pulp_href"],
            "future_base_path": f"netboot-{name}",
        },
    )
    version = latest(pulp, repository)
    assert len(manifests(pulp, version)) == 3  # two per-arch manifests and the index
    assert {signed for *_, signed in signatures(pulp, version)} == set(manifests(pulp, version))

    exporter = created(
        EXPORTERS,
        {"name": name, "path": str(exports_dir), "repositories": [repository["pulp_href"]]},
    )
    full = export(pulp, exporter, chunk_size="20KB")
    assert len(full["output_file_info"]) > 2, full["output_file_info"]  # chunks and the toc

    api = site_domain(second_pulp)
    site = second_pulp.stack.dev_dir / "imports" / name
    importer = api.post(IMPORTERS, {"name": name}, expect=201).json()
    import_into(api, importer, carry(full, site / "full"))
    (imported_repository,) = api.list(REPOSITORIES, name=name)
    base_path = f"netboot-{name}"
    distribute(api, imported_repository, base_path=base_path)
    assert_same_version(
        pulp, version, api, latest(api, imported_repository), second_pulp, base_path
    )
    imported_trees = api.list(TREES, repository_version=latest(api, imported_repository))
    assert {tree["origin"] for tree in imported_trees} == {"import"}

    # A respin changes the x86_64 kernel; the incremental export carries only what is new.
    build_tree(roots["x86_64"], arch="x86_64", salt=name, kernel_version="6.8.5-301.fc40.x86_64")
    pulp.run(
        repository["pulp_href"] + "sync/",
        {"remote": pulp.list(REMOTES, name=f"{name}-x86_64")[0]["pulp_href"]},
    )
    changed = latest(pulp, repository)
    (before, _), (after, _) = files(pulp, version), files(pulp, changed)
    differing = sorted(path for path in after if before[path]["sha256"] != after[path]["sha256"])
    assert differing == ["40/x86_64/images/pxeboot/vmlinuz"]
    # The new amd64 manifest and index are unsigned; arm64's signatures stay.
    kept = set(manifests(pulp, version)) & set(manifests(pulp, changed))
    assert len(kept) == 1
    assert {signed for *_, signed in signatures(pulp, changed)} == kept

    incremental = export(pulp, exporter, full=False)
    treeinfo = hashlib.sha256((roots["x86_64"] / ".treeinfo").read_bytes()).hexdigest()
    # The new kernel and .treeinfo; not the unchanged images and bootloaders.
    assert artifact_digests(incremental) == {after[differing[0]]["sha256"], treeinfo}

    import_into(api, importer, carry(incremental, site / "incremental"))
    imported = latest(api, imported_repository)
    assert_same_version(pulp, changed, api, imported, second_pulp, base_path)
    assert api.get(imported)["number"] == 2
    # The same export again changes nothing.
    import_into(api, importer, carry(incremental, site / "again"))
    assert latest(api, imported_repository) == imported


def test_on_demand_content_is_refused_until_downloaded(
    pulp, fixture_server, created, exports_dir, tree_factory
):
    _, url = tree_factory()
    repository = created(REPOSITORIES, {"name": f"on-demand-{uuid.uuid4().hex[:8]}"})
    lazy = created(REMOTES, {"name": f"lazy-{uuid.uuid4()}", "url": url, "policy": "on_demand"})
    pulp.run(repository["pulp_href"] + "sync/", {"remote": lazy["pulp_href"]})
    exporter = created(
        EXPORTERS,
        {
            "name": f"on-demand-{uuid.uuid4().hex[:8]}",
            "path": str(exports_dir),
            "repositories": [repository["pulp_href"]],
        },
    )

    version = latest(pulp, repository)
    lazy_files = [f for f in pulp.list(FILES, repository_version=version) if not f["artifact"]]
    assert lazy_files, "on_demand left every image downloaded"

    with pytest.raises(TaskFailed) as failure:
        export(pulp, exporter)
    assert failure.value.task["error"]["description"] == ON_DEMAND_REFUSAL
    # pulpcore removes the chunks of a failed export, but not an unchunked tarball: what it
    # wrote before failing stays, without a table of contents, and the exporter's last export
    # (the base of the next incremental one) is unchanged.
    assert not list(exports_dir.glob("*-toc.json"))
    assert pulp.get(exporter["pulp_href"])["last_export"] is None

    # The remedy the docs give: sync once with the immediate policy, then export.
    eager = created(REMOTES, {"name": f"eager-{uuid.uuid4()}", "url": url, "policy": "immediate"})
    pulp.run(repository["pulp_href"] + "sync/", {"remote": eager["pulp_href"]})
    assert export(pulp, exporter)["output_file_info"]
