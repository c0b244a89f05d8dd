"""
What the models' hooks run: registered at start-up by the modules above the models.

pulpcore calls two hooks on our models, `BootfilesRepository.finalize_new_version` and
`BootfilesDistribution.content_handler`. What they do (`version_rules`, `serving.handler`)
reads and writes the models, so the models cannot import it without an import circle. Instead
`PulpBootfilesPluginAppConfig.ready()` registers those functions here, below the models, and
the hooks call them: every import runs one way, from the upper modules down to the models.
"""

from dataclasses import dataclass
from typing import Callable

from django.core.exceptions import ImproperlyConfigured


@dataclass
class ModelHooks:
    """The functions the models' hooks call; None until `register` runs."""

    finalize_new_version: Callable | None = None  # (repository, new_version) -> None
    content_handler: Callable | None = None  # (distribution, path) -> response or None


# The registry: filled once by `register`, from the app config's ready().
REGISTERED = ModelHooks()


def register(*, finalize_new_version, content_handler):
    REGISTERED.finalize_new_version = finalize_new_version
    REGISTERED.content_handler = content_handler


def registered(name):
    """The function registered as `name`; an error naming the cause when none is."""
    function = getattr(REGISTERED, name)
    if function is None:
        raise ImproperlyConfigured(
            f"No {name} hook: PulpBootfilesPluginAppConfig.ready() registers it; is "
            "pulp_bootfiles.app in INSTALLED_APPS and Django set up?"
        )
    return function
