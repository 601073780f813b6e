"""Metrics from hook calls, feedback and authentication, read back from the registry and from GET /metrics.

The registry is the process's own (module-level, as Prometheus clients are), so each test compares a value before
and after what it does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
import responses
from prometheus_client.samples import Sample

from service import metrics
from service.app import create_app
from service.bulkhead import OriginGuards
from service.errors import ServiceBusy
from service.logging_setup import json_handler
from service.settings import Settings
from tests.golden_support import load_json, register_fhir
from tests.security.conftest import SigningKey, jwt_settings
from tests.support import make_app

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "lupus-nephritis-response"
GOLDEN = ROOT / "cards_fixtures" / SERVICE


def value(name: str, **labels: str) -> float:
    """Returns a sample's value in the process registry (0 when it has not been recorded yet)."""
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


def delta(name: str, labels: dict[str, str], action: Callable[[], object]) -> float:
    """Returns how much `action` moved one sample."""
    before = value(name, **labels)
    action()
    return value(name, **labels) - before


def post_golden(folder: str) -> int:
    """Posts a golden folder's request to the real app (FHIR replies from its fhir.json); returns the status."""
    request = load_json(GOLDEN / folder / "request.json")
    client = make_app().test_client()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        register_fhir(rsps, GOLDEN / folder, request)
        return client.post(f"/cds-services/{SERVICE}", json=request).status_code


def test_a_hook_call_with_cards_is_counted_with_its_outcome_latency_and_cards() -> None:
    calls = {"service": SERVICE, "status": "200", "outcome": "cards"}
    latency = {"service": SERVICE}
    cards_before = _sum("ln_cds_cards_total", service=SERVICE)
    parsed_before = value("ln_cds_resources_total", service=SERVICE, outcome="parsed")
    latency_before = value("ln_cds_hook_duration_seconds_count", **latency)
    assert delta("ln_cds_hook_calls_total", calls, lambda: post_golden("demo-refractory-7-months")) == 1
    assert value("ln_cds_hook_duration_seconds_count", **latency) == latency_before + 1
    assert _sum("ln_cds_cards_total", service=SERVICE) > cards_before
    assert value("ln_cds_resources_total", service=SERVICE, outcome="parsed") > parsed_before
    rules = {s.labels["rule"] for s in _samples("ln_cds_cards_total")}
    assert "(unknown)" not in rules  # every card names its rule
    prefetched = {"service": SERVICE, "key": "conditions", "source": "prefetched"}
    assert delta("ln_cds_prefetch_keys_total", prefetched, lambda: post_golden("demo-refractory-7-months")) == 1


def test_fhir_queries_are_timed_one_observation_each_and_keys_counted_as_fetched() -> None:
    folder = "omitted-prefetch-fhir-fallback"
    replies = len(load_json(GOLDEN / folder / "fhir.json"))
    labels = {"service": SERVICE}
    moved = delta("ln_cds_fhir_request_duration_seconds_count", labels, lambda: post_golden(folder))
    assert moved == replies
    fetched = sum(v.labels["source"] == "fetched" for v in _samples("ln_cds_prefetch_keys_total"))
    assert fetched >= 1


def test_an_out_of_scope_chart_has_its_own_outcome() -> None:
    labels = {"service": SERVICE, "status": "200", "outcome": "out-of-scope"}
    assert delta("ln_cds_hook_calls_total", labels, lambda: post_golden("no-ln-sle-only")) == 1


def test_a_failed_fhir_call_is_counted_by_its_error_class() -> None:
    labels = {"service": SERVICE, "status": "412", "outcome": "fhir-transient-error"}
    assert delta("ln_cds_hook_calls_total", labels, lambda: post_golden("fhir-server-500")) == 1


def test_an_unknown_service_id_never_becomes_a_label() -> None:
    client = make_app().test_client()
    body = load_json(GOLDEN / "no-ln-sle-only" / "request.json")
    labels = {"service": "(unknown)", "status": "404", "outcome": "unknown-service"}
    assert delta("ln_cds_hook_calls_total", labels, lambda: client.post("/cds-services/pt-4711-x", json=body)) == 1
    assert not [s for s in _samples("ln_cds_hook_calls_total") if "pt-4711" in s.labels["service"]]


def test_requests_are_counted_by_route_template_not_path() -> None:
    client = make_app().test_client()
    labels = {"route": "/cds-services/<service_id>", "method": "POST", "status": "400"}
    assert delta("ln_cds_http_requests_total", labels, lambda: client.post("/cds-services/pt-4711", json={})) == 1
    assert not [s for s in _samples("ln_cds_http_requests_total") if "pt-4711" in s.labels["route"]]
    unmatched = {"route": "(unmatched)", "method": "GET", "status": "404"}
    assert delta("ln_cds_http_requests_total", unmatched, lambda: client.get("/no/such/pt-4711")) == 1


def test_auth_rejections_are_counted_by_reason(ec_key: SigningKey) -> None:
    client = create_app(jwt_settings(ec_key)).test_client()
    url = f"/cds-services/{SERVICE}"
    assert delta("ln_cds_auth_rejections_total", {"reason": "missing"}, lambda: client.post(url, json={})) == 1
    bad = {"Authorization": "Bearer not-a-jwt"}
    assert delta("ln_cds_auth_rejections_total", {"reason": "malformed"}, lambda: client.post(url, headers=bad)) == 1
    refused = {"service": SERVICE, "status": "401", "outcome": "http-401"}
    assert delta("ln_cds_hook_calls_total", refused, lambda: client.post(url, json={})) == 1


