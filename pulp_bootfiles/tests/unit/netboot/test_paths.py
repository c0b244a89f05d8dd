"""The safe relative path rule, on real paths and on paths made to escape or inject."""

import pytest
from pulp_glue.bootfiles.netboot.paths import path_problem


@pytest.mark.parametrize(
    "path",
    [
        "images/pxeboot/vmlinuz",
        "images/install.img",
        "ppc/ppc64/vmlinuz",
        "images/initrd.addrsize",
        "LiveOS/squashfs.img",
        "EFI/BOOT/BOOTX64.EFI",
        "BaseOS",
        # Fedora and openSUSE package file names: + in names and versions, ~ and ^ in versions
        "Packages/l/libstdc++-14.0.1-0.15.fc40.x86_64.rpm",
        "Packages/g/gtk+-2.24.33-18.fc40.x86_64.rpm",
        "Packages/f/foo-1.0~rc1-1.fc40.noarch.rpm",
        "Packages/g/golang-x-sys-0^20240101git1a2b3c-1.fc40.noarch.rpm",
        "x86_64/grub2-x86_64-efi-2.12-1.1+git20240101.x86_64.rpm",
        "Packages/a/a@b,c=d_e.rpm",
    ],
)
def test_real_paths_are_safe(path):
    assert path_problem(path) is None


@pytest.mark.parametrize(
    "path, problem",
    [
        ("", "is empty"),
        ("images/../../etc/passwd", "has a '..' component"),
        ("/etc/passwd", "is absolute"),
        ("http://elsewhere.invalid/vmlinuz", "is a URL, not a relative path"),
        ("//elsewhere.invalid/vmlinuz", "is a URL, not a relative path"),
        ("images\\vmlinuz", "contains a backslash"),
        ("images/vmlinuz\n", "contains a control character"),
        ("images//vmlinuz", "has an empty path component"),
        ("images/./vmlinuz", "has a '.' component"),
        # percent-encoded dot segments: an HTTP client decodes them and leaves the tree
        (
            "images/%2e%2e/%2e%2e/%2e%2e/outside/X.img",
            "has a '..' component once percent-decoded ('images/../../../outside/X.img')",
        ),
        ("images/%2E%2e/x", "has a '..' component once percent-decoded"),
        ("images/.%2e/x", "has a '..' component once percent-decoded"),
        ("images/%2e/x", "has a '.' component once percent-decoded"),
        ("images%2f..%2fx", "has a '..' component once percent-decoded"),
        ("%2fetc/passwd", "is absolute once percent-decoded"),
        ("images/x%00.img", "contains a control character once percent-decoded"),
        ("images/%ff.img", "is percent-encoded"),
        ("Packages/foo%2bbar.rpm", "is percent-encoded; paths must name the file as it is"),
        ("images/%252e%252e/x", "is percent-encoded"),
        ("images/50%.img", "contains '%'"),
        # a query or fragment would be fetched and served as part of the file name
        ("images/pxeboot/vmlinuz?raw", "has a query string ('?')"),
        ("images/pxeboot/vmlinuz#frag", "has a fragment ('#')"),
        # config syntax: GRUB's `;`, `$`, quotes, braces, iPXE's `${...}`, whitespace
        (
            "images/x;source (http,10.0.0.1:80)/pwn.cfg;y/vmlinuz",
            "contains ' ():;'; paths may only hold letters, digits, '/' and '._+~^@,=-'",
        ),
        ("images/${root}/vmlinuz", "contains '${}'"),
        ("images/it's", 'contains "\'"'),
        ('images/"x"', "contains '\"'"),
        ("images/a b", "contains ' '"),
        ("images/a\tb", "contains a control character"),
        ("images/a|b&c<d>e", "contains '&<>|'"),
        ("images/`id`", "contains '`'"),
        ("images/[x]*", "contains '*[]'"),
        ("images/café", "contains 'é'"),
        ("images/vmlinuz:1", "contains ':'"),
    ],
)
def test_unsafe_paths_are_refused(path, problem):
    found = path_problem(path)
    assert found is not None and found.startswith(problem), found
