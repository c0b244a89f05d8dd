"""What a content-app process does when it starts serving: its startup objects are frozen out of
the garbage collector's walks, after one collection that removes the garbage they left."""

import asyncio
import gc
import weakref

import pytest
from aiohttp import web
from django.test import override_settings

from pulp_bootfiles.app.serving import startup


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


def test_objects_held_at_startup_are_frozen_and_later_ones_are_not(unfrozen):
    app = web.Application()
    assert startup.install(app)
    held = Held()
    started(app)
    later = Held()
    tracked = gc.get_objects()
    assert not any(o is held for o in tracked)
    assert any(o is later for o in tracked)
    assert gc.get_freeze_count() > 0


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


def test_turned_off_it_leaves_the_collector_alone():
    app = web.Application()
    with override_settings(BOOTFILES_CONTENT_GC_FREEZE=False):
        assert not startup.install(app)
    started(app)
    assert gc.get_freeze_count() == 0
