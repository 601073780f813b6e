"""`make bench`: the shipped gunicorn configuration on loopback under wrk, and the floors, in one run, one table.

What runs: `gunicorn -c gunicorn.conf.py bench.floor_app:create_app()` (the shipped config and app, plus one
trivial route for the framework floor) on a free 127.0.0.1 port, on a throwaway migrated SQLite store, with
CDS_AUTH=open (JWT checks are measured by tests/security, not here), CDS_RATE_LIMIT_PER_MINUTE=0 (one load
generator is one client) and CDS_MAX_BODY_BYTES raised for the 10,000-Observation payload. wrk (Debian package)
drives each scenario at concurrency 1 and 8 with a Lua script that posts the payload and prints its percentiles as
JSON. A loopback FHIR server (ln_testing.fhir_stub) answers the fetch path with 50 ms injected per query.

The in-process floor of a payload is what validated parsing alone costs: orjson parse of the body plus
fhir.resources R4B `model_validate` of every resource in it, in this process, median of repeats.

Run: make bench   (or .venv/bin/python -m bench.run --seconds 5); results also go to bench/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import requests

from bench import payloads
from bench.floor_app import FLOOR_PATH
from bench.server import cpu_ticks, free_port, wait_ready, workers_rss_mb
from ln_testing.fhir_stub import answering
from service.settings import Settings
from service.store.engine import open_engine, upgrade

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
FHIR_LATENCY_S = 0.050
SCALE = (10, 100, 1_000, 10_000)
RSS_AFTER_REQUESTS = 10_000
SLOW_CALL_S = 5.0  # a payload whose call takes longer runs at concurrency 1 only, two calls' worth

WRK_SCRIPT = r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function init(args)
  local f = assert(io.open(args[1], "rb"))
  wrk.body = f:read("*a")
  f:close()
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def _steal_ticks() -> tuple[int, int]:
    """(steal, total) jiffies of all CPUs so far, from /proc/stat (Linux; (0, 0) elsewhere)."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return (fields[7] if len(fields) > 7 else 0), sum(fields[:8])


def _wrk(wrk: str, script: Path, url: str, body: Path, concurrency: int, seconds: float) -> dict[str, Any]:
    steal_before, total_before = _steal_ticks()
    cmd = [wrk, "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "--timeout", "300s", "-s", str(script)]
    out = subprocess.run([*cmd, url, "--", str(body)], capture_output=True, text=True, check=True).stdout
    line = next(raw for raw in reversed(out.splitlines()) if raw.startswith("{"))
    run = json.loads(line)
    if run["requests"] == 0:
        raise SystemExit(f"wrk completed no request on {url}:\n{out}")
    seconds_run = run["duration_us"] / 1e6
    steal_after, total_after = _steal_ticks()
    ticks = total_after - total_before
    return {
        # CPU time the hypervisor gave to others while this ran: on a shared VM, figures from a run with much
        # steal are not comparable with a quiet one (the ratios within the run still are, roughly)
        "steal_pct": round(100 * (steal_after - steal_before) / ticks, 1) if ticks > 0 else None,
        "requests": run["requests"],
        "p50_ms": run["p50_us"] / 1000,
        "p90_ms": run["p90_us"] / 1000,
        "p99_ms": run["p99_us"] / 1000,
        "rps": run["requests"] / seconds_run,
        "errors": run["errors"],  # non-2xx, timeouts and dropped connections (an overloaded server), reported
    }


def _validate_all(body: bytes) -> int:
    """The in-process floor's work: orjson parse + R4B validation of every resource; returns how many."""
    from fhir.resources.R4B import get_fhir_model_class

    resources = payloads.resources_of(orjson.loads(body))
    for resource in resources:
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    return len(resources)


def _in_process_floor(body: bytes, budget_s: float = 1.5) -> float:
    """Median milliseconds of `_validate_all(body)` over repeats filling about `budget_s` (at least 5)."""
    _validate_all(body)  # warm: model classes imported, validators built
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < 5 or (time.perf_counter() - started < budget_s and len(times) < 200):
        t0 = time.perf_counter()
        _validate_all(body)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _single_queries(base: str) -> float:
    """Milliseconds of the slowest single FHIR query of the fetch path, from here (median of 5 each)."""
    slowest = 0.0
    with requests.Session() as session:
        for query in _fetch_queries():
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                session.get(f"{base}/{query}", timeout=10).raise_for_status()
                times.append((time.perf_counter() - t0) * 1000)
            slowest = max(slowest, statistics.median(times))
    return slowest


def _fetch_queries() -> list[str]:
    from hooks.lupus_nephritis_response import SPEC

    return [template.replace("{{context.patientId}}", "bench-ln") for template in SPEC.prefetch.values()]


def _timed_post(url: str, body: bytes) -> float:
    """Returns the seconds one call took."""
    started = time.perf_counter()
    requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=300).raise_for_status()
    return time.perf_counter() - started


