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
"""

import threading
from collections import OrderedDict

CACHED_DISTRIBUTIONS = 256


class _LatestVersions:
    def __init__(self, size=CACHED_DISTRIBUTIONS):
        self._size, self._lock, self._pks = size, threading.Lock(), OrderedDict()

    def get(self, key):
        with self._lock:
            pk = self._pks.get(key)
            if pk is not None:
                self._pks.move_to_end(key)
            return pk

    def put(self, key, pk):
        with self._lock:
            self._pks[key] = pk
            while len(self._pks) > self._size:
                self._pks.popitem(last=False)


_latest = _LatestVersions()


def served_version_pk(distribution):
    """The pk of the repository version `distribution` serves now, or None."""
    if distribution.repository_version_id is not None:
        return distribution.repository_version_id
    if distribution.repository_id is None:
        return None
    repository = distribution.repository  # loaded with the distribution by pulpcore
    key = (distribution.pk, distribution.pulp_last_updated, repository.pk, repository.next_version)
    pk = _latest.get(key)
    if pk is None:
        version = repository.latest_version()
        if version is None:
            return None
        pk = version.pk
        _latest.put(key, pk)
    return pk
