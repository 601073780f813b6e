"""The framework floor: the shipped app with one more route that answers `{"cards": []}` and does nothing else.

`make bench` serves this instead of `service.app:create_app()` (same gunicorn.conf.py, same settings, same
request hooks: edge checks, CORS, access log), so the floor and the hook calls come from one server in one run.
The route reads the body it is sent (the bytes travel as for a hook call) and never parses it. Bench code only:
the shipped app has no such route.
"""

from __future__ import annotations

from flask import Flask, Response, request

from service.app import create_app as create_service_app

FLOOR_PATH = "/bench/floor"


def create_app() -> Flask:
    """Returns the shipped app plus the trivial endpoint at FLOOR_PATH."""
    app = create_service_app()
    empty = b'{"cards": []}'

    def floor() -> Response:
        request.get_data(cache=False)
        return Response(empty, mimetype="application/json")

    app.add_url_rule(FLOOR_PATH, "bench_floor", floor, methods=["POST"])
    return app
