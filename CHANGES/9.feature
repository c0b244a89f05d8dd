Chain of trust: a remote's `openpgp_keys` make sync verify each bootloader package's header
signature and payload digests (pysequoia) and refuse unsigned, foreign-signed or altered ones;
BootFiles record the verified `signing_key_id` and their SBAT (`sbat`, `sbat_revoked` for shims
revoked by SbatLevel 2024010900, plus a task warning); trees record `source_url` and
`kernel_version`, and manifests carry them as annotations; repositories take pulp_container's
`sign` action with a ManifestSigningService, verified by skopeo `signedBy` policies.
See docs/user/chain-of-trust.md.
