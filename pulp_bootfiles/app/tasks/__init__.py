"""Tasks of pulp_bootfiles, dispatched from the viewsets."""

from pulp_bootfiles.app.tasks.synchronizing import synchronize

__all__ = ["synchronize"]
