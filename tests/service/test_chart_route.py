"""GET /charts/<id> (issue 15): the SVG with no-store, nosniff and a script-free CSP; 404 OperationOutcome for an
unknown, expired or malformed id; cards link a chart only when the app keeps charts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hooks.lupus_nephritis_response.cards.chart import render_chart
from hooks.lupus_nephritis_response.cards.words import ENGLISH
from service.app import create_app
from service.routes import EXTENSION_KEY
from service.settings import Settings
from service.store.charts import ChartLimits, MemoryChartStore
from tests.support import make_app

ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "cards_fixtures" / "lupus-nephritis-response" / "demo-refractory-7-months"
SERVICE = "/cds-services/lupus-nephritis-response"


def _call(app_client: object) -> dict[str, object]:
    request = json.loads((FOLDER / "request.json").read_text())
    reply = app_client.post(SERVICE, json=request)  # type: ignore[attr-defined]
    assert reply.status_code == 200
    card: dict[str, object] = reply.get_json()["cards"][0]
    return card


def test_the_response_card_links_the_chart_and_shows_it_as_an_image() -> None:
    client = make_app("2026-06-15").test_client()
    card = _call(client)
    links = card["links"]
    assert isinstance(links, list)
    assert links[0] == {
        "label": "Proteinuria and kidney function chart",
        "url": "http://127.0.0.1:8000/charts/chart-1",
        "type": "absolute",
    }
    assert str(card["detail"]).endswith("](http://127.0.0.1:8000/charts/chart-1)")
    assert "Patient" not in links[0]["url"]


def test_the_chart_is_svg_with_safe_headers() -> None:
    client = make_app("2026-06-15").test_client()
    _call(client)
    reply = client.get("/charts/chart-1")
    assert reply.status_code == 200
    assert reply.mimetype == "image/svg+xml"
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.headers["X-Content-Type-Options"] == "nosniff"
    csp = reply.headers["Content-Security-Policy"]
    assert "script-src 'none'" in csp
    assert "default-src 'none'" in csp
    body = reply.get_data(as_text=True)
    assert "<script" not in body
    assert '<title id="chart-title">Proteinuria and kidney function chart</title>' in body


@pytest.mark.parametrize("chart_id", ["chart-999", "no_such_id_at_all_xxxxx", "a" * 65, "bad%20id"])
def test_an_unknown_or_malformed_id_is_a_404_operation_outcome(chart_id: str) -> None:
    reply = make_app("2026-06-15").test_client().get(f"/charts/{chart_id}")
    assert reply.status_code == 404
    assert reply.get_json()["resourceType"] == "OperationOutcome"
    assert reply.get_json()["issue"][0]["code"] == "not-found"


def test_an_expired_chart_is_a_404() -> None:
    charts = MemoryChartStore(ChartLimits(ttl=0.0))
    settings = Settings(today=__import__("datetime").date(2026, 6, 15), auth="open")
    client = create_app(settings, charts=charts, new_chart_id=lambda: "only").test_client()
    _call(client)
    assert client.get("/charts/only").status_code == 404


def test_the_chart_is_drawn_from_the_domain_types_alone() -> None:
    from hooks.lupus_nephritis_response import evaluate
    from tests.hooks.builders import context

    request = json.loads((FOLDER / "request.json").read_text())
    from fhir_maps import map_patient_data

    resources = [e["resource"] for v in request["prefetch"].values() if v for e in v.get("entry", [])]
    data = map_patient_data(resources)
    a = evaluate(data, context())
    svg = render_chart(data, a, ENGLISH)
    assert svg == render_chart(data, a, ENGLISH)  # pure: same inputs, same picture
    assert svg.count('class="series"') == 2
    for label in ("UPCR (g/g)", "eGFR (mL/min/1.73 m²)", "Date", "Treatment as recorded", "partial response"):
        assert label in svg
    assert 'role="img"' in svg
    assert "<desc" in svg


def test_with_charts_off_the_card_links_no_chart_and_the_route_knows_none() -> None:
    client = make_app("2026-06-15", charts=False).test_client()
    card = _call(client)
    assert "/charts/" not in json.dumps(card)
    assert client.get("/charts/chart-1").status_code == 404


def test_the_chart_limits_come_from_the_settings() -> None:
    app = create_app(Settings(auth="open", chart_ttl_seconds=60, chart_max_count=3, chart_max_bytes=2**20))
    invoker = app.extensions[EXTENSION_KEY].invoker
    assert invoker.charts.limits == ChartLimits(ttl=60, max_count=3, max_bytes=2**20)


def test_the_chart_counts_months_as_the_card_does() -> None:
    # 6.9 months on mycophenolate: the card says "7 months"; the chart said "today (6 mo)" (truncated) until the
    # Sandbox check showed the two side by side.
    client = make_app("2026-06-15").test_client()
    card = _call(client)
    assert "after 7 months" in str(card["summary"])
    svg = client.get("/charts/chart-1").get_data(as_text=True)
    assert "today (7 mo)" in svg
    assert "today (6 mo)" not in svg
