"""
What a content-app process does once, when it starts serving: build the indexes of the versions
bootfiles distributions serve (and keep the distributions for the route), then freeze the
objects it holds.

Why the indexes: a process builds a version's index (and opens its database connection) on the
first request that needs it, while every request that arrived behind it waits. After a restart
that is a rack's first wave: in the benchmark's storm right after one, configs' p99 was 75 to
139 ms with a warm-up too small to reach every process, 35 to 75 ms with one that did. Built at
startup instead, before the process accepts a connection, for the distributions saved last (as
many as a process keeps, `index.CACHED_VERSIONS`). The distributions read for it are kept as
the route's detail objects too, which their first request would otherwise load one by one. A
failure is logged and costs only that: requests build what they need, as before.
`BOOTFILES_CONTENT_WARM_UP = False` leaves it out.

Why the freeze: a content-app process starts with about 200,000 objects the garbage collector tracks
(pulpcore, Django, DRF and every plugin's modules, settings and apps). They live as long as the
process. CPython's full (oldest-generation) collection still walks all of them whenever enough
new objects have survived since the last one, which is what a process's first burst of traffic
does: every connection, request, cached row and index is new. On this project's 2-core machine
one such collection took 130 ms quiet and 134 to 240 ms in the benchmark's boot storm, during
which the process answers nothing: the configs and probes of the first wave wait for it.

`gc.freeze()` (Python 3.7+, the recipe of Python's docs for forked servers) moves every object
tracked at that moment to a permanent generation that no collection walks. Collections then
only look at what was made since, which is what they are for. Nothing is held longer than
before, except any garbage cycles made before the freeze; a full collection right before it
removes those. It applies to the whole content-app process (pulpcore's and other plugins' routes
too), whether or not the plugin's route is on; `BOOTFILES_CONTENT_GC_FREEZE = False` leaves it
out.
"""

import gc
import logging

from asgiref.sync import sync_to_async
from django.conf import settings

from pulp_bootfiles.app.models import BootfilesDistribution
from pulp_bootfiles.app.serving.index import CACHED_VERSIONS, index_for
from pulp_bootfiles.app.serving.route import remember_distribution
from pulp_bootfiles.app.serving.versions import ServingFacts, served_version_pk

log = logging.getLogger(__name__)


def build_served_indexes(limit: int = CACHED_VERSIONS) -> int:
    """Build (into the process's cache) the index of the version each of the `limit`
    distributions saved last serves, and keep those distributions for the route; the number of
    indexes built. Guarded distributions are left out: pulpcore's handler answers them, for the
    users their guard lets through."""
    distributions = (
        BootfilesDistribution.objects.filter(content_guard__isnull=True)
        .select_related("repository")
        .order_by("-pulp_last_updated")[:limit]
    )
    built = set()
    for distribution in distributions:
        remember_distribution(distribution)
        version_pk = served_version_pk(ServingFacts.of(distribution))
        if version_pk is not None and version_pk not in built:
            index_for(version_pk)
            built.add(version_pk)
    return len(built)


async def warm_served_indexes(app) -> None:
    """aiohttp `on_startup` hook: the served versions' indexes, built in the database thread
    the requests will use (so its connection is open too)."""
    try:
        built = await sync_to_async(build_served_indexes)()
    except Exception:  # a cold process is slower, not broken: requests build what they need
        log.warning("Could not build the served versions' indexes at startup.", exc_info=True)
    else:
        log.debug("Built the indexes of %d served versions.", built)


async def freeze_startup_objects(app) -> None:
    """aiohttp `on_startup` hook: collect once, then freeze what survives."""
    gc.collect()
    gc.freeze()
    log.debug("Froze %d objects out of the garbage collector's walks.", gc.get_freeze_count())


def install(app) -> list:
    """Add what a process does once started to `app`'s startup, in this order (the indexes
    built are frozen too); the hooks added, none when both are turned off."""
    hooks = []
    if settings.BOOTFILES_CONTENT_WARM_UP:
        hooks.append(warm_served_indexes)
    if settings.BOOTFILES_CONTENT_GC_FREEZE:
        hooks.append(freeze_startup_objects)
    app.on_startup.extend(hooks)
    return hooks
