"""Keep a boot server's directory in step with a netboot OCI artifact in a registry.

    from pulp_glue.bootfiles.pull import pull
    result = pull("pulp.example:443/fedora:40", "/var/lib/tftpboot", layout="tftp",
                  arches=["x86_64"], policy="/etc/containers/policy.json")

It needs nothing but the registry: it resolves the tag (an index: every arch it lists, or the
ones asked for; a per-arch manifest: that one), judges the tag's manifest by the signature
policy when one is given, downloads only the layers whose digest DEST's current set lacks
(checking every digest), lays the set out and switches to it with one rename (see `store`).
"""

import dataclasses
import fnmatch
import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from pulp_glue.bootfiles.netboot.constants import MEDIA_TYPE
from pulp_glue.bootfiles.netboot.oci_read import NetbootRuleError
from pulp_glue.bootfiles.pull import layouts, reading, signatures
from pulp_glue.bootfiles.pull.layouts import LAYOUTS, LayoutError, Plan
from pulp_glue.bootfiles.pull.reading import ACCEPT, ARCH_OF_GOARCH, Pulled
from pulp_glue.bootfiles.pull.registry import Reference, Registry, RegistryError
from pulp_glue.bootfiles.pull.signatures import SignatureRefused
from pulp_glue.bootfiles.pull.store import Store, StoreError, entries

__all__ = ["LAYOUTS", "PullError", "PullResult", "pull"]


class PullError(Exception):
    """The pull was refused or failed; DEST still serves the set it served before."""


@dataclass(frozen=True)
class PullResult:
    """What a pull did: `changed` is False when DEST already served this set."""

    dest: Path
    set_id: str
    changed: bool
    downloaded: tuple  # digests fetched from the registry
    reused: tuple  # digests hard-linked from the previous set


def pull(
    reference: str,
    dest,
    layout: str = "flat",
    *,
    arches=None,
    exclude=(),
    policy=None,
    stage2: str = "",
    kernel_args: str = "",
    plain_http: bool = False,
    tls_verify=True,
    username: str | None = None,
    password: str | None = None,
    progress=lambda message: None,
) -> PullResult:
    """Pull `reference` (`<registry>/<repository>:<tag>`) into `dest` laid out as `layout`.

    `arches` (Fedora or Go names) picks platforms of an index; `exclude` drops layers whose
    title matches one of its fnmatch patterns; `policy` is a containers policy.json path;
    `stage2` and `kernel_args` go into the tftp layout's configs. Raises PullError.
    """
    try:
        ref = Reference.parse(reference)
        registry = Registry(
            ref, plain_http=plain_http, tls_verify=tls_verify, username=username, password=password
        )
        judged = signatures.load_policy(Path(policy)) if policy else None
        pulled = _resolve(registry, ref, judged, _arch_names(arches))
        pulled = [_without(item, exclude) for item in pulled]
        plan = layouts.plan(layout, pulled, stage2, kernel_args)
        return _apply(registry, ref, layout, plan, Path(dest), progress)
    except (
        ValueError,  # bad reference, arch, artifact, layout, policy or config value
        RegistryError,
        SignatureRefused,
        StoreError,
        OSError,
    ) as exc:
        raise PullError(str(exc)) from exc


def _arch_names(arches) -> set | None:
    if not arches:
        return None
    names = set()
    for arch in arches:
        name = ARCH_OF_GOARCH.get(arch, arch)
        if name not in ARCH_OF_GOARCH.values():
            known = sorted({*ARCH_OF_GOARCH, *ARCH_OF_GOARCH.values()})
            raise ValueError(f"architecture {arch!r} is not one of {', '.join(known)}")
        names.add(name)
    return names


