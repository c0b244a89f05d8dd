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

Every value is written in the syntax of its config (the paths are checked at sync, but the
configs do not rely on it). URLs are percent-encoded, so whitespace, quotes, `;`, `$`, `#` and
braces never reach a config in one. Then, per language:
- iPXE splits a line at whitespace, ends a command at a `||`, `&&` or `;` word, starts a
  comment at a word beginning with `#` and expands `${...}` anywhere; it has no quoting, so a
  word that would be read so is refused (`ipxe_word`).
- GRUB lexes like a shell: a word that is not plain is single-quoted, a quote in it written
  as `'\''` (`grub_word`).
- PXELINUX reads a directive to the end of its line and APPEND splits at whitespace: a value
  may hold neither (`pxelinux_word`).
"""

import re
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

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

# Words GRUB's lexer (grub-core/script/yylex.l) reads as they are, a subset of its plain
# characters (not `{}|&$;<>'"\`, blanks, newlines, nor `#` starting a comment); others (`&`,
# `?`, `[`) go in single quotes.
_GRUB_PLAIN = re.compile(r"[A-Za-z0-9._,:/=+@%~()-]+")

# A host (name, IPv4 or [IPv6]) and port, as GRUB's http module takes it.
_HOST = re.compile(r"[A-Za-z0-9.\[\]:-]+")

# Characters a URL path keeps as they are (besides letters, digits and `_.-~`); the rest is
# percent-encoded.
_URL_PATH_SAFE = "/+@,="

# What iPXE's command line reads as syntax in a word: whitespace, a settings expansion, a
# comment; and the words that end a command.
_IPXE_SYNTAX = re.compile(r"\s|\$\{|^#")
_IPXE_TERMINATORS = ("||", "&&", ";")

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


# The per-machine names boot loaders probe before the shared config, which no version ever
# serves: GRUB's `grub.cfg-01-<mac>` and `grub.cfg-<hex IP, shortened>` (beside any file), and
# everything in `pxelinux.cfg/` but `default` (PXELINUX's `<uuid>`, `01-<mac>`, hex IP).
# The pattern is also what a front proxy may answer itself (docs/admin/sizing.md).
PROBE_NAME_PATTERN = (
    r"(?:grub\.cfg-01-[0-9a-fA-F]{2}(?:-[0-9a-fA-F]{2})+|grub\.cfg-[0-9A-Fa-f]{1,8}"
    r"|pxelinux\.cfg/(?!default$)[^/]+)"
)
_PROBE_MISS = re.compile(rf"(?:.*/)?{PROBE_NAME_PATTERN}")


def is_probe_miss(path: str) -> bool:
    """
    Whether `path` (under a base path) is a per-machine config name a loader probes: these
    names are the plugin's, answered 404 whatever the served version holds, so the answer may
    be cached across versions (a rack of machines probes about ten of them each).
    """
    return bool(_PROBE_MISS.fullmatch(path))


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
    path = f"/{path_prefix.strip('/')}/{base_path.strip('/')}/{release}/{arch}"
    return f"{origin.rstrip('/')}{url_path(path)}"


def url_path(path: str) -> str:
    """A path (in the tree, or of a URL) percent-encoded for a URL."""
    return quote(path, safe=_URL_PATH_SAFE)


def ipxe_word(value: str) -> str:
    """`value` as one iPXE word, which iPXE passes on as it is; ValueError if iPXE would read
    syntax in it (iPXE has no quoting)."""
    if not value or _IPXE_SYNTAX.search(value) or value in _IPXE_TERMINATORS:
        raise ValueError(f"{value!r} cannot be written into an iPXE script as one word")
    return value


def grub_word(value: str) -> str:
    """`value` as one GRUB word: as it is when plain, else single-quoted."""
    if _GRUB_PLAIN.fullmatch(value):
        return value
    return "'" + value.replace("'", "'\\''") + "'"


def pxelinux_word(value: str) -> str:
    """`value` as one word of a PXELINUX directive; ValueError if it holds whitespace or a
    control character (PXELINUX has no quoting)."""
    if not value or re.search(r"[\s\x00-\x1f\x7f]", value):
        raise ValueError(f"{value!r} cannot be written into a PXELINUX config as one word")
    return value


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
    def cmdline(self) -> tuple[str, ...]:
        """Kernel arguments after the kernel, one word each: the installer pinned to this
        tree, then the extras."""
        return (f"inst.stage2={self.url}", *self.kernel_args.split())


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
    kernel = ipxe_word(f"{boot.url}/{url_path(boot.kernel)}")
    initrd = ipxe_word(f"{boot.url}/{url_path(boot.initrd)}")
    name = ipxe_word(boot.initrd_name)
    args = " ".join(map(ipxe_word, boot.cmdline))
    return (
        "#!ipxe\n"
        f"# {boot.title}: generated by Pulp from the repository version it serves.\n"
        f"kernel {kernel} initrd={name} {args}\n"
        f"initrd --name {name} {initrd}\n"
        "boot\n"
    )


def is_plain_host(netloc: str) -> bool:
    """A host[:port] every config can name as it is (no userinfo, blanks or syntax)."""
    return bool(_HOST.fullmatch(netloc))


def grub_http_path(url: str) -> str:
    """GRUB's name for a plain-HTTP URL: `(http,host:port)/path`."""
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise ValueError(f"GRUB fetches only plain http:// URLs, not {url}")
    # GRUB splits a variable's value at blanks when it expands it (`linux $kernel`).
    if not is_plain_host(parts.netloc):
        raise ValueError(f"{parts.netloc!r} is not a host[:port] GRUB can fetch from")
    return f"(http,{parts.netloc}){parts.path}"


