"""Tasks of pulp_bootfiles, dispatched from the viewsets."""

from pulp_bootfiles.app.tasks.oci_synchronizing import synchronize_oci
from pulp_bootfiles.app.tasks.pushing import push
from pulp_bootfiles.app.tasks.synchronizing import synchronize

__all__ = ["push", "synchronize", "synchronize_oci"]
