"""HTTP edge helpers: reading a JSON body within limits, and CORS for browser clients such as the Sandbox.

CORS is written here rather than taken from flask-cors: it is a few lines, adds no dependency, and the policy
is explicit in one place (STYLE #23) -- preflights of any route answer 204, and error responses carry the header
too, so a browser client can read an OperationOutcome.

The wire is orjson (issue 14): parsing a hook call's body and dumping its answer were half of what a chart
without lupus nephritis cost. Whatever orjson refuses, or could read differently from the standard library
(orjson reads an integer beyond 64 bits as a float: any float that large sends the body back), goes through
`json` as before, so every body gets the same value or the same 400 it always did.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
from flask import Flask, Request, Response, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from service.errors import BadHookRequest, PayloadTooLarge, UnsupportedMediaType

JSON_TYPES = frozenset({"application/json", "application/fhir+json"})
ALLOW_METHODS = "GET, POST, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type"
EXPOSE_HEADERS = "WWW-Authenticate"  # so a browser client can read the Bearer challenge of a 401
PREFLIGHT_MAX_AGE = "600"
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_INT64_EDGE = 2.0**63  # orjson reads an integer beyond 64 bits as a float at least this large


def _orjson_faithful(value: Any, limit: int) -> bool:
    """Raises BadHookRequest when `value` (from orjson) nests deeper than `limit`; returns False when it holds a
    float so large it may have been an integer beyond 64 bits (which `json` keeps as an int), else True.

    `_check_structure`'s depth rule without its text check (orjson refuses lone surrogates), level by level: no
    recursion, no tuple per node, `type() is` rather than isinstance (parsed JSON holds no subclasses).
    """
    if type(value) is float:
        return -_INT64_EDGE < value < _INT64_EDGE
    level = [value] if type(value) is dict or type(value) is list else []
    depth, faithful = 1, True
    while level:
        if depth > limit:
            raise BadHookRequest(f"the request body nests deeper than {limit} levels")
        below: list[Any] = []
        for node in level:
            for child in node.values() if type(node) is dict else node:
                kind = type(child)
                if kind is dict or kind is list:
                    below.append(child)
                elif kind is float and not -_INT64_EDGE < child < _INT64_EDGE:
                    faithful = False
        level = below
        depth += 1
    return faithful


def _check_structure(value: Any, limit: int, *, check_text: bool) -> None:
    """Raises BadHookRequest when `value` nests deeper than `limit` or (`check_text`) holds text that is not Unicode.

    Iterative, so no recursion to exhaust. JSON may spell a lone surrogate (`"\\ud800"`); Python keeps it in a
    str that cannot be encoded again, which would fail later when the text goes into a FHIR URL or a log line.
    Only a body with a surrogate escape can hold one, so only then are the strings looked at.
    """
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            _check_text(node)
            continue
        if isinstance(node, dict):
            if check_text:
                for key in node:
                    _check_text(key)
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            raise BadHookRequest(f"the request body nests deeper than {limit} levels")
        stack.extend(
            (child, depth + 1)
            for child in children
            if isinstance(child, dict | list) or (check_text and isinstance(child, str))
        )


def _check_text(text: str) -> None:
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise BadHookRequest("the request body holds a string that is not valid Unicode") from None


def read_json_body(req: Request, max_bytes: int, max_depth: int = 64) -> Any:
    """Returns the parsed JSON body of `req`; raises 415, 413 or 400 (never echoing the body).

    Nesting deeper than `max_depth` (CDS_MAX_JSON_DEPTH) is a 400: the parser itself would otherwise stop with
    a RecursionError near depth 1000, and every later walk over the data is recursive too.
    """
    if req.mimetype not in JSON_TYPES:
        raise UnsupportedMediaType("Content-Type must be application/json")
    charset = req.mimetype_params.get("charset")
    if charset is not None and charset.lower().replace("-", "") != "utf8":
        raise UnsupportedMediaType("JSON must be sent as UTF-8")
    if req.content_length is not None and req.content_length > max_bytes:
        raise PayloadTooLarge(f"the body exceeds {max_bytes} bytes")
    try:
        # Without Content-Length (chunked), Werkzeug stops reading at MAX_CONTENT_LENGTH (limit + 1, see app.py).
        raw = req.get_data(cache=False)
    except RequestEntityTooLarge:
        raise PayloadTooLarge(f"the body exceeds {max_bytes} bytes") from None
    except HTTPException:
        raise  # Werkzeug's own (a client that disconnected mid-body is its 400)
    except Exception:
        # The WSGI server's body reader failed: gunicorn raises its ParseException subclasses for a bad chunk size
        # or terminator, and NoMoreData once the read side is shut at CDS_REQUEST_READ_SECONDS. Whatever the
        # server, a body that cannot be read is the client's 400, not our 500 (issue #11).
        raise BadHookRequest("the request body could not be read (bad chunked encoding or too slow)") from None
    if len(raw) > max_bytes:
        raise PayloadTooLarge(f"the body exceeds {max_bytes} bytes")
    if not raw:
        raise BadHookRequest("the request body is empty")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass  # the standard library decides, with the answer it always gave
    else:
        if _orjson_faithful(body, max_depth):
            return body
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError):
        raise BadHookRequest("the request body is not valid JSON") from None
    except RecursionError:
        raise BadHookRequest(f"the request body nests deeper than {max_depth} levels") from None
    _check_structure(body, max_depth, check_text=_SURROGATE_ESCAPE.search(raw) is not None)
    return body


def json_response(value: Any) -> Response:
    """Returns `value` as an application/json response, dumped by orjson.

    Keys sorted and a final newline, as Flask's `jsonify` wrote them, so the bytes on the wire keep their order.
    """
    body = orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
    return Response(body, mimetype="application/json")


def _allowed_origin(origins: tuple[str, ...]) -> str | None:
    if origins == ("*",):
        return "*"
    origin = request.headers.get("Origin")
    return origin if origin in origins else None


def install_cors(app: Flask, origins: tuple[str, ...]) -> None:
    """Answers OPTIONS preflights with 204 and adds Access-Control-Allow-Origin to every response."""

    def preflight() -> Response | None:
        if request.method != "OPTIONS" or request.url_rule is None:
            return None
        response = Response(status=204)
        del response.headers["Content-Type"]  # no body, so no media type
        response.headers["Access-Control-Allow-Methods"] = ALLOW_METHODS
        response.headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        # Private Network Access: a browser asks before a public page (the hosted CDS Hooks Sandbox) calls a
        # service on a private or loopback address. Grant it only to an origin listed by name: with the default
        # "*" any public page could otherwise reach a loopback or intranet deployment.
        asks_private = request.headers.get("Access-Control-Request-Private-Network", "").lower() == "true"
        if asks_private and request.headers.get("Origin") in origins:
            response.headers["Access-Control-Allow-Private-Network"] = "true"
        return response

    def allow_origin(response: Response) -> Response:
        allowed = _allowed_origin(origins)
        if allowed is not None:
            response.headers["Access-Control-Allow-Origin"] = allowed
            if "WWW-Authenticate" in response.headers:
                response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        if allowed != "*":
            response.vary.add("Origin")  # the answer depends on the Origin header: caches must key on it
        return response

    app.before_request(preflight)
    app.after_request(allow_origin)