def test_feedback_is_counted_by_outcome() -> None:
    client = make_app().test_client()
    item = {"card": "9368d37b-283f-44a0-93ea-547cebab93ed", "outcome": "overridden"}
    item["outcomeTimestamp"] = "2026-06-15T09:30:00Z"
    labels = {"service": SERVICE, "outcome": "overridden"}
    post = lambda: client.post(f"/cds-services/{SERVICE}/feedback", json={"feedback": [item]})  # noqa: E731
    assert delta("ln_cds_feedback_total", labels, post) == 1


def test_the_fhir_breaker_reports_opening_and_closing() -> None:
    origin = "https://breaker-test.example.org:443"
    guards = OriginGuards(concurrency=2, failures_to_open=2, open_seconds=30)
    opened = {"origin": origin, "state": "open"}
    three_failures = lambda: [guards.failed(origin) for _ in range(3)]  # noqa: E731
    assert delta("ln_cds_fhir_breaker_transitions_total", opened, three_failures) == 1
    assert value("ln_cds_fhir_breaker_open", origin=origin) == 1
    guards.succeeded(origin)
    assert value("ln_cds_fhir_breaker_open", origin=origin) == 0
    assert value("ln_cds_fhir_breaker_transitions_total", origin=origin, state="closed") == 1
    closed = {"origin": origin, "state": "closed"}
    assert delta("ln_cds_fhir_breaker_transitions_total", closed, lambda: guards.succeeded(origin)) == 0


def test_breaker_changes_set_the_gauge_and_count_transitions() -> None:
    origin = "https://fhir.example.org:443"
    metrics.breaker_changed(origin, True)
    assert value("ln_cds_fhir_breaker_open", origin=origin) == 1
    metrics.breaker_changed(origin, False)
    assert value("ln_cds_fhir_breaker_open", origin=origin) == 0
    assert value("ln_cds_fhir_breaker_transitions_total", origin=origin, state="open") >= 1


def test_metrics_endpoint_serves_the_prometheus_text() -> None:
    client = make_app().test_client()
    client.post(f"/cds-services/{SERVICE}", json={})
    reply = client.get("/metrics")
    assert reply.status_code == 200
    assert reply.mimetype == "text/plain"
    text = reply.get_data(as_text=True)
    for name in ("ln_cds_hook_calls_total", "ln_cds_http_requests_total", "ln_cds_hook_duration_seconds_bucket"):
        assert name in text


def test_metrics_endpoint_needs_the_token_when_one_is_configured(tmp_path: Path) -> None:
    token = "metrics-token-0123456789"
    (tmp_path / "token").write_text(token + "\n")
    environ = {"CDS_AUTH": "open", "CDS_METRICS_TOKEN_FILE": str(tmp_path / "token")}
    client = create_app(Settings.from_env(environ)).test_client()
    refused = client.get("/metrics")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert refused.get_json(force=True)["resourceType"] == "OperationOutcome"
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert client.get("/healthz").status_code == 200  # health stays open


@pytest.mark.parametrize("content", ["", "short", "two tokens-0123456789"])
def test_a_metrics_token_file_must_hold_one_long_token(tmp_path: Path, content: str) -> None:
    from service.settings import SettingsError

    (tmp_path / "token").write_text(content)
    with pytest.raises(SettingsError, match="CDS_METRICS_TOKEN_FILE"):
        Settings.from_env({"CDS_METRICS_TOKEN_FILE": str(tmp_path / "token")})


def test_the_metrics_token_stays_out_of_repr(tmp_path: Path) -> None:
    (tmp_path / "token").write_text("metrics-token-0123456789")
    settings = Settings.from_env({"CDS_METRICS_TOKEN_FILE": str(tmp_path / "token")})
    assert settings.metrics_token == "metrics-token-0123456789"
    assert "metrics-token" not in repr(settings)


def test_every_log_line_of_a_request_carries_its_request_id() -> None:
    stream = StringIO()
    handler = json_handler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    try:
        reply = make_app().test_client().post(f"/cds-services/{SERVICE}", json={})
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    request_id = reply.headers["X-Request-ID"]
    assert len(request_id) == 32
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    hook_lines = [line for line in lines if line.get("event") == "hook_call"]
    assert hook_lines
    assert all(line["request_id"] == request_id for line in hook_lines)


def test_each_request_gets_its_own_id() -> None:
    client = make_app().test_client()
    ids = {client.get("/healthz").headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


def _samples(name: str) -> list[Sample]:
    return [s for family in metrics.REGISTRY.collect() for s in family.samples if s.name == name]


def _sum(name: str, **labels: str) -> float:
    return sum(s.value for s in _samples(name) if all(s.labels.get(k) == v for k, v in labels.items()))


def test_replay_store_failures_are_counted_where_they_are_answered() -> None:
    app = make_app()

    @app.get("/test-busy")
    def busy() -> str:
        raise ServiceBusy("jti store unavailable")

    before = value("ln_cds_replay_store_errors_total", error="busy")
    reply = app.test_client().get("/test-busy")
    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "5"  # still answered by the app's own CdsError handler
    assert value("ln_cds_replay_store_errors_total", error="busy") == before + 1


def test_another_patients_resources_are_counted_as_foreign() -> None:
    labels = {"service": SERVICE, "outcome": "foreign"}
    assert delta("ln_cds_resources_total", labels, lambda: post_golden("records-foreign-results-mixed-in")) >= 1