def _resolve(registry, ref, policy, wanted) -> list[Pulled]:
    top = registry.manifest(ref.tag, ACCEPT)
    if policy is not None:
        # As containers/image: the top-level manifest's signatures; an index binds the
        # per-arch manifests by digest, each checked when fetched.
        signatures.judge(policy, ref, top.digest, registry)
    if _media_type(top) == MEDIA_TYPE.INDEX_OCI:
        listings = reading.index_platforms(top.data, ref, ref.by_digest)
        chosen = [p for p in listings if wanted is None or p.arch in wanted]
        if not chosen or (wanted and len(chosen) != len(wanted)):
            listed = ", ".join(p.arch for p in listings)
            raise NetbootRuleError(ref.tag, f"lists {listed}, not every one of {sorted(wanted)}")
        return [
            reading.listed_manifest(registry.manifest(p.digest, ACCEPT).data, p) for p in chosen
        ]
    pulled = reading.lone_manifest(top.data, ref, ref.by_digest)
    if wanted and pulled.arch not in wanted:
        raise NetbootRuleError(ref.tag, f"a single manifest (arch {pulled.arch}), not {wanted}")
    return [pulled]


def _media_type(fetched) -> str:
    """The Content-Type, or the document's own mediaType when the registry sent none."""
    if fetched.media_type in ACCEPT:
        return fetched.media_type
    try:
        return json.loads(fetched.data).get("mediaType", "")
    except (ValueError, AttributeError):
        return ""


def _without(item: Pulled, exclude) -> Pulled:
    if not exclude:
        return item
    files = tuple(
        layer
        for layer in item.manifest.files
        if not any(fnmatch.fnmatchcase(layer.file.title, pattern) for pattern in exclude)
    )
    return dataclasses.replace(item, manifest=dataclasses.replace(item.manifest, files=files))


def _set_id(layout: str, plan: Plan) -> str:
    described = {
        "layout": layout,
        "files": {path: layer.digest for path, layer in plan.files.items()},
        "links": plan.links,
        "texts": {
            path: hashlib.sha256(text.encode()).hexdigest() for path, text in plan.texts.items()
        },
    }
    return hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:16]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _key(ref: Reference) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"{ref.repository}:{ref.tag}")


def _apply(registry, ref, layout, plan: Plan, dest: Path, progress) -> PullResult:
    if layout in ("foreman", "nboci") and any("/unknown/" in f"/{p}/" for p in plan.paths()):
        raise LayoutError(
            f"the {layout} layout needs the OS, release and arch an index names: pull the "
            "release tag (e.g. :40), not a per-arch tag"
        )
    set_id = _set_id(layout, plan)
    names = entries(plan.paths(), plan.depth)
    store = Store(dest, _key(ref))
    with store.lock():
        if store.in_place(set_id, names):
            progress(f"{dest} already serves {ref} (set {set_id}); nothing to do")
            return PullResult(dest, set_id, False, (), ())
        store.check_entries(names)
        previous = {digest: path for path, digest in store.record(store.current_id()).items()}
        partial = store.new_partial()
        try:
            downloaded, reused = _fill(registry, plan, partial, store, previous, progress)
        except BaseException:  # refused or failed: nothing of it stays (a kill: the next pull)
            shutil.rmtree(partial, ignore_errors=True)
            raise
        record = {path: layer.digest for path, layer in plan.files.items()}
        store.publish(partial, set_id, record, names)
    progress(f"{dest} serves {ref} (set {set_id})")
    return PullResult(dest, set_id, True, tuple(downloaded), tuple(reused))


def _fill(registry, plan, partial: Path, store, previous, progress):
    downloaded, reused, here = [], [], {}
    current = store.sets / (store.current_id() or "none")
    for path, layer in sorted(plan.files.items()):
        target = partial / path
        target.parent.mkdir(parents=True, exist_ok=True)
        source = here.get(layer.digest)
        if source is None and layer.digest in previous:
            old = current / previous[layer.digest]
            if old.is_file() and old.stat().st_size == layer.size:
                source = old
        if source is not None:
            _link_or_copy(source, target)
            reused.append(layer.digest)
        else:
            progress(f"downloading {path} ({layer.size} bytes, {layer.digest})")
            registry.blob(layer.digest, layer.size, target)
            downloaded.append(layer.digest)
        here[layer.digest] = target
    for path, link in plan.links.items():
        (partial / path).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(link, partial / path)
    for path, text in plan.texts.items():
        (partial / path).parent.mkdir(parents=True, exist_ok=True)
        (partial / path).write_text(text)
    return downloaded, reused


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another filesystem, or no hard links there
        shutil.copyfile(source, target)
