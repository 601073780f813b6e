"""Where course charts are kept for the card's link (issue 15): in the service's database, shared by every worker
and replica, or in memory when the app runs without a store (tests, a single process).

Both are bounded: a chart lives `ttl` seconds, and at most `max_count` charts of at most `max_bytes` in all are
kept; storing one deletes the expired ones and then the oldest beyond either bound. An unknown, expired or
evicted id is simply not found (the route answers 404).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection, Engine, delete, func, insert, select

from service.store.engine import writing
from service.store.schema import chart

DEFAULT_TTL_SECONDS = 15 * 60.0  # long enough to open the card and print it; short, as the SVG is patient data
DEFAULT_MAX_COUNT = 2000  # these three are the defaults of CDS_CHART_* (service/settings.py; a test keeps them equal)
DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # a chart is about 10-20 kB


@dataclass(frozen=True, slots=True)
class ChartLimits:
    """How long charts are kept, and how many and how many bytes at most."""

    ttl: float = DEFAULT_TTL_SECONDS
    max_count: int = DEFAULT_MAX_COUNT
    max_bytes: int = DEFAULT_MAX_BYTES


class ChartStore(Protocol):
    """Keeps chart SVGs by id for a while."""

    def put(self, chart_id: str, svg: str, now: float) -> None:
        """Keeps `svg` under `chart_id` until `now + ttl`, evicting to stay within the bounds."""

    def get(self, chart_id: str, now: float) -> str | None:
        """Returns the SVG kept under `chart_id`, or None when unknown, expired or evicted."""


class MemoryChartStore:
    """A ChartStore in this process only (an app without a database: tests and a single process)."""

    def __init__(self, limits: ChartLimits | None = None) -> None:
        self.limits = limits or ChartLimits()
        self._charts: OrderedDict[str, tuple[str, int, float]] = OrderedDict()  # id -> svg, size, expires_at
        self._bytes = 0
        self._lock = threading.Lock()

    def put(self, chart_id: str, svg: str, now: float) -> None:
        size = len(svg.encode())
        with self._lock:
            for key in [k for k, (_, _, expires) in self._charts.items() if expires <= now]:
                self._drop(key)
            if chart_id in self._charts:
                self._drop(chart_id)
            self._charts[chart_id] = (svg, size, now + self.limits.ttl)
            self._bytes += size
            while self._charts and (len(self._charts) > self.limits.max_count or self._bytes > self.limits.max_bytes):
                self._drop(next(iter(self._charts)))  # the oldest first

    def _drop(self, key: str) -> None:
        _, size, _ = self._charts.pop(key)
        self._bytes -= size

    def get(self, chart_id: str, now: float) -> str | None:
        with self._lock:
            kept = self._charts.get(chart_id)
        if kept is None or kept[2] <= now:
            return None
        return kept[0]


class DatabaseChartStore:
    """A ChartStore in the service's database: a chart stored by one worker is served by any other."""

    def __init__(self, engine: Engine, limits: ChartLimits | None = None) -> None:
        self.engine = engine
        self.limits = limits or ChartLimits()

    def put(self, chart_id: str, svg: str, now: float) -> None:
        with writing(self.engine) as connection:
            self.put_on(connection, chart_id, svg, now)

    def put_on(self, connection: Connection, chart_id: str, svg: str, now: float) -> None:
        """`put` inside a transaction the caller holds (the store writer batches several calls in one)."""
        size = len(svg.encode())
        row = {"id": chart_id, "svg": svg, "size": size, "created_at": now, "expires_at": now + self.limits.ttl}
        connection.execute(delete(chart).where(chart.c.expires_at <= now))
        connection.execute(insert(chart), row)
        # From the covering index (migration 0003): no SVG is read to count, sum or pick the oldest.
        count, total = connection.execute(select(func.count(), func.coalesce(func.sum(chart.c.size), 0))).one()
        if count <= self.limits.max_count and total <= self.limits.max_bytes:
            return
        # Over a bound: delete the oldest until both hold again (reading only as many index entries as that takes).
        oldest = connection.execute(
            select(chart.c.id, chart.c.size).order_by(chart.c.created_at, chart.c.size, chart.c.id),
            execution_options={"stream_results": True, "yield_per": 100},  # PostgreSQL: a cursor, not every row
        )
        evict: list[str] = []
        for rid, rsize in oldest:
            if count <= self.limits.max_count and total <= self.limits.max_bytes:
                break
            evict.append(rid)
            count, total = count - 1, total - rsize
        oldest.close()
        connection.execute(delete(chart).where(chart.c.id.in_(evict)))

    def get(self, chart_id: str, now: float) -> str | None:
        with self.engine.connect() as connection:
            svg = connection.execute(
                select(chart.c.svg).where(chart.c.id == chart_id, chart.c.expires_at > now)
            ).scalar_one_or_none()
        return None if svg is None else str(svg)
