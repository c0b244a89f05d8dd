"""Run a QEMU VM until a line appears on its serial console, with a hard timeout.

QEMU runs in its own process group, which is killed when the wait ends however it ends, so a
hung guest never outlives its test. The serial console goes to a log file kept as an artifact.
"""

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

QEMU = "qemu-system-x86_64"
# From the guest (QEMU user networking), the host's loopback is 10.0.2.2.
HOST_FROM_GUEST = "10.0.2.2"
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.secboot.fd")
OVMF_VARS_MS = Path("/usr/share/OVMF/OVMF_VARS_4M.ms.fd")  # Microsoft keys, Secure Boot on


@dataclass(frozen=True)
class Console:
    """What a VM printed on its serial console, and where the log is kept."""

    log: Path
    text: str
    seen: str | None  # the first of the awaited strings that appeared, if any
    seconds: float

    def describe(self) -> str:
        tail = "\n".join(self.text.splitlines()[-25:])
        stderr = self.log.with_suffix(".qemu-stderr").read_text(errors="replace")[-2000:]
        return (
            f"console log {self.log} after {self.seconds:.0f} s; its end:\n{tail}\n"
            f"QEMU's stderr:\n{stderr}"
        )


def run_vm(args: Sequence[str], log: Path, until: Sequence[str], timeout: float = 120) -> Console:
    """Boot `qemu-system-x86_64 <args>` until one of `until` is on the console, QEMU exits,
    or `timeout` seconds pass; then kill QEMU's process group."""
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_bytes(b"")
    command = [QEMU, "-nodefaults", "-display", "none", "-monitor", "none", "-no-reboot"]
    command += ["-serial", f"file:{log}", "-m", "512", *args]
    started = time.monotonic()
    with open(log.with_suffix(".qemu-stderr"), "wb") as stderr:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr, start_new_session=True
        )
        seen = None
        try:
            while time.monotonic() - started < timeout:
                text = log.read_text(errors="replace")
                seen = next((marker for marker in until if marker in text), None)
                if seen or process.poll() is not None:
                    break
                time.sleep(0.5)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    text = log.read_text(errors="replace")
    if seen is None:
        seen = next((marker for marker in until if marker in text), None)
    return Console(log, text, seen, time.monotonic() - started)


def user_net(**options: str) -> str:
    """A `-netdev user` argument; options such as tftp=DIR, bootfile=NAME."""
    return ",".join(["user", "id=n0", *(f"{key}={value}" for key, value in options.items())])
