Sync the network-install files of a Fedora-style tree (x86_64, aarch64, ppc64le, s390x) into a
bootfiles repository: the `.treeinfo` images and stage2 image, checked against their sha256, and
the bootloaders (shim, grub, pxelinux) extracted from the newest RPM packages of the tree's
repository. New REST endpoints for bootfiles remotes, repositories (with `sync/`), files and trees.
