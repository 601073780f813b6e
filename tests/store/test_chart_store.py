"""The course-chart store (issue 15): TTL, count and byte bounds with oldest-first eviction, shared between two
stores on one database (two workers or replicas), on SQLite and PostgreSQL; and the memory store's same rules."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import Engine

from service.store.charts import ChartLimits, DatabaseChartStore, MemoryChartStore
from service.store.engine import open_engine
from service.store.store import Store
from tests.store.support import SERVICE_ID, hook_request, settle, store_app

SVG = "<svg>" + "x" * 95 + "</svg>"  # 106 bytes


def _stores(engine: Engine, limits: ChartLimits) -> list[DatabaseChartStore | MemoryChartStore]:
    return [DatabaseChartStore(engine, limits), MemoryChartStore(limits)]


def test_a_chart_is_served_until_its_ttl_then_not(engine: Engine) -> None:
    for charts in _stores(engine, ChartLimits(ttl=60)):
        charts.put("a", SVG, now=1000.0)
        assert charts.get("a", now=1059.0) == SVG
        assert charts.get("a", now=1060.0) is None
        assert charts.get("never-issued", now=1000.0) is None


def test_the_oldest_charts_are_evicted_beyond_the_count(engine: Engine) -> None:
    for charts in _stores(engine, ChartLimits(max_count=2)):
        for i, key in enumerate("abc"):
            charts.put(key, SVG, now=1000.0 + i)
        assert charts.get("a", now=1003.0) is None
        assert charts.get("b", now=1003.0) == SVG
        assert charts.get("c", now=1003.0) == SVG


def test_the_oldest_charts_are_evicted_beyond_the_bytes(engine: Engine) -> None:
    for charts in _stores(engine, ChartLimits(max_bytes=250)):
        for i, key in enumerate("abc"):
            charts.put(key, SVG, now=1000.0 + i)
        assert charts.get("a", now=1003.0) is None
        assert [charts.get(k, now=1003.0) for k in "bc"] == [SVG, SVG]


def test_expired_charts_are_deleted_when_another_is_stored(engine: Engine) -> None:
    charts = DatabaseChartStore(engine, ChartLimits(ttl=10))
    charts.put("old", SVG, now=1000.0)
    charts.put("new", SVG, now=2000.0)
    assert Store(engine).count("chart") == 1


def test_a_chart_stored_by_one_worker_is_served_by_another(engine: Engine) -> None:
    other = open_engine(engine.url.render_as_string(hide_password=False))  # a second process's own engine
    try:
        DatabaseChartStore(engine).put("shared", SVG, now=time.time())
        assert DatabaseChartStore(other).get("shared", now=time.time()) == SVG
    finally:
        other.dispose()


def test_the_app_keeps_the_linked_chart_in_its_database(store: Store) -> None:
    client = store_app(store, charts_in_store=True).test_client()
    cards = client.post(f"/cds-services/{SERVICE_ID}", json=hook_request()).get_json()["cards"]
    url = next(link["url"] for card in cards for link in card.get("links", []) if "/charts/" in link["url"])
    chart_id = url.rsplit("/", 1)[1]
    assert len(chart_id) == 22  # secrets.token_urlsafe(16): 128 random bits
    reply = client.get(f"/charts/{chart_id}")  # written off the request path: the route waits briefly for it
    assert reply.status_code == 200
    assert reply.get_data(as_text=True).startswith("<svg")
    assert store.count("chart") == 1
    settle(client)


@pytest.mark.parametrize("limits", [ChartLimits(max_count=0), ChartLimits(max_bytes=10)])
def test_a_chart_over_every_bound_is_not_kept(engine: Engine, limits: ChartLimits) -> None:
    for charts in _stores(engine, limits):
        charts.put("big", SVG, now=1000.0)
        assert charts.get("big", now=1000.0) is None
