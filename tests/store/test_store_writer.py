"""The store writer (service/store/writer.py, issue 14): issued cards and course charts are written by one thread
per process, in batches, off the request path; feedback for a card still on its way waits for it; the backlog is
bounded; a failed batch is logged and dropped, never an answer."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from hooks.cards import Card, Chart, Indicator, Source
from service.store import writer as writer_module
from service.store.charts import DatabaseChartStore
from service.store.engine import open_engine, upgrade
from service.store.store import Store
from service.store.writer import StoreWriter
from tests.store.support import ROOT, SERVICE_ID, issue, override, post_feedback, settle, store_app

AT = datetime(2026, 6, 15, 10, tzinfo=UTC)


def _card(n: int, chart: Chart | None = None) -> Card:
    source = Source(label="Test", url="https://example.org")
    return Card(
        uuid=f"00000000-0000-4000-8000-{n:012d}", summary="s", indicator=Indicator.INFO, source=source, chart=chart
    )


def test_queued_cards_and_charts_are_written_together_after_a_flush(store: Store) -> None:
    charts = store.chart_store()
    writer = StoreWriter(store, charts)
    for n in range(20):
        writer.cards(SERVICE_ID, f"hook-{n}", [_card(n)], AT)
    writer.chart(Chart(id="chart-a", render=lambda: "<svg/>"), now=1000.0)
    assert writer.flush(5.0)
    assert store.count("issued_card") == 20
    assert charts.get("chart-a", now=1000.0) == "<svg/>"


def test_the_hook_answer_does_not_wait_for_the_write(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    original = StoreWriter._write

    def held(self: StoreWriter, batch: list[Any]) -> None:
        release.wait(10)
        original(self, batch)

    monkeypatch.setattr(StoreWriter, "_write", held)
    client = store_app(store, charts_in_store=True).test_client()
    assert issue(client)  # answered while the writer is held
    assert store.count("issued_card") == 0
    release.set()
    app_writer = client.application.extensions["cds_hooks"].invoker.writer
    assert app_writer.flush(5.0)
    assert store.count("issued_card") == 2


def test_feedback_right_after_the_answer_finds_its_card(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    original = StoreWriter._write

    def slow(self: StoreWriter, batch: list[Any]) -> None:
        threading.Event().wait(0.2)  # a database slower than the client's feedback
        original(self, batch)

    monkeypatch.setattr(StoreWriter, "_write", slow)
    client = store_app(store, charts_in_store=True).test_client()
    card = issue(client)[0]["uuid"]
    assert post_feedback(client, override(card)).status_code == 200
    assert store.count("feedback") == 1
    settle(client)


def test_feedback_for_a_card_never_issued_is_still_404(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer_module, "FEEDBACK_STEP_SECONDS", 0.001)
    client = store_app(store, charts_in_store=True).test_client()
    issue(client)
    reply = post_feedback(client, override("00000000-0000-4000-8000-00000000dead"))
    assert reply.status_code == 404
    settle(client)


def test_the_backlog_is_bounded_and_what_is_dropped_is_logged(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    release = threading.Event()
    original = StoreWriter._write

    def held(self: StoreWriter, batch: list[Any]) -> None:
        release.wait(10)
        original(self, batch)

    monkeypatch.setattr(StoreWriter, "_write", held)
    writer = StoreWriter(store, None, max_backlog=3)
    writer.cards(SERVICE_ID, "first", [_card(0)], AT)  # taken by the writer, held there
    assert not writer.flush(0.05)
    with caplog.at_level(logging.ERROR, logger="service.store.writer"):
        for n in range(1, 6):
            writer.cards(SERVICE_ID, f"hook-{n}", [_card(n)], AT)
    assert [r.cds["dropped"] for r in caplog.records if r.cds["event"] == "store_backlog_full"] == [1, 1]  # type: ignore[attr-defined]
    release.set()
    assert writer.flush(5.0)
    assert store.count("issued_card") == 4  # the first, then the newest three


def test_a_failed_batch_is_logged_and_the_writer_goes_on(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    charts = store.chart_store()
    writer = StoreWriter(store, charts)
    with store.engine.begin() as connection:
        connection.execute(text("DROP TABLE feedback"))
        connection.execute(text("DROP TABLE issued_suggestion"))
        connection.execute(text("DROP TABLE issued_card"))
    with caplog.at_level(logging.ERROR, logger="service.store.writer"):
        writer.cards(SERVICE_ID, "hook", [_card(1)], AT)
        assert writer.flush(5.0)
    assert any(r.cds["event"] == "store_failed" for r in caplog.records)  # type: ignore[attr-defined]
    writer.chart(Chart(id="after", render=lambda: "<svg/>"), now=1000.0)
    assert writer.flush(5.0)
    assert charts.get("after", now=1000.0) == "<svg/>"


def test_a_chart_that_fails_to_draw_costs_only_the_chart(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    charts: DatabaseChartStore = store.chart_store()
    writer = StoreWriter(store, charts)

    def broken() -> str:
        raise ValueError("no")

    with caplog.at_level(logging.ERROR, logger="service.store.writer"):
        writer.chart(Chart(id="bad", render=broken), now=1000.0)
        writer.cards(SERVICE_ID, "hook", [_card(1)], AT)
        assert writer.flush(5.0)
    assert any(r.cds["event"] == "chart_failed" for r in caplog.records)  # type: ignore[attr-defined]
    assert store.count("issued_card") == 1


def test_what_is_queued_is_written_when_the_process_exits(tmp_path: Path) -> None:
    # A worker stopping (drain, recycle) must not lose the cards its last calls queued: atexit flushes the writer.
    database = tmp_path / "store.sqlite3"
    engine = open_engine(f"sqlite:///{database}")
    upgrade(engine)
    engine.dispose()
    script = f"""
