"""
The content handler of a bootfiles distribution: every path under its base path answered from
the index of the version it serves at that moment.

Called with the distribution already matched and its content guard (if any) applied: by the
plugin's content route (`route`, one row read per request), or by pulpcore's handler as the
distribution's `content_handler`. Without it pulpcore would look each path up in the database
several times (the file, an index.html, a directory listing, the last-modified time): a dozen
statements even for the ~10 config names a booting machine probes and misses. Here a request
costs no further query in the steady state: which version is served follows from the facts
read with the distribution (`versions`), and the rest comes from that version's cached index:

- `<release>/<arch>/boot.ipxe`, `grub.cfg`, `pxelinux.cfg/default`, `<GRUB dir>/grub.cfg`:
  configs rendered from the served tree (see `bootconfigs`);
- a file of the version: sent from the filesystem with its sha256 as ETag; with object storage,
  or a file not downloaded yet (on_demand), its ContentArtifact goes back to pulpcore, which
  redirects to the storage or streams from the remote;
- `.bootfiles.json`: the index document (`formats.netboot_index`) of every served tree and
  file, with sha256, size and provenance, for HTTP-only consumers to check every byte;
- a directory: its listing (the tree only: the version's OCI blobs are the registry's);
- the per-machine config names loaders probe first (`grub.cfg-01-<mac>`, `pxelinux.cfg/<uuid>`,
  ...): a 404 that no version changes, the one answer pulpcore's Redis cache may keep;
- anything else: 404, with no further lookup.
"""

from django.conf import settings
from pulp_glue.bootfiles.netboot import bootconfigs
from pulpcore.plugin.models import ContentArtifact
from pulpcore.plugin.util import get_domain

from pulp_bootfiles.app.formats.netboot_index import INDEX_NAME
from pulp_bootfiles.app.serving import responses
from pulp_bootfiles.app.serving.index import index_for
from pulp_bootfiles.app.serving.storage_classes import FILESYSTEM_STORAGE
from pulp_bootfiles.app.serving.versions import ServingFacts, served_version_pk


def answer(distribution, path: str, facts: ServingFacts | None = None, domain=None):
    """The response to `path` (relative to the base path), a ContentArtifact for pulpcore to
    serve, or None when no version is served (pulpcore then explains the 404). `facts` decide
    the served version; by default those of the distribution as pulpcore loaded it. `domain`
    is the request's, by default the current one (the route answers a batch of requests in one
    context, so it passes each request's own)."""
    if bootconfigs.is_probe_miss(path):
        # Raised, as aiohttp wants HTTP errors; pulpcore's cache catches it to keep it.
        raise responses.probe_miss()
    version_pk = served_version_pk(facts or ServingFacts.of(distribution))
    if version_pk is None:
        return None
    index = index_for(version_pk)
    domain = domain or get_domain()
    if path == INDEX_NAME:
        return responses.text_response(index.document.decode(), "application/json")
    parsed = bootconfigs.parse_config_path(path)
    if parsed is not None:
        config = _config(distribution, index, domain, *parsed)
        if config is not None:
            return config
    served = index.files.get(path)
    if served is not None:
        return _file(served, domain)
    if path == "" or path.endswith("/"):
        entries = _entries(index, path)
        if entries is None:
            return responses.not_found()
        prefix = _content_prefix(domain).strip("/")
        return responses.listing_response(f"/{prefix}/{distribution.base_path}/{path}", entries)
    if _entries(index, path + "/") is not None:
        return responses.add_slash(path.rpartition("/")[2])
    return responses.not_found()


def _content_prefix(domain) -> str:
    """The content app's path prefix of `domain`'s distributions (pulpcore puts the domain's
    name after CONTENT_PATH_PREFIX when domains are enabled)."""
    if settings.DOMAIN_ENABLED:
        return f"{settings.CONTENT_PATH_PREFIX.rstrip('/')}/{domain.name}/"
    return settings.CONTENT_PATH_PREFIX


def _config(distribution, index, domain, release, arch, name):
    tree = index.tree(release, arch)
    if tree is None:
        return None
    origin = distribution.boot_origin or settings.CONTENT_ORIGIN
    if not origin:
        return responses.UncachedResponse(
            "No boot configs: set CONTENT_ORIGIN or the boot_origin.\n", status=404
        )
    url = bootconfigs.tree_url(
        origin, _content_prefix(domain), distribution.base_path, release, arch
    )

    def rendered():
        boot = bootconfigs.TreeBoot.from_files(
            url, tree.title, tree.files, distribution.kernel_args
        )
        text = bootconfigs.render(name, boot) if boot else None
        return text, None if text is None else responses.text_etag(text)

    # The index is this version's alone, and the key holds the rest of what the text is made
    # of, so a kept config is never stale.
    key = (url, release, arch, distribution.kernel_args, name)
    text, etag = index.configs.get_or_build(key, rendered)
    return None if text is None else responses.text_response(text, etag=etag)


def _file(served, domain):
    if served.artifact_name is not None and domain.storage_class == FILESYSTEM_STORAGE:
        path = domain.get_storage().path(served.artifact_name)
        return responses.file_response(path, served.sha256, served.content_path)
    return ContentArtifact.objects.select_related("artifact", "artifact__pulp_domain").get(
        pk=served.content_artifact_pk
    )


def _entries(index, directory):
    """Names listed in `directory` ("" or ending in '/'): files, subdirectories and configs;
    None when the served version has no such directory."""
    files = index.directories.get(directory)

    def files_of(release, arch):
        tree = index.tree(release, arch)
        return None if tree is None else tree.files

    configs = bootconfigs.listed_configs(directory, files_of)
    if directory == "":
        configs |= {INDEX_NAME}
    if files is None and not configs:
        return None
    return (files or set()) | configs
