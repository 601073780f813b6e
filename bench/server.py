"""What every bench needs of a gunicorn it starts: a free loopback port, the wait until it answers, and its worker
processes read from /proc (CPU time, RSS, threads). One copy for `make bench`, `make bench-latency` and `make soak`.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import requests


def free_port() -> int:
    """Returns a TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    """Waits until GET `url` answers 200; stops the run when gunicorn exits or never gets there."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited before it was ready; see its log")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or a worker still importing
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not become ready in time")


def children(master: int) -> dict[int, list[str]]:
    """The processes whose parent is `master` (gunicorn's workers): pid -> /proc/<pid>/stat fields after the name."""
    out: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == master:
            out[int(entry.name)] = fields
    return dict(sorted(out.items()))


def cpu_ticks(master: int) -> dict[int, int]:
    """Cumulative CPU ticks (user + system) of each worker of `master`."""
    return {pid: int(fields[11]) + int(fields[12]) for pid, fields in children(master).items()}


def status_field(pid: int, name: str) -> str | None:
    """A field of /proc/<pid>/status (`VmRSS`, `Threads`), its first word; None when gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{name}:"):
                return line.split()[1]
    except OSError:
        return None
    return None


def workers_rss_mb(master: int) -> list[float]:
    """VmRSS of each worker of `master`, in MB, smallest first."""
    rss = (status_field(pid, "VmRSS") for pid in children(master))
    return sorted(round(int(kb) / 1024, 1) for kb in rss if kb is not None)
