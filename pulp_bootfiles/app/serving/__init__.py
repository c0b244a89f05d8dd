"""Plain-HTTP serving of a bootfiles distribution: the content handler answers its whole
namespace (files, boot configs, listings, misses) from a per-version index of the served files.

- `index`: what a repository version serves, built once per version and cached per process.
- `responses`: the file response (strong sha256 ETag, If-Range/If-Match/If-None-Match judged
  by it) and the listing page.
- `versions`: which version a distribution serves, from facts read with it.
- `handler`: maps a path under the base path to one of those, or to a 404.
- `route`: the content app's first stop (`app/content.py`): reads one row per request and
  calls `handler` for bootfiles distributions, in place of pulpcore's distribution match.
"""
