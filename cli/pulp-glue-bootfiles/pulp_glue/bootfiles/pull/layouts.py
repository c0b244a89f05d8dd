"""Where each file of the pulled artifacts goes in DEST, per layout.

- `flat`: the titles, as `oras pull` writes them (one arch).
- `tftp`: the titles plus `pxelinux.cfg/default` (with pxelinux.0 and ldlinux.c32) and a
  `grub.cfg` beside GRUB and in `grub/` (where GRUBs built with a `/grub` prefix look): a
  TFTP/HTTP root that boots as it is (one arch).
- `foreman`: Foreman's bootloader universe, `bootloader-universe/pxegrub2/<os>/<release>/<arch>/`
  with `boot.efi` (GRUB) and `boot-sb.efi` (shim) links, as its smart proxy lays it out.
- `nboci`: osbuild/nboci's `<os>/<release>/<arch>/` with `boot` (shim), `boot-alt` (GRUB) and
  `boot-legacy` (pxelinux.0) links.

`depth` is how many path components of a layout DEST holds as links into the current set:
the names below it belong to the set and switch with it; directories above it (Foreman's
`bootloader-universe/pxegrub2/`) are shared with whatever else lives there.
"""

import re
from dataclasses import dataclass, field

from pulp_glue.bootfiles.pull import bootconfig
from pulp_glue.bootfiles.pull.artifact import TREE_URL

LAYOUTS = ("flat", "tftp", "foreman", "nboci")


@dataclass(frozen=True)
class Pulled:
    """One per-arch manifest with what its index says about it."""

    arch: str
    os_name: str
    release: str
    manifest: object  # artifact.Manifest


@dataclass
class Plan:
    depth: int
    files: dict = field(default_factory=dict)  # path -> Layer
    links: dict = field(default_factory=dict)  # path -> relative target in the same directory
    texts: dict = field(default_factory=dict)  # path -> generated text

    def paths(self):
        return [*self.files, *self.links, *self.texts]


class LayoutError(ValueError):
    """The artifacts cannot be laid out so; the message says why."""


def plan(layout: str, pulled: list, stage2: str = "", kernel_args: str = "") -> Plan:
    if layout in ("flat", "tftp"):
        if len(pulled) != 1:
            arches = ", ".join(item.arch for item in pulled)
            raise LayoutError(
                f"the {layout} layout holds one architecture; the index lists {arches}: "
                "choose one with --arch"
            )
        return _flat(pulled[0]) if layout == "flat" else _tftp(pulled[0], stage2, kernel_args)
    if layout == "foreman":
        return _arch_dirs(pulled, "bootloader-universe/pxegrub2", _FOREMAN_LINKS)
    if layout == "nboci":
        return _arch_dirs(pulled, "", _NBOCI_LINKS)
    raise LayoutError(f"unknown layout {layout!r}; use one of {', '.join(LAYOUTS)}")


def _flat(item: Pulled) -> Plan:
    return Plan(depth=1, files={layer.title: layer for layer in item.manifest.layers})


def _tftp(item: Pulled, stage2: str, kernel_args: str) -> Plan:
    result = _flat(item)
    titles = item.manifest.titles()
    kernel = bootconfig.kernel_name(titles)
    if kernel is None or bootconfig.INITRD_NAME not in titles:
        raise LayoutError(
            f"manifest {item.manifest.digest} has no kernel "
            f"({' or '.join(bootconfig.KERNEL_NAMES)}) or no {bootconfig.INITRD_NAME}: "
            "nothing a TFTP root could boot"
        )
    title = f"{item.os_name.capitalize()} {item.release} {item.arch}"
    words = bootconfig.cmdline(stage2 or item.manifest.annotations.get(TREE_URL, ""), kernel_args)
    initrd = bootconfig.INITRD_NAME
    if all(name in titles for name in bootconfig.PXELINUX_FILES):
        result.texts["pxelinux.cfg/default"] = bootconfig.pxelinux(title, kernel, initrd, words)
    if any(bootconfig.GRUB_BINARY.fullmatch(name) for name in titles):
        config = bootconfig.grub(title, kernel, initrd, words)
        result.texts["grub.cfg"] = config
        result.texts["grub/grub.cfg"] = config
    for path in result.texts:
        if path.split("/")[0] in titles:
            raise LayoutError(f"layer {path.split('/')[0]!r} clashes with the generated {path}")
    return result


# Links beside the files: {link name: pattern of the title it points to}.
_FOREMAN_LINKS = {"boot.efi": bootconfig.GRUB_BINARY, "boot-sb.efi": bootconfig.SHIM_BINARY}
_NBOCI_LINKS = {
    "boot": bootconfig.SHIM_BINARY,
    "boot-alt": bootconfig.GRUB_BINARY,
    "boot-legacy": re.compile(r"pxelinux\.0"),
}


def _arch_dirs(pulled: list, prefix: str, link_patterns: dict) -> Plan:
    base = [part for part in prefix.split("/") if part]
    result = Plan(depth=len(base) + 3)
    for item in pulled:
        directory = "/".join([*base, item.os_name, item.release, item.arch])
        titles = item.manifest.titles()
        for title, layer in titles.items():
            result.files[f"{directory}/{title}"] = layer
        for link, pattern in link_patterns.items():
            target = next((title for title in sorted(titles) if pattern.fullmatch(title)), None)
            if target is not None:
                if link in titles:
                    raise LayoutError(f"layer {link!r} clashes with the {link} link")
                result.links[f"{directory}/{link}"] = target
    return result
