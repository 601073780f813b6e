"""A misbehaving FHIR server on 127.0.0.1, in a thread: each test scripts what a path answers.

Used by the failing-FHIR tests and by `make soak` (bench/soak.py). Behaviours are small functions of the request
handler; they stop on their own (a drip ends when the client hangs up or after `MAX_BEHAVIOUR_SECONDS`), so no
thread outlives its test for long. Only loopback is ever bound.
"""

from __future__ import annotations

import gzip
import json
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Behaviour = Callable[[BaseHTTPRequestHandler], None]
MAX_BEHAVIOUR_SECONDS = 15.0
FHIR_JSON = "application/fhir+json"


def searchset(entries: int = 0, next_url: str | None = None, kind: str = "Condition") -> dict[str, Any]:
    """Returns a searchset Bundle of `entries` minimal resources, with a next link when given."""
    out: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": {"resourceType": kind, "id": f"r{i}"}} for i in range(entries)],
    }
    if next_url:
        out["link"] = [{"relation": "next", "url": next_url}]
    return out


def reply(status: int, body: bytes = b"", content_type: str = FHIR_JSON, **headers: str) -> Behaviour:
    def run(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            h.send_header(name.replace("_", "-"), value)
        h.end_headers()
        h.wfile.write(body)

    return run


def json_reply(document: Any, status: int = 200) -> Behaviour:
    return reply(status, json.dumps(document).encode())


def stall(seconds: float, then: Behaviour | None = None) -> Behaviour:
    """Waits before sending anything (status line included), then behaves as `then` (default: 200 empty Bundle)."""

    def run(h: BaseHTTPRequestHandler) -> None:
        time.sleep(min(seconds, MAX_BEHAVIOUR_SECONDS))
        (then or json_reply(searchset()))(h)

    return run


def drip(interval: float, declared: int = 1_000_000) -> Behaviour:
    """Sends headers at once, then one byte every `interval` seconds: each read is quick, the body never ends."""

    def run(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", FHIR_JSON)
        h.send_header("Content-Length", str(declared))
        h.end_headers()
        stop = time.monotonic() + MAX_BEHAVIOUR_SECONDS
        try:
            h.wfile.write(b"{")
            while time.monotonic() < stop:
                h.wfile.write(b" ")
                h.wfile.flush()
                time.sleep(interval)
        except OSError:
            return  # the client gave up: the point of the test

    return run


def drip_headers(interval: float) -> Behaviour:
    """Sends the status line and headers one byte every `interval` seconds (each read is quick, none completes)."""

    def run(h: BaseHTTPRequestHandler) -> None:
        head = b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\n" + b"X-Pad: " + b"a" * 10_000
        stop = time.monotonic() + MAX_BEHAVIOUR_SECONDS
        try:
            for byte in head:
                if time.monotonic() > stop:
                    return
                h.wfile.write(bytes([byte]))
                h.wfile.flush()
                time.sleep(interval)
        except OSError:
            return  # the client gave up: the point of the test
        h.close_connection = True

    return run


def overlong(document: Any, extra: bytes) -> Behaviour:
    """Replies `document` with a correct Content-Length, then writes `extra` bytes no request asked for."""
    body = json.dumps(document).encode()

    def run(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", FHIR_JSON)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)
        h.wfile.flush()  # the extra bytes travel apart (over TLS: their own record), as from a confused proxy
        h.wfile.write(extra)

    return run


def chunked(total: int, chunk: int = 64 * 1024) -> Behaviour:
    """Streams `total` bytes of JSON-ish filler with chunked encoding (no Content-Length to refuse up front)."""

    def run(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", FHIR_JSON)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        sent = 0
        try:
            while sent < total:
                piece = b" " * min(chunk, total - sent)
                h.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                sent += len(piece)
            h.wfile.write(b"0\r\n\r\n")
        except OSError:
            return

    return run


def gzip_bomb(decompressed: int) -> Behaviour:
    """Sends a small gzip body that inflates to `decompressed` bytes."""
    body = gzip.compress(b" " * decompressed, compresslevel=9)

    def run(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", FHIR_JSON)
        h.send_header("Content-Encoding", "gzip")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        try:
            h.wfile.write(body)
        except OSError:
            return

    return run


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a client that hangs up mid-reply (a drip cut at the budget) is what these tests cause on purpose


class StubFhir:
    """The server: `routes` maps a path (no query) to a behaviour; `hits` lists every path asked for."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Behaviour] = {}
        self.default: Behaviour = json_reply(searchset())
        self.hits: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                stub.hits.append(self.path)
                stub.routes.get(path, stub.default)(self)

            def log_message(self, format: str, *args: Any) -> None:
                return  # quiet: the tests read `hits`

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self.scheme = "http"
        if tls is not None:  # https with a certificate the caller made (bench/soak.py: self-signed, run time only)
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
            self.scheme = "https"
        self._server.daemon_threads = True
        self._server.block_on_close = False  # a dripping handler must not hold up the test's teardown
        self._thread = threading.Thread(target=self._serve, name="stub-fhir", daemon=True)

    def _serve(self) -> None:
        self._server.serve_forever(poll_interval=0.05)  # a short poll: stop() returns at once

    @property
    def origin(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self._server.server_address[1]}"

    @property
    def base(self) -> str:
        return f"{self.origin}/fhir"

    def start(self) -> StubFhir:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def running() -> Iterator[StubFhir]:
    """Yields a started stub; stops it afterwards."""
    stub = StubFhir().start()
    try:
        yield stub
    finally:
        stub.stop()


@contextmanager
def unaccepting_port() -> Iterator[int]:
    """Yields a loopback port whose listen queue is full, so a new connect hangs until the client's connect timeout.

    Linux drops the SYN once the accept queue (backlog 0 -> one slot) is full; the first connection fills it.
    """
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):  # fill the queue; stop once a connect no longer completes at once
            filler = socket.socket()
            filler.settimeout(0.2)
            try:
                filler.connect(("127.0.0.1", port))
            except OSError:
                filler.close()
                break
            fillers.append(filler)
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


Answers = dict[tuple[str, str | None], Any]  # (path under the base, a code of the `code` parameter or None) -> body


def answers_by_query(answers: Answers, latency: float = 0.0, prefix: str = "/fhir/") -> Behaviour:
    """Answers each request from `answers` after `latency` seconds (a FHIR server's own time per query).

    A key's code matches when it is one of the request's `code` parameter values (`system|code`, comma separated);
    a key with None matches any code. Anything unknown is a 404. Used by `make bench` for the fetch path.
    """
    encoded = {key: json.dumps(body).encode() for key, body in answers.items()}

    def run(h: BaseHTTPRequestHandler) -> None:
        time.sleep(latency)
        parts = urlsplit(h.path)
        path = parts.path.removeprefix(prefix)
        values = parse_qs(parts.query).get("code", [])
        wanted = {token.rsplit("|", 1)[-1] for value in values for token in value.split(",")}
        for (where, code), body in encoded.items():
            if where == path and (code is None or code in wanted):
                _one_write(h, 200, body)
                return
        _one_write(h, 404, b'{"resourceType": "OperationOutcome"}')

    return run


def _one_write(h: BaseHTTPRequestHandler, status: int, body: bytes) -> None:
    """Sends status line, headers and body in one write: headers and body sent apart meet Nagle's algorithm and
    the client's delayed ACK, which adds ~40 ms to a reply on loopback (the latency must be only the injected one)."""
    head = f"HTTP/1.1 {status} {'OK' if status == 200 else 'Not Found'}\r\nContent-Type: {FHIR_JSON}\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n"
    h.wfile.write(head.encode() + body)
    h.wfile.flush()


@contextmanager
def answering(answers: Answers, latency: float = 0.0) -> Iterator[StubFhir]:
    """Yields a started stub that answers every request from `answers` after `latency` seconds; stops it after."""
    stub = StubFhir()
    stub.default = answers_by_query(answers, latency)
    stub.start()
    try:
        yield stub
    finally:
        stub.stop()
