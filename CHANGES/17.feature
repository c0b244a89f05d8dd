A bootfiles OCI remote now syncs what producers publish besides the v1 spec: the Foreman
pipeline's artifacts (podman-written, tags `fedora-40` and `fedora-40-amd64`) and osbuild/nboci's
March 2024 prototype (zstd layers, decompressed and checked against both digests). The new
`formats` field says which formats a remote accepts.
