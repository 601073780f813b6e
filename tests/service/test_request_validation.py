"""Request validation at the HTTP edge: each broken rule is a 400 OperationOutcome that never echoes the value."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from service.cds_models import FhirAuthorization, parse_hook_request
from tests.service.conftest import SERVICE_ID, TOKEN, AppFactory, Rules, hook_request, service_settings

URL = f"/cds-services/{SERVICE_ID}"
MARK = "SECRET-VALUE-91"  # planted in each bad value: it must not come back


def _without(path: str) -> dict[str, Any]:
    body = hook_request()
    *parents, last = path.split(".")
    node = body
    for key in parents:
        node = node[key]
    del node[last]
    return body


def _with(path: str, value: Any) -> dict[str, Any]:
    body = hook_request()
    *parents, last = path.split(".")
    node = body
    for key in parents:
        node = node[key]
    node[last] = value
    return body


def _no_server() -> dict[str, Any]:
    body = hook_request()
    del body["fhirServer"]
    return body


BAD_REQUESTS = [
    pytest.param([MARK], "the request body must be a JSON object", id="body-not-object"),
    pytest.param(_without("hook"), "hook must be", id="hook-missing"),
    pytest.param(_with("hook", 7), "hook must be", id="hook-not-string"),
    pytest.param(_without("hookInstance"), "hookInstance must be", id="hook-instance-missing"),
    pytest.param(_with("hookInstance", MARK), "hookInstance must be a UUID", id="hook-instance-not-uuid"),
    pytest.param(_without("context"), "context must be a JSON object", id="context-missing"),
    pytest.param(_with("context", [MARK]), "context must be a JSON object", id="context-not-object"),
    pytest.param(_without("context.patientId"), "context.patientId must be", id="patient-missing"),
    pytest.param(_with("context.patientId", ""), "context.patientId must be", id="patient-empty"),
    pytest.param(_with("context.patientId", 12), "context.patientId must be", id="patient-not-string"),
    pytest.param(_with("context.patientId", f"../{MARK}"), "FHIR logical id", id="patient-with-slash"),
    pytest.param(_without("context.userId"), "context.userId must be", id="user-missing"),
    pytest.param(_with("context.encounterId", 5), "context.encounterId must be", id="encounter-not-string"),
    pytest.param(_with("fhirServer", f"ftp://{MARK}.org"), "fhirServer must be", id="server-not-http"),
    pytest.param(_with("fhirServer", f"{MARK}.org/r4"), "fhirServer must be", id="server-relative"),
    pytest.param(_no_server(), "fhirAuthorization requires fhirServer", id="authorization-without-server"),
    pytest.param(_with("fhirAuthorization", MARK), "fhirAuthorization must be", id="authorization-not-object"),
    pytest.param(_without("fhirAuthorization.access_token"), "access_token must be", id="token-missing"),
    pytest.param(_with("fhirAuthorization.token_type", MARK), "token_type must be Bearer", id="token-type"),
    pytest.param(_with("fhirAuthorization.expires_in", "300"), "expires_in must be", id="expires-in-string"),
    pytest.param(_with("prefetch", [MARK]), "prefetch must be a JSON object", id="prefetch-not-object"),
]


@pytest.mark.parametrize(("body", "message"), BAD_REQUESTS)
def test_broken_request_rule_is_400_naming_the_rule_without_echo(client: FlaskClient, body: Any, message: str) -> None:
    reply = client.post(URL, json=body)
    assert reply.status_code == 400
    assert reply.mimetype == "application/fhir+json"
    outcome = reply.get_json(force=True)
    assert outcome["issue"][0]["code"] == "invalid"
    assert message in outcome["issue"][0]["diagnostics"]
    text = reply.get_data(as_text=True)
    assert MARK not in text
    assert TOKEN not in text


def test_valid_request_with_only_required_members_is_accepted(client: FlaskClient) -> None:
    body = {"hook": "patient-view", "hookInstance": hook_request()["hookInstance"], "context": {"patientId": "p1"}}
    body["context"]["userId"] = "Practitioner/1"
    assert client.post(URL, json=body).status_code == 200


def test_access_token_is_not_in_the_repr_of_a_parsed_request() -> None:
    request = parse_hook_request(hook_request())
    assert TOKEN not in repr(request)
    assert TOKEN not in repr(FhirAuthorization(access_token=TOKEN, token_type="Bearer"))
    assert request.fhir_authorization is not None
    assert request.fhir_authorization.access_token == TOKEN


def test_fhir_server_trailing_slash_is_dropped() -> None:
    assert parse_hook_request(_with("fhirServer", "https://fhir.example.org/r4/")).fhir_server == (
        "https://fhir.example.org/r4"
    )


@pytest.mark.parametrize(
    "content_type",
    [
        pytest.param("application/json", id="json"),
        pytest.param("application/json; charset=utf-8", id="json-utf8"),
        pytest.param("application/fhir+json", id="fhir-json"),
    ],
)
def test_json_content_types_are_accepted(client: FlaskClient, content_type: str) -> None:
    reply = client.post(URL, data=json.dumps(hook_request()), content_type=content_type)
    assert reply.status_code == 200


@pytest.mark.parametrize(
    "content_type",
    [
        pytest.param("text/plain", id="text"),
        pytest.param("application/x-www-form-urlencoded", id="form"),
        pytest.param("application/json; charset=latin-1", id="json-latin1"),
    ],
)
def test_other_content_types_are_415(client: FlaskClient, content_type: str) -> None:
    reply = client.post(URL, data=json.dumps(hook_request()), content_type=content_type)
    assert reply.status_code == 415
    assert reply.get_json(force=True)["issue"][0]["code"] == "not-supported"


def test_missing_content_type_is_415(client: FlaskClient) -> None:
    assert client.post(URL, data=b"{}").status_code == 415


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b'{"hook": ', id="truncated"),
        pytest.param(b"", id="empty"),
        pytest.param(b'{"hook": NaN}', id="nan"),
        pytest.param(b"\xff\xfe{}", id="not-utf8"),
    ],
)
def test_malformed_json_is_400(client: FlaskClient, raw: bytes) -> None:
    reply = client.post(URL, data=raw, content_type="application/json")
    assert reply.status_code == 400
    assert reply.get_json(force=True)["resourceType"] == "OperationOutcome"


def _small_app(make_app: AppFactory) -> FlaskClient:
    return make_app(settings=service_settings(max_body_bytes=2048)).test_client()


def test_body_over_the_limit_is_413(make_app: AppFactory) -> None:
    body = hook_request(padding="x" * 4096)
    reply = _small_app(make_app).post(URL, json=body)
    assert reply.status_code == 413
    assert reply.get_json(force=True)["issue"][0]["code"] == "too-long"


def _without_length(raw: bytes, *, terminated: bool) -> Request:
    """Returns a request with no Content-Length, as a chunked upload arrives from the WSGI server."""
    environ = EnvironBuilder(URL, method="POST", input_stream=io.BytesIO(raw), content_type="application/json")
    env = environ.get_environ()
    del env["CONTENT_LENGTH"]
    if terminated:  # gunicorn sets this when it de-chunks the body itself
        env["wsgi.input_terminated"] = True
    return Request(env)


def test_chunked_body_over_the_limit_is_413(make_app: AppFactory) -> None:
    raw = json.dumps(hook_request(padding="x" * 4096)).encode()
    reply = _small_app(make_app).open(_without_length(raw, terminated=True))
    assert reply.status_code == 413


def test_chunked_body_within_the_limit_is_read(make_app: AppFactory) -> None:
    raw = json.dumps(hook_request()).encode()
    reply = _small_app(make_app).open(_without_length(raw, terminated=True))
    assert reply.status_code == 200


def test_body_without_length_from_a_server_that_does_not_terminate_input_is_400(make_app: AppFactory) -> None:
    # Werkzeug will not read an unbounded stream it cannot trust: the body reads as empty, a 400, never a hang.
    raw = json.dumps(hook_request()).encode()
    reply = _small_app(make_app).open(_without_length(raw, terminated=False))
    assert reply.status_code == 400


def test_feedback_body_over_the_limit_is_413(make_app: AppFactory) -> None:
    reply = _small_app(make_app).post(f"{URL}/feedback", json={"feedback": [], "padding": "x" * 4096})
    assert reply.status_code == 413


def test_get_on_a_service_is_405_with_allow_header(client: FlaskClient) -> None:
    reply = client.get(URL)
    assert reply.status_code == 405
    assert "POST" in reply.headers["Allow"]
    assert reply.get_json(force=True)["issue"][0]["code"] == "not-supported"


def test_post_on_discovery_is_405(client: FlaskClient) -> None:
    assert client.post("/cds-services", json={}).status_code == 405


def test_unknown_route_is_404_operation_outcome(client: FlaskClient) -> None:
    reply = client.get("/no-such-route")
    assert reply.status_code == 404
    assert reply.get_json(force=True)["issue"][0]["code"] == "not-found"


def test_raising_rule_is_500_without_exception_text(make_app: AppFactory, rules: Rules) -> None:
    rules.raises = RuntimeError(f"boom for {MARK}")
    reply = make_app().test_client().post(URL, json=hook_request())
    assert reply.status_code == 500
    outcome = reply.get_json(force=True)
    assert outcome["issue"][0]["code"] == "exception"
    text = reply.get_data(as_text=True)
    for leak in (MARK, "RuntimeError", "Traceback", "boom"):
        assert leak not in text


def test_body_exactly_at_the_limit_is_read(make_app: AppFactory) -> None:
    body = hook_request()
    raw = json.dumps(body).encode()
    limit = len(raw) + 1024
    body["padding"] = "x" * (limit - len(raw) - len(b', "padding": ""'))
    exact = json.dumps(body).encode()
    assert len(exact) == limit
    client = make_app(settings=service_settings(max_body_bytes=limit)).test_client()
    assert client.open(_without_length(exact, terminated=True)).status_code == 200
    assert client.open(_without_length(exact + b" ", terminated=True)).status_code == 413
    assert client.post(URL, data=exact, content_type="application/json").status_code == 200
    assert client.post(URL, data=exact + b" ", content_type="application/json").status_code == 413
