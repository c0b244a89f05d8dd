from pulpcore.plugin import PulpPluginAppConfig


class PulpBootfilesPluginAppConfig(PulpPluginAppConfig):
    """Entry point for the pulp_bootfiles plugin."""

    name = "pulp_bootfiles.app"
    label = "bootfiles"
    version = "0.1.0.dev0"
    python_package_name = "pulp-bootfiles"
    domain_compatible = True
