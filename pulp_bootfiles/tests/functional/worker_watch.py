"""
Watch what the stack's worker does while a task runs: the disk it fills under its working
directory, the memory of its processes, and the files it leaves anywhere in the dev dir.

The stack runs on this machine (dev/stack.sh), so its dev dir is the directory of
PULP_SETTINGS, which `dev/stack.sh env` exports.
"""

import os
import threading
import time
from pathlib import Path

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
# Changed by PostgreSQL and the processes' logs and pid files all the time; not Pulp's output.
NOT_PULP_OUTPUT = ("pg", "log", "run")


def dev_dir() -> Path:
    settings = os.environ.get("PULP_SETTINGS")
    if not settings:
        raise RuntimeError("PULP_SETTINGS is not set: run the tests through dev/test.sh")
    return Path(settings).parent


def worker_pid() -> int:
    """The worker's session id: the pid dev/stack.sh recorded for it."""
    return int((dev_dir() / "run" / "worker.pid").read_text())


def session_processes(sid: int) -> list[int]:
    """Pids of the processes in session `sid` (the worker and the task processes it forks)."""
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == sid:  # state ppid pgrp session ...
            pids.append(int(entry.name))
    return pids


def rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_SIZE
    except OSError:
        return 0


def disk_usage(root: Path) -> int:
    """Bytes allocated to the files below `root` (sparse files count what they really use)."""
    total = 0
    for directory, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(directory, name)).st_blocks * 512
            except OSError:
                pass  # removed meanwhile
    return total


def files_below(root: Path) -> set[Path]:
    found = set()
    for directory, dirs, files in os.walk(root):
        if Path(directory) == root:
            dirs[:] = [d for d in dirs if d not in NOT_PULP_OUTPUT]
        found.update(Path(directory, name) for name in files)
    return found


class WorkerWatch:
    """
    Context manager sampling, every `period` s, the disk used under the worker's working
    directory and the largest resident memory of one worker process.

    After the block: `peak_working_bytes`, `peak_rss`, `seconds`, and `new_files` (files that
    appeared in the dev dir, outside PostgreSQL's data and the logs).
    """

    def __init__(self, period=0.02):
        self.period = period
        self.dev = dev_dir()
        self.working = self.dev / "tmp"
        self.peak_working_bytes = 0
        self.peak_rss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._before = files_below(self.dev)
        self._baseline_working = disk_usage(self.working)
        self._start = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.seconds = time.monotonic() - self._start
        self._wait_for_task_processes()
        self.new_files = sorted(files_below(self.dev) - self._before)

    @staticmethod
    def _wait_for_task_processes(timeout=30):
        """A task is reported failed before its process has exited and its working directory
        is gone (a sync's other downloads may still be ending): list files after that."""
        sid = worker_pid()
        deadline = time.monotonic() + timeout
        while [pid for pid in session_processes(sid) if pid != sid]:
            if time.monotonic() > deadline:
                raise AssertionError(f"the worker's task processes still run after {timeout} s")
            time.sleep(0.05)

    def _sample(self):
        sid = worker_pid()
        while not self._stop.is_set():
            grown = disk_usage(self.working) - self._baseline_working
            self.peak_working_bytes = max(self.peak_working_bytes, grown)
            self.peak_rss = max([self.peak_rss, *map(rss, session_processes(sid))])
            self._stop.wait(self.period)

    def files_outside(self, *allowed: str) -> list[Path]:
        """New files not below the dev dir's `allowed` subdirectories (e.g. "media")."""
        roots = [self.dev / name for name in allowed]
        return [f for f in self.new_files if not any(f.is_relative_to(r) for r in roots)]
