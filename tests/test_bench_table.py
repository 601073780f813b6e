"""`make bench`'s ratios and table from a made-up run (the servers and wrk are exercised by `make bench` itself)."""

from __future__ import annotations

from typing import Any

from bench.run import _ratios, table


def _run(p50: float, rps: float) -> dict[str, Any]:
    return {"requests": 100, "p50_ms": p50, "p90_ms": p50 * 1.5, "p99_ms": p50 * 2, "rps": rps, "errors": 0}


def _results() -> dict[str, Any]:
    rows: dict[str, Any] = {
        "floor": {"c1": _run(1.0, 1000), "c8": _run(2.0, 2000)},
        "A no-LN": {"c1": _run(1.2, 800), "c8": _run(2.4, 1600), "in_process_floor_ms": 0.5},
        "B LN 3y": {"c1": _run(22.0, 45), "c8": _run(40.0, 90), "in_process_floor_ms": 20.0},
        "scale 100": {"c1": _run(40.0, 25), "in_process_floor_ms": 30.0},
        "scale 10000": {"c1": _run(4400.0, 0.2), "in_process_floor_ms": 3000.0},
        "fetch 50ms": {"c1": _run(110.0, 9), "c8": _run(150.0, 50)},
        "fetch ahead": {"c1": _run(60.0, 16), "c8": _run(90.0, 80)},
    }
    effect = {"p50_ms_with": 22.0, "p50_ms_without": 20.0, "runs": {}, "effect": 0.1}
    return {"scenarios": rows, "scale": [100, 10_000], "slowest_single_query_ms": 50.0, "chart_effect": effect}


def test_the_ratios_are_the_issues_targets() -> None:
    results = _results()
    _ratios(results)
    rows = results["scenarios"]
    assert rows["A no-LN"]["ratios"]["p50_c1_over_framework"] == 1.2
    assert rows["B LN 3y"]["ratios"]["p50_c1_over_in_process"] == 1.1
    assert rows["B LN 3y"]["ratios"]["rps_c8_over_c1"] == 2.0
    assert round(results["per_observation_10000_over_100"], 3) == 1.1  # 0.44 vs 0.40 ms per Observation
    assert rows["fetch ahead"]["ratios"]["p50_c1_over_slowest_query"] == 1.2
    assert round(results["chart_effect_p50_c1"], 3) == 0.1


def test_the_table_names_every_scenario_and_the_two_fetch_modes() -> None:
    results = _results()
    _ratios(results)
    text = table(results)
    for name in results["scenarios"]:
        assert name in text
    assert "= 2.20 (gate first, the default), 1.20 (CDS_FHIR_FETCH_AHEAD=on)" in text
    assert "course chart: B's p50 at c1 22.00 ms with it, 20.00 ms with CDS_CHARTS=off (+10.0%" in text
