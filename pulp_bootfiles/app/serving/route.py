"""
The content app's first stop for a path under CONTENT_PATH_PREFIX: a path of a bootfiles
distribution is answered here; every other path, and every case this route does not handle
itself, goes on to pulpcore's handler unchanged.

Why: a booting rack sends about ten small requests per machine (config probes, configs, the
loaders), and pulpcore's handler spends most of each one matching the distribution: an
eight-table join (planned anew every time) and a second query to cast it to its detail model,
on the one database thread of a content-app process. That queue is what a rack's first second
waits in. Here the distribution's row is read instead (with its repository's next_version:
`ServingFacts`), after each request arrived, so what is served follows every change exactly as
pulpcore's own per-request lookup does. The reads are batched (`FreshBatches`): requests that
queue while one read runs share the next, so under a storm one query and one thread hop serve
dozens of requests. The detail object, the served version and its index are cached per process
under keys taken from that row (`versions`, `index`), so they cannot go stale.

Left to pulpcore (same answers as before, through `Distribution.content_handler`): another
plugin's distribution; a distribution with a content guard or a checkpoint; the redirect of a
base path without its slash; a file served from object storage or not downloaded yet (on_demand);
a base path with no version; any path no distribution matches; with pulpcore's Redis cache on,
the per-machine probe names of a request with credentials, which the cache answers without any
lookup (where pulpcore's cache keeps 404s: `compat.CONTENT_CACHE_KEEPS_NOT_FOUND`; a request
without them costs less here, on the fast lane). Base paths found to be
another plugin's are remembered for a minute so their requests do not pay for this route's query.
"""

import uuid
from typing import NamedTuple

from django.conf import settings
from django.db import DatabaseError, InterfaceError, connection
from pulp_glue.bootfiles.netboot import bootconfigs
from pulpcore.plugin.models import ContentArtifact, Distribution
from pulpcore.plugin.util import get_domain

from pulp_bootfiles.app.compat import CONTENT_CACHE_KEEPS_NOT_FOUND
from pulp_bootfiles.app.models import BootfilesDistribution
from pulp_bootfiles.app.serving import handler
from pulp_bootfiles.app.serving.batching import FreshBatches
from pulp_bootfiles.app.serving.fast_lane import PASSED_ON, on_fast_lane, pass_on
from pulp_bootfiles.app.serving.recent import Recent
from pulp_bootfiles.app.serving.versions import ServingFacts

ELSEWHERE_SECONDS = 60  # how long a base path known to be another plugin's skips this route
REMEMBERED = 1024  # base paths and distributions kept per process

# (pk, pulp_last_updated) -> BootfilesDistribution: the detail objects (boot_origin,
# kernel_args, base_path), loaded once per save; a process's startup fills it (`startup`).
_details = Recent(REMEMBERED)


def remember_distribution(distribution) -> None:
    """Keep a loaded distribution as the route's detail object of its current save."""
    _details.put((distribution.pk, distribution.pulp_last_updated), distribution)


def base_paths_of(path: str) -> list[str]:
    """Every base path a distribution serving `path` could have: `a/b/c` -> `a/b/c`, `a/b`,
    `a` (pulpcore forbids nested base paths, so at most one of them exists)."""
    parts = path.strip("/").split("/")
    return ["/".join(parts[:end]) for end in range(len(parts), 0, -1)]


class DistributionRow(NamedTuple):
    """What the route reads of a distribution: one row per request, no join but the
    repository's next_version."""

    pk: object
    pulp_type: str
    base_path: str
    last_updated: object
    content_guard_id: object
    checkpoint: bool
    repository_id: object
    repository_version_id: object
    next_version: int | None

    def facts(self) -> ServingFacts:
        return ServingFacts(
            self.pk,
            self.last_updated,
            self.repository_id,
            self.repository_version_id,
            self.next_version,
        )


# The columns the route queries, in the order of DistributionRow's fields.
ROW_COLUMNS = (
    "pk",
    "pulp_type",
    "base_path",
    "pulp_last_updated",
    "content_guard_id",
    "checkpoint",
    "repository_id",
    "repository_version_id",
    "repository__next_version",
)


