"""Does a tree's boot.iso carry the signed shim and GRUB that its packages give?

Foreman takes a tree's bootloaders either from the packages (what this plugin extracts) or out
of `images/boot.iso`; the two must not disagree silently. A sync that has both compares them,
records the result on the BootTree and warns about every member that differs or is missing.
"""

import logging

from pulpcore.plugin.models import ProgressReport

from pulp_bootfiles.app.formats.iso9660 import member_sha256s

log = logging.getLogger(__name__)

BOOT_ISO_ROLE = "boot.iso"  # the [images-<arch>] key of the image
# {arch: {member of boot.iso: flat name of the package file it must equal}}, as Fedora's
# boot.iso and its shim and GRUB packages name them.
BOOT_ISO_BOOTLOADERS = {
    "x86_64": {"EFI/BOOT/BOOTX64.EFI": "shimx64.efi", "EFI/BOOT/grubx64.efi": "grubx64.efi"},
    "aarch64": {"EFI/BOOT/BOOTAA64.EFI": "shimaa64.efi", "EFI/BOOT/grubaa64.efi": "grubaa64.efi"},
}


def compare(found, counterparts):
    """{member: {"sha256": what boot.iso holds or None, "matches": the counterpart's name when
    its sha256 is the same, else None}} for `found` {member: sha256 or None} and
    `counterparts` {member: BootFile}."""
    return {
        member: {
            "sha256": found.get(member),
            "matches": bootfile.name if found.get(member) == bootfile.sha256 else None,
        }
        for member, bootfile in counterparts.items()
    }


def check_boot_iso(treeinfo, files):
    """(record or None, [warning messages]) for the tree; None when there is nothing to
    compare: no boot.iso, no packaged shim or GRUB, or boot.iso not downloaded (on_demand)."""
    wanted = BOOT_ISO_BOOTLOADERS.get(treeinfo.arch, {})
    packaged = {f.name: f for f in files if f.source_package}
    counterparts = {m: packaged[name] for m, name in wanted.items() if name in packaged}
    iso_paths = {image.path for image in treeinfo.images if image.role == BOOT_ISO_ROLE}
    iso = next((f for f in files if f.relative_path in iso_paths and not f.source_package), None)
    if not counterparts or iso is None:
        return None, []
    content_artifact = iso.contentartifact_set.select_related("artifact").first()
    if content_artifact is None or content_artifact.artifact is None:
        return None, []
    tree = f"tree {treeinfo.family} {treeinfo.release} {treeinfo.arch}"
    try:
        with content_artifact.artifact.file.open("rb") as stream:
            found = member_sha256s(stream, counterparts, iso.relative_path)
    except ValueError as exc:
        record = compare({}, counterparts)
        return record, [f"{tree}: {exc}; its bootloaders cannot be compared with the packages'"]
    record = compare(found, counterparts)
    return record, [
        _message(tree, iso.relative_path, member, result["sha256"], counterparts[member])
        for member, result in record.items()
        if result["matches"] is None
    ]


def _message(tree, iso_path, member, sha256, bootfile):
    held = f"sha256 {sha256}" if sha256 else "nothing"
    return (
        f"{tree}: {iso_path} holds {held} at '{member}', but {bootfile.name} of package "
        f"{bootfile.source_package} is sha256 {bootfile.sha256}; Foreman may take either"
    )


async def warn(messages):
    """A finished progress report per disagreement, so the sync task says so."""
    for message in messages:
        log.warning(message)
        async with ProgressReport(
            message=message, code="sync.warning.boot_iso_bootloaders", total=1
        ) as report:
            await report.aincrement()
