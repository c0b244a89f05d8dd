pulp-cli commands for what the REST API gained: `pulp bootfiles remote --type oci
create|show|list|update|destroy|label|role` (registry URL and tag patterns checked by the CLI),
`repository sync --remote oci:<name>`, `repository push --remote <oci remote> [--version N]`,
`repository sign` and `--manifest-signing-service` on repository create/update,
`--openpgp-keys @file` on tree remotes, and `--kernel-args` / `--boot-origin` on distributions.
