Content between servers: a bootfiles OCI remote (`remotes/bootfiles/oci/`) syncs netboot OCI
artifacts from a registry (another Pulp, quay, docker-registry), checking every spec rule and
naming the tag and rule it refuses; Pulp-to-Pulp syncs give byte-identical manifests; a pulpcore
replicator for bootfiles distributions; `repositories/bootfiles/bootfiles/<id>/push/` pushes a
version's manifests, indexes, tags and blobs (streamed) to an external registry.
