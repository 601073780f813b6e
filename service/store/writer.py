"""One thread per process writes what hook calls leave for the database: the issued cards (for feedback and the
acceptance report) and the course charts (issue 15), in batches, off the request path (issue 14).

Why: a request thread that wrote its own cards held the database's write lock while it waited for the GIL
behind the other calls' validation, so under load the writes queued behind each other (`make bench`, payload B
at concurrency 8: slower than at 1, p90 near 1 s; py-spy showed the threads waiting on the write lock). Here a
call only appends to a queue; the writer takes everything queued, draws the charts, and writes it all in one
transaction, so the lock is taken once per batch, not once per call.

What it costs: a card's row appears a few milliseconds after the answer. Feedback that names a card not yet
written waits for this process's queue (`flush`) and looks again briefly (service/invoke.py), as `GET /charts`
does. The queue is bounded (MAX_BACKLOG calls): when the database is down or slower than the calls, the oldest
waiting writes are dropped and logged (`store_backlog_full`): statistics and a chart lost, never a card answer.
A failed batch is logged (`store_failed`) and dropped, as a failed write was before.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from hooks.cards import Card, Chart
from service.cds_models import FeedbackItem
from service.store.charts import DatabaseChartStore
from service.store.engine import writing
from service.store.records import UnknownCard, record_cards_on
from service.store.store import Store

logger = logging.getLogger(__name__)

MAX_BACKLOG = 5000  # calls waiting to be written; about a minute of a busy worker's LN calls
MAX_BATCH = 200  # calls written in one transaction at most (a transaction holds the write lock)
# Feedback naming a card not yet written: this process's queue is flushed first (up to FLUSH_SECONDS), then the
# card is looked up again FEEDBACK_TRIES times, FEEDBACK_STEP_SECONDS apart (another worker's queue), before 404.
FLUSH_SECONDS = 1.0
EXIT_FLUSH_SECONDS = 5.0  # at most this long at process exit to write what is still queued
# Kept short: every feedback item for an unknown card pays it (`make soak`: 5 x 50 ms made each such 404 ~345 ms),
# and a batch is written within milliseconds, while a clinician's click comes seconds after the card.
FEEDBACK_TRIES, FEEDBACK_STEP_SECONDS = 2, 0.025


@dataclass(frozen=True, slots=True)
class _Cards:
    service_id: str
    hook_instance: str
    cards: Sequence[Card]
    issued_at: datetime


@dataclass(frozen=True, slots=True)
class _ChartJob:
    chart: Chart
    now: float


class StoreWriter:
    """Writes issued cards and course charts to the store on one background thread, in batches."""

    def __init__(self, store: Store, charts: DatabaseChartStore | None, max_backlog: int = MAX_BACKLOG) -> None:
        self._store = store
        self._charts = charts
        self._queue: deque[_Cards | _ChartJob] = deque()
        self._max_backlog = max_backlog
        self._done = threading.Condition()
        self._queued = 0  # items ever queued, and ever finished (written, failed or dropped): flush waits on these
        self._finished = 0
        self._thread: threading.Thread | None = None
        self._pid = 0

    def cards(self, service_id: str, hook_instance: str, cards: Sequence[Card], issued_at: datetime) -> None:
        """Queues the cards of one call."""
        self._put(_Cards(service_id, hook_instance, tuple(cards), issued_at))

    def chart(self, chart: Chart, now: float) -> None:
        """Queues a chart: drawn (its pure closure) and stored by the writer."""
        if self._charts is not None:
            self._put(_ChartJob(chart, now))

    def record_feedback(self, service_id: str, items: Sequence[FeedbackItem], received_at: datetime) -> int:
        """`Store.record_feedback`, waiting briefly for a card that may still be on its way to the database."""
        for attempt in range(FEEDBACK_TRIES + 1):
            try:
                return self._store.record_feedback(service_id, items, received_at)
            except UnknownCard:
                if attempt == FEEDBACK_TRIES:
                    raise
                if attempt == 0:
                    self.flush(FLUSH_SECONDS)
                else:
                    time.sleep(FEEDBACK_STEP_SECONDS)
        raise AssertionError("unreachable")  # pragma: no cover

    def flush(self, timeout: float) -> bool:
        """Waits until everything queued before this call is written (or failed); False when `timeout` passed."""
        with self._done:
            target = self._queued
            return self._done.wait_for(lambda: self._finished >= target, timeout)

    def _put(self, item: _Cards | _ChartJob) -> None:
        with self._done:
            self._ensure_thread()
            dropped = 0
            while len(self._queue) >= self._max_backlog:
                self._queue.popleft()
                dropped += 1
            self._queue.append(item)
            self._queued += 1
            self._finished += dropped
            self._done.notify_all()
        if dropped:
            logger.error(
                "store_backlog_full dropped=%s",
                dropped,
                extra={"cds": {"event": "store_backlog_full", "dropped": dropped}},
            )

    def _ensure_thread(self) -> None:
        # Started on first use and again in a forked child (a thread does not survive fork; a --preload parent
        # starts none).
        if self._thread is None or self._pid != os.getpid():
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
            self._thread.start()
            # A worker that stops (SIGTERM drain, max-requests recycle, Ctrl-C) writes what its calls queued
            # first: atexit runs before the interpreter stops daemon threads.
            atexit.register(self.flush, EXIT_FLUSH_SECONDS)

    def _run(self) -> None:
        while True:
            with self._done:
                self._done.wait_for(lambda: bool(self._queue))
                batch = [self._queue.popleft() for _ in range(min(MAX_BATCH, len(self._queue)))]
            self._write(batch)
            with self._done:
                self._finished += len(batch)
                self._done.notify_all()

    def _write(self, batch: list[_Cards | _ChartJob]) -> None:
        drawn: list[tuple[str, str, float]] = []
        for item in batch:
            if isinstance(item, _ChartJob):  # drawn before the transaction: the lock is not held while drawing
                try:
                    drawn.append((item.chart.id, item.chart.render(), item.now))
                except Exception as exc:
                    _failed("chart_failed", exc)
        started = time.perf_counter()
        try:
            with writing(self._store.engine) as connection:
                for item in batch:
                    if isinstance(item, _Cards):
                        record_cards_on(connection, item.service_id, item.hook_instance, item.cards, item.issued_at)
                if self._charts is not None:
                    for chart_id, svg, now in drawn:
                        self._charts.put_on(connection, chart_id, svg, now)
        except Exception as exc:
            _failed("store_failed", exc)
        logger.debug("store_batch items=%s ms=%.1f", len(batch), (time.perf_counter() - started) * 1000)


def _failed(event: str, exc: Exception) -> None:
    logger.error("%s error=%s", event, type(exc).__name__, extra={"cds": {"event": event, "error": type(exc).__name__}})
