"""
What a content-app process does once, when it starts serving: freeze the objects it holds.

Why: a content-app process starts with about 200,000 objects the garbage collector tracks
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

from django.conf import settings

log = logging.getLogger(__name__)


async def freeze_startup_objects(app) -> None:
    """aiohttp `on_startup` hook: collect once, then freeze what survives."""
    gc.collect()
    gc.freeze()
    log.debug("Froze %d objects out of the garbage collector's walks.", gc.get_freeze_count())


def install(app) -> bool:
    """Add the freeze to `app`'s startup (before the app starts). False when turned off."""
    if not settings.BOOTFILES_CONTENT_GC_FREEZE:
        return False
    app.on_startup.append(freeze_startup_objects)
    return True
