"""Plain-HTTP serving of a bootfiles distribution: the content handler answers its whole
namespace (files, boot configs, listings, misses) from a per-version index of the served files.

- `index`: what a repository version serves, built once per version and cached per process.
- `responses`: the file response (strong sha256 ETag, If-Range/If-Match/If-None-Match judged
  by it) and the listing page.
- `handler`: maps a path under the base path to one of those, or to a 404.
"""
