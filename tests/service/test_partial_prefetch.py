"""A prefetched Bundle with a `next` link and no server to read the rest: 412 for a required key, as the fetch path
refuses a search it cannot read to the end ("a card built from part of the record could misstate it").

An optional key keeps its first page and the log line names it in `prefetch_partial`; with a fhirServer the next
pages are read (tests/service/test_fhir_fallback.py).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
import responses

from tests.service.conftest import (
    FHIR_BASE,
    SERVICE_ID,
    AppFactory,
    Rules,
    SpyMapper,
    assert_outcome,
    bundle,
    hook_request,
    log_lines,
    prefetch_without,
    resource,
)
from tests.support import make_app as make_real_app

URL = f"/cds-services/{SERVICE_ID}"
FIXTURE = Path(__file__).resolve().parents[2] / "cards_fixtures/lupus-nephritis-response/demo-refractory-7-months"


def _serverless(prefetch: dict[str, Any]) -> dict[str, Any]:
    request = hook_request(prefetch=prefetch)
    del request["fhirServer"], request["fhirAuthorization"]
    return request


def _paged(*ids: str) -> dict[str, Any]:
    return bundle(*(resource("Observation", i) for i in ids), next_url=f"{FHIR_BASE}/Observation?page=2")


def test_a_required_key_with_unread_pages_and_no_server_is_412(
    make_app: AppFactory,
    fhir: responses.RequestsMock,
    mapper: SpyMapper,
    rules: Rules,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    client = make_app(required_keys=("conditions", "proteinuria")).test_client()
    reply = client.post(URL, json=_serverless(prefetch_without(proteinuria=_paged("first"))))
    body = assert_outcome(reply, 412, "incomplete")
    assert "proteinuria" in body["issue"][0]["diagnostics"]
    assert "Observation" not in json.dumps(body)  # the key is named, never the data
    assert len(fhir.calls) == 0
    assert rules.contexts == []  # no card was built
    [line] = log_lines(caplog.records, "hook_call")
    assert (line["status"], line["error"]) == (412, "PrefetchUnavailable")


def test_a_required_gate_key_with_unread_pages_is_412_before_anything_is_mapped(
    make_app: AppFactory, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    client = make_app(required_keys=("conditions",)).test_client()
    paged = bundle(resource("Condition", "c1"), next_url=f"{FHIR_BASE}/Condition?page=2")
    reply = client.post(URL, json=_serverless(prefetch_without(conditions=paged)))
    assert_outcome(reply, 412, "incomplete")
    assert mapper.batches == []


def test_an_optional_key_with_unread_pages_keeps_its_first_page_and_says_so(
    make_app: AppFactory, fhir: responses.RequestsMock, mapper: SpyMapper, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    client = make_app(required_keys=("conditions",)).test_client()
    reply = client.post(URL, json=_serverless(prefetch_without(proteinuria=_paged("first"))))
    assert reply.status_code == 200
    assert "Observation/first" in mapper.ids()
    assert len(fhir.calls) == 0
    [line] = log_lines(caplog.records, "hook_call")
    assert line["prefetch_partial"] == ["proteinuria"]


def test_a_required_key_without_a_next_link_and_no_server_answers(
    make_app: AppFactory, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    client = make_app(required_keys=("conditions", "proteinuria")).test_client()
    whole = bundle(resource("Observation", "first"))
    reply = client.post(URL, json=_serverless(prefetch_without(proteinuria=whole)))
    assert reply.status_code == 200
    assert "Observation/first" in mapper.ids()


def _fixture_request() -> dict[str, Any]:
    request: dict[str, Any] = json.loads((FIXTURE / "request.json").read_text())
    request.pop("fhirServer", None)
    request.pop("fhirAuthorization", None)
    return request


def _real_app() -> Any:
    settings = json.loads((FIXTURE / "settings.json").read_text())
    return make_real_app(today=settings["today"], criteria_set=settings.get("criteriaSet"))


def test_the_real_service_refuses_a_paged_required_prefetch_without_a_server() -> None:
    request = _fixture_request()
    request["prefetch"]["proteinuria"]["link"] = [
        {"relation": "next", "url": "https://fhir.example.org/r4/Observation?page=2"}
    ]
    reply = _real_app().test_client().post("/cds-services/lupus-nephritis-response", json=request)
    assert_outcome(reply, 412, "incomplete")


def test_the_real_service_answers_the_same_prefetch_without_the_next_link() -> None:
    reply = _real_app().test_client().post("/cds-services/lupus-nephritis-response", json=_fixture_request())
    assert reply.status_code == 200
    assert reply.get_json()["cards"]


def test_a_prefetched_next_link_off_the_fhir_server_is_412_and_gets_no_bearer(
    make_app: AppFactory, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    client = make_app(required_keys=("conditions", "proteinuria")).test_client()
    paged = bundle(resource("Observation", "first"), next_url="https://elsewhere.example.com/r4/Observation?page=2")
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without(proteinuria=paged)))
    assert_outcome(reply, 412, "forbidden")
    assert len(fhir.calls) == 0
