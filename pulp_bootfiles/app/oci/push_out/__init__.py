"""Push a repository version's netboot OCI artifacts to an external registry."""
