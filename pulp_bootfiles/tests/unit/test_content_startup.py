"""What a content-app process does when it starts serving: the served versions' indexes are
built, then its startup objects are frozen out of the garbage collector's walks, after one
collection that removes the garbage they left."""

import asyncio
import gc
import weakref

import pytest
from aiohttp import web
from django.test import override_settings
from pulpcore.plugin.models import ContentRedirectContentGuard

from pulp_bootfiles.app.models import BootfilesDistribution, BootfilesRepository
from pulp_bootfiles.app.serving import index, route, startup
from pulp_bootfiles.app.serving.recent import Recent

# The freeze's tests leave the database alone.
FREEZE_ONLY = override_settings(BOOTFILES_CONTENT_WARM_UP=False)


class Held:
    """An object a process keeps, or drops in a reference cycle."""

    def __init__(self):
        self.me = self


def started(app: web.Application) -> None:
    app.freeze()
    asyncio.run(app.startup())


@pytest.fixture
def unfrozen():
    """The test process's objects back under the collector afterwards."""
    yield
    gc.unfreeze()


@FREEZE_ONLY
def test_objects_held_at_startup_are_frozen_and_later_ones_are_not(unfrozen):
    app = web.Application()
    assert startup.install(app) == [startup.freeze_startup_objects]
    held = Held()
    started(app)
    later = Held()
    tracked = gc.get_objects()
    assert not any(o is held for o in tracked)
    assert any(o is later for o in tracked)
    assert gc.get_freeze_count() > 0


@FREEZE_ONLY
def test_garbage_cycles_made_before_startup_are_collected_not_frozen(unfrozen):
    app = web.Application()
    startup.install(app)
    gc.disable()  # only the startup's own collection may find the cycle
    try:
        dropped = Held()
        collected = []
        weakref.finalize(dropped, collected.append, True)
        del dropped
        started(app)
    finally:
        gc.enable()
    assert collected == [True]


@FREEZE_ONLY
def test_turned_off_it_leaves_the_collector_alone():
    app = web.Application()
    with override_settings(BOOTFILES_CONTENT_GC_FREEZE=False):
        assert startup.install(app) == []
    started(app)
    assert gc.get_freeze_count() == 0


@pytest.fixture
def empty_index_cache(monkeypatch):
    cache = Recent(index.CACHED_VERSIONS)
    monkeypatch.setattr(index, "_indexes", cache)
    return cache


@pytest.fixture
def empty_details(monkeypatch):
    cache = Recent(route.REMEMBERED)
    monkeypatch.setattr(route, "_details", cache)
    return cache


@pytest.mark.django_db
def test_the_indexes_built_are_those_of_the_versions_served_unguarded(
    empty_index_cache, empty_details
):
    served = BootfilesRepository.objects.create(name="startup-served")
    BootfilesDistribution.objects.create(name="served", base_path="served", repository=served)
    pinned = BootfilesRepository.objects.create(name="startup-pinned")
    with pinned.new_version():
        pass
    first = pinned.versions.get(number=0)
    BootfilesDistribution.objects.create(
        name="pinned", base_path="pinned", repository_version=first
    )
    guarded = BootfilesRepository.objects.create(name="startup-guarded")
    BootfilesDistribution.objects.create(
        name="guarded",
        base_path="guarded",
        repository=guarded,
        content_guard=ContentRedirectContentGuard.objects.create(name="startup-guarded"),
    )
    BootfilesDistribution.objects.create(name="empty", base_path="empty")

    assert startup.build_served_indexes() == 2
    for version_pk in (served.latest_version().pk, first.pk):
        assert empty_index_cache.get(version_pk).version_pk == version_pk
    assert empty_index_cache.get(guarded.latest_version().pk) is None
    # The route finds the distributions read for it, as saved; not the guarded one.
    for distribution in BootfilesDistribution.objects.all():
        kept = empty_details.get((distribution.pk, distribution.pulp_last_updated))
        if distribution.content_guard_id:
            assert kept is None
        else:
            assert kept.base_path == distribution.base_path
    # The two saved last: the empty one and the pinned one.
    assert startup.build_served_indexes(limit=2) == 1


def test_they_are_built_at_startup_before_the_freeze(empty_index_cache, monkeypatch, unfrozen):
    kept = Held()
    monkeypatch.setattr(
        startup, "build_served_indexes", lambda: empty_index_cache.put("version", kept) or 1
    )
    app = web.Application()
    assert startup.install(app) == [startup.warm_served_indexes, startup.freeze_startup_objects]
    started(app)
    assert empty_index_cache.get("version") is kept
    assert not any(o is kept for o in gc.get_objects())


def test_a_failure_to_build_them_is_logged_and_the_process_starts(monkeypatch, caplog):
    def broken():
        raise RuntimeError("database gone")

    monkeypatch.setattr(startup, "build_served_indexes", broken)
    app = web.Application()
    with override_settings(BOOTFILES_CONTENT_GC_FREEZE=False):
        startup.install(app)
    started(app)
    assert "Could not build the served versions' indexes" in caplog.text