def _check(url: str, body: bytes, want_cards: bool) -> None:
    """Sends `body` once and checks the answer has (or lacks) cards."""
    reply = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=300)
    reply.raise_for_status()
    if bool(reply.json()["cards"]) != want_cards:
        raise SystemExit(f"{url}: expected {'cards' if want_cards else 'no cards'}, got {reply.text[:200]}")


def _scenarios(fhir_base: str, scale: tuple[int, ...]) -> list[tuple[str, bytes, bool]]:
    """(name, body, cards expected) in the order they run on the shipped configuration."""
    out = [("floor", orjson.dumps(payloads.payload_a()), False)]
    out.append(("A no-LN", orjson.dumps(payloads.payload_a()), False))
    out.append(("B LN 3y", orjson.dumps(payloads.payload_b()), True))
    out += [(f"scale {n}", orjson.dumps(payloads.scale(n)), True) for n in scale]
    out.append(("fetch 50ms", orjson.dumps(payloads.fetch_path(fhir_base)), True))
    return out


# Runs on the shipped configuration with one setting changed, on its own server after the main one: the fetch path
# with the gate's query overlapped by the rest (CDS_FHIR_FETCH_AHEAD; its nine queries need nine bulkhead slots).
VARIANTS: tuple[tuple[str, dict[str, str]], ...] = (
    ("fetch ahead", {"CDS_FHIR_FETCH_AHEAD": "on", "CDS_FHIR_ORIGIN_CONCURRENCY": "16"}),
)
NO_CHART = {"CDS_CHARTS": "off"}
CHART_ROUNDS, CHART_RUN_S = 4, 3.0  # the chart's cost: alternating c1 runs of payload B, with and without it


def _variant_body(name: str, fhir_base: str) -> tuple[bytes, bool]:
    return orjson.dumps(payloads.fetch_path(fhir_base)), True


def _chart_effect(driver: _Driver, base: str, env: dict[str, str], body: Path) -> dict[str, Any]:
    """Payload B at concurrency 1 on the main server and on a second one with CDS_CHARTS=off, both up at once,
    in alternating runs (order swapped each round): what the course chart adds to an LN call's p50 (issue 15),
    with the machine's drift spread over both. Separate servers minutes apart differed by more than the effect."""
    assert driver.wrk is not None  # only called with wrk
    port = free_port()
    other = f"http://127.0.0.1:{port}"
    path = f"/cds-services/{payloads.SERVICE}"
    p50s: dict[str, list[float]] = {"with": [], "without": []}
    with _serving({**env, **NO_CHART, "CDS_PORT": str(port)}, f"{other}/cds-services"):
        _timed_post(other + path, body.read_bytes())
        for round_ in range(CHART_ROUNDS):
            order = [("with", base), ("without", other)]
            for label, url in order if round_ % 2 == 0 else order[::-1]:
                p50s[label].append(_wrk(driver.wrk, driver.script, url + path, body, 1, CHART_RUN_S)["p50_ms"])
    with_chart, without = statistics.median(p50s["with"]), statistics.median(p50s["without"])
    return {"p50_ms_with": with_chart, "p50_ms_without": without, "runs": p50s, "effect": with_chart / without - 1}


def _env(port: int, database_url: str) -> dict[str, str]:
    env = {**os.environ, "CDS_TODAY": payloads.TODAY.isoformat(), "CDS_PORT": str(port), "CDS_HOST": "127.0.0.1"}
    env.update(
        CDS_LOG_LEVEL="WARNING",
        CDS_AUTH="open",
        CDS_RATE_LIMIT_PER_MINUTE="0",
        CDS_MAX_BODY_BYTES=str(64 * 1024 * 1024),
        CDS_DATABASE_URL=database_url,
    )
    return env


