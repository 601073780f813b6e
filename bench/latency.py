"""Latency benchmark: patient-view calls with full prefetch, under gunicorn on loopback and in process.

Starts gunicorn (the same app factory as `make demo`) on a free 127.0.0.1 port with the fixtures' pinned today,
warms up, then sends N calls per scenario one after another and reports the median, p95 and max in milliseconds.
The same scenarios are then run in process through the WSGI app (no socket, no HTTP client): that isolates what
the service itself spends, which is what the near-free path (a chart without lupus nephritis) saves. Both ratios
of that path to the full assessment come from the same run.

Run: make bench-latency   (or .venv/bin/python -m bench.latency --calls 200)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench.server import free_port, wait_ready
from service.store.engine import open_engine, upgrade

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "cards_fixtures" / "lupus-nephritis-response"
SCENARIOS = {
    "refractory (demo patient)": "demo-refractory-7-months",
    "responder (status card)": "responder-complete-12-months",
    "no lupus nephritis": "no-ln-sle-only",
}


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


def _measure_in_process(body: bytes, calls: int) -> list[float]:
    """Returns per-call milliseconds through the WSGI app in this process (Flask's test client, no socket)."""
    from datetime import date

    from service.app import create_app
    from service.settings import Settings

    settings = Settings(today=date(2026, 6, 15), auth="open", log_level="WARNING")
    client = create_app(settings, configure_logs=False).test_client()
    url = "/cds-services/lupus-nephritis-response"
    for _ in range(10):
        client.post(url, data=body, content_type="application/json")
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        reply = client.post(url, data=body, content_type="application/json")
        times.append((time.perf_counter() - start) * 1000)
        if reply.status_code != 200:
            raise SystemExit(f"in-process call answered {reply.status_code}")
    return times


def _summary(times: list[float]) -> dict[str, float]:
    return {
        "calls": len(times),
        "median_ms": round(statistics.median(times), 2),
        "p95_ms": round(_pct(times, 0.95), 2),
        "max_ms": round(max(times), 2),
    }


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers (1 = no cross-worker noise)")
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}/cds-services"
    env = {**os.environ, "CDS_TODAY": "2026-06-15", "CDS_PORT": str(port), "CDS_LOG_LEVEL": "WARNING"}
    env["CDS_AUTH"] = "open"  # measures the clinical path; JWT verification is covered by tests/security
    env["CDS_RATE_LIMIT_PER_MINUTE"] = "0"  # one client sending every call: the limiter answered 429 (make bench too)
    # A throwaway store (the service refuses to start on an unapplied migration); cards are stored as in production.
    store_dir = tempfile.TemporaryDirectory(prefix="ln-cds-bench-")
    env["CDS_DATABASE_URL"] = f"sqlite:///{Path(store_dir.name) / 'bench.sqlite3'}"
    engine = open_engine(env["CDS_DATABASE_URL"])
    upgrade(engine)
    engine.dispose()
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    cmd = [gunicorn, "-b", f"127.0.0.1:{port}", "-w", str(args.workers), "service.app:create_app()"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(base, proc, timeout_s=30)
        results = {}
        with requests.Session() as session:
            for label, folder in SCENARIOS.items():
                body = (FIXTURES / folder / "request.json").read_bytes()
                results[label] = _measure(session, f"{base}/lupus-nephritis-response", body, args.calls)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        store_dir.cleanup()
    in_process = {
        label: _measure_in_process((FIXTURES / folder / "request.json").read_bytes(), args.calls)
        for label, folder in SCENARIOS.items()
    }
    report: dict[str, object] = {
        "gunicorn over loopback HTTP": {label: _summary(t) for label, t in results.items()},
        "in process (WSGI, no HTTP)": {label: _summary(t) for label, t in in_process.items()},
    }
    for name, runs in (("gunicorn", results), ("in process", in_process)):
        full = statistics.median(runs["refractory (demo patient)"])
        free = statistics.median(runs["no lupus nephritis"])
        report[f"no-LN / refractory median ratio, {name}"] = round(free / full, 3)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
