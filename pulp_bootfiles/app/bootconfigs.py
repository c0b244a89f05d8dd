"""Boot configs (iPXE, GRUB, PXELINUX) generated for one served tree; pure, no Django.

Each config boots the tree's kernel and initrd and pins the installer to the same tree with
`inst.stage2=<tree URL>` (anaconda reads the stage2 image's path from that tree's `.treeinfo`),
so the files a machine boots always come from one tree.

- `boot.ipxe` fetches the kernel and initrd over HTTP by absolute URL.
- `grub.cfg` fetches them over HTTP by absolute URL when the GRUB can (it has the http module
  and reaches Pulp), else reads the artifact's flat file names from the TFTP root it was
  loaded from (signed distribution GRUBs such as Debian's network GRUB have no HTTP).
- `pxelinux.cfg/default` (trees with pxelinux.0 and ldlinux.c32) reads the artifact's flat
  file names from the TFTP root, as pxelinux.0 only speaks TFTP.

The same `grub.cfg` is also served beside each GRUB binary of the tree
(`boot/efi/EFI/fedora/grub.cfg`): a GRUB loaded by UEFI HTTP boot reads its config from its
own directory.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

IPXE = "boot.ipxe"
GRUB = "grub.cfg"
PXELINUX = "pxelinux.cfg/default"
CONFIG_NAMES = (IPXE, GRUB, PXELINUX)

# Flat names (OCI titles) of the images a config boots, and of pxelinux's own files.
KERNEL_NAMES = ("vmlinuz", "kernel.img")
INITRD_NAME = "initrd.img"
PXELINUX_FILES = ("pxelinux.0", "ldlinux.c32")
# GRUB binaries (grubx64.efi, grubaa64.efi): their directories get a grub.cfg too.
_GRUB_BINARY = re.compile(r"grub[a-z0-9]*\.efi")

# Characters allowed in extra kernel arguments: they are written unquoted into iPXE, GRUB and
# PXELINUX syntax, where newlines, quotes, `$`, `;`, `{`, `}` and `#` would change the config.
_KERNEL_ARGS = re.compile(r"[A-Za-z0-9 ._,:/=+@%~?&\[\]-]*")

# Words GRUB's lexer reads as they are; others (`&`, `?`, `[`) go in single quotes.
_GRUB_PLAIN = re.compile(r"[A-Za-z0-9._,:/=+@%~-]*")

# Menu titles go into quoted config strings: keep them plain.
_TITLE_UNSAFE = re.compile(r"[^A-Za-z0-9 ._+()-]")

# `<release>/<arch>/<config name>`, or `<release>/<arch>/<directory>/grub.cfg`.
_CONFIG_PATH = re.compile(
    r"([^/]+)/([^/]+)/(" + "|".join(map(re.escape, CONFIG_NAMES)) + r"|[^?#]+/" + GRUB + ")"
)


def check_kernel_args(kernel_args: str) -> str:
    """Return `kernel_args` if it can be written into every config; else raise ValueError."""
    if "&&" in kernel_args:  # iPXE's command separator
        raise ValueError("kernel arguments may not contain '&&'")
    if not _KERNEL_ARGS.fullmatch(kernel_args):
        bad = sorted({char for char in kernel_args if not _KERNEL_ARGS.fullmatch(char)})
        raise ValueError(
            f"kernel arguments may not contain {''.join(bad)!r}: only letters, digits, spaces "
            "and ._,:/=+@%~?&[]- are written into the boot configs"
        )
    return " ".join(kernel_args.split())


def parse_config_path(path: str) -> tuple[str, str, str] | None:
    """(release, arch, config path in the tree) of a path under a base path that may name a
    config, or None. Whether a `<directory>/grub.cfg` exists depends on the tree's files."""
    match = _CONFIG_PATH.fullmatch(path)
    return match.groups() if match else None


def grub_directories(files) -> set[str]:
    """Directories (paths in the tree) that hold a GRUB binary, from {flat name: path}."""
    return {
        path.rpartition("/")[0]
        for name, path in files.items()
        if _GRUB_BINARY.fullmatch(name) and "/" in path
    }


def listed_configs(rel_path: str, files_of) -> set[str]:
    """Entries the configs add to the directory listing of `rel_path` ("40/x86_64/").

    `files_of(release, arch)` gives the served tree's {flat name: path in the tree}, or None
    when no such tree is served; it is called only below a release and arch.
    """
    parts = rel_path.rstrip("/").split("/")
    if len(parts) < 2 or not rel_path.endswith("/"):
        return set()
    files = files_of(*parts[:2])
    if files is None:
        return set()
    directory = "/".join(parts[2:])
    pxelinux = all(name in files for name in PXELINUX_FILES)
    if not directory:
        return {IPXE, GRUB, "pxelinux.cfg/"} if pxelinux else {IPXE, GRUB}
    if directory == "pxelinux.cfg" and pxelinux:
        return {"default"}
    return {GRUB} if directory in grub_directories(files) else set()


def tree_url(origin: str, path_prefix: str, base_path: str, release: str, arch: str) -> str:
    """Absolute URL of a served tree's root (the directory of its `.treeinfo`), no final slash."""
    prefix = "/" + path_prefix.strip("/")
    return f"{origin.rstrip('/')}{prefix}/{base_path.strip('/')}/{release}/{arch}"


