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

from pulp_glue.bootfiles.netboot import bootconfigs
from pulp_glue.bootfiles.netboot.bootconfigs import GRUB, GRUB_BINARY, PXELINUX, TreeBoot
from pulp_glue.bootfiles.pull.reading import Pulled

LAYOUTS = ("flat", "tftp", "foreman", "nboci")
SHIM_BINARY = re.compile(r"shim[a-z0-9]*\.efi")


@dataclass
class Plan:
    depth: int
    files: dict = field(default_factory=dict)  # path -> NetbootFile
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
    return Plan(depth=1, files=item.titles())


def _tftp(item: Pulled, stage2: str, kernel_args: str) -> Plan:
    result = _flat(item)
    titles = item.titles()
    title = f"{item.os_name.capitalize()} {item.release} {item.arch}"
    # The configs the server renders for a tree, reading the images by their flat names from
    # the TFTP root (the same server rule for the kernel arguments).
    boot = TreeBoot.from_files(
        _stage2(stage2 or item.manifest.tree_url),
        title,
        {name: name for name in titles},  # all in the TFTP root
        kernel_args,
        over_http=False,
        made_by=bootconfigs.PULLED,
    )
    if boot is None:
        raise LayoutError(
            f"manifest {item.manifest.digest} has no kernel "
            f"({' or '.join(bootconfigs.KERNEL_NAMES)}) or no {bootconfigs.INITRD_NAME}: "
            "nothing a TFTP root could boot"
        )
    if boot.has_pxelinux:
        result.texts[PXELINUX] = bootconfigs.render_pxelinux(boot)
    if any(GRUB_BINARY.fullmatch(name) for name in titles):
        config = bootconfigs.render_grub(boot)
        result.texts[GRUB] = config
        result.texts[f"grub/{GRUB}"] = config
    for path in result.texts:
        if path.split("/")[0] in titles:
            raise LayoutError(f"layer {path.split('/')[0]!r} clashes with the generated {path}")
    return result


def _stage2(url: str) -> str:
    """A tree URL to write as `inst.stage2=`: one word, of the characters kernel arguments
    may hold (the server writes only URLs it percent-encoded itself)."""
    if any(char.isspace() for char in url):
        raise ValueError(f"the stage2 URL {url!r} holds a blank")
    try:
        return bootconfigs.check_kernel_args(url)
    except ValueError as exc:
        raise ValueError(f"the stage2 URL {url!r}: {exc}") from exc


# Links beside the files: {link name: pattern of the title it points to}.
_FOREMAN_LINKS = {"boot.efi": GRUB_BINARY, "boot-sb.efi": SHIM_BINARY}
_NBOCI_LINKS = {
    "boot": SHIM_BINARY,
    "boot-alt": GRUB_BINARY,
    "boot-legacy": re.compile(r"pxelinux\.0"),
}


def _arch_dirs(pulled: list, prefix: str, link_patterns: dict) -> Plan:
    base = [part for part in prefix.split("/") if part]
    result = Plan(depth=len(base) + 3)
    for item in pulled:
        directory = "/".join([*base, item.os_name, item.release, item.arch])
        titles = item.titles()
        for title, layer in titles.items():
            result.files[f"{directory}/{title}"] = layer
        for link, pattern in link_patterns.items():
            target = next((title for title in sorted(titles) if pattern.fullmatch(title)), None)
            if target is not None:
                if link in titles:
                    raise LayoutError(f"layer {link!r} clashes with the {link} link")
                result.links[f"{directory}/{link}"] = target
    return result
