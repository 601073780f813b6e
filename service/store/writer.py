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
import weakref
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from hooks.cards import Card, Chart
from service.cds_models import FeedbackItem
from service.errors import ServiceBusy
from service.store.charts import DatabaseChartStore
from service.store.engine import writing
from service.store.records import UnknownCard, record_cards_on
from service.store.store import Store

logger = logging.getLogger(__name__)

MAX_BACKLOG = 5000  # items (a call's cards, or one chart) waiting to be written
# A chart job holds the call's whole PatientData (the chart's closure) until it is drawn: ~90 kB for a 3-year
# history, so charts get a backlog of their own, and are dropped before any card record.
MAX_CHART_BACKLOG = 200
MAX_BATCH = 200  # items written in one transaction at most (a transaction holds the write lock)
# Feedback naming a card this worker has queued waits for it up to PENDING_FEEDBACK_SECONDS (then 503, retry);
# naming a card it has not, it looks again FEEDBACK_TRIES times, FEEDBACK_STEP_SECONDS apart (another worker's
# queue), before the 404. Kept short: every feedback item for an unknown card pays it (`make soak`: 5 x 50 ms made
# each such 404 ~345 ms), and a batch is written within milliseconds, a clinician's click seconds after the card.
PENDING_FEEDBACK_SECONDS = 5.0
FEEDBACK_TRIES, FEEDBACK_STEP_SECONDS = 2, 0.025
EXIT_FLUSH_SECONDS = 5.0  # at most this long at process exit to write what is still queued


@dataclass(frozen=True, slots=True)
class _Cards:
    seq: int
    service_id: str
    hook_instance: str
    cards: Sequence[Card]
    issued_at: datetime


@dataclass(frozen=True, slots=True)
class _ChartJob:
    seq: int
    chart: Chart
    now: float


@dataclass
class _State:
    """What one process's writer holds; made anew in a forked child (a thread, a lock and a queue do not carry)."""

    pid: int = field(default_factory=os.getpid)
    done: threading.Condition = field(default_factory=threading.Condition)
    queue: deque[_Cards | _ChartJob] = field(default_factory=deque)
    charts_queued: int = 0
    next_seq: int = 0  # the last item queued has seq next_seq
    writing_from: int | None = None  # the lowest seq of the batch being written
    pending_cards: Counter[str] = field(default_factory=Counter)  # card uuids queued or being written
    thread: threading.Thread | None = None


_START = threading.Lock()


