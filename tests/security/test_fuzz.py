"""Hostile input: generated and mutated requests never get a 5xx, and every error is an OperationOutcome.

Four generators, all against the real app (real registry, mappers and rules) in memory, with no network:
1. schemathesis over openapi.yaml, open mode: schema-valid and schema-violating requests to every operation;
   responses are also checked against the document (status, media type, headers, body schema);
2. schemathesis over openapi.yaml, jwt mode: whatever is sent without a valid token gets 401 (or 2xx/204 for
   discovery and preflights);
3. raw requests: random or truncated bytes, invalid UTF-8, deep nesting, oversize bodies, odd content types,
   wrong methods and paths;
4. mutated hook requests: a golden request with one part replaced by a generated JSON value, a huge or exotic
   string, deep nesting, or removed -- these reach prefetch handling, the FHIR mappers and the rules.

Volume: CDS_FUZZ_PROFILE=quick (the default, a few thousand requests, in `make test`) or full (`make fuzz`, at
least 10,000). The request count and the 5xx count are printed at the end of the run.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from service.trust import IssuerTrust
from tests.security.conftest import FUZZ_STATS, ISSUER, PUBLIC_URL
from tests.security.test_openapi import ROOT, doc_app

PROFILE = os.environ.get("CDS_FUZZ_PROFILE", "quick")
# examples per generator; schemathesis multiplies its figure by the 6 operations and adds its coverage phase
VOLUME = {
    "quick": {"schema": 120, "schema_jwt": 40, "raw": 600, "mutated": 700},
    "full": {"schema": 900, "schema_jwt": 150, "raw": 3000, "mutated": 5000},
}[PROFILE]
MAX_BODY = 64 * 1024  # a small body limit, so that oversize bodies are cheap to generate
SERVICE = "lupus-nephritis-response"
GOLDEN = ROOT / "cards_fixtures" / SERVICE
BASE_REQUESTS = [
    json.loads((GOLDEN / name / "request.json").read_text())
    for name in ("demo-refractory-7-months", "null-prefetch", "omitted-prefetch-fhir-fallback", "si-units-mg-mmol-umol")
]
SETTINGS = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    "print_blob": True,
}


def _counted(app: Flask) -> Flask:
    """Returns `app` with every response counted in FUZZ_STATS (requests, per status, 5xx)."""
    inner = app.wsgi_app

    def counting(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        def record(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            FUZZ_STATS.record(int(status.split()[0]))
            return start_response(status, headers, exc_info)

        return inner(environ, record)

    app.wsgi_app = counting  # type: ignore[method-assign]
    return app


# The rate limiter is off here: thousands of calls from one client would otherwise mostly get 429 before their body
# is read, and the point is to reach the validators (the limiter's own tests: tests/serving/test_edge.py).
OPEN_APP = _counted(doc_app(max_body_bytes=MAX_BODY, rate_limit_per_minute=0))
JWT_APP = _counted(
    doc_app(
        max_body_bytes=MAX_BODY,
        rate_limit_per_minute=0,
        auth="jwt",
        public_url=PUBLIC_URL,
        trusted_issuers=(IssuerTrust(ISSUER, jwks_url="https://ehr.example.org/keys"),),
    )
)


def assert_sound(status: int, mimetype: str, body: bytes, challenge: str | None, *, head: bool = False) -> None:
    """Asserts the answer is not a 5xx, and that an error is an OperationOutcome (a 401 with its challenge)."""
    assert status < 500, body[:500]
    if status >= 400:
        assert mimetype == "application/fhir+json"
        if not body and head:
            return  # a HEAD answer has the headers of the error, not its body
        outcome = json.loads(body)
        assert outcome["resourceType"] == "OperationOutcome"
        assert outcome["issue"][0]["severity"] == "error"
        assert outcome["issue"][0]["code"]
    if status == 401:
        assert challenge is not None
        assert challenge.startswith("Bearer ")


def assert_sound_reply(response: Any) -> None:
    """`assert_sound` for a schemathesis response (headers: lower-case names, lists of values)."""
    headers = response.headers
    mimetype = headers.get("content-type", [""])[0].split(";")[0].strip()
    challenge = headers.get("www-authenticate", [None])[0]
    assert_sound(response.status_code, mimetype, response.content, challenge)


# --- 1 and 2: schemathesis ------------------------------------------------------------------------------------------

schema_open = schemathesis.openapi.from_path(ROOT / "openapi.yaml")
schema_open.app = OPEN_APP
schema_jwt = schemathesis.openapi.from_path(ROOT / "openapi.yaml")
schema_jwt.app = JWT_APP
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@schema_open.parametrize()
@settings(max_examples=VOLUME["schema"], **SETTINGS)  # type: ignore[arg-type]
def test_generated_requests_conform_and_never_fail(case: Any) -> None:
    response = case.call()
    assert_sound_reply(response)
    case.validate_response(response, checks=CONFORMANCE)


@schema_jwt.parametrize()
@settings(max_examples=VOLUME["schema_jwt"], **SETTINGS)  # type: ignore[arg-type]
def test_generated_requests_without_a_valid_token_are_401(case: Any) -> None:
    response = case.call()
    assert_sound_reply(response)
    if case.method == "POST":
        assert response.status_code in (401, 405), response.status_code


# --- 3: raw requests -------------------------------------------------------------------------------------------------

CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/fhir+json",
        "application/json; charset=utf-8",
        "application/json; charset=latin-1",
        "application/json; charset=utf-16",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/xml",
        "",
        "application/json; charset",
        "*/*",
    ]
)


def _nested(depth: int, opener: str) -> bytes:
    closer = {"[": "]", "{": "}"}[opener]
    if opener == "[":
        return (b"[" * depth) + (b"]" * depth)
    return (b'{"a":' * depth) + b"1" + (closer.encode() * depth)


RAW_BODIES = st.one_of(
    st.binary(max_size=2048),
    st.text(max_size=2048).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.builds(lambda d, o: _nested(d, o), st.integers(1, 5000), st.sampled_from(["[", "{"])),
    st.builds(lambda n: b'{"hook": "' + b"x" * n + b'"}', st.integers(MAX_BODY - 20, MAX_BODY + 4096)),
    st.sampled_from(
        [
            b"",
            b"null",
            b"[]",
            b"{}",
            b'"just a string"',
            b"1e999",
            b'{"hook": NaN}',
            b'{"hook": Infinity}',
            b'{"a": 1, "a": 2}',
            b"\xef\xbb\xbf{}",  # a UTF-8 byte-order mark
            b"\xff\xfe{\x00}\x00",
            b'{"hook": "\\ud800"}',
            b"{" * 10 + b"]",
        ]
    ),
    st.builds(
        lambda request, cut: json.dumps(request).encode()[:cut],
        st.sampled_from(BASE_REQUESTS),
        st.integers(0, 400),
    ),
)
PATHS = st.sampled_from(
    [
        f"/cds-services/{SERVICE}",
        f"/cds-services/{SERVICE}/feedback",
        "/cds-services",
        "/cds-services/",
        "/cds-services/%00",
        "/cds-services/..%2f..%2fetc%2fpasswd",
        "/cds-services/" + "x" * 3000,
        f"/cds-services/{SERVICE}/feedback/extra",
        "/",
        "/openapi.yaml",
    ]
)
METHODS = st.sampled_from(["POST", "POST", "POST", "GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])


@given(method=METHODS, path=PATHS, content_type=CONTENT_TYPES, body=RAW_BODIES, chunked=st.booleans())
@settings(max_examples=VOLUME["raw"], **SETTINGS)  # type: ignore[arg-type]
def test_raw_requests_never_fail(method: str, path: str, content_type: str, body: bytes, chunked: bool) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    environ: dict[str, Any] = {}
    if chunked:  # no Content-Length, as a de-chunking WSGI server hands the body on
        environ = {"wsgi.input_terminated": True}
    client = OPEN_APP.test_client()
    reply = client.open(path, method=method, data=body, headers=headers, environ_overrides=environ)
    challenge = reply.headers.get("WWW-Authenticate")
    assert_sound(reply.status_code, reply.mimetype, reply.get_data(), challenge, head=method == "HEAD")


# --- 4: mutated hook requests ----------------------------------------------------------------------------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=64)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
)
EXOTIC = st.sampled_from(
    [
        "x" * 40_000,
        "\u202e\u0000\ufeff",
        "\ud800",  # a lone surrogate: valid JSON (as an escape), not encodable as UTF-8
        "Patient/../../admin",
        "a/b",
        "%2e%2e%2f",
        "{{context.patientId}}",
        "ln-demo-07?_format=xml&x=",
        "https://evil.example.org/r4",
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:22/",
        "file:///etc/passwd",
        "Bearer",
        "1e999",
        "-0",
        "\U0001f600" * 100,
    ]
)


# Members the service acts on: half of the mutations go to one of these.
HOT_PATHS = {
    ("hook",),
    ("hookInstance",),
    ("fhirServer",),
    ("fhirAuthorization",),
    ("fhirAuthorization", "access_token"),
    ("context",),
    ("context", "patientId"),
    ("context", "userId"),
    ("prefetch",),
    *(("prefetch", key) for key in ("patient", "conditions", "proteinuria", "kidneyFunction", "sediment")),
    ("prefetch", "medications"),
}


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Returns every path (keys and indices) into a JSON value, the root excluded."""
    out: list[tuple[Any, ...]] = []
    children: Iterable[tuple[Any, Any]] = ()
    if isinstance(node, dict):
        children = node.items()
    elif isinstance(node, list):
        children = enumerate(node)
    for key, child in children:
        out.append((*prefix, key))
        out.extend(_paths(child, (*prefix, key)))
    return out