def _wait_workers_booted(master: int, workers: int, timeout_s: float = 60, quiet_s: float = 0.5) -> None:
    """Waits until `workers` children exist and none used CPU for `quiet_s`: all have imported the app. The first
    answer comes from whichever worker booted first; a run started then has every connection on that one worker
    (the framework floor, run first, measured concurrency 8 below concurrency 1 that way)."""
    deadline = time.monotonic() + timeout_s
    last: dict[int, int] = {}
    while time.monotonic() < deadline:
        now = cpu_ticks(master)
        if len(now) >= workers and now == last:
            return
        last = now
        time.sleep(quiet_s)
    print(f"warning: the workers did not settle within {timeout_s:.0f} s; figures may include start-up", flush=True)


@contextmanager
def _serving(env: dict[str, str], ready_url: str) -> Iterator[subprocess.Popen[bytes]]:
    """The shipped gunicorn configuration with `env`, until the block ends (every worker booted first)."""
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    cmd = [gunicorn, "-c", "gunicorn.conf.py", "bench.floor_app:create_app()"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(ready_url, proc)
        _wait_workers_booted(proc.pid, int(env.get("CDS_WORKERS", Settings.model_fields["workers"].default)))
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)


class _Driver:
    """Runs one scenario under wrk at concurrency 1 and 8 and keeps its row."""

    def __init__(self, wrk: str | None, work: Path, script: Path, seconds: float, report: Callable[[str], None]):
        self.wrk, self.work, self.script, self.seconds, self.report = wrk, work, script, seconds, report
        self.total = 0

    def drive(self, base: str, name: str, body: bytes, want_cards: bool) -> dict[str, Any]:
        path = self.work / f"{name.replace(' ', '_')}.json"
        path.write_bytes(body)
        url = base + (FLOOR_PATH if name == "floor" else f"/cds-services/{payloads.SERVICE}")
        if name != "floor":
            _check(url, body, want_cards)
        row: dict[str, Any] = {"body_bytes": len(body)}
        if name != "floor" and not name.startswith("fetch"):
            row["resources"] = len(payloads.resources_of(orjson.loads(body)))
        if self.wrk is None:
            return row
        one = _timed_post(url, body)
        if one < SLOW_CALL_S:  # warm-up of both workers; a warm call's time sets the runs' length
            one = min(_timed_post(url, body) for _ in range(2))
        for c in (1, 8):
            if c > 1 and one >= SLOW_CALL_S:
                self.report(f"  {name} c{c}: skipped, one call takes {one:.1f} s (the 5-minute budget)")
                continue
            # long calls get at least ~20 samples per connection pair (capped: the 5-minute budget)
            span = min(max(self.seconds, 20 * one * max(1, c / 2)), 40) if one < SLOW_CALL_S else 2 * one
            row[f"c{c}"] = _wrk(self.wrk, self.script, url, path, c, span)
            self.total += row[f"c{c}"]["requests"]
            self.report(f"  {name} c{c}: {row[f'c{c}']}")
        return row


