"""
The OCI side of bootfiles repositories, named by which way the bytes go.

- `trees`: the BootFiles and BootTree a checked netboot artifact gives (synced or pushed in).
- `content`, `blobs`: a version's trees as pulp_container Tags, Manifests and Blobs (the Blobs
  reuse the BootFiles' Artifacts), which pulp_container's registry serves.
- `sync_in/`: a sync pulls netboot artifacts from a registry into Pulp (BootfilesOCIRemote).
- `push_in/`: a pipeline pushes netboot artifacts into Pulp through pulp_container's registry.
- `push_out/`: Pulp pushes a version's artifacts out to an external registry.
"""
