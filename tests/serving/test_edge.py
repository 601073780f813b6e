"""The app's edge (issue #11): headers on every response, request ids, header limits, rate limits, size caps.

In memory (Flask test client); tests/serving/test_gunicorn.py checks the same under the real server.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask.testing import FlaskClient

from service.app import create_app
from service.edge import RateLimited, RateLimiter
from service.settings import Settings
from tests.service.conftest import (
    SERVICE_ID,
    Rules,
    SpyMapper,
    assert_outcome,
    counter_uuids,
    fake_spec,
    hook_request,
    log_lines,
    service_settings,
)

URL = f"/cds-services/{SERVICE_ID}"


def _client(**settings: Any) -> FlaskClient:
    app = create_app(service_settings(**settings), [fake_spec(Rules())], mapper=SpyMapper(), new_uuid=counter_uuids())
    return app.test_client()


def _feedback(**item: Any) -> dict[str, Any]:
    return {"feedback": [{"card": "c1", "outcome": "overridden", "outcomeTimestamp": "2026-06-15T09:30:00Z", **item}]}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/cds-services", None),
        ("get", "/cds-services/", None),
        ("post", URL, {"not": "a hook request"}),
        ("post", "/cds-services/no-such", {}),
        ("get", "/nowhere", None),
        ("options", URL, None),
    ],
)
def test_every_response_carries_no_store_nosniff_and_a_request_id(method: str, path: str, body: Any) -> None:
    answer = getattr(_client(), method)(path, json=body)
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert len(answer.headers["X-Request-ID"]) == 32


def test_discovery_answers_with_a_trailing_slash_too() -> None:
    client = _client()
    assert client.get("/cds-services/").get_json() == client.get("/cds-services").get_json()


def test_the_request_id_is_ours_and_in_the_hook_call_line() -> None:
    import io
    import json

    from service.edge import current_request_id
    from service.logging_setup import json_handler

    stream = io.StringIO()
    handler = json_handler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    level = root.level
    root.setLevel(logging.INFO)
    try:
        answer = _client().post(URL, json=hook_request(), headers={"X-Request-ID": "client-chosen"})
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    request_id = answer.headers["X-Request-ID"]
    assert request_id != "client-chosen"
    assert current_request_id.get() is None  # reset after the request
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    hook_call = [line for line in lines if line.get("event") == "hook_call"]
    assert [line["request_id"] for line in hook_call] == [request_id]


def test_headers_over_the_limit_are_a_431_outcome() -> None:
    client = _client(max_header_bytes=4096)
    assert client.get("/cds-services", headers={"X-Big": "a" * 3000}).status_code == 200
    body = assert_outcome(client.get("/cds-services", headers={"X-Big": "a" * 5000}), 431, "too-long")
    assert "aaaa" not in str(body)


def test_more_than_100_header_fields_are_a_431_outcome() -> None:
    headers = {f"X-H{i}": "v" for i in range(101)}
    assert_outcome(_client().get("/cds-services", headers=headers), 431, "too-long")


def test_rate_limit_is_429_with_retry_after_per_client() -> None:
    client = _client(rate_limit_per_minute=60, rate_limit_burst=2)
    for _ in range(2):
        assert client.post(URL, json=hook_request()).status_code == 200
    answer = client.post(URL, json=hook_request())
    assert_outcome(answer, 429, "throttled")
    assert int(answer.headers["Retry-After"]) >= 1
    other = client.post(URL, json=hook_request(), environ_base={"REMOTE_ADDR": "127.0.0.2"})
    assert other.status_code == 200  # another client (open mode: by address) has its own bucket
    assert_outcome(client.post(f"{URL}/feedback", json=_feedback()), 429, "throttled")


def test_the_token_bucket_refills_and_is_off_at_zero() -> None:
    now = [0.0]
    limiter = RateLimiter(per_minute=60, burst=1, clock=lambda: now[0])
    limiter.check("a")
    with pytest.raises(RateLimited) as refused:
        limiter.check("a")
    assert refused.value.retry_after == 1
    now[0] = 1.0
    limiter.check("a")
    off = RateLimiter(per_minute=0, burst=1)
    for _ in range(1000):
        off.check("a")


def test_the_rate_limit_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_env({"CDS_RATE_LIMIT_PER_MINUTE": "0", "CDS_RATE_LIMIT_BURST": "5", "CDS_AUTH": "open"})
    assert (settings.rate_limit_per_minute, settings.rate_limit_burst) == (0, 5)


@pytest.mark.parametrize(
    "item",
    [
        {"card": "c" * 1_000_000},
        {"overrideReason": {"userComment": "x" * 2001}},
        {"overrideReason": {"reason": {"system": "s" * 257, "code": "c"}}},
        {"overrideReason": {"reason": {"system": "s", "code": "c" * 129}}},
        {"outcome": "accepted", "acceptedSuggestions": [{"id": "i" * 129}]},
    ],
)
def test_feedback_fields_over_their_cap_are_400(item: dict[str, Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    body = assert_outcome(_client().post(f"{URL}/feedback", json=_feedback(**item)), 400, "invalid")
    assert "longer than" in body["issue"][0]["diagnostics"]
    assert all(len(r.getMessage()) < 2000 for r in caplog.records)


def test_an_unknown_service_id_is_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    _client().post("/cds-services/" + "s" * 3000, json=hook_request())
    line = log_lines(caplog.records, "hook_call")[0]
    assert line["service_id"] == "(unknown)"


def test_logged_ids_are_capped() -> None:
    from service.logging_setup import MAX_LOGGED_CHARS, _capped

    assert _capped("a" * 10) == "a" * 10
    assert len(_capped("a" * 10_000)) < MAX_LOGGED_CHARS + 10


def test_jwt_mode_takes_loopback_http_fhir_only_with_the_logged_opt_in(caplog: pytest.LogCaptureFixture) -> None:
    env = {"CDS_AUTH": "jwt", "CDS_FHIR_ALLOWLIST": "http://127.0.0.1:8090"}
    with pytest.raises(Exception, match="CDS_FHIR_ALLOW_LOOPBACK_HTTP"):
        Settings.from_env(env)
    with pytest.raises(Exception, match="only https"):
        Settings.from_env(
            {**env, "CDS_FHIR_ALLOWLIST": "http://fhir.example.org", "CDS_FHIR_ALLOW_LOOPBACK_HTTP": "on"}
        )
    settings = Settings.from_env({**env, "CDS_FHIR_ALLOW_LOOPBACK_HTTP": "on"})
    assert [str(b) for b in settings.effective_fhir_allowlist()] == ["http://127.0.0.1:8090"]
    caplog.set_level(logging.WARNING)
    create_app(service_settings(fhir_allow_loopback_http=True), [fake_spec(Rules())], mapper=SpyMapper())
    assert log_lines(caplog.records, "fhir_loopback_http")
