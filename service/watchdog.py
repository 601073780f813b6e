"""Hard deadlines on socket reads: one thread per process shuts a socket down once its deadline has passed.

A socket timeout bounds each `recv`, not a whole read: a peer that sends one byte every second never trips it.
Shutting the socket down wakes a blocked `recv` at once (it returns end-of-file), whatever thread is blocked in
it, so a read that began before the deadline still ends at the deadline. Used on both sides (issue #11):
- outbound (`service.transport`): every FHIR connection, status line and headers included, is watched until the
  hook call's deadline; the socket is shut both ways, so the connection can never be reused;
- inbound (`service.serving`): a request's headers and body must arrive within CDS_REQUEST_READ_SECONDS of its
  first byte; only the read side is shut, so the service can still answer.

The shutdown goes through a duplicate of the file descriptor (`socket.fromfd`): it acts on the connection itself,
also under a TLS wrapper, without touching the Python object another thread is using. One daemon thread serves
every watch of the process; nothing is started per call.
"""

from __future__ import annotations

import heapq
import itertools
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(order=True)
class _Watch:
    at: float
    seq: int
    sock: socket.socket = field(compare=False)
    how: int = field(compare=False)
    done: bool = field(default=False, compare=False)
    fired: bool = field(default=False, compare=False)


class Watch:
    """A handle on one watched socket: `release` it once the guarded reads are over (idempotent)."""

    def __init__(self, watchdog: SocketWatchdog, entry: _Watch) -> None:
        self._watchdog = watchdog
        self._entry = entry

    @property
    def fired(self) -> bool:
        """Returns True when the deadline passed and the socket was shut down."""
        return self._entry.fired

    def release(self) -> None:
        """Stops watching; the socket is left as it is."""
        self._watchdog.release(self._entry)


def shutdown_socket(sock: socket.socket, how: int) -> None:
    """Shuts `sock` down (`how` is socket.SHUT_RD or SHUT_RDWR) through a duplicate descriptor; never raises."""
    try:
        fd = sock.fileno()
    except (OSError, ValueError):
        return
    if fd < 0:
        return
    try:
        dup = socket.fromfd(fd, socket.AF_INET, socket.SOCK_STREAM)
    except OSError:
        return
    try:
        dup.shutdown(how)
    except OSError:
        pass  # already closed or not connected: nothing left to wake
    finally:
        dup.close()


class SocketWatchdog:
    """Shuts sockets down at their deadlines; `watch` registers one, the returned handle releases it."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._heap: list[_Watch] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self.fired = 0  # sockets shut down so far (for tests and the soak report)

    def watch(self, sock: socket.socket, at: float, how: int = socket.SHUT_RDWR) -> Watch:
        """Returns a handle; unless released first, `sock` is shut down (`how`) once the clock passes `at`."""
        entry = _Watch(at, next(self._seq), sock, how)
        with self._cond:
            heapq.heappush(self._heap, entry)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="socket-watchdog", daemon=True)
                self._thread.start()
            if self._heap[0] is entry:  # only an earlier deadline needs the thread awake; the rest can wait
                self._cond.notify()
        return Watch(self, entry)

    def release(self, entry: _Watch) -> None:
        """Stops watching `entry` (lazy removal: the thread skips it)."""
        with self._cond:
            entry.done = True

    def pending(self) -> int:
        """Returns how many watches are still armed."""
        with self._cond:
            return sum(1 for entry in self._heap if not entry.done)

    def _run(self) -> None:
        while True:
            with self._cond:
                while self._heap and self._heap[0].done:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._cond.wait(timeout=30)
                    continue
                wait = self._heap[0].at - self._clock()
                if wait > 0:
                    self._cond.wait(timeout=wait)
                    continue
                entry = heapq.heappop(self._heap)
                entry.done = entry.fired = True
                self.fired += 1
            shutdown_socket(entry.sock, entry.how)


WATCHDOG = SocketWatchdog()  # the process's one watchdog (each gunicorn worker gets its own thread after fork)
