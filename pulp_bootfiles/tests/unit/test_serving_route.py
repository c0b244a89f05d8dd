"""Which requests the plugin's content route answers itself and which it leaves to pulpcore,
on real rows (the route's one query per request)."""

import pytest
from aiohttp import web
from pulp_container.app.models import ContainerDistribution
from pulpcore.plugin.models import ContentRedirectContentGuard, Distribution
from pulpcore.plugin.util import get_domain

from pulp_bootfiles.app.formats.netboot_index import INDEX_NAME
from pulp_bootfiles.app.models import (
    BootFile,
    BootfilesDistribution,
    BootfilesRepository,
    BootTree,
)
from pulp_bootfiles.app.serving import handler
from pulp_bootfiles.app.serving.route import (
    ROW_COLUMNS,
    BootRoute,
    DistributionRow,
    RowQuery,
    base_paths_of,
)
from pulp_bootfiles.app.serving.versions import served_version_pk

pytestmark = pytest.mark.django_db


def left_to_pulpcore(request):
    raise AssertionError("only the async handler calls pulpcore")


@pytest.fixture
def route():
    return BootRoute(left_to_pulpcore)


@pytest.fixture
def served():
    repository = BootfilesRepository.objects.create(name="route-unit")
    distribution = BootfilesDistribution.objects.create(
        name="route-unit", base_path="racks/one", repository=repository
    )
    return repository, distribution


def answer(route, path):
    ((ok, value),) = route._answer_all([(get_domain(), path, base_paths_of(path))])
    if not ok:
        raise value
    return value


def test_base_paths_run_from_the_longest_to_the_first_segment():
    assert base_paths_of("racks/one/40/x86_64/") == [
        "racks/one/40/x86_64",
        "racks/one/40",
        "racks/one",
        "racks",
    ]
    assert base_paths_of("racks") == ["racks"]


def test_a_bootfiles_path_is_answered_here_from_the_served_version(route, served):
    listing = answer(route, "racks/one/")
    assert listing.status == 200 and INDEX_NAME in listing._bytes.decode()
    document = answer(route, f"racks/one/{INDEX_NAME}")
    assert document.status == 200 and document.content_type == "application/json"
    assert answer(route, "racks/one/40/x86_64/vmlinuz").status == 404


def test_a_probe_name_is_a_404_whatever_is_served(route, served):
    with pytest.raises(web.HTTPNotFound):
        answer(route, "racks/one/40/x86_64/grub.cfg-01-52-54-00-12-34-56")


@pytest.mark.parametrize("path", ["racks/one", "racks/two/x", "racks/", "elsewhere/x"])
def test_the_base_path_redirect_and_unmatched_paths_are_left_to_pulpcore(route, served, path):
    assert answer(route, path) is None


def test_a_guarded_distribution_is_left_to_pulpcore(route, served):
    __, distribution = served
    distribution.content_guard = ContentRedirectContentGuard.objects.create(name="route-unit")
    distribution.save()
    assert answer(route, "racks/one/") is None


def test_another_plugins_base_path_is_left_to_pulpcore_and_remembered(route, served):
    ContainerDistribution.objects.create(name="route-unit-container", base_path="containers/a")
    assert answer(route, "containers/a/v2/") is None
    assert route._elsewhere.get((get_domain().pk, "containers/a")) is True
    assert route._elsewhere.get((get_domain().pk, "racks/one")) is None


def test_a_change_of_the_row_is_seen_by_the_next_request(route, served):
    repository, distribution = served
    domain = get_domain()

    def facts():
        return route._rows(domain, ["racks/one"])["racks/one"].facts()

    first = served_version_pk(facts())
    assert first == repository.latest_version().pk
    kernel = BootFile.objects.create(
        name="vmlinuz",
        relative_path="images/pxeboot/vmlinuz",
        release="44",
        arch="x86_64",
        sha256="a" * 64,
    )
    tree = BootTree.objects.create(family="Fedora", release="44", arch="x86_64", digest="b" * 64)
    tree.files.set([kernel])
    with repository.new_version() as version:
        for unit in (kernel, tree):
            version.add_content(type(unit).objects.filter(pk=unit.pk))
    second = served_version_pk(facts())
    assert second != first and second == repository.latest_version().pk
    # Repointed at the first version: served at once, and the new detail object is loaded.
    distribution.repository, distribution.repository_version_id = None, first
    distribution.kernel_args = "inst.text"
    distribution.save()
    assert served_version_pk(facts()) == first
    row = route._rows(domain, ["racks/one"])["racks/one"]
    assert route._distribution(row.pk, row.last_updated).kernel_args == "inst.text"