def _deep(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = {"resourceType": "Bundle", "entry": [value]}
    return value


@st.composite
def mutated_requests(draw: st.DrawFn) -> dict[str, Any]:
    request = copy.deepcopy(draw(st.sampled_from(BASE_REQUESTS)))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(request)
        if not paths:
            break
        hot = [p for p in paths if p in HOT_PATHS]
        path = draw(st.sampled_from(hot)) if hot and draw(st.booleans()) else draw(st.sampled_from(paths))
        parent: Any = request
        for key in path[:-1]:
            parent = parent[key]
        how = draw(st.sampled_from(["replace", "replace", "exotic", "delete", "deep"]))
        if how == "delete":
            del parent[path[-1]]
        elif how == "exotic":
            parent[path[-1]] = draw(EXOTIC)
        elif how == "deep":
            parent[path[-1]] = _deep(draw(st.integers(10, 120)))
        else:
            parent[path[-1]] = draw(JSON_VALUES)
    return request


@given(request=mutated_requests(), feedback=st.booleans())
@settings(max_examples=VOLUME["mutated"], **SETTINGS)  # type: ignore[arg-type]
def test_mutated_hook_requests_never_fail(request: dict[str, Any], feedback: bool) -> None:
    path = f"/cds-services/{SERVICE}" + ("/feedback" if feedback else "")
    raw = json.dumps(request, ensure_ascii=True)  # lone surrogates travel as \\ud800 escapes
    reply = OPEN_APP.test_client().post(path, data=raw, content_type="application/json")
    assert_sound(reply.status_code, reply.mimetype, reply.get_data(), reply.headers.get("WWW-Authenticate"))


def test_fuzz_volume_and_no_server_errors() -> None:
    """Runs last in this module: the counts of everything above."""
    assert FUZZ_STATS.server_errors == 0
    assert FUZZ_STATS.requests >= (10_000 if PROFILE == "full" else 1_000)


def test_the_volume_profile_is_known() -> None:
    assert PROFILE in ("quick", "full"), "CDS_FUZZ_PROFILE is quick or full"
    assert Path(ROOT / "openapi.yaml").exists()
