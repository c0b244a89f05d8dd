"""
Pushes into a bootfiles distribution through pulp_container's registry.

A release pipeline pushes its netboot artifact (oras, `skopeo copy --all`, `podman manifest
push --all`) to `<registry>/<base_path>`; pulp_container receives the blobs and manifests as
for any container repository. What this package adds:

- `rules`: which pushed tags a bootfiles distribution takes (the netboot v1 spec, with the
  spec's tags) and the trees they give; pure, over manifest bytes.
- `views` and `middleware`: the manifest PUT checks those rules before pulp_container stores
  the tag, so a pipeline gets the OCI error MANIFEST_INVALID naming the rule.
- `importing`: when pulp_container's task adds the pushed tag to the repository, the new version
  gets the BootFiles and BootTrees of the artifact (plain files and boot configs follow), and
  its OCI side keeps the pushed manifests byte for byte (`BootTree.manifest_digest`).
"""
