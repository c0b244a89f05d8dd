"""Memory and CPU of a process tree, read from /proc (no psutil needed).

pulpcore-worker runs each task in a forked child, so the worker's figure is the sum over the
worker and all its descendants, sampled in a background thread.
"""

import os
import threading
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name (which may hold spaces and parentheses)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


def descendants(root: int) -> list[int]:
    """`root` and every process below it."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(_stat_fields(int(entry))[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _kb(path: str, key: str) -> int:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_kb(pid: int) -> int:
    return _kb(f"/proc/{pid}/status", "VmRSS:")


def pss_kb(pid: int) -> int:
    """Proportional set size: shared pages split among their users, so a sum over a forked
    tree does not count the pages parent and child share twice."""
    return _kb(f"/proc/{pid}/smaps_rollup", "Pss:")


def tree_pss_kb(root: int) -> int:
    return sum(pss_kb(pid) for pid in descendants(root))


def cpu_seconds(pid: int) -> float:
    """User + system CPU of `pid` and of its children it has waited for."""
    fields = _stat_fields(pid)
    return sum(int(value) for value in fields[11:15]) / CLK_TCK


class TreeSampler(threading.Thread):
    """Samples the RSS (and PSS) sums of a process tree every `interval` seconds until stopped."""

    def __init__(self, root: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_rss_kb = self.peak_pss_kb = self.peak_single_kb = 0
        self.peak_processes = self.samples = 0
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            pids = descendants(self.root)
            rss = [rss_kb(pid) for pid in pids]
            self.peak_rss_kb = max(self.peak_rss_kb, sum(rss))
            self.peak_single_kb = max(self.peak_single_kb, max(rss, default=0))
            self.peak_pss_kb = max(self.peak_pss_kb, sum(pss_kb(pid) for pid in pids))
            self.peak_processes = max(self.peak_processes, len(pids))
            self.samples += 1
            self._stop_event.wait(self.interval)

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self._stop_event.set()
        self.join()


def wait_quiet(root: int, timeout: float = 10.0) -> None:
    """Wait until `root` has no child processes (a finished task's child has exited)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(descendants(root)) > 1:
        time.sleep(0.1)