class RowQuery:
    """The route's one query, compiled by Django's ORM once per number of base paths (a path's
    depth), then run as its SQL: building and compiling the QuerySet anew cost the content app
    more CPU than PostgreSQL's answer took."""

    def __init__(self):
        # number of base paths -> (SQL, for each of its placeholders: None for the domain's pk,
        # else the index of the base path that goes there)
        self._compiled = {}

    def rows(self, domain_pk, base_paths) -> list[DistributionRow]:
        base_paths = list(base_paths)
        compiled = self._compiled.get(len(base_paths))
        if compiled is None:
            compiled = self._compiled[len(base_paths)] = self._compile(len(base_paths))
        sql, slots = compiled
        values = [domain_pk if slot is None else base_paths[slot] for slot in slots]
        with connection.cursor() as cursor:
            cursor.execute(sql, values)
            return [DistributionRow._make(row) for row in cursor.fetchall()]

    @staticmethod
    def _compile(count: int) -> tuple[str, list]:
        """The SQL of the query for `count` base paths, compiled with stand-in values, and
        where each real value goes (the ORM orders the parameters as it likes)."""
        domain_mark = uuid.UUID(int=0)
        marks = [f"base path {n}" for n in range(count)]
        queryset = Distribution.objects.filter(
            pulp_domain_id=domain_mark, base_path__in=marks
        ).values_list(*ROW_COLUMNS)
        sql, params = queryset.query.sql_with_params()
        places = {mark: slot for slot, mark in enumerate(marks)} | {domain_mark: None}
        # Each stand-in exactly once, and nothing else (a value of the ORM's own has no place).
        if len(params) != len(places) or set(params) != set(places):
            raise RuntimeError(f"unexpected parameters of the route's query: {params!r}")
        return sql, [places[value] for value in params]


class BootRoute:
    """The aiohttp handler of the route; `pulpcore_handler` answers what it leaves."""

    def __init__(self, pulpcore_handler):
        self._pulpcore = pulpcore_handler
        self._elsewhere = Recent(
            REMEMBERED, seconds=ELSEWHERE_SECONDS
        )  # (domain pk, base path) -> True
        self._model = BootfilesDistribution
        self._pulp_type = BootfilesDistribution.get_pulp_type()
        self._batches = FreshBatches(self._answer_all)
        self._query = RowQuery()
        self._cache_keeps_probes = settings.CACHE_ENABLED and CONTENT_CACHE_KEEPS_NOT_FOUND

    async def __call__(self, request):
        if request.get(PASSED_ON):  # decided before pulpcore's authentication: see fast_lane
            return await self._pulpcore(request)
        path = request.match_info["path"]
        domain = get_domain()  # set by pulpcore's authentication middleware, or the default
        base_paths = base_paths_of(path)
        if any(self._elsewhere.get((domain.pk, base)) for base in base_paths):
            return await pass_on(request, self._pulpcore)
        # With pulpcore's cache on, a probe name's 404 may be answered from it, but only a
        # request that went through pulpcore's authentication anyway gains by that: one on the
        # fast lane costs less here (a shared row read) than the middleware and Redis do.
        if (
            self._cache_keeps_probes
            and not on_fast_lane(request)
            and bootconfigs.is_probe_miss(path)
        ):
            return await pass_on(request, self._pulpcore)
        response = await self._batches.submit((domain, path, base_paths))
        if response is None:
            return await pass_on(request, self._pulpcore)
        return response

    def _answer_all(self, requests):
        """The outcome of each (domain, path, base paths): its rows read in one query per
        domain, then each request decided on its own (see `FreshBatches`)."""
        rows = {}
        try:
            for domain in {domain for domain, __, __ in requests}:
                wanted = {base for d, __, bases in requests if d == domain for base in bases}
                rows[domain.pk] = self._rows(domain, wanted)
        except (InterfaceError, DatabaseError):
            # pulpcore's handler resets a broken connection and retries: let it.
            connection.close_if_unusable_or_obsolete()
            return [(True, None)] * len(requests)
        outcomes = []
        for domain, path, base_paths in requests:
            found = rows[domain.pk]
            row = next((found[base] for base in base_paths if base in found), None)
            try:
                outcomes.append((True, self._answer(domain, path, row)))
            except Exception as error:  # an HTTP exception, or what pulpcore would raise
                outcomes.append((False, error))
        return outcomes

    def _answer(self, domain, path, row):
        """This route's response, or None to leave the request to pulpcore."""
        if row is None:
            return None
        if row.pulp_type != self._pulp_type:
            self._elsewhere.put((domain.pk, row.base_path), True)
            return None
        relative = path.lstrip("/")[len(row.base_path) :].lstrip("/")
        if row.content_guard_id is not None or row.checkpoint:
            return None
        if relative == "" and not path.endswith("/"):
            return None
        distribution = self._distribution(row.pk, row.last_updated)
        if distribution is None:
            return None
        result = handler.answer(distribution, relative, row.facts(), domain)
        if result is None or isinstance(result, ContentArtifact):
            return None  # pulpcore explains the 404, redirects or streams from the remote
        return result

    def _rows(self, domain, base_paths) -> dict:
        """{base path: DistributionRow} of the distributions at any of `base_paths`."""
        return {row.base_path: row for row in self._query.rows(domain.pk, base_paths)}

    def _distribution(self, pk, last_updated):
        """The detail object of the distribution as saved at `last_updated` (None: just
        deleted)."""
        return _details.get_or_build(
            (pk, last_updated), lambda: self._model.objects.filter(pk=pk).first()
        )
