"""
Which repository version a distribution serves, without a query in the steady state.

pulpcore loads the distribution with its repository (or repository version) for every
request. A distribution naming a version serves that version. One naming a repository serves
its latest complete version, and that is decided by facts already loaded:

- pulpcore sets `repository.next_version` to a version's number + 1 in the very transaction
  that marks the version complete, so a new latest version always comes with a new
  `next_version`;
- pulpcore refuses to delete the latest version of a repository while a distribution serves
  it (`Repository.protected_versions`), so the latest cannot go back while the distribution
  points at the repository;
- any change to the distribution itself (repointed away and back, say) changes its
  `pulp_last_updated`.

So (distribution, its pulp_last_updated, repository, next_version) names one version for as
long as it can be seen; the first request that sees a new combination asks the database once.
Those facts come either from the distribution pulpcore loaded (`ServingFacts.of`) or from the
one row the plugin's own content route reads per request (`route`).
"""

from typing import NamedTuple

from pulpcore.plugin.models import RepositoryVersion

from pulp_bootfiles.app.serving.recent import Recent

CACHED_DISTRIBUTIONS = 256


_latest = Recent(CACHED_DISTRIBUTIONS)  # ServingFacts -> version pk


class ServingFacts(NamedTuple):
    """What decides the version a distribution serves, as read at the start of a request."""

    distribution_pk: object
    last_updated: object  # the distribution's pulp_last_updated
    repository_pk: object  # None when it names a version, or nothing
    repository_version_pk: object  # None unless it names a version
    next_version: int | None  # the repository's next_version

    @classmethod
    def of(cls, distribution):
        """The facts of a distribution pulpcore loaded with its repository (no query)."""
        repository = distribution.repository if distribution.repository_id else None
        return cls(
            distribution.pk,
            distribution.pulp_last_updated,
            distribution.repository_id,
            distribution.repository_version_id,
            None if repository is None else repository.next_version,
        )


def served_version_pk(facts: ServingFacts):
    """The pk of the repository version served now, or None."""
    if facts.repository_version_pk is not None:
        return facts.repository_version_pk
    if facts.repository_pk is None:
        return None
    pk = _latest.get(facts)
    if pk is None:
        # As Repository.latest_version() decides, without loading the repository.
        versions = RepositoryVersion.objects.filter(repository_id=facts.repository_pk).complete()
        pk = versions.order_by("-number").values_list("pk", flat=True).first()
        if pk is None:
            return None
        _latest.put(facts, pk)
    return pk
