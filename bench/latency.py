"""Latency benchmark: patient-view calls with full prefetch against the service under gunicorn, on loopback.

Starts gunicorn (the same command as `make demo`) on a free 127.0.0.1 port with the fixtures' pinned today, warms
up, then sends N calls per scenario one after another and reports the median, p95 and max in milliseconds, and
the ratio of the near-free path (a chart without lupus nephritis) to the full assessment -- all from one run.

Run: make bench   (or .venv/bin/python -m bench.latency --calls 200)
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "cards_fixtures" / "lupus-nephritis-response"
SCENARIOS = {
    "refractory (demo patient)": "demo-refractory-7-months",
    "responder (status card)": "responder-complete-12-months",
    "no lupus nephritis": "no-ln-sle-only",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited before it was ready")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not become ready in time")


def _measure(session: requests.Session, url: str, body: bytes, calls: int) -> list[float]:
    headers = {"Content-Type": "application/json"}
    for _ in range(10):  # warm-up: imports, first-call caches, worker spin-up
        session.post(url, data=body, headers=headers, timeout=10).raise_for_status()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        reply = session.post(url, data=body, headers=headers, timeout=10)
        times.append((time.perf_counter() - start) * 1000)
        reply.raise_for_status()
    return times


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (1 = no cross-worker noise)")
    args = parser.parse_args()
    port = _free_port()
    base = f"http://127.0.0.1:{port}/cds-services"
    env = {**os.environ, "CDS_TODAY": "2026-06-15", "CDS_PORT": str(port), "CDS_LOG_LEVEL": "WARNING"}
    env["CDS_AUTH"] = "open"  # measures the clinical path; JWT verification is covered by tests/security
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    cmd = [gunicorn, "-b", f"127.0.0.1:{port}", "-w", str(args.workers), "service.app:create_app()"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_ready(base, proc)
        results = {}
        with requests.Session() as session:
            for label, folder in SCENARIOS.items():
                body = (FIXTURES / folder / "request.json").read_bytes()
                results[label] = _measure(session, f"{base}/lupus-nephritis-response", body, args.calls)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    report = {
        label: {
            "calls": len(t),
            "median_ms": round(statistics.median(t), 2),
            "p95_ms": round(_pct(t, 0.95), 2),
            "max_ms": round(max(t), 2),
        }
        for label, t in results.items()
    }
    full = statistics.median(results["refractory (demo patient)"])
    free = statistics.median(results["no lupus nephritis"])
    report["no-LN / refractory median ratio"] = round(free / full, 3)  # type: ignore[assignment]
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