def run(seconds: float, report: Callable[[str], None], scale: tuple[int, ...] = SCALE) -> dict[str, Any]:
    """Runs every scenario and returns the results (also what `main` prints and writes)."""
    wrk = shutil.which("wrk")
    tmp = tempfile.TemporaryDirectory(prefix="ln-cds-bench-")
    work = Path(tmp.name)
    script = work / "post.lua"
    script.write_text(WRK_SCRIPT)
    database_url = f"sqlite:///{work / 'bench.sqlite3'}"
    engine = open_engine(database_url)
    upgrade(engine)
    engine.dispose()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    results: dict[str, Any] = {"scenarios": {}, "fhir_latency_ms": FHIR_LATENCY_S * 1000, "scale": list(scale)}
    driver = _Driver(wrk, work, script, seconds, report)
    with answering(payloads.fhir_routes(), FHIR_LATENCY_S) as stub:
        scenarios = _scenarios(stub.base, scale)
        with _serving(_env(port, database_url), f"{base}/cds-services") as proc:
            for name, body, want_cards in scenarios:
                results["scenarios"][name] = driver.drive(base, name, body, want_cards)
                if wrk is not None and name == "B LN 3y":
                    # RSS after 10,000 ordinary calls (floor, A, B; topped up with A), before the scale series' 6 MB
                    # body sets a high-water mark the allocator keeps; the RSS at the end is reported too.
                    hook_url = f"{base}/cds-services/{payloads.SERVICE}"
                    while driver.total < RSS_AFTER_REQUESTS:
                        run_a = _wrk(wrk, script, hook_url, work / "A_no-LN.json", 8, seconds)
                        driver.total += run_a["requests"]
                    results["rss_after_requests"] = driver.total
                    results["worker_rss_mb"] = workers_rss_mb(proc.pid)
                    env = _env(port, database_url)
                    results["chart_effect"] = _chart_effect(driver, base, env, work / "B_LN_3y.json")
                    report(f"  course chart, B c1 p50 with / without: {results['chart_effect']}")
            if wrk is not None:
                results["worker_rss_mb_at_end"] = workers_rss_mb(proc.pid)
        for name, overrides in VARIANTS:
            body, want_cards = _variant_body(name, stub.base)
            scenarios.append((name, body, want_cards))
            with _serving({**_env(port, database_url), **overrides}, f"{base}/cds-services"):
                results["scenarios"][name] = driver.drive(base, name, body, want_cards)
            results["scenarios"][name]["settings"] = overrides
        results["slowest_single_query_ms"] = _single_queries(stub.base)
    tmp.cleanup()
    for name, body, _ in scenarios:
        if name != "floor" and not name.startswith("fetch"):
            results["scenarios"][name]["in_process_floor_ms"] = _in_process_floor(body)
    results["wrk"] = wrk is not None
    _ratios(results)
    return results


