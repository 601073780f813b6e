"""The FHIR client on its own: headers, timeouts, paging, status classes; every call asserted with `responses`."""

from __future__ import annotations

from typing import Any

import pytest
import requests
import responses
from responses import matchers

from service.errors import FhirFatalError, FhirTransientError, FhirUnavailable
from service.fhir_client import FhirAccess, FhirClient, FhirStats
from tests.service.conftest import FHIR_BASE, FHIR_HEADERS, TOKEN, bundle, public_resolver, resource, service_settings


def _client(**settings: Any) -> FhirClient:
    return FhirClient(service_settings(**settings), resolver=public_resolver)


def _access(**settings: Any) -> FhirAccess:
    return _client(**settings).connect(FHIR_BASE + "/", TOKEN, FhirStats())


def test_search_sends_bearer_accept_params_and_timeouts(fhir: responses.RequestsMock) -> None:
    fhir.get(
        f"{FHIR_BASE}/Condition",
        json=bundle(resource("Condition", "c1")),
        match=[matchers.query_param_matcher({"patient": "p1", "_count": "5"}), matchers.header_matcher(FHIR_HEADERS)],
    )
    access = _access(fhir_connect_timeout=1.5, fhir_read_timeout=7.0)
    assert access.search("Condition?patient=p1&_count=5") == [resource("Condition", "c1")]
    assert fhir.calls[0].request.req_kwargs["timeout"] == (1.5, 7.0)  # type: ignore[attr-defined]  # set by responses
    assert access.stats.calls == 1


def test_read_returns_the_resource(fhir: responses.RequestsMock) -> None:
    fhir.get(f"{FHIR_BASE}/Patient/p1", json=resource("Patient", "p1"), match=[matchers.header_matcher(FHIR_HEADERS)])
    assert _access().read("Patient/p1") == resource("Patient", "p1")


def test_bearer_is_never_in_the_repr_of_an_access() -> None:
    assert TOKEN not in repr(_access())


def test_search_outcome_entries_are_not_data(fhir: responses.RequestsMock) -> None:
    body = bundle(resource("Condition", "c1"))
    body["entry"].append({"resource": {"resourceType": "OperationOutcome"}, "search": {"mode": "outcome"}})
    body["entry"].append({"fullUrl": "no resource here"})
    fhir.get(f"{FHIR_BASE}/Condition", json=body)
    assert _access().search("Condition?patient=p1") == [resource("Condition", "c1")]


def test_paging_past_the_cap_is_refused_and_counted(fhir: responses.RequestsMock) -> None:
    fhir.get(f"{FHIR_BASE}/Condition", json=bundle(resource("Condition", "1"), next_url=f"{FHIR_BASE}/?p=2"))
    access = _access(fhir_page_cap=1)
    with pytest.raises(FhirFatalError):
        access.search("Condition?patient=p1")
    assert access.stats.pages_truncated == 1


@pytest.mark.parametrize(
    ("status", "kind", "reason"),
    [
        pytest.param(500, FhirTransientError, "http-5xx", id="500"),
        pytest.param(502, FhirTransientError, "http-5xx", id="502"),
        pytest.param(429, FhirTransientError, "http-429", id="429"),
        pytest.param(401, FhirFatalError, "http-401", id="401"),
        pytest.param(403, FhirFatalError, "http-403", id="403"),
        pytest.param(404, FhirFatalError, "http-404", id="404"),
        pytest.param(400, FhirFatalError, "http-4xx", id="400"),
    ],
)
def test_error_status_is_classed_transient_or_fatal(
    fhir: responses.RequestsMock, status: int, kind: type[FhirUnavailable], reason: str
) -> None:
    fhir.get(f"{FHIR_BASE}/Patient/p1", json={"resourceType": "OperationOutcome"}, status=status)
    with pytest.raises(kind) as caught:
        _access().read("Patient/p1")
    assert caught.value.reason == reason
    assert caught.value.status == 412


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        pytest.param(requests.exceptions.ConnectTimeout("x"), "timeout", id="connect-timeout"),
        pytest.param(requests.exceptions.ReadTimeout("x"), "timeout", id="read-timeout"),
        pytest.param(requests.exceptions.ConnectionError("x"), "connection", id="connection"),
    ],
)
def test_network_failures_are_transient(fhir: responses.RequestsMock, error: Exception, reason: str) -> None:
    fhir.get(f"{FHIR_BASE}/Patient/p1", body=error)
    with pytest.raises(FhirTransientError) as caught:
        _access().read("Patient/p1")
    assert caught.value.reason == reason


def test_invalid_url_is_fatal(fhir: responses.RequestsMock) -> None:
    access = _client().connect("http://", None, FhirStats())
    with pytest.raises(FhirFatalError):
        access.read("Patient/p1")


def test_failed_calls_are_still_counted(fhir: responses.RequestsMock) -> None:
    fhir.get(f"{FHIR_BASE}/Patient/p1", status=503)
    access = _access()
    with pytest.raises(FhirTransientError):
        access.read("Patient/p1")
    assert access.stats.calls == 1
