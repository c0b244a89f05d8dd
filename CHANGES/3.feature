A pulp-cli plugin (`pulp-cli-bootfiles`, in `cli/`): `pulp bootfiles remote|repository|distribution|content`
commands, with `repository sync` following the task and `distribution show` printing the OCI
references and the plain-HTTP base URL.
