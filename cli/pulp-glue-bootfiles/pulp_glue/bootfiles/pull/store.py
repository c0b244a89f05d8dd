"""The sets of files a pull keeps in DEST, and the one rename that switches them.

    DEST/.pulp-bootfiles/<key>/sets/<id>/      a complete set, laid out
    DEST/.pulp-bootfiles/<key>/sets/<id>.json  {path: digest} of its files, for reuse
    DEST/.pulp-bootfiles/<key>/current         symlink -> sets/<id>: the set being served
    DEST/<entry>                               symlink -> .pulp-bootfiles/<key>/current/<entry>

A new set is built in `partial-*` beside the others (unchanged files hard-linked from the
current set, the rest downloaded), renamed into `sets/`, and served by replacing `current`
with one rename(2): a TFTP or HTTP server resolving `DEST/<entry>` sees the old set or the new
one, never a mix. The links are relative and stay inside DEST, so a server chrooted there
(tftpd-hpa `--secure`) follows them. A pull that stops before the rename leaves `current` as
it was; the next pull removes its partial directory.
"""

import fcntl
import json
import os
import shutil
import tempfile
from pathlib import Path

STATE_DIR = ".pulp-bootfiles"


class StoreError(Exception):
    """DEST cannot take the set; the message names the path and the problem."""


def entries(paths, depth: int) -> set[str]:
    """The names DEST holds as links: each path cut to `depth` components."""
    return {"/".join(path.split("/")[:depth]) for path in paths}


class Store:
    def __init__(self, dest: Path, key: str):
        self.dest = Path(dest)
        self.key = key
        self.root = self.dest / STATE_DIR / key
        self.sets = self.root / "sets"
        self.current = self.root / "current"

    def lock(self):
        """Hold the store's lock (a second pull into the same DEST and key waits)."""
        self.sets.mkdir(parents=True, exist_ok=True)
        handle = open(self.root / "lock", "w")
        fcntl.flock(handle, fcntl.LOCK_EX)
        for stale in self.root.glob("partial-*"):
            shutil.rmtree(stale, ignore_errors=True)
        return handle

    def current_id(self) -> str | None:
        try:
            return Path(os.readlink(self.current)).name
        except OSError:
            return None

    def record(self, set_id: str | None) -> dict:
        """{path: digest} of a set's files; empty when unknown."""
        if set_id is None:
            return {}
        try:
            return json.loads((self.sets / f"{set_id}.json").read_text())
        except (OSError, ValueError):
            return {}

    def _link_target(self, entry: str) -> str:
        up = "../" * entry.count("/")
        return f"{up}{STATE_DIR}/{self.key}/current/{entry}"

    def check_entries(self, names: set[str]) -> None:
        """Refuse before any download if DEST holds something else at a name of the set."""
        for entry in sorted(names):
            path = self.dest / entry
            if not os.path.lexists(path):
                continue
            if path.is_symlink() and os.readlink(path) == self._link_target(entry):
                continue
            raise StoreError(
                f"{path} exists and was not made by this pull (it would hide the set's "
                f"{entry}); move it away or pull into another directory"
            )

    def in_place(self, set_id: str, names: set[str]) -> bool:
        """Whether `set_id` is served with exactly these links."""
        return (
            self.current_id() == set_id
            and (self.sets / set_id).is_dir()
            and all(
                (self.dest / e).is_symlink() and os.readlink(self.dest / e) == self._link_target(e)
                for e in names
            )
            and self._own_entries() == names
        )

    def _own_entries(self) -> set[str]:
        """Links in DEST made by this key (searched to the depth of the set's paths)."""
        found = set()
        marker = f"{STATE_DIR}/{self.key}/current/"
        for directory, dirnames, filenames in os.walk(self.dest):
            relative = os.path.relpath(directory, self.dest)
            if relative.split(os.sep)[0] == STATE_DIR:
                dirnames[:] = []
                continue
            for name in dirnames + filenames:
                path = os.path.join(directory, name)
                if os.path.islink(path) and marker in os.readlink(path):
                    found.add(os.path.normpath(os.path.join(relative, name)))
        return found

    def new_partial(self) -> Path:
        return Path(tempfile.mkdtemp(prefix="partial-", dir=self.root))

    def publish(self, partial: Path, set_id: str, record: dict, names: set[str]) -> None:
        """Make `partial` the set `set_id` and serve it: links, then the one rename."""
        target = self.sets / set_id
        if target.exists() and self.current_id() != set_id:
            shutil.rmtree(target)
        if not target.exists():
            os.rename(partial, target)
        (self.sets / f"{set_id}.json").write_text(json.dumps(record, sort_keys=True))
        for entry in sorted(names):  # new names resolve once `current` points at the set
            path = self.dest / entry
            if not os.path.lexists(path):
                path.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(self._link_target(entry), path)
        swap = self.root / "current.new"
        if os.path.lexists(swap):
            os.unlink(swap)
        os.symlink(f"sets/{set_id}", swap)
        os.replace(swap, self.current)  # the switch
        for entry in self._own_entries() - names:
            os.unlink(self.dest / entry)
        for old in self.sets.iterdir():
            if old.name not in (set_id, f"{set_id}.json"):
                shutil.rmtree(old) if old.is_dir() else old.unlink()
