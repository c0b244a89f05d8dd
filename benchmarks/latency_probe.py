"""
One more machine, in a process of its own, timing probes and configs while a storm runs.

The storm's machines share one Python process (and these 2 cores) with their own hashing of
every byte they get, so their latencies include the load generator's own queueing: nginx, which
answers a 404 in well under a millisecond, shows tens of milliseconds at N=100 there. This
process does nothing else, so what it measures is what a booting machine with its own CPU
waits for the server: one persistent connection, a GRUB probe then a config, over and over,
until stdin closes; then it prints {"probe": [seconds...], "config": [...], "errors": [...]}.

Usage: python latency_probe.py <tree root URL> <probe path> <config path> [pause seconds]
"""

import http.client
import json
import sys
import threading
import time
from urllib.parse import urlsplit


def sample(root, paths, pause, stop):
    parts = urlsplit(root)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    found = {kind: [] for kind in paths}
    errors = []
    while not stop.is_set():
        for kind, path in paths.items():
            start = time.monotonic()
            try:
                connection.request("GET", parts.path + path)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"{path}: {type(exc).__name__}: {exc}")
                connection.close()
                continue
            found[kind].append(time.monotonic() - start)
            expected = 404 if kind == "probe" else 200
            if response.status != expected:
                errors.append(f"{path}: HTTP {response.status}, expected {expected}")
        stop.wait(pause)
    return found, errors


def main(argv):
    root, probe, config = argv[:3]
    pause = float(argv[3]) if len(argv) > 3 else 0.1
    stop = threading.Event()
    result = {}

    def run():
        result["found"], result["errors"] = sample(
            root, {"probe": probe, "config": config}, pause, stop
        )

    worker = threading.Thread(target=run)
    worker.start()
    sys.stdin.read()  # until the benchmark closes our stdin
    stop.set()
    worker.join()
    print(json.dumps({**result["found"], "errors": result["errors"]}))


if __name__ == "__main__":
    main(sys.argv[1:])
