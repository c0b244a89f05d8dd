"""What every measurement needs: the run's profile, the stack, the mirror, the trees."""

from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.pulp import BenchPulp
from benchmarks.realistic_tree import Profile
from benchmarks.servers import Nginx


@dataclass
class Context:
    profile: Profile
    scratch: Path  # a directory removed at the end of the run
    pulp: BenchPulp
    api_url: str
    content_url: str
    dev_dir: Path  # BOOTFILES_DEV_DIR: settings.py, media/, run/worker.pid
    nginx: Nginx
    trees_root: Path  # nginx's root: one tree per arch below it
    trees: dict  # {arch: realistic_tree.ensure_tree's description}
    notes: list = field(default_factory=list)  # remarks for the report
    state: dict = field(default_factory=dict)  # objects one measurement leaves for the next

    def tree_url(self, arch: str) -> str:
        return f"{self.nginx.url}/{arch}/"

    def tree_dir(self, arch: str) -> Path:
        return self.trees_root / arch

    @property
    def settings(self) -> Path:
        return self.dev_dir / "settings.py"

    @property
    def media_root(self) -> Path:
        return self.dev_dir / "media"

    def worker_pid(self) -> int:
        return int((self.dev_dir / "run" / "worker.pid").read_text())
