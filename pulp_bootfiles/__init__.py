"""pulp_bootfiles: network-install files of Fedora-style trees, served as netboot OCI artifacts."""

default_app_config = "pulp_bootfiles.app.PulpBootfilesPluginAppConfig"
