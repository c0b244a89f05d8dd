"""PXELINUX and GRUB configs for a TFTP root holding one artifact's files by their titles.

The artifact carries no configs (the netboot spec forbids them), so the pull writes them: the
same menu Pulp serves beside a tree (pulp_bootfiles/app/bootconfigs.py), reading the kernel and
initrd from the TFTP root by flat name. The kernel command line is `inst.stage2=<tree URL>`
when one is known (given, or the manifest's `org.pulpproject.netboot.tree.url`), then the
extra arguments.
"""

import re

PXELINUX_FILES = ("pxelinux.0", "ldlinux.c32")
KERNEL_NAMES = ("vmlinuz", "kernel.img")
INITRD_NAME = "initrd.img"
GRUB_BINARY = re.compile(r"grub[a-z0-9]*\.efi")
SHIM_BINARY = re.compile(r"shim[a-z0-9]*\.efi")
# GRUB words read as they are; anything else is single-quoted.
_GRUB_PLAIN = re.compile(r"[A-Za-z0-9._,:/=+@%~()-]+")
_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f]")


def kernel_name(titles) -> str | None:
    return next((name for name in KERNEL_NAMES if name in titles), None)


def cmdline(stage2: str, kernel_args: str) -> list[str]:
    words = [f"inst.stage2={stage2}"] if stage2 else []
    words += kernel_args.split()
    for word in words:
        if re.search(r"[\x00-\x1f\x7f'\"$;{}#\\]", word):
            raise ValueError(f"kernel argument {word!r} cannot be written into a boot config")
    return words


def _plain(value: str, what: str) -> str:
    if not value or _UNSAFE.search(value):
        raise ValueError(f"{what} {value!r} cannot be written into a boot config")
    return value


def pxelinux(title: str, kernel: str, initrd: str, words: list[str]) -> str:
    """`pxelinux.cfg/default`; PXELINUX reads names relative to pxelinux.0's directory."""
    return (
        f"# {title}: written by `pulp bootfiles pull` from the netboot artifact.\n"
        "DEFAULT pulp-bootfiles\nPROMPT 0\nTIMEOUT 10\nLABEL pulp-bootfiles\n"
        f"  MENU LABEL {_plain(title.replace(' ', '_'), 'title')}\n"
        f"  KERNEL {_plain(kernel, 'kernel')}\n"
        f"  APPEND initrd={_plain(initrd, 'initrd')} {' '.join(words)}\n"
    )


def grub_word(value: str) -> str:
    if _GRUB_PLAIN.fullmatch(value):
        return value
    return "'" + value.replace("'", "'\\''") + "'"


def grub(title: str, kernel: str, initrd: str, words: list[str]) -> str:
    """`grub.cfg`; a GRUB loaded over TFTP reads `/name` from the TFTP server's root."""
    return (
        f"# {title}: written by `pulp bootfiles pull` from the netboot artifact.\n"
        "set default=0\nset timeout=1\n"
        f"menuentry {grub_word(title)} --id pulp-bootfiles {{\n"
        f"  linux {grub_word('/' + _plain(kernel, 'kernel'))} "
        f"{' '.join(map(grub_word, words))}\n"
        f"  initrd {grub_word('/' + _plain(initrd, 'initrd'))}\n"
        "}\n"
    )
