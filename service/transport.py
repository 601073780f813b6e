"""The FHIR client's HTTP transport: connections whose every read ends at the hook call's deadline (issue #11).

`requests` bounds each socket read with the read timeout, so a server that sends its status line and headers one
byte at a time kept a fetch thread and its socket alive long after the call had answered 412. Here each
connection, as it waits for a reply, is put under the process's socket watchdog (`service.watchdog`) until the
deadline of the hook call that uses it (`deadline_scope`); the FHIR client releases the watch when the call's
read ends. A socket the watchdog shut is dead and is dropped by the pool, never reused.

A connection is also dropped, not reused, when bytes are left on it after a reply (a body longer than its
Content-Length): over TLS those bytes sit decrypted in the TLS layer, where urllib3's "is it still open" check
does not look, and the next call on that connection would read them as its reply.

Only `init_poolmanager` is overridden, so test doubles that patch `HTTPAdapter.send` still see every request.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.wait import wait_for_read

from service.watchdog import WATCHDOG, SocketWatchdog, Watch

_scope = threading.local()  # the current thread's hook-call deadline and the watches it armed


@contextmanager
def deadline_scope(at: float, watchdog: SocketWatchdog = WATCHDOG) -> Iterator[list[Watch]]:
    """Watches every connection this thread sends a request on, until `at` (monotonic); releases them after.

    Yields the list of watches, so the caller can tell whether one fired.
    """
    watches: list[Watch] = []
    saved = getattr(_scope, "state", None)
    _scope.state = (at, watchdog, watches)
    try:
        yield watches
    finally:
        _scope.state = saved
        for watch in watches:
            watch.release()


def _arm(sock: Any) -> None:
    state = getattr(_scope, "state", None)
    if state is not None and sock is not None:
        at, watchdog, watches = state
        watches.append(watchdog.watch(sock, at))


def has_leftover(conn: Any) -> bool:
    """Returns True when bytes wait on `conn` that no request asked for (TLS buffer or socket)."""
    sock = getattr(conn, "sock", None)
    if sock is None:
        return False
    try:
        if isinstance(sock, ssl.SSLSocket) and sock.pending():
            return True
        return bool(wait_for_read(sock, timeout=0.0))
    except (OSError, ValueError):
        return True


class _WatchedHTTPConnection(HTTPConnection):
    def getresponse(self) -> Any:
        _arm(self.sock)
        return super().getresponse()


class _WatchedHTTPSConnection(HTTPSConnection):
    def getresponse(self) -> Any:
        _arm(self.sock)
        return super().getresponse()


class _CleanPoolMixin:
    def _get_conn(self, timeout: float | None = None) -> Any:
        conn = super()._get_conn(timeout)  # type: ignore[misc]
        if has_leftover(conn):
            conn.close()  # reconnects on use: a misbehaving connection is never read again
        return conn


class _HTTPPool(_CleanPoolMixin, HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(_CleanPoolMixin, HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class GuardedAdapter(HTTPAdapter):
    """An HTTPAdapter whose pools watch each reply against the call's deadline and drop unclean connections."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def guarded_session() -> requests.Session:
    """Returns a Session that sends http and https through GuardedAdapter."""
    session = requests.Session()
    session.mount("http://", GuardedAdapter())
    session.mount("https://", GuardedAdapter())
    return session
