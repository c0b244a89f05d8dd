"""Sync netboot OCI artifacts from a registry into a bootfiles repository."""
