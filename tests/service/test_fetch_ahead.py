"""CDS_FHIR_FETCH_AHEAD (issue 14): when the gate's own keys must be fetched, the other keys are fetched at the same
time (one wave of queries, not two); off by default, when nothing but the gate is asked for a patient out of scope."""

from __future__ import annotations

import json
import threading
from typing import Any

import responses
from requests import PreparedRequest

from tests.service.conftest import (
    FHIR_BASE,
    PATIENT_ID,
    AppFactory,
    Rules,
    SpyMapper,
    bundle,
    expect_fetch,
    fhir_call,
    hook_request,
    prefetch_without,
    resource,
    service_settings,
)
from tests.service.test_invoke import URL

AHEAD = service_settings(fhir_fetch_ahead=True)
WAIT_S = 2.0  # how long the gate's reply waits to see another key's query start (it starts at once when ahead)


def _without_prefetch() -> dict[str, Any]:
    request = hook_request()
    del request["prefetch"]
    return request


def _register_all(fhir: responses.RequestsMock, overlapped: list[bool]) -> None:
    """Every key answers; the conditions reply (the gate) waits until proteinuria's query has started, or WAIT_S."""
    started = threading.Event()

    def proteinuria(_: PreparedRequest) -> tuple[int, dict[str, str], str]:
        started.set()
        return 200, {}, '{"resourceType": "Bundle", "type": "searchset", "entry": []}'

    def conditions(_: PreparedRequest) -> tuple[int, dict[str, str], str]:
        overlapped.append(started.wait(WAIT_S))
        body = bundle(resource("Condition", "c1"))
        return 200, {}, json.dumps(body)

    fhir.get(f"{FHIR_BASE}/Patient/{PATIENT_ID}", json=resource("Patient", PATIENT_ID))
    fhir.add_callback(responses.GET, fhir_call("conditions")[0], callback=conditions)
    fhir.add_callback(responses.GET, fhir_call("proteinuria")[0], callback=proteinuria)
    expect_fetch(fhir, "medications", bundle())


def test_ahead_the_other_keys_are_asked_while_the_gate_query_runs(
    make_app: AppFactory, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    overlapped: list[bool] = []
    _register_all(fhir, overlapped)
    reply = make_app(settings=AHEAD).test_client().post(URL, json=_without_prefetch())
    assert reply.status_code == 200
    assert reply.get_json()["cards"][0]["summary"] == "Fake finding"
    assert overlapped == [True]
    assert mapper.ids(0) == ["Patient/pt-4711-secret", "Condition/c1"]  # the gate still decides first
    assert len(mapper.batches) == 2


def test_by_default_nothing_else_is_asked_until_the_gate_has_decided(
    make_app: AppFactory, fhir: responses.RequestsMock
) -> None:
    overlapped: list[bool] = []
    _register_all(fhir, overlapped)
    reply = make_app().test_client().post(URL, json=_without_prefetch())
    assert reply.status_code == 200
    assert overlapped == [False]


def test_ahead_a_patient_out_of_scope_still_gets_no_card_and_nothing_else_is_mapped(
    make_app: AppFactory, fhir: responses.RequestsMock, rules: Rules, mapper: SpyMapper
) -> None:
    rules.in_scope = False
    fhir.assert_all_requests_are_fired = False  # the fetched-ahead queries may or may not have been sent yet
    _register_all(fhir, [])
    reply = make_app(settings=AHEAD).test_client().post(URL, json=_without_prefetch())
    assert reply.get_json() == {"cards": []}
    assert len(mapper.batches) == 1
    assert rules.contexts == []


def test_ahead_does_nothing_when_the_gate_comes_from_prefetch(
    make_app: AppFactory, fhir: responses.RequestsMock, rules: Rules
) -> None:
    rules.in_scope = False
    request = hook_request(prefetch=prefetch_without("proteinuria"))
    reply = make_app(settings=AHEAD).test_client().post(URL, json=request)
    assert reply.get_json() == {"cards": []}
    assert len(fhir.calls) == 0  # proteinuria would have been fetched ahead; the gate decided from prefetch


def test_ahead_a_failing_key_is_still_a_412_for_a_patient_in_scope(
    make_app: AppFactory, fhir: responses.RequestsMock
) -> None:
    fhir.get(f"{FHIR_BASE}/Patient/{PATIENT_ID}", json=resource("Patient", PATIENT_ID))
    expect_fetch(fhir, "conditions", bundle(resource("Condition", "c1")))
    expect_fetch(fhir, "proteinuria", {}, status=500)
    fhir.assert_all_requests_are_fired = False
    fhir.get(fhir_call("medications")[0], json=bundle())
    client = make_app(settings=AHEAD, required_keys=("proteinuria",)).test_client()
    reply = client.post(URL, json=_without_prefetch())
    assert reply.status_code == 412
