"""One repodata scan in a process of its own, for bench_scan; prints a JSON line.

    python -m benchmarks.scan_child {bootfiles|createrepo_c|createrepo_c-nofiles} PRIMARY ARCH

The peak RSS of the scan alone: the parser is imported first, then the kernel's peak counter
is reset (`5` into /proc/self/clear_refs) and VmHWM read after the scan, minus VmRSS before it.
"""

import json
import sys
import time

NAMES = {
    "x86_64": {"shim-x64", "grub2-efi-x64", "syslinux-tftpboot"},
    "aarch64": {"shim-aa64", "grub2-efi-aa64"},
}


def _status_kb(key: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key):
                return int(line.split()[1])
    raise KeyError(key)


def scan_bootfiles(path: str, names: set, arches: set) -> dict:
    """The plugin's scan, as its sync runs it (bootloaders.BootloaderSource._scan_primary)."""
    from pulp_bootfiles.app.formats import compression, repodata

    with open(path, "rb") as compressed:
        stream = compression.open_decompressed(compressed, path)
        found = repodata.newest_packages(stream, names, arches, path)
    return {name: entry.nevra for name, entry in found.items()}


def scan_createrepo_c(path: str, names: set, arches: set, do_files: bool) -> dict:
    """createrepo_c's C parser over the same file; the callback keeps the newest wanted ones."""
    import createrepo_c as cr

    from pulp_bootfiles.app.formats.evr import compare_evr

    newest = {}

    def package(pkg):
        if pkg.name in names and pkg.arch in arches:
            evr = (int(pkg.epoch or 0), pkg.version, pkg.release)
            best = newest.get(pkg.name)
            if best is None or compare_evr(evr, best[0]) > 0:
                newest[pkg.name] = (evr, pkg.nevra())
        return True

    cr.xml_parse_primary(path, pkgcb=package, do_files=do_files)
    return {name: nevra for name, (_evr, nevra) in newest.items()}


def main(argv):
    which, path, arch = argv
    names, arches = NAMES[arch], {arch, "noarch"}
    if which == "bootfiles":
        from pulp_bootfiles.app.formats import compression, repodata  # noqa: F401

        def scan():
            return scan_bootfiles(path, names, arches)
    else:
        import createrepo_c  # noqa: F401

        from pulp_bootfiles.app.formats import evr  # noqa: F401

        def scan():
            return scan_createrepo_c(path, names, arches, which == "createrepo_c")

    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    before = _status_kb("VmRSS:")
    start = time.perf_counter()
    found = scan()
    elapsed = time.perf_counter() - start
    peak = _status_kb("VmHWM:")
    print(
        json.dumps({"seconds": elapsed, "rss_before_kb": before, "peak_kb": peak, "found": found})
    )


if __name__ == "__main__":
    main(sys.argv[1:])