def grub_words(words) -> str:
    """Words (kernel arguments) for GRUB, each quoted where GRUB's lexer would read syntax."""
    return " ".join(map(grub_word, words))


def render_grub(boot: TreeBoot) -> str:
    tftp_kernel, tftp_initrd = grub_word(f"/{boot.kernel_name}"), grub_word(f"/{boot.initrd_name}")
    if boot.url.startswith("http://"):
        tree = grub_http_path(boot.url)
        kernel = grub_word(f"{tree}/{url_path(boot.kernel)}")
        initrd = grub_word(f"{tree}/{url_path(boot.initrd)}")
        # `[ -f ]` is false where GRUB has no http module or cannot reach Pulp.
        source = (
            f"  set kernel={tftp_kernel}\n"
            f"  set initrd={tftp_initrd}\n"
            f"  if [ -f {kernel} ]; then\n"
            f"    set kernel={kernel}\n"
            f"    set initrd={initrd}\n"
            "  fi\n"
        )
    else:  # GRUB has no https: only the TFTP root can serve the files
        source = f"  set kernel={tftp_kernel}\n  set initrd={tftp_initrd}\n"
    return (
        f"# {boot.title}: generated by Pulp from the repository version it serves.\n"
        "# The kernel and initrd come from Pulp over HTTP where this GRUB can fetch them,\n"
        "# else from the TFTP root GRUB was loaded from (the tree's OCI artifact, flat names).\n"
        "set default=0\n"
        "set timeout=1\n"
        f"menuentry {grub_word(boot.title)} --id pulp-bootfiles {{\n"
        f"{source}"
        f"  echo {grub_word(f'Loading {boot.title} from')} $kernel\n"
        f"  linux $kernel {grub_words(boot.cmdline)}\n"
        "  initrd $initrd\n"
        "}\n"
    )


def render_pxelinux(boot: TreeBoot) -> str:
    args = " ".join(map(pxelinux_word, boot.cmdline))
    return (
        f"# {boot.title}: generated by Pulp from the repository version it serves.\n"
        "# Paths are relative to pxelinux.0's directory: the tree's OCI artifact, flat names.\n"
        "DEFAULT pulp-bootfiles\n"
        "PROMPT 0\n"
        "TIMEOUT 10\n"
        "LABEL pulp-bootfiles\n"
        f"  MENU LABEL {boot.title}\n"
        f"  KERNEL {pxelinux_word(boot.kernel_name)}\n"
        f"  APPEND initrd={pxelinux_word(boot.initrd_name)} {args}\n"
    )