@pytest.mark.parametrize(
    "path", ["racks/one/40/x86_64/grub.cfg", "racks/one/", "other/place/v2/", "a/b/c/d/e"]
)
def test_the_compiled_query_reads_what_the_orm_reads(route, served, path):
    """RowQuery runs the ORM's SQL with other values: it must find the ORM's rows, values and
    types alike, for every depth of path."""
    ContainerDistribution.objects.create(name="route-unit-container", base_path="other/place")
    bases = base_paths_of(path)
    domain = get_domain()
    by_orm = Distribution.objects.filter(pulp_domain=domain, base_path__in=bases)
    expected = sorted(map(DistributionRow._make, by_orm.values_list(*ROW_COLUMNS)))
    found = sorted(RowQuery().rows(domain.pk, bases))
    assert found == expected
    assert [tuple(map(type, row)) for row in found] == [tuple(map(type, row)) for row in expected]
    assert {row.base_path for row in found} == {"racks/one", "other/place"} & set(bases)


def test_the_compiled_query_follows_a_change_of_the_row(route, served):
    repository, distribution = served
    query = RowQuery()
    (before,) = query.rows(get_domain().pk, ["racks/one"])
    distribution.repository = None
    distribution.save()
    (after,) = query.rows(get_domain().pk, ["racks/one"])
    assert before.repository_id == repository.pk and after.repository_id is None
    assert after.last_updated > before.last_updated


def test_a_query_with_parameters_of_the_orms_own_is_refused_by_name(monkeypatch):
    """Should a Django version add a value of its own to the query, RowQuery cannot tell where
    the real values go: it refuses to run, naming the parameters."""
    from django.db.models.sql.query import Query

    compile_query = Query.sql_with_params

    def with_an_extra_value(self):
        sql, params = compile_query(self)
        return sql, (*params, "an extra value")

    monkeypatch.setattr(Query, "sql_with_params", with_an_extra_value)
    with pytest.raises(RuntimeError, match="unexpected parameters .*an extra value"):
        RowQuery._compile(2)


def test_a_generated_config_is_rendered_once_and_follows_the_distribution(
    route, served, monkeypatch
):
    repository, distribution = served
    files = [
        BootFile.objects.create(
            name=name,
            relative_path=f"images/pxeboot/{name}",
            release="44",
            arch="x86_64",
            sha256=digit * 64,
        )
        for name, digit in (("vmlinuz", "c"), ("initrd.img", "d"))
    ]
    tree = BootTree.objects.create(family="Fedora", release="44", arch="x86_64", digest="e" * 64)
    tree.files.set(files)
    with repository.new_version() as version:
        for unit in (*files, tree):
            version.add_content(type(unit).objects.filter(pk=unit.pk))
    renders = []
    real_render = handler.bootconfigs.render
    monkeypatch.setattr(
        handler.bootconfigs, "render", lambda *args: renders.append(args) or real_render(*args)
    )
    path = "racks/one/44/x86_64/boot.ipxe"

    first, again = answer(route, path), answer(route, path)
    text = first._bytes.decode()
    assert first.status == 200 and "images/pxeboot/vmlinuz" in text
    assert (again._bytes.decode(), again.etag) == (text, first.etag) and len(renders) == 1

    distribution.kernel_args = "inst.text console=ttyS0"
    distribution.boot_origin = "http://boot.example.test"
    distribution.save()
    changed = answer(route, path)
    assert len(renders) == 2 and changed.etag != first.etag
    assert "inst.text console=ttyS0" in changed._bytes.decode()
    assert "http://boot.example.test/" in changed._bytes.decode()
