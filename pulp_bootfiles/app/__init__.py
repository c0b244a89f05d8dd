from pulpcore.plugin import PulpPluginAppConfig


class PulpBootfilesPluginAppConfig(PulpPluginAppConfig):
    """Entry point for the pulp_bootfiles plugin."""

    name = "pulp_bootfiles.app"
    label = "bootfiles"
    version = "0.1.0.dev1"
    python_package_name = "pulp-bootfiles"
    domain_compatible = True

    def import_replicators(self):
        """Ours, and pulp_container's made to leave bootfiles distributions to ours."""
        super().import_replicators()
        from pulp_bootfiles.app.replica import keep_container_replication_off_bootfiles

        keep_container_replication_off_bootfiles()