class StoreWriter:
    """Writes issued cards and course charts to the store on one background thread, in batches."""

    def __init__(self, store: Store, charts: DatabaseChartStore | None, max_backlog: int = MAX_BACKLOG) -> None:
        self._store = store
        self._charts = charts
        self._max_backlog = max_backlog
        self._state = _State()
        self._at_exit = False

    def cards(self, service_id: str, hook_instance: str, cards: Sequence[Card], issued_at: datetime) -> None:
        """Queues the cards of one call."""
        with self._held() as state:
            state.next_seq += 1
            state.pending_cards.update(card.uuid for card in cards)
            # without the chart's closure, which holds the call's whole PatientData (the chart job has its own)
            kept = tuple(replace(card, chart=None) if card.chart is not None else card for card in cards)
            self._append(state, _Cards(state.next_seq, service_id, hook_instance, kept, issued_at))

    def chart(self, chart: Chart, now: float) -> None:
        """Queues a chart: drawn (its pure closure) and stored by the writer."""
        if self._charts is None:
            return
        with self._held() as state:
            state.next_seq += 1
            state.charts_queued += 1
            self._append(state, _ChartJob(state.next_seq, chart, now))

    def record_feedback(self, service_id: str, items: Sequence[FeedbackItem], received_at: datetime) -> int:
        """`Store.record_feedback`, waiting for a card that may still be on its way to the database."""
        for attempt in range(FEEDBACK_TRIES + 1):
            try:
                return self._store.record_feedback(service_id, items, received_at)
            except UnknownCard:
                if self._waits_for_pending(items):
                    continue  # it was queued here and is written now: look again at once
                if attempt == FEEDBACK_TRIES:
                    raise
                time.sleep(FEEDBACK_STEP_SECONDS)  # perhaps another worker's, a batch away
        return self._store.record_feedback(service_id, items, received_at)

    def _waits_for_pending(self, items: Sequence[FeedbackItem]) -> bool:
        """True after waiting for this worker's queued cards that `items` name; raises ServiceBusy (503) when
        they are still not written after PENDING_FEEDBACK_SECONDS; False when none of them is queued here."""
        state = self._state
        with state.done:
            named = {item.card for item in items}
            if not any(state.pending_cards[card] for card in named):
                return False
            written = state.done.wait_for(
                lambda: not any(state.pending_cards[card] for card in named), PENDING_FEEDBACK_SECONDS
            )
        if not written:
            raise ServiceBusy("the card this feedback names is still being stored; retry shortly")
        return True

    def flush(self, timeout: float) -> bool:
        """Waits until everything queued before this call is written (or failed, or dropped); False on timeout."""
        state = self._state
        with state.done:
            target = state.next_seq
            return state.done.wait_for(lambda: self._settled(state, target), timeout)

    @staticmethod
    def _settled(state: _State, target: int) -> bool:
        first_queued = state.queue[0].seq if state.queue else None
        queued_done = first_queued is None or first_queued > target
        return queued_done and (state.writing_from is None or state.writing_from > target)

    def _held(self) -> _Held:
        return _Held(self)

    def _current(self) -> _State:
        """This process's state, made anew in a forked child; the writer thread is started (again) if not running."""
        state = self._state
        if state.pid == os.getpid() and state.thread is not None and state.thread.is_alive():
            return state
        with _START:  # two calls arriving at once start one thread
            return self._start()

    def _start(self) -> _State:
        state = self._state
        if state.pid != os.getpid():
            state = self._state = _State()
        if state.thread is None or not state.thread.is_alive():
            thread = threading.Thread(target=self._run, args=(state,), name="store-writer", daemon=True)
            thread.start()  # may raise (no thread left): the caller logs it, the call keeps its cards
            state.thread = thread
            if not self._at_exit:
                # A worker that stops (SIGTERM drain, max-requests recycle, Ctrl-C) writes what its calls queued
                # first: atexit runs before the interpreter stops daemon threads. Held weakly: the writer of a
                # discarded app is not kept alive until exit.
                atexit.register(_flush_at_exit, weakref.ref(self))
                self._at_exit = True
        return state

    def _append(self, state: _State, item: _Cards | _ChartJob) -> None:
        dropped: list[_Cards | _ChartJob] = []
        if isinstance(item, _ChartJob) and state.charts_queued > MAX_CHART_BACKLOG:
            dropped += self._drop(state, lambda queued: isinstance(queued, _ChartJob))
        while len(state.queue) >= self._max_backlog:
            dropped += self._drop(state, lambda queued: isinstance(queued, _ChartJob)) or [state.queue.popleft()]
            if isinstance(dropped[-1], _Cards):
                state.pending_cards.subtract(card.uuid for card in dropped[-1].cards)
        state.queue.append(item)
        state.done.notify_all()
        if dropped:
            logger.error(
                "store_backlog_full dropped=%s",
                len(dropped),
                extra={"cds": {"event": "store_backlog_full", "dropped": len(dropped)}},
            )

    @staticmethod
    def _drop(state: _State, which: Callable[[_Cards | _ChartJob], bool]) -> list[_Cards | _ChartJob]:
        """Removes the oldest queued item that `which` picks; returns it in a list (empty when none)."""
        for index, queued in enumerate(state.queue):
            if which(queued):
                del state.queue[index]
                if isinstance(queued, _ChartJob):
                    state.charts_queued -= 1
                return [queued]
        return []

    def _run(self, state: _State) -> None:
        while True:
            with state.done:
                state.done.wait_for(lambda: bool(state.queue))
                batch = [state.queue.popleft() for _ in range(min(MAX_BATCH, len(state.queue)))]
                state.writing_from = batch[0].seq
                state.charts_queued -= sum(1 for item in batch if isinstance(item, _ChartJob))
            try:
                self._write(batch)
            except Exception as exc:  # never lets the thread die: every later write would be lost unseen
                _failed("store_failed", exc, len(batch))
            with state.done:
                for item in batch:
                    if isinstance(item, _Cards):
                        state.pending_cards.subtract(card.uuid for card in item.cards)
                state.pending_cards += Counter()  # drops the zero counts
                state.writing_from = None
                state.done.notify_all()

    def _write(self, batch: list[_Cards | _ChartJob]) -> None:
        drawn: dict[int, tuple[str, str, float]] = {}
        for item in batch:
            if isinstance(item, _ChartJob):  # drawn before the transaction: the lock is not held while drawing
                try:
                    drawn[item.seq] = (item.chart.id, item.chart.render(), item.now)
                except Exception as exc:
                    _failed("chart_failed", exc, 1)
        try:
            self._write_items(batch, drawn)
        except Exception:
            # One bad moment must not cost the whole batch: each item is tried again on its own.
            failed = 0
            for item in batch:
                try:
                    self._write_items([item], drawn)
                except Exception as exc:
                    failed += 1
                    last = exc
            if failed:
                _failed("store_failed", last, failed)

    def _write_items(self, items: list[_Cards | _ChartJob], drawn: dict[int, tuple[str, str, float]]) -> None:
        with writing(self._store.engine) as connection:
            for item in items:
                if isinstance(item, _Cards):
                    record_cards_on(connection, item.service_id, item.hook_instance, item.cards, item.issued_at)
                elif self._charts is not None and item.seq in drawn:
                    self._charts.put_on(connection, *drawn[item.seq])


class _Held:
    """`with writer._held() as state`: this process's state, under its lock."""

    def __init__(self, writer: StoreWriter) -> None:
        self._writer = writer
        self._state: _State | None = None

    def __enter__(self) -> _State:
        self._state = self._writer._current()
        self._state.done.acquire()
        return self._state

    def __exit__(self, *_: object) -> None:
        assert self._state is not None  # noqa: S101 -- set by __enter__
        self._state.done.release()


def _flush_at_exit(ref: weakref.ref[StoreWriter]) -> None:
    writer = ref()
    if writer is not None and writer._state.pid == os.getpid():
        writer.flush(EXIT_FLUSH_SECONDS)


def _failed(event: str, exc: Exception, items: int) -> None:
    logger.error(
        "%s error=%s items=%s",
        event,
        type(exc).__name__,
        items,
        extra={"cds": {"event": event, "error": type(exc).__name__, "items": items}},
    )
