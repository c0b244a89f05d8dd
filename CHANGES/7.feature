Bootfiles distributions serve a repository (version) as netboot OCI artifacts through Pulp's
container registry (`<registry>/<base_path>:40-amd64` per arch, `:40` index) and as plain files
under `/pulp/content/<base_path>/<release>/<arch>/`, from one name. The OCI side is built with
every repository version, reusing the synced Artifacts.
