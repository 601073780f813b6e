"""The request id of the request being served: one per request, ours (never a client's), in `flask.g`.

Set by `service.ops` before each request (from the WSGI environ when an edge middleware made one, else a fresh
uuid4), returned as `X-Request-ID`, and written by the JSON log formatter into every line logged while the request
is served, so an access-log line, the hook-call line and a metrics spike can be joined.
"""

from __future__ import annotations

from flask import g, has_request_context

ENVIRON_KEY = "ln_cds.request_id"  # where an edge middleware (issue 11) leaves the id it made
HEADER = "X-Request-ID"


def current_request_id() -> str | None:
    """Returns the id of the request being served, or None outside a request (startup, background threads)."""
    if not has_request_context():
        return None
    value = g.get("request_id")
    return value if isinstance(value, str) else None
