"""Bulkheads for FHIR servers: per-origin concurrency limits and circuit breakers, per worker process (issue #11).

A hung or failing `fhirServer` must not take capacity from calls that need no fetch, or fetch elsewhere:
- at most CDS_FHIR_ORIGIN_CONCURRENCY requests to one origin (scheme, host, port) run at once; a request that
  cannot get a slot before its call's deadline fails as "bulkhead";
- CDS_FHIR_BREAKER_FAILURES consecutive transient failures (timeouts, connection errors, 5xx, 429) open the
  origin's breaker for CDS_FHIR_BREAKER_SECONDS: meanwhile every request fails at once as "circuit-open" (the
  hook call answers 412 without waiting). A 429 or 503 with `Retry-After` opens it for that long (at most
  RETRY_AFTER_CAP_SECONDS). Once the time is up the breaker is half-open: the next request probes, and one more
  failure opens it again, a success closes it.
Origins are kept in a bounded LRU table (MAX_ORIGINS): an allowlist entry with `:*` names many ports.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from service.metrics import breaker_changed
from service.outbound import Deadline, OutboundRefused

RETRY_AFTER_CAP_SECONDS = 300.0
MAX_ORIGINS = 256


@dataclass
class _Origin:
    slots: threading.BoundedSemaphore
    failures: int = 0
    open_until: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def parse_retry_after(raw: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Returns the seconds a `Retry-After` value asks for (delta-seconds or an HTTP date), capped; else None."""
    if raw is None:
        return None
    text = raw.strip()
    if text.isdigit():
        return min(float(text), RETRY_AFTER_CAP_SECONDS)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, min(when.timestamp() - now(), RETRY_AFTER_CAP_SECONDS))


class OriginGuards:
    """The bulkhead and breaker of each origin this worker has called."""

    def __init__(
        self, concurrency: int, failures_to_open: int, open_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._concurrency = concurrency
        self._failures_to_open = failures_to_open
        self._open_seconds = open_seconds
        self._clock = clock
        self._origins: OrderedDict[str, _Origin] = OrderedDict()
        self._lock = threading.Lock()

    def _origin(self, key: str) -> _Origin:
        with self._lock:
            origin = self._origins.get(key)
            if origin is None:
                origin = self._origins[key] = _Origin(threading.BoundedSemaphore(self._concurrency))
                while len(self._origins) > MAX_ORIGINS:
                    self._origins.popitem(last=False)
            else:
                self._origins.move_to_end(key)
            return origin

    def is_open(self, key: str) -> bool:
        """Returns True while `key`'s breaker refuses requests."""
        origin = self._origin(key)
        with origin.lock:
            return origin.open_until > self._clock()

    @contextmanager
    def slot(self, key: str, deadline: Deadline) -> Iterator[None]:
        """Holds one of `key`'s slots for the block; raises OutboundRefused when open or no slot comes in time."""
        origin = self._origin(key)
        if self.is_open(key):
            raise OutboundRefused("circuit-open", transient=True)
        if not origin.slots.acquire(timeout=max(0.0, deadline.remaining())):
            raise OutboundRefused("bulkhead", transient=True)
        try:
            yield
        finally:
            origin.slots.release()

    def succeeded(self, key: str) -> None:
        """Records a good reply: the breaker closes."""
        origin = self._origin(key)
        with origin.lock:
            was_opened = origin.open_until > 0.0
            origin.failures = 0
            origin.open_until = 0.0
        if was_opened:
            breaker_changed(key, is_open=False)

    def failed(self, key: str, retry_after: float | None = None) -> None:
        """Records a transient failure; opens the breaker at the threshold, or for `retry_after` seconds."""
        origin = self._origin(key)
        now = self._clock()
        with origin.lock:
            was_open = origin.open_until > now
            origin.failures += 1
            if retry_after is not None:
                origin.open_until = max(origin.open_until, now + retry_after)
            if origin.failures >= self._failures_to_open:
                origin.open_until = max(origin.open_until, now + self._open_seconds)
                origin.failures = self._failures_to_open - 1  # half-open later: one more failure re-opens
            opened = origin.open_until > now and not was_open
        if opened:
            breaker_changed(key, is_open=True)