@dataclass(frozen=True)
class TreeBoot:
    """What a config needs to know about one served tree.

    Fields:
        url: Absolute URL of the tree root, without a final slash.
        title: Menu title ("Fedora 40 x86_64").
        kernel, initrd: Paths of the images in the tree ("images/pxeboot/vmlinuz").
        kernel_name, initrd_name: Their flat names in the OCI artifact ("vmlinuz").
        has_pxelinux: Whether the tree has pxelinux.0 and ldlinux.c32.
        grub_dirs: Directories of the tree's GRUB binaries, which get a grub.cfg too.
        kernel_args: Extra kernel arguments, already checked by `check_kernel_args`.
    """

    url: str
    title: str
    kernel: str
    initrd: str
    kernel_name: str
    initrd_name: str
    has_pxelinux: bool
    grub_dirs: frozenset[str] = frozenset()
    kernel_args: str = ""

    @classmethod
    def from_files(cls, url, title, files, kernel_args=""):
        """Describe a tree from its files, {flat name: path in the tree} (bootloaders too).

        Returns None for a tree without a kernel or initrd (nothing a config could boot).
        """
        kernel_name = next((name for name in KERNEL_NAMES if name in files), None)
        if kernel_name is None or INITRD_NAME not in files:
            return None
        return cls(
            url=url,
            title=_TITLE_UNSAFE.sub("", title),
            kernel=files[kernel_name],
            initrd=files[INITRD_NAME],
            kernel_name=kernel_name,
            initrd_name=INITRD_NAME,
            has_pxelinux=all(name in files for name in PXELINUX_FILES),
            grub_dirs=frozenset(grub_directories(files)),
            kernel_args=check_kernel_args(kernel_args),
        )

    @property
    def cmdline(self) -> str:
        """Kernel arguments after the kernel: the installer pinned to this tree, then extras."""
        return " ".join(filter(None, [f"inst.stage2={self.url}", self.kernel_args]))


def render(name: str, boot: TreeBoot) -> str | None:
    """The config at `name` (a path in the tree from `parse_config_path`) for a tree; None if
    the tree has no such config."""
    if name == IPXE:
        return render_ipxe(boot)
    if name == GRUB:
        return render_grub(boot)
    if name == PXELINUX:
        return render_pxelinux(boot) if boot.has_pxelinux else None
    directory, _, base = name.rpartition("/")
    if base == GRUB:
        return render_grub(boot) if directory in boot.grub_dirs else None
    raise ValueError(f"unknown boot config {name!r}; use one of {list(CONFIG_NAMES)}")


def render_ipxe(boot: TreeBoot) -> str:
    # `initrd=<name>` lets an EFI kernel's stub find the initrd iPXE loaded under that name.
    return (
        "#!ipxe\n"
        f"# {boot.title}: generated by Pulp from the repository version it serves.\n"
        f"kernel {boot.url}/{boot.kernel} initrd={boot.initrd_name} {boot.cmdline}\n"
        f"initrd --name {boot.initrd_name} {boot.url}/{boot.initrd}\n"
        "boot\n"
    )


def grub_http_path(url: str) -> str:
    """GRUB's name for a plain-HTTP URL: `(http,host:port)/path`."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise ValueError(f"GRUB fetches only plain http:// URLs, not {url}")
    return f"(http,{parts.netloc}){parts.path}"


def grub_words(cmdline: str) -> str:
    """Kernel arguments as GRUB words: single-quoted where GRUB's lexer would split them
    (checked arguments hold no quote)."""
    return " ".join(w if _GRUB_PLAIN.fullmatch(w) else f"'{w}'" for w in cmdline.split())


def render_grub(boot: TreeBoot) -> str:
    if boot.url.startswith("http://"):
        tree = grub_http_path(boot.url)
        # `[ -f ]` is false where GRUB has no http module or cannot reach Pulp.
        source = (
            f"  set kernel=/{boot.kernel_name}\n"
            f"  set initrd=/{boot.initrd_name}\n"
            f"  if [ -f {tree}/{boot.kernel} ]; then\n"
            f"    set kernel={tree}/{boot.kernel}\n"
            f"    set initrd={tree}/{boot.initrd}\n"
            "  fi\n"
        )
    else:  # GRUB has no https: only the TFTP root can serve the files
        source = f"  set kernel=/{boot.kernel_name}\n  set initrd=/{boot.initrd_name}\n"
    return (
        f"# {boot.title}: generated by Pulp from the repository version it serves.\n"
        "# The kernel and initrd come from Pulp over HTTP where this GRUB can fetch them,\n"
        "# else from the TFTP root GRUB was loaded from (the tree's OCI artifact, flat names).\n"
        "set default=0\n"
        "set timeout=1\n"
        f"menuentry '{boot.title}' --id pulp-bootfiles {{\n"
        f"{source}"
        f"  echo 'Loading {boot.title} from' $kernel\n"
        f"  linux $kernel {grub_words(boot.cmdline)}\n"
        "  initrd $initrd\n"
        "}\n"
    )


def render_pxelinux(boot: TreeBoot) -> str:
    return (
        f"# {boot.title}: generated by Pulp from the repository version it serves.\n"
        "# Paths are relative to pxelinux.0's directory: the tree's OCI artifact, flat names.\n"
        "DEFAULT pulp-bootfiles\n"
        "PROMPT 0\n"
        "TIMEOUT 10\n"
        "LABEL pulp-bootfiles\n"
        f"  MENU LABEL {boot.title}\n"
        f"  KERNEL {boot.kernel_name}\n"
        f"  APPEND initrd={boot.initrd_name} {boot.cmdline}\n"
    )
