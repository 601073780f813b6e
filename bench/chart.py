"""Chart benchmark (issue 15): render time per chart, plain SVG strings against matplotlib's SVG backend, and the
chart's effect on an LN call's p50 in process (the same app with and without keeping charts; SQLite store).

Run: .venv/bin/python -m bench.chart   (figures recorded in docs/chart.md)
"""

from __future__ import annotations

import io
import json
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from hooks.lupus_nephritis_response import SPEC, evaluate
from hooks.lupus_nephritis_response.cards.chart import kidney_points, proteinuria_points, render_chart
from hooks.lupus_nephritis_response.cards.words import ENGLISH
from hooks.spec import RuleContext
from service.app import create_app
from service.routes import EXTENSION_KEY
from service.settings import Settings
from service.store.charts import MemoryChartStore
from service.store.engine import open_engine, upgrade
from service.store.store import Store
from service.store.writer import StoreWriter

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "cards_fixtures" / "lupus-nephritis-response" / "demo-refractory-7-months"


def _matplotlib_chart(data: Any) -> str:
    """The same two-axis chart (series, thresholds, therapy bars) through matplotlib's SVG backend."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    protein, (_, kidney) = proteinuria_points(data), kidney_points(data)
    figure, (axes, lanes) = plt.subplots(2, 1, figsize=(7.6, 4), height_ratios=(4, 1), sharex=True)
    try:
        axes.plot([p.day for p in protein], [p.value for p in protein], "o-", color="#0072B2")
        axes.axhline(0.5, color="#009E73", linestyle="--")
        axes.axhline(1.55, color="#E69F00", linestyle="--")
        axes.set_ylabel("UPCR (g/g)")
        right = axes.twinx()
        right.plot([p.day for p in kidney], [p.value for p in kidney], "s--", color="#D55E00")
        right.set_ylabel("eGFR")
        for lane, e in enumerate(data.episodes):
            lanes.barh(lane, (e.end or protein[-1].day) - e.start, left=e.start, color="#56B4E9")
        out = io.StringIO()
        figure.savefig(out, format="svg")
        return out.getvalue()
    finally:
        plt.close(figure)


def _time(fn: Any, n: int) -> float:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


ROUNDS = 10


def main(n: int = 400) -> None:
    request = json.loads((FIXTURE / "request.json").read_text())
    settings = json.loads((FIXTURE / "settings.json").read_text())
    counter = iter(range(1, 10**9))
    app = create_app(
        Settings(today=settings_today(settings), auth="open", rate_limit_per_minute=0),
        new_chart_id=lambda: f"chart-{next(counter)}",
    )
    with tempfile.TemporaryDirectory() as tmp:
        engine = open_engine(f"sqlite:///{tmp}/bench.sqlite3")
        upgrade(engine)
        store = Store(engine)
        charts = store.chart_store()
        state = app.extensions[EXTENSION_KEY]
        writer = StoreWriter(store, charts)  # the shipped path: cards and charts written by the worker's writer
        variants = {
            "without chart": replace(state.invoker, charts=None, store=store, writer=writer),
            # cards written inline too, so this variant does the same store work as the others, less the writer
            "memory store, inline": replace(state.invoker, charts=MemoryChartStore(), store=store, writer=None),
            "database store, store writer": replace(state.invoker, charts=charts, store=store, writer=writer),
        }
        client = app.test_client()

        def call() -> None:
            assert client.post("/cds-services/lupus-nephritis-response", json=request).status_code == 200

        # Interleaved in rounds, so a drifting machine (or the writer catching up) weighs on every variant alike.
        samples: dict[str, list[float]] = {name: [] for name in variants}
        for round_ in range(ROUNDS + 1):
            for name, invoker in variants.items():
                app.extensions[EXTENSION_KEY] = replace(state, invoker=invoker)
                for _ in range(n // ROUNDS):
                    start = time.perf_counter()
                    call()
                    if round_:  # the first round warms every variant up
                        samples[name].append((time.perf_counter() - start) * 1000)
        results = {name: statistics.median(times) for name, times in samples.items()}
        writer.flush(10.0)  # before the temporary database goes
    from fhir_maps import map_patient_data

    data = map_patient_data([e["resource"] for v in request["prefetch"].values() if v for e in v.get("entry", [])])
    ctx = RuleContext(today=settings_today(settings), new_uuid=lambda: "x", patient_ref="Patient/x", config=None)
    ctx = replace(ctx, config=SPEC.config_from_env({}))
    a = evaluate(data, ctx)
    plain = _time(lambda: render_chart(data, a, ENGLISH), n)
    mpl = _time(lambda: _matplotlib_chart(data), max(n // 5, 10))
    print(f"render per chart (median): plain SVG {plain:.2f} ms, matplotlib SVG {mpl:.1f} ms")
    base = results["without chart"]
    for name, p50 in results.items():
        print(f"LN call p50 in process, {name}: {p50:.2f} ms ({(p50 / base - 1) * 100:+.1f}%)")


def settings_today(settings: dict[str, Any]) -> Any:
    from datetime import date

    return date.fromisoformat(settings.get("today", "2026-06-15"))


if __name__ == "__main__":
    main()
