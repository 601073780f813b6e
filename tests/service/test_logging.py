"""One structured line per hook call, with the agreed fields and never the patient id, the token or FHIR URLs."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient

from service.logging_setup import JsonFormatter, configure_logging
from tests.service.conftest import (
    HOOK_INSTANCE,
    PATIENT_ID,
    SERVICE_ID,
    TOKEN,
    AppFactory,
    Rules,
    bundle,
    fhir_call,
    full_prefetch,
    hook_request,
    log_lines,
    service_settings,
)

URL = f"/cds-services/{SERVICE_ID}"
FIELDS = {
    "event",
    "service_id",
    "hook",
    "hookInstance",
    "duration_ms",
    "status",
    "error",
    "prefetch_used",
    "prefetch_missing",
    "prefetch_partial",
    "fetched",
    "unavailable",
    "fhir_calls",
    "fhir_ms",
    "fhir_pages_truncated",
    "resources_parsed",
    "resources_invalid",
    "observations_excluded_status",
    "observations_unknown_unit",
    "observations_no_value",
    "unknown_unit_concepts",
    "medication_requests_uncoded",
    "medication_requests_excluded_status",
    "in_scope",
    "cards",
    "card_uuids",
}


def _lines(caplog: pytest.LogCaptureFixture, event: str) -> list[dict[str, Any]]:
    return log_lines(caplog.records, event)


def _all_output(caplog: pytest.LogCaptureFixture) -> str:
    formatter = JsonFormatter()
    return caplog.text + "\n".join(formatter.format(r) for r in caplog.records)


def _without_conditions() -> dict[str, Any]:
    prefetch = full_prefetch()
    del prefetch["conditions"]
    return hook_request(prefetch=prefetch)


def test_hook_call_line_has_the_agreed_fields(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    client.post(URL, json=hook_request())
    [line] = _lines(caplog, "hook_call")
    assert FIELDS <= set(line)
    assert line["service_id"] == SERVICE_ID
    assert line["hook"] == "patient-view"
    assert line["hookInstance"] == HOOK_INSTANCE
    assert line["status"] == 200
    assert line["error"] is None
    assert line["prefetch_used"] == ["patient", "conditions", "proteinuria", "medications"]
    assert (line["fetched"], line["fhir_calls"]) == ([], 0)
    assert (line["resources_parsed"], line["resources_invalid"]) == (3, 1)  # the spy mapper's report
    assert line["in_scope"] is True
    assert line["cards"] == 1
    assert line["card_uuids"] == ["00000000-0000-4000-8000-000000000001"]


def test_hook_call_line_records_fetches(
    client: FlaskClient, fhir: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    url, _ = fhir_call("conditions")
    fhir.get(url, json=bundle())
    client.post(URL, json=_without_conditions())
    [line] = _lines(caplog, "hook_call")
    assert line["prefetch_missing"] == ["conditions"]
    assert line["fetched"] == ["conditions"]
    assert line["fhir_calls"] == 1


def test_fhir_failure_is_logged_apart_and_leaks_no_url_patient_or_token(
    client: FlaskClient, fhir: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url, _ = fhir_call("conditions")
    fhir.get(url, status=401, body=f"token {TOKEN} rejected for {PATIENT_ID}")
    assert client.post(URL, json=_without_conditions()).status_code == 412
    [line] = _lines(caplog, "hook_call")
    assert (line["status"], line["error"]) == (412, "FhirFatalError")
    [apart] = _lines(caplog, "fhir_unavailable")
    assert apart == {"event": "fhir_unavailable", "reason": "http-401", "transient": False}
    output = _all_output(caplog)
    assert PATIENT_ID not in output
    assert TOKEN not in output


def test_success_leaks_neither_patient_id_nor_token(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client.post(URL, json=hook_request())
    output = _all_output(caplog)
    assert PATIENT_ID not in output
    assert TOKEN not in output


def test_rejected_request_is_logged_with_its_status(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    client.post(URL, json=hook_request(hookInstance=f"not-a-uuid-{PATIENT_ID}"))
    [line] = _lines(caplog, "hook_call")
    assert (line["status"], line["error"], line["hookInstance"]) == (400, "BadHookRequest", None)
    assert PATIENT_ID not in _all_output(caplog)


def test_unexpected_error_logs_type_and_frames_but_not_its_message(
    make_app: AppFactory, rules: Rules, caplog: pytest.LogCaptureFixture
) -> None:
    rules.raises = KeyError(PATIENT_ID)
    caplog.set_level(logging.INFO)
    make_app().test_client().post(URL, json=hook_request())
    [line] = _lines(caplog, "hook_call")
    assert (line["status"], line["error"]) == (500, "KeyError")
    [error] = _lines(caplog, "unhandled_error")
    assert error["error"] == "KeyError"
    assert "evaluate" in error["traceback"]
    assert PATIENT_ID not in _all_output(caplog)


def test_card_content_is_logged_only_when_feedback_log_is_on(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    make_app().test_client().post(URL, json=hook_request())
    assert _lines(caplog, "cards_issued") == []
    make_app(settings=service_settings(feedback_log=True)).test_client().post(URL, json=hook_request())
    [issued] = _lines(caplog, "cards_issued")
    assert issued["cards"] == [
        {"uuid": "00000000-0000-4000-8000-000000000001", "indicator": "info", "summary": "Fake finding"}
    ]


def test_json_formatter_writes_one_json_object_with_the_fields() -> None:
    record = logging.LogRecord("service.x", logging.INFO, __file__, 1, "m %s", ("a",), None)
    record.cds = {"event": "hook_call", "status": 200}
    out = json.loads(JsonFormatter().format(record))
    assert out["event"] == "hook_call"
    assert out["status"] == 200
    assert out["level"] == "INFO"
    plain = logging.LogRecord("x", logging.WARNING, __file__, 1, "plain %s", ("text",), None)
    assert json.loads(JsonFormatter().format(plain))["message"] == "plain text"


def test_configure_logging_installs_one_json_handler_and_quiets_url_loggers() -> None:
    root, urllib3 = logging.getLogger(), logging.getLogger("urllib3")
    before_handlers, before_level, before_urllib3 = list(root.handlers), root.level, urllib3.level
    try:
        configure_logging("DEBUG")
        configure_logging("DEBUG")
        added = [h for h in root.handlers if h not in before_handlers]
        assert len(added) == 1
        assert isinstance(added[0].formatter, JsonFormatter)
        assert logging.getLogger("urllib3").level == logging.WARNING  # its DEBUG lines hold full FHIR URLs
    finally:
        root.handlers[:] = before_handlers
        root.setLevel(before_level)
        urllib3.setLevel(before_urllib3)
