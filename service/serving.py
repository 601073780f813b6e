"""The gunicorn worker the service runs under (named by gunicorn.conf.py; docs/serving.md says why gthread).

`DeadlineThreadWorker` is gunicorn's gthread worker plus three things gunicorn does not do by itself (issue #11):
- Request read deadline. gthread waits for a connection's first byte without holding a thread, but then reads
  headers and body on a pool thread with no overall limit: a client that trickles one byte a second holds that
  thread for as long as it likes. Here the connection goes under the socket watchdog (`service.watchdog`) for
  CDS_REQUEST_READ_SECONDS from its first byte; past it the read side is shut, so a trickled header ends the
  connection and a trickled body is a 400. The write side stays open: a slow *call* still gets its answer.
- Drain. On SIGTERM gthread stops accepting but keeps the listening socket open until it exits, so a new
  connection sat in the backlog until the drain ended and was then reset. Here the worker closes its listening
  sockets as soon as it stops accepting (the arbiter has closed its own): a new connection is refused at once,
  while in-flight calls finish within CDS_DRAIN_SECONDS (gunicorn's graceful_timeout).
- Errors and banner. gunicorn answers what it refuses itself (a bad request line, too many header fields) with an
  HTML page quoting the input, and announces `Server: gunicorn` on every response. Here those answers are an
  OperationOutcome with a fixed text, and there is no Server header.
Importing this module outside a gunicorn worker has no effect beyond the two patches of gunicorn's functions.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

from gunicorn import util
from gunicorn.http import wsgi
from gunicorn.workers.gthread import _DEFER, DEFAULT_WORKER_DATA_TIMEOUT, ThreadWorker

from service.errors import operation_outcome
from service.settings import Settings
from service.watchdog import WATCHDOG


def write_outcome(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """Writes gunicorn's own error answers as an OperationOutcome (never echoing `mesg`: it quotes the input)."""
    code = "too-long" if status_int in (413, 414, 431) else "invalid" if status_int < 500 else "exception"
    body = json.dumps(operation_outcome(code, f"{status_int} {reason}: the server could not read the request"))
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/fhir+json\r\n"
        f"Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, (head + body).encode("latin-1"))


_default_headers = wsgi.Response.default_headers


def _headers_without_banner(self: Any) -> list[str]:
    return [line for line in _default_headers(self) if not line.startswith("Server:")]


util.write_error = write_outcome
wsgi.Response.default_headers = _headers_without_banner


def _meet(barrier: threading.Barrier) -> None:
    try:
        barrier.wait(timeout=10)  # each task holds its thread until all have one: every thread gets started
    except threading.BrokenBarrierError:
        pass


# Load-aware accept (issue 14): gthread takes every connection it can, whatever its load, so a client opening eight
# keep-alive connections at once had them all on one of two workers while the other idled (make bench, payload B:
# concurrency 8 no faster than 1). A worker with requests on its threads waits this long per request (at most
# ACCEPT_YIELD_MAX_REQUESTS of them) before it accepts, so an idler worker, woken by the same connection, takes it
# first; when every worker is busy the connection is still accepted a few milliseconds later.
ACCEPT_YIELD_STEP_SECONDS = 0.001
ACCEPT_YIELD_MAX_REQUESTS = 4


class DeadlineThreadWorker(ThreadWorker):  # type: ignore[misc]  # gunicorn has no type information
    """gthread with a per-request read deadline, a drain that refuses new connections, no HTML errors, and a
    load-aware accept."""

    read_seconds = 10.0
    busy = 0  # connections on this worker's request threads; touched by the main thread only

    def init_process(self) -> None:
        self.read_seconds = Settings.from_env().request_read_seconds
        super().init_process()

    def get_thread_pool(self) -> Any:
        """Returns gthread's request pool with all its threads started, so the count is flat from boot on (a
        thread count that grows under load then means a leak, not a pool warming up)."""
        pool = super().get_thread_pool()
        barrier = threading.Barrier(self.cfg.threads)
        for _ in range(self.cfg.threads):
            pool.submit(_meet, barrier)
        return pool

    def handle(self, conn: Any) -> Any:
        if not conn.initialized and not conn.data_ready:
            # gthread's own wait for the first byte, done here so the deadline starts when the request does
            if not conn.wait_for_data(DEFAULT_WORKER_DATA_TIMEOUT):
                return _DEFER  # still no data: gthread puts it back on the poller (no thread held)
        watch = WATCHDOG.watch(conn.sock, time.monotonic() + self.read_seconds, socket.SHUT_RD)
        try:
            return super().handle(conn)
        finally:
            watch.release()

    def enqueue_req(self, conn: Any) -> None:
        self.busy += 1
        super().enqueue_req(conn)

    def finish_request(self, conn: Any, fs: Any) -> None:
        self.busy -= 1
        super().finish_request(conn, fs)

    def accept(self, listener: Any) -> None:
        if self.busy and self.cfg.workers > 1:  # let an idler worker take it first (see ACCEPT_YIELD_STEP_SECONDS)
            time.sleep(min(self.busy, ACCEPT_YIELD_MAX_REQUESTS) * ACCEPT_YIELD_STEP_SECONDS)
        super().accept(listener)

    def set_accept_enabled(self, enabled: bool) -> None:
        super().set_accept_enabled(enabled)
        if not enabled and not self.alive:  # stopping, not merely full: refuse new connections from now on
            for listener in self.sockets:
                listener.close()
