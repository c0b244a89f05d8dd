Trees that came as v1 netboot artifacts keep their bytes on every copy: an OCI sync (and so
`replicate`) stores the upstream's manifests and release index as the registry served them
instead of rebuilding them, and a capsule sync from a distribution root gets them, with their
signatures, from `.bootfiles.json`. Capsules, replicas and imports serve the primary's digests,
so a pipeline's signatures verify against them.
