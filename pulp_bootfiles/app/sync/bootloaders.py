"""
Bootloaders from the tree's RPM repository: find the newest package of each name in the
streamed primary metadata, reuse what an earlier sync already extracted from that exact
package, and otherwise download the RPM and pull only the wanted files out of its payload.
"""

import asyncio
import posixpath
from pathlib import Path

from asgiref.sync import sync_to_async
from pulp_glue.bootfiles.netboot import sbat
from pulpcore.plugin.exceptions import SyncError
from pulpcore.plugin.models import Artifact, ProgressReport
from pulpcore.plugin.stages import DeclarativeArtifact, DeclarativeContent
from pulpcore.plugin.util import get_domain_pk

from pulp_bootfiles.app.constants import NOARCH, REPOMD_PATH
from pulp_bootfiles.app.formats import compression, repodata, rpm_payload, rpm_signature
from pulp_bootfiles.app.models import BootFile
from pulp_bootfiles.app.sync.errors import parse_or_fail
from pulp_bootfiles.app.sync.fetch import fetch, tree_url


class BootloaderSource:
    """The bootloader BootFiles of one tree, as DeclarativeContent ready for the pipeline."""

    def __init__(
        self, remote, treeinfo, selection, tree_base_url, previous_tree=None, keyring=None
    ):
        self.remote = remote
        self.keyring = keyring  # formats.openpgp.Keyring: packages must be signed by one
        self.treeinfo = treeinfo
        self.selection = selection  # {package name: [absolute path in the package, ...]}
        self.repo_url = tree_url(tree_base_url, treeinfo.repository.rstrip("/") + "/")
        self.previous_tree = previous_tree  # the repository's current tree of this pair
        self.repodata_checksum = ""  # "<type>:<hex>" of the primary metadata, once read

    async def declarative_contents(self):
        if not self.selection:
            return []
        primary = await self._primary_record()
        self.repodata_checksum = f"{primary.checksum_type}:{primary.checksum}"
        unchanged = await sync_to_async(self._unchanged_bootfiles)()
        if unchanged is not None:
            return [DeclarativeContent(content=bootfile) for bootfile in unchanged]
        packages = await self._newest_packages(primary)
        dcs = []
        async with ProgressReport(
            message="Extracting bootloaders",
            code="sync.extracting.bootloaders",
            total=len(packages),
        ) as progress:
            for entry in packages:
                dcs.extend(await self._files_of(entry))
                await progress.aincrement()
        return dcs

    async def _primary_record(self):
        repomd = await fetch(
            self.remote,
            tree_url(self.repo_url, REPOMD_PATH),
            REPOMD_PATH,
            max_size=repodata.MAX_REPOMD_SIZE,
        )
        records = parse_or_fail(repodata.parse_repomd, Path(repomd.path).read_bytes(), REPOMD_PATH)
        return records["primary"]

    def _unchanged_bootfiles(self):
        """
        The current tree's bootloaders, when it was made from this very primary metadata.

        The same primary and the same selection pick the same packages, so a re-sync of an
        unchanged repository needs neither the (Fedora: ~20 MB) primary nor any package.
        """
        tree = self.previous_tree
        if tree is None or tree.repodata_checksum != self.repodata_checksum:
            return None
        bootfiles = [f for f in tree.files.all() if f.source_package]
        wanted = {
            (package, path.lstrip("/"))
            for package, paths in self.selection.items()
            for path in paths
        }
        have = {(package_name(f.source_package), f.relative_path) for f in bootfiles}
        stored = BootFile.objects.filter(
            pk__in=[f.pk for f in bootfiles], contentartifact__artifact__isnull=False
        ).count()
        if have != wanted or stored != len(bootfiles):
            return None
        if self.keyring and not all(f.signing_key_id in self.keyring.key_ids for f in bootfiles):
            return None  # extracted without (or before) these keys: verify the packages now
        return bootfiles

    async def _newest_packages(self, primary):
        async with ProgressReport(
            message="Scanning repodata", code="sync.scanning.repodata", total=1
        ) as progress:
            download = await fetch(
                self.remote,
                tree_url(self.repo_url, primary.location),
                primary.location,
                expected_digests={primary.checksum_type: primary.checksum},
                expected_size=primary.size,
            )
            found = await asyncio.to_thread(
                self._scan_primary, download.path, primary.location, primary.open_size
            )
            await progress.aincrement()
        missing = sorted(set(self.selection) - set(found))
        if missing:
            raise SyncError(
                f"{primary.location}: no package {', '.join(missing)} for "
                f"{self.treeinfo.arch} or {NOARCH} in the tree's repository"
            )
        return [found[name] for name in sorted(found)]

    def _scan_primary(self, path, source, open_size):
        # The listed open-size bounds the decompressed bytes, as far as the compressed size
        # makes it believable (repodata.primary_scan_limit).
        limit = repodata.primary_scan_limit(open_size, Path(path).stat().st_size)
        with open(path, "rb") as compressed:
            stream = parse_or_fail(compression.open_decompressed, compressed, source)
            return parse_or_fail(
                repodata.newest_packages,
                stream,
                set(self.selection),
                {self.treeinfo.arch, NOARCH},
                source,
                limit,
            )

    async def _files_of(self, entry):
        """DeclarativeContent for the wanted files of one package."""
        paths = self.selection[entry.name]
        checksum = f"{entry.checksum_type}:{entry.checksum}"
        reused = await sync_to_async(self._already_extracted)(checksum, paths)
        if reused is not None:
            return [DeclarativeContent(content=bootfile) for bootfile in reused]
        url = tree_url(self.repo_url, entry.location)
        download = await fetch(
            self.remote,
            url,
            f"package {entry.nevra} ({entry.location})",
            expected_digests={entry.checksum_type: entry.checksum},
            expected_size=entry.size,
        )
        signing_key_id, extracted, sbats = await asyncio.to_thread(
            _verify_and_extract, download.path, entry, paths, self.keyring
        )
        Path(download.path).unlink()
        dcs = []
        for path in paths:
            found, artifact = extracted[path]
            bootfile = BootFile(
                name=posixpath.basename(path),
                relative_path=path.lstrip("/"),
                release=self.treeinfo.release,
                arch=self.treeinfo.arch,
                sha256=found.sha256,
                source_package=entry.nevra,
                source_package_checksum=checksum,
                signing_key_id=signing_key_id,
                sbat=sbats[path],
            )
            da = DeclarativeArtifact(
                artifact=artifact, url=url, relative_path=bootfile.content_path
            )
            dcs.append(DeclarativeContent(content=bootfile, d_artifacts=[da]))
        return dcs

    def _already_extracted(self, checksum, paths):
        """The BootFiles an earlier sync extracted from this exact package, if all are stored."""
        relative_paths = [path.lstrip("/") for path in paths]
        # Verified with these keys, or (without keys) the units no verification made.
        signed = (
            {"signing_key_id__in": list(self.keyring.key_ids)}
            if self.keyring
            else {"signing_key_id": ""}
        )
        bootfiles = list(
            BootFile.objects.filter(
                _pulp_domain=get_domain_pk(),
                release=self.treeinfo.release,
                arch=self.treeinfo.arch,
                relative_path__in=relative_paths,
                source_package_checksum=checksum,
                contentartifact__artifact__isnull=False,
                **signed,
            ).order_by("relative_path", "signing_key_id")
        )
        # One unit per path (a package signed by two keys of the ring may have two).
        bootfiles = list({b.relative_path: b for b in reversed(bootfiles)}.values())
        if sorted(b.relative_path for b in bootfiles) != sorted(relative_paths):
            return None
        return bootfiles


