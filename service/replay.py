"""Replay protection for client JWTs: a `jti` is accepted once per issuer while its token could still be valid.

The in-memory store is per process, so with several gunicorn workers a token replayed to another worker is not
caught; a deployment that needs that puts a shared store (a database table or Redis `SET key NX EXAT`) behind
the same two-method interface. The store is bounded: when it is full of live entries it refuses new tokens
(fail closed) rather than forgetting ones that could still be replayed.
"""

from __future__ import annotations

import heapq
import threading
from typing import Protocol


class ReplayStoreFull(Exception):
    """Every slot holds a jti that has not expired yet."""


class ReplayStore(Protocol):
    """Remembers token ids until they expire."""

    def claim(self, key: str, expires_at: float, now: float) -> bool:
        """Returns True the first time `key` is seen (remembering it until `expires_at`), False for a replay.

        Raises ReplayStoreFull when the key cannot be remembered.
        """
        ...


class InMemoryReplayStore:
    """A bounded, thread-safe ReplayStore for one process."""

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._expiry: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []  # (expires_at, key), soonest first
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._expiry)

    def _purge(self, now: float) -> None:
        while self._heap and self._heap[0][0] <= now:
            expires_at, key = heapq.heappop(self._heap)
            if self._expiry.get(key) == expires_at:
                del self._expiry[key]

    def claim(self, key: str, expires_at: float, now: float) -> bool:
        """Returns True the first time `key` is seen before it expires; see ReplayStore.claim."""
        with self._lock:
            self._purge(now)
            if key in self._expiry:
                return False
            if len(self._expiry) >= self._max:
                raise ReplayStoreFull
            self._expiry[key] = expires_at
            heapq.heappush(self._heap, (expires_at, key))
            return True
