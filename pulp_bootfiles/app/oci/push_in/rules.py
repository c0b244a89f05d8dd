"""
Which tags a push into a bootfiles repository may set, and the trees each gives.

A push is the netboot v1 spec with the spec's tags: an image index tagged with its release
(`40`) listing per-arch manifests pushed before it (by digest, as `skopeo copy --all` and
`podman manifest push --all` do), or one per-arch manifest tagged `<release>-<goarch>` into a
repository whose trees name the OS (a lone manifest does not). podman's way of writing v1 (the
version annotation on the index entries) is taken too. A signature pushed as a sigstore
attachment (`sha256-<hex>.sig`) is taken when it signs a manifest the repository holds.
"""

from pulp_glue.bootfiles.netboot.constants import GOARCH, MEDIA_TYPE, NETBOOT_FORMAT
from pulp_glue.bootfiles.netboot.oci import os_version, signed_digest
from pulp_glue.bootfiles.netboot.oci_read import (
    IndexListing,
    NetbootRuleError,
    load_json,
    read_index,
    read_manifest,
    split_tag,
)

from pulp_bootfiles.app.oci.trees import NetbootTreeSpec


def pushed_trees(tag, data, listed_manifest, family_of):
    """
    Check the manifest pushed as `tag`; return the NetbootTreeSpecs it gives.

    Args:
        tag (str): The pushed tag.
        data (bytes): The pushed manifest.
        listed_manifest (callable): digest -> bytes of a manifest pushed before, or None.
        family_of (callable): release -> OS family of the repository's trees ("Fedora"), or
            None when it has none to go by.

    Returns:
        list of NetbootTreeSpec: One per architecture; empty for a signature.

    Raises:
        NetbootRuleError: The push breaks a rule; the message names the tag and the rule.
    """
    if signed := signed_digest(tag):
        if listed_manifest(signed) is None:
            raise NetbootRuleError(tag, f"signs {signed}, which this repository does not hold")
        return []
    document = load_json(data, tag, "the pushed manifest")
    parts = split_tag(tag)
    if document.get("mediaType") == MEDIA_TYPE.INDEX_OCI:
        if parts is None or parts[1] is not None:
            raise NetbootRuleError(
                tag, "an image index is pushed as its release's tag ('40'), as the spec tags it"
            )
        return [_listed_tree(tag, listing, listed_manifest) for listing in _listings(data, tag)]
    if document.get("mediaType") != MEDIA_TYPE.MANIFEST_OCI:
        raise NetbootRuleError(
            tag,
            f"mediaType {document.get('mediaType')!r} is neither a netboot manifest "
            f"({MEDIA_TYPE.MANIFEST_OCI}) nor an index ({MEDIA_TYPE.INDEX_OCI})",
        )
    if parts is None or parts[1] is None or "-" in parts[0]:
        raise NetbootRuleError(
            tag,
            "a netboot manifest is pushed as '<release>-<goarch>' ('40-amd64'), "
            "or by digest and listed by its release's index",
        )
    release, arch = parts
    family = family_of(release)
    if not family:
        raise NetbootRuleError(
            tag,
            f"the repository has no tree to take the OS name from; push the index '{release}' "
            "listing this manifest instead (its platform os.version names the OS)",
        )
    artifact = read_manifest(data, tag, release, arch)
    listing = IndexListing(artifact.digest, len(data), arch, os_version(family, release), release)
    return [NetbootTreeSpec(tag, listing, artifact, NETBOOT_FORMAT.V1, family=family)]


def _listings(data, tag):
    listings = read_index(data, tag)
    if listings[0].tag_names_os:
        release = listings[0].release
        raise NetbootRuleError(
            tag, f"push the index as its release's tag '{release}', as the spec tags it"
        )
    return listings


def _listed_tree(tag, listing, listed_manifest):
    arch_tag = f"{listing.release}-{GOARCH[listing.arch]}"
    data = listed_manifest(listing.digest)
    if data is None:
        raise NetbootRuleError(
            tag, f"the index lists {listing.digest} for {listing.arch}, which was not pushed"
        )
    if len(data) != listing.size:
        raise NetbootRuleError(
            tag,
            f"the index lists {listing.digest} as {listing.size} bytes; it is {len(data)}",
        )
    artifact = read_manifest(
        data, arch_tag, listing.release, listing.arch, listing.version_on_entry
    )
    spec_format = NETBOOT_FORMAT.V1 if artifact.version_annotated else NETBOOT_FORMAT.PODMAN
    return NetbootTreeSpec(tag, listing, artifact, spec_format)