def package_name(nevra):
    """'grub2-efi-x64-1:2.06-5.x86_64' -> 'grub2-efi-x64' (names may contain dashes)."""
    return nevra.rsplit("-", 2)[0]


def _verify_and_extract(rpm_path, entry, paths, keyring):
    """
    Verify the RPM's signature when there are keys, then extract; nothing is extracted from a
    package that fails. Returns the signing key id (or ""), {path: (ExtractedFile, Artifact)}
    and {path: SBAT entries or None}.
    """
    signing_key_id = ""
    if keyring:
        source = posixpath.basename(entry.location)
        with open(rpm_path, "rb") as stream:
            signing_key_id = parse_or_fail(rpm_signature.verify_package, stream, keyring, source)
    extracted = _extract(rpm_path, entry, paths)
    sbats = {
        path: _sbat_of(found.path, posixpath.basename(path))
        for path, (found, _artifact) in extracted.items()
    }
    return signing_key_id, extracted, sbats


def _sbat_of(path, name):
    """The SBAT entries of an extracted UEFI binary (as dicts), None for other files.

    A file that starts like a PE file must be a well-formed one; anything else has no SBAT.
    """
    with open(path, "rb") as stream:
        if not sbat.is_pe(stream):
            return None
        entries = parse_or_fail(sbat.read_sbat, stream, name)
    return None if entries is None else [entry.as_dict() for entry in entries]


def _extract(rpm_path, entry, paths):
    """Pull `paths` out of the RPM at `rpm_path`; returns {path: (ExtractedFile, Artifact)}."""
    source = posixpath.basename(entry.location)
    workdir = Path(rpm_path).parent
    wanted = {path: workdir / f"{Path(rpm_path).name}.{index}" for index, path in enumerate(paths)}
    with open(rpm_path, "rb") as stream:
        header = parse_or_fail(rpm_payload.read_header, stream, source)
        _check_header_matches(header, entry, source)
        extracted = parse_or_fail(rpm_payload.extract_files, stream, header, wanted, source)
    return {
        path: (extracted[path], Artifact.init_and_validate(str(wanted[path]))) for path in paths
    }


def _check_header_matches(header, entry, source):
    """The RPM must be the package the repodata described, not something else at that URL."""
    in_header = (header.name, header.epoch, header.version, header.release, header.arch)
    in_repodata = (entry.name, entry.epoch, entry.version, entry.release, entry.arch)
    if in_header != in_repodata:
        raise SyncError(
            f"{source}: the RPM header describes {in_header}, the repodata {in_repodata}"
        )
