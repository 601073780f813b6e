"""Store overhead: the time writing to the database adds to one hook call and to one feedback post.

Runs the real app in process (WSGI, no socket) over a migrated database and times, per call, the store's own
work: `Store.record_cards` inside a hook call (two cards, two suggestions) and `Store.record_feedback` inside a
feedback post (one item, checked against the issued cards). It also times the whole calls with and without a
store, so the difference can be compared with the direct figure. Reports p50 and p99 in milliseconds.

Run: .venv/bin/python -m bench.store_overhead [--calls 500] [--database-url postgresql://...]
(default: a fresh SQLite file in WAL mode in a temporary folder).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flask import Flask

from service.app import create_app
from service.settings import Settings
from service.store.engine import open_engine, safe_url, upgrade
from service.store.store import Store

ROOT = Path(__file__).resolve().parent.parent
SERVICE_ID = "lupus-nephritis-response"
REQUEST = ROOT / "cards_fixtures" / SERVICE_ID / "therapy-low-egfr-on-tacrolimus" / "request.json"


class TimedStore(Store):
    """A Store that records how long each write took (seconds)."""

    cards_s: list[float]
    feedback_s: list[float]

    def record_cards(self, service_id: str, hook_instance: str, cards: Any, issued_at: datetime) -> None:
        start = time.perf_counter()
        super().record_cards(service_id, hook_instance, cards, issued_at)
        TIMES["cards"].append(time.perf_counter() - start)

    def record_feedback(self, service_id: str, items: Any, received_at: datetime) -> int:
        start = time.perf_counter()
        try:
            return super().record_feedback(service_id, items, received_at)
        finally:
            TIMES["feedback"].append(time.perf_counter() - start)


TIMES: dict[str, list[float]] = {"cards": [], "feedback": []}


def _percentiles(seconds: list[float]) -> str:
    ms = sorted(s * 1000 for s in seconds)
    p99 = ms[min(len(ms) - 1, round(0.99 * (len(ms) - 1)))]
    return f"p50 {statistics.median(ms):6.2f} ms   p99 {p99:6.2f} ms   (n={len(ms)})"


def _app(store: Store | None) -> Flask:
    settings = Settings(today=date(2026, 6, 15), auth="open", log_level="WARNING")
    return create_app(settings, store=store, clock=lambda: datetime.now(UTC))


def _run(app: Flask, calls: int, request: dict[str, Any]) -> tuple[list[float], list[float]]:
    client = app.test_client()
    hook, fb = [], []
    for n in range(calls):
        start = time.perf_counter()
        reply = client.post(f"/cds-services/{SERVICE_ID}", json=request)
        hook.append(time.perf_counter() - start)
        card = reply.get_json()["cards"][0]["uuid"]
        item = {"card": card, "outcome": "overridden", "outcomeTimestamp": f"2026-06-15T10:{n % 60:02d}:00Z"}
        start = time.perf_counter()
        status = client.post(f"/cds-services/{SERVICE_ID}/feedback", json={"feedback": [item]}).status_code
        fb.append(time.perf_counter() - start)
        if status not in (200, 404):  # 404: no store, an uuid that was never issued is fine to log
            raise SystemExit(f"feedback answered {status}")
    return hook, fb


@contextmanager
def _database(url: str | None) -> Iterator[str]:
    if url is not None:
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="ln-cds-bench-") as folder:
        yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    request = json.loads(REQUEST.read_text())
    with _database(args.database_url) as url:
        engine = open_engine(url)
        upgrade(engine)
        store = TimedStore(engine)
        warm: Callable[[Flask], object] = lambda app: _run(app, 20, request)  # noqa: E731
        with_store, without = _app(store), _app(None)
        warm(with_store)
        warm(without)
        TIMES["cards"].clear()
        TIMES["feedback"].clear()
        hook_db, fb_db = _run(with_store, args.calls, request)
        hook_plain, fb_plain = _run(without, args.calls, request)
        engine.dispose()
        print(f"Store overhead on {safe_url(url)}, {args.calls} calls each, in process")
        print(f"  card issue   (Store.record_cards, 2 cards + 2 suggestions): {_percentiles(TIMES['cards'])}")
        print(f"  feedback     (Store.record_feedback, 1 item, checked):      {_percentiles(TIMES['feedback'])}")
        print(f"  hook call with store:    {_percentiles(hook_db)}")
        print(f"  hook call without store: {_percentiles(hook_plain)}")
        print(f"  feedback with store:     {_percentiles(fb_db)}")
        print(f"  feedback without store:  {_percentiles(fb_plain)}")


if __name__ == "__main__":
    main()