import threading
import time
from datetime import UTC, datetime
from hooks.cards import Card, Indicator, Source
from service.store.engine import open_engine
from service.store.records import CommentPolicy
from service.store.store import Store
from service.store.writer import StoreWriter

store = Store(open_engine({f"sqlite:///{database}"!r}), CommentPolicy())
writer = StoreWriter(store, None)
original = StoreWriter._write
def slow(self, batch):
    threading.Event().wait(0.3)
    original(self, batch)
StoreWriter._write = slow
source = Source(label="Test", url="https://example.org")
for n in range(3):
    card = Card(uuid=f"00000000-0000-4000-8000-{{n:012d}}", summary="s", indicator=Indicator.INFO, source=source)
    writer.cards("svc", f"hook-{{n}}", [card], datetime.now(UTC))
"""
    done = subprocess.run(  # noqa: S603 -- this interpreter, our own script
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    engine = open_engine(f"sqlite:///{database}")
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM issued_card")).scalar_one() == 3
    engine.dispose()


def _held_writer(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Holds every StoreWriter batch until the returned event is set."""
    release = threading.Event()
    original = StoreWriter._write

    def held(self: StoreWriter, batch: list[Any]) -> None:
        release.wait(10)
        original(self, batch)

    monkeypatch.setattr(StoreWriter, "_write", held)
    return release


def test_feedback_for_a_card_still_queued_here_is_503_when_the_store_is_that_slow(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_module, "PENDING_FEEDBACK_SECONDS", 0.2)
    release = _held_writer(monkeypatch)
    client = store_app(store, charts_in_store=True).test_client()
    card = issue(client)[0]["uuid"]
    reply = post_feedback(client, override(card))
    assert reply.status_code == 503  # not a 404: the card exists, it is not written yet
    assert reply.headers["Retry-After"]
    release.set()
    assert post_feedback(client, override(card)).status_code == 200
    settle(client)


def test_flush_waits_for_the_batch_being_written_even_while_the_backlog_drops(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = _held_writer(monkeypatch)
    writer = StoreWriter(store, None, max_backlog=2)
    writer.cards(SERVICE_ID, "first", [_card(0)], AT)  # taken into a batch, held there
    assert not writer.flush(0.1)
    for n in range(1, 6):
        writer.cards(SERVICE_ID, f"hook-{n}", [_card(n)], AT)  # three of these are dropped
    assert not writer.flush(0.2)  # the first is still being written
    release.set()
    assert writer.flush(5.0)
    assert store.count("issued_card") == 3


def test_charts_are_dropped_before_any_card_record(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writer_module, "MAX_CHART_BACKLOG", 2)
    release = _held_writer(monkeypatch)
    charts = store.chart_store()
    writer = StoreWriter(store, charts)
    writer.cards(SERVICE_ID, "first", [_card(0)], AT)  # held in the writer
    assert not writer.flush(0.1)
    for n in range(1, 5):
        writer.chart(Chart(id=f"chart-{n}", render=lambda: "<svg/>"), now=1000.0)
        writer.cards(SERVICE_ID, f"hook-{n}", [_card(n)], AT)
    release.set()
    assert writer.flush(5.0)
    assert store.count("issued_card") == 5  # every card record kept
    assert [charts.get(f"chart-{n}", now=1000.0) for n in range(1, 5)] == [None, None, "<svg/>", "<svg/>"]


def test_a_failing_item_costs_only_itself(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    original = writer_module.record_cards_on

    def fussy(connection: Any, service_id: str, hook_instance: str, cards: Any, issued_at: datetime) -> None:
        if hook_instance == "bad":
            raise ValueError("this one cannot be written")
        original(connection, service_id, hook_instance, cards, issued_at)

    monkeypatch.setattr(writer_module, "record_cards_on", fussy)
    release = _held_writer(monkeypatch)
    writer = StoreWriter(store, None)
    for n, hook in enumerate(["a", "bad", "b", "c"]):
        writer.cards(SERVICE_ID, hook, [_card(n)], AT)
    with caplog.at_level(logging.ERROR, logger="service.store.writer"):
        release.set()
        assert writer.flush(5.0)
    assert store.count("issued_card") == 3
    failed = [r.cds for r in caplog.records if r.cds["event"] == "store_failed"]  # type: ignore[attr-defined]
    assert [f["items"] for f in failed] == [1]


def test_with_charts_off_an_unknown_chart_is_404_at_once(store: Store) -> None:
    client = store_app(store, charts_in_store=True, charts=False).test_client()
    started = time.monotonic()
    assert client.get("/charts/AAAAAAAAAAAAAAAAAAAAAA").status_code == 404
    assert time.monotonic() - started < 0.2  # no look-up again: no chart is ever written


def test_a_queued_card_record_does_not_keep_the_patient_data_alive(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = _held_writer(monkeypatch)
    writer = StoreWriter(store, None)
    writer.cards(SERVICE_ID, "first", [_card(0)], AT)
    assert not writer.flush(0.1)  # held in the writer
    writer.cards(SERVICE_ID, "second", [_card(1, chart=Chart(id="c", render=lambda: "<svg/>"))], AT)
    queued = writer._state.queue[-1]
    assert all(card.chart is None for card in queued.cards)  # type: ignore[union-attr]
    release.set()
    assert writer.flush(5.0)
