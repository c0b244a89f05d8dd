`pulp bootfiles pull` writes the same GRUB and PXELINUX configs the server serves (read from
the TFTP root), and reads tags as the server does: a release tag names an index, a
`<release>-<goarch>` tag a manifest; other tags (such as `latest`) are refused with the rule.