def _ratios(results: dict[str, Any]) -> None:
    rows = results["scenarios"]
    floor = rows["floor"]
    for name, row in rows.items():
        if "c1" not in row:
            continue
        ratios: dict[str, float] = {}
        if "c8" in row:
            ratios["rps_c8_over_c1"] = row["c8"]["rps"] / row["c1"]["rps"]
        if name != "floor":
            for c in ("c1", "c8") if "c8" in row else ("c1",):
                for p in ("p50", "p99"):
                    ratios[f"{p}_{c}_over_framework"] = row[c][f"{p}_ms"] / floor[c][f"{p}_ms"]
        if "in_process_floor_ms" in row:
            ratios["p50_c1_over_in_process"] = row["c1"]["p50_ms"] / row["in_process_floor_ms"]
        if name.startswith("scale"):
            row["ms_per_observation"] = row["c1"]["p50_ms"] / int(name.split()[1])
        if name.startswith("fetch"):
            ratios["p50_c1_over_slowest_query"] = row["c1"]["p50_ms"] / results["slowest_single_query_ms"]
        row["ratios"] = ratios
    if "chart_effect" in results:
        results["chart_effect_p50_c1"] = results["chart_effect"]["effect"]
    per_obs = {n: rows[f"scale {n}"].get("ms_per_observation") for n in results["scale"]}
    if per_obs.get(100) and per_obs.get(10_000):
        results["per_observation_10000_over_100"] = per_obs[10_000] / per_obs[100]


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def table(results: dict[str, Any]) -> str:
    """The one table: per scenario and concurrency, percentiles, throughput, floors and ratios."""
    head = (
        f"{'scenario':<12} {'c':>2} {'p50':>8} {'p90':>8} {'p99':>8} {'req/s':>8} {'in-proc':>8} "
        f"{'p50/fw':>7} {'p99/fw':>7} {'p50/inp':>8} {'c8/c1':>6} {'steal%':>6}"
    )
    lines = [head, "-" * len(head)]
    for name, row in results["scenarios"].items():
        ratios = row.get("ratios", {})
        for c in ("c1", "c8"):
            run = row.get(c)
            if run is None and c == "c8" and "c1" in row:
                lines.append(f"{name:<12} {'8':>2} skipped: one call takes over {SLOW_CALL_S:.0f} s")
                break
            if run is None:
                floor_ms = _fmt(row.get("in_process_floor_ms"), 2)
                lines.append(f"{name:<12} {'-':>2} (no wrk) in-process floor {floor_ms} ms")
                break
            lines.append(
                f"{name:<12} {c[1:]:>2} {run['p50_ms']:>8.2f} {run['p90_ms']:>8.2f} {run['p99_ms']:>8.2f} "
                f"{run['rps']:>8.1f} {_fmt(row.get('in_process_floor_ms'), 2):>8} "
                f"{_fmt(ratios.get(f'p50_{c}_over_framework'), 2):>7} "
                f"{_fmt(ratios.get(f'p99_{c}_over_framework'), 2):>7} "
                f"{_fmt(ratios.get('p50_c1_over_in_process') if c == 'c1' else None, 2):>8} "
                f"{_fmt(ratios.get('rps_c8_over_c1') if c == 'c8' else None, 2):>6} "
                f"{_fmt(run.get('steal_pct'), 0):>6}"
            )
    lines.append("")
    lines.append(
        "times in ms; fw = framework floor (same server, same concurrency); in-proc = orjson + R4B validation; "
        "steal% = CPU the hypervisor took while the run went"
    )
    per_obs = {n: results["scenarios"][f"scale {n}"].get("ms_per_observation") for n in results["scale"]}
    lines.append("scale, ms per Observation at c1 p50: " + ", ".join(f"{n}: {_fmt(v, 4)}" for n, v in per_obs.items()))
    if "per_observation_10000_over_100" in results:
        lines.append(f"  10,000 vs 100 per Observation: {results['per_observation_10000_over_100']:.2f}x")
    fetch = results["scenarios"]["fetch 50ms"].get("ratios", {})
    ahead = results["scenarios"].get("fetch ahead", {}).get("ratios", {})
    lines.append(
        f"fetch path: slowest single query {results['slowest_single_query_ms']:.1f} ms; "
        f"p50 c1 / slowest query = {_fmt(fetch.get('p50_c1_over_slowest_query'), 2)} (gate first, the default), "
        f"{_fmt(ahead.get('p50_c1_over_slowest_query'), 2)} (CDS_FHIR_FETCH_AHEAD=on)"
    )
    if "chart_effect_p50_c1" in results:
        effect = results["chart_effect"]
        lines.append(
            f"course chart: B's p50 at c1 {effect['p50_ms_with']:.2f} ms with it, {effect['p50_ms_without']:.2f} ms "
            f"with CDS_CHARTS=off ({results['chart_effect_p50_c1']:+.1%}; {CHART_ROUNDS} alternating runs each)"
        )
    errors = {
        f"{n} {c}": row[c]["errors"] for n, row in results["scenarios"].items() for c in ("c1", "c8") if row.get(c)
    }
    if any(errors.values()):
        lines.append("wrk errors: " + ", ".join(f"{k}: {v}" for k, v in errors.items() if v))
    if "worker_rss_mb" in results:
        lines.append(
            f"worker RSS after {results['rss_after_requests']} requests (floor, A, B): {results['worker_rss_mb']} MB; "
            f"at the end (after the scale series and fetch path): {results.get('worker_rss_mb_at_end', '-')} MB"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="wrk duration per scenario and concurrency")
    parser.add_argument(
        "--scale", default=",".join(map(str, SCALE)), help="Observation counts of the scale series (comma separated)"
    )
    parser.add_argument("--json", type=Path, default=RESULTS / "latest.json", help="where to write the results")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk not found (Debian: apt-get install wrk): load figures SKIPPED, in-process floors only", flush=True)
    load = os.getloadavg()
    scale = tuple(int(n) for n in args.scale.split(","))
    results = run(args.seconds, lambda line: print(line, flush=True), scale)
    results["load_average_before"] = [round(x, 2) for x in load]
    results["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    results["cpus"] = os.cpu_count()
    print()
    print(table(results))
    print(f"load average before/after: {results['load_average_before']} / {results['load_average_after']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_bytes(orjson.dumps(results, option=orjson.OPT_INDENT_2))
    print(f"results: {args.json}")


if __name__ == "__main__":
    main()
