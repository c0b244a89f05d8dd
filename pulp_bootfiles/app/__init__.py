from pulpcore.plugin import PulpPluginAppConfig

from pulp_bootfiles.app import model_hooks


class PulpBootfilesPluginAppConfig(PulpPluginAppConfig):
    """Entry point for the pulp_bootfiles plugin."""

    name = "pulp_bootfiles.app"
    label = "bootfiles"
    version = "0.1.0.dev1"
    python_package_name = "pulp-bootfiles"
    domain_compatible = True

    def ready(self):
        super().ready()
        # Imported here: Django loads this module before any model, and these modules use the
        # models. What the models' hooks run is registered once the models are loaded
        # (`model_hooks` says why the models do not import it).
        from pulp_bootfiles.app import version_rules
        from pulp_bootfiles.app.serving import handler

        model_hooks.register(
            finalize_new_version=version_rules.finalize_new_version,
            content_handler=handler.answer,
        )

    def import_replicators(self):
        """Ours, and pulp_container's made to leave bootfiles distributions to ours."""
        super().import_replicators()
        # Imported here: Django loads this module before any model (pulpcore calls this once
        # the models are loaded).
        from pulp_bootfiles.app.replica import keep_container_replication_off_bootfiles

        keep_container_replication_off_bootfiles()
