"""What every response and request gets at the edge of the app (issue #11).

- A request id of our own (never the client's), in the `X-Request-ID` response header, in the WSGI environ for
  gunicorn's access log (`ln_cds.request_id`), and in every app log line written during the request.
- The matched route template (`/cds-services/<service_id>`, never the path as sent) in the environ for the access
  log (`ln_cds.route`): the access log holds no client-supplied text.
- `Cache-Control: no-store` (cards and outcomes are patient-specific) and `X-Content-Type-Options: nosniff` on
  every response, errors included.
- Request headers over CDS_MAX_HEADER_BYTES in all: a 431 OperationOutcome (gunicorn's own limits are set above
  ours in gunicorn.conf.py, so this is the answer a client sees).
- A per-client token-bucket rate limit (`RateLimiter`): 429 with `Retry-After`.
"""

from __future__ import annotations

import contextvars
import math
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import Flask, request

from service.errors import CdsError

REQUEST_ID_HEADER = "X-Request-ID"
ROUTE_KEY = "ln_cds.route"
REQUEST_ID_KEY = "ln_cds.request_id"
SECURITY_HEADERS = (("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"))
MAX_HEADER_FIELDS = 100  # gunicorn.conf.py lets up to 200 through, so this answer is the app's
MAX_RATE_KEYS = 10_000  # clients remembered per worker; the least recently seen is forgotten first

current_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class HeadersTooLarge(CdsError):
    status = 431
    issue_code = "too-long"


class RateLimited(CdsError):
    """This client sent more calls than CDS_RATE_LIMIT_* allow; `retry_after` is whole seconds."""

    status = 429
    issue_code = "throttled"

    def __init__(self, retry_after: int) -> None:
        super().__init__("too many calls from this client; retry after the time in Retry-After")
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class EdgeMiddleware:
    """WSGI middleware: a fresh request id per request, and the security headers on every response."""

    def __init__(self, app: WsgiApp, new_id: Callable[[], str] = lambda: uuid.uuid4().hex) -> None:
        self.app = app
        self.new_id = new_id

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request_id = self.new_id()
        environ[REQUEST_ID_KEY] = request_id
        environ.setdefault(ROUTE_KEY, "-")

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            names = {name.lower() for name, _ in headers}
            headers = [*headers, (REQUEST_ID_HEADER, request_id)]
            headers += [(name, value) for name, value in SECURITY_HEADERS if name.lower() not in names]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        token = current_request_id.set(request_id)
        try:
            return self.app(environ, start)
        finally:
            current_request_id.reset(token)


def install_edge(app: Flask, max_header_bytes: int) -> None:
    """Wraps `app` in EdgeMiddleware, records the route template, and answers oversized headers with 431."""

    def check_request() -> None:
        request.environ[ROUTE_KEY] = request.url_rule.rule if request.url_rule is not None else "-"
        size = sum(len(name) + len(value) + 4 for name, value in request.headers.items())  # "name: value\r\n"
        if size > max_header_bytes:
            raise HeadersTooLarge(f"the request headers exceed {max_header_bytes} bytes")
        if len(request.headers) > MAX_HEADER_FIELDS:
            raise HeadersTooLarge(f"the request has more than {MAX_HEADER_FIELDS} header fields")

    app.before_request(check_request)
    app.wsgi_app = EdgeMiddleware(app.wsgi_app)  # type: ignore[method-assign]


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """Token buckets per client key: `burst` calls at once, refilled at `per_minute`; 0 per minute = no limit.

    Per worker process (no shared store yet): with W workers a client may get up to W times the limit.
    """

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        """Takes one token from `key`'s bucket; raises RateLimited (429) when it is empty."""
        if self.rate <= 0:
            return
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = _Bucket(self.burst, now)
                while len(self._buckets) > MAX_RATE_KEYS:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(key)
                bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
                bucket.at = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return
            wait = (1 - bucket.tokens) / self.rate
        raise RateLimited(max(1, math.ceil(wait)))
