"""The FHIR fallback through the test client: paging, off-server links, and every failure class as a 412."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
import requests
import responses
from flask.testing import FlaskClient
from responses import matchers

from tests.service.conftest import (
    FHIR_BASE,
    FHIR_HEADERS,
    PATIENT_ID,
    SERVICE_ID,
    AppFactory,
    SpyMapper,
    assert_outcome,
    bundle,
    expect_fetch,
    fhir_call,
    hook_request,
    prefetch_without,
    resource,
    service_settings,
)

URL = f"/cds-services/{SERVICE_ID}"


def test_search_follows_next_links(client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper) -> None:
    page2 = f"{FHIR_BASE}/?_getpages=abc&_offset=1"
    expect_fetch(fhir, "proteinuria", bundle(resource("Observation", "p1"), next_url=page2))
    fhir.get(page2, json=bundle(resource("Observation", "p2")), match=[matchers.header_matcher(FHIR_HEADERS)])
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("proteinuria")))
    assert reply.status_code == 200
    assert {"Observation/p1", "Observation/p2"} <= set(mapper.ids())


def test_paging_past_the_page_cap_is_412_not_a_partial_answer(
    make_app: AppFactory, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    pages = [f"{FHIR_BASE}/?page={n}" for n in (2, 3)]
    expect_fetch(fhir, "proteinuria", bundle(resource("Observation", "p1"), next_url=pages[0]))
    fhir.get(pages[0], json=bundle(resource("Observation", "p2"), next_url=pages[1]))
    client = make_app(settings=service_settings(fhir_page_cap=2)).test_client()
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("proteinuria")))
    assert_outcome(reply, 412, "exception")
    assert len(fhir.calls) == 2  # page 3 was never asked for (an unregistered call would have failed)


def test_next_link_to_another_host_is_refused_and_gets_no_bearer(
    client: FlaskClient, fhir: responses.RequestsMock
) -> None:
    expect_fetch(fhir, "proteinuria", bundle(next_url="https://elsewhere.example.com/r4?page=2"))
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("proteinuria")))
    assert_outcome(reply, 412, "forbidden")  # not on the allowlist, nor on the fhirServer origin
    assert len(fhir.calls) == 1


def test_prefetched_bundle_next_pages_are_followed_when_a_server_is_given(
    client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    page2 = f"{FHIR_BASE}/?page=2"
    fhir.get(page2, json=bundle(resource("Observation", "later")), match=[matchers.header_matcher(FHIR_HEADERS)])
    given = bundle(resource("Observation", "first"), next_url=page2)
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without(proteinuria=given)))
    assert reply.status_code == 200
    assert {"Observation/first", "Observation/later"} <= set(mapper.ids())


def test_prefetched_bundle_pages_are_kept_as_given_without_a_server(
    client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    given = bundle(resource("Observation", "first"), next_url=f"{FHIR_BASE}/?page=2")
    request = hook_request(prefetch=prefetch_without(proteinuria=given))
    del request["fhirServer"], request["fhirAuthorization"]
    assert client.post(URL, json=request).status_code == 200
    assert len(fhir.calls) == 0
    assert "Observation/first" in mapper.ids()


@pytest.mark.parametrize(
    ("status", "code"),
    [
        pytest.param(500, "exception", id="500"),
        pytest.param(503, "exception", id="503"),
        pytest.param(401, "security", id="401"),
        pytest.param(403, "security", id="403"),
        pytest.param(404, "not-found", id="404"),
    ],
)
def test_fhir_error_status_is_412(client: FlaskClient, fhir: responses.RequestsMock, status: int, code: str) -> None:
    expect_fetch(fhir, "conditions", {"resourceType": "OperationOutcome", "issue": []}, status=status)
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("conditions")))
    body = assert_outcome(reply, 412, code)
    assert "OperationOutcome" not in body["issue"][0]["diagnostics"]


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(requests.exceptions.ConnectTimeout("synthetic"), id="connect-timeout"),
        pytest.param(requests.exceptions.ReadTimeout("synthetic"), id="read-timeout"),
    ],
)
def test_fhir_timeout_is_412(client: FlaskClient, fhir: responses.RequestsMock, error: Exception) -> None:
    url, params = fhir_call("conditions")
    fhir.get(url, body=error, match=[matchers.query_param_matcher(params)])
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("conditions")))
    assert_outcome(reply, 412, "timeout")


def test_fhir_connection_error_is_412(client: FlaskClient, fhir: responses.RequestsMock) -> None:
    url, _ = fhir_call("conditions")
    fhir.get(url, body=requests.exceptions.ConnectionError("synthetic"))
    assert_outcome(client.post(URL, json=hook_request(prefetch=prefetch_without("conditions"))), 412, "exception")


@pytest.mark.parametrize(
    ("kwargs"),
    [
        pytest.param({"body": "<html>proxy error</html>", "content_type": "text/html"}, id="not-json"),
        pytest.param({"json": ["not", "a", "resource"]}, id="json-not-fhir"),
        pytest.param({"json": resource("Patient", "x")}, id="search-answered-without-bundle"),
    ],
)
def test_fhir_reply_that_is_not_a_bundle_is_412(
    client: FlaskClient, fhir: responses.RequestsMock, kwargs: dict[str, Any]
) -> None:
    url, _ = fhir_call("conditions")
    fhir.get(url, **kwargs)
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("conditions")))
    body = assert_outcome(reply, 412, "exception")
    assert "proxy" not in str(body)


def test_operation_outcome_from_an_instance_read_is_412(client: FlaskClient, fhir: responses.RequestsMock) -> None:
    fhir.get(f"{FHIR_BASE}/Patient/{PATIENT_ID}", json={"resourceType": "OperationOutcome", "issue": []})
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("patient")))
    assert reply.status_code == 412


def test_one_failing_fetch_among_parallel_fetches_is_412(client: FlaskClient, fhir: responses.RequestsMock) -> None:
    expect_fetch(fhir, "proteinuria", bundle())
    expect_fetch(fhir, "medications", {"resourceType": "OperationOutcome", "issue": []}, status=500)
    fhir.assert_all_requests_are_fired = False  # the sibling call may be cancelled before it starts
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("proteinuria", "medications")))
    assert reply.status_code == 412


def test_independent_fetches_run_in_parallel(client: FlaskClient, fhir: responses.RequestsMock) -> None:
    # Each reply waits until both requests are in flight: run one after the other, the barrier would break. The
    # timeout only bounds a serial run; it sits just under the 8 s call budget so a loaded CI box cannot break it.
    both_in_flight = threading.Barrier(2, timeout=7.5)

    def reply(request: Any) -> tuple[int, dict[str, str], str]:
        both_in_flight.wait()
        return 200, {"Content-Type": "application/fhir+json"}, json.dumps(bundle())

    for key in ("proteinuria", "medications"):
        url, params = fhir_call(key)
        fhir.add_callback(responses.GET, url, callback=reply, match=[matchers.query_param_matcher(params)])
    answer = client.post(URL, json=hook_request(prefetch=prefetch_without("proteinuria", "medications")))
    assert answer.status_code == 200
    assert len(fhir.calls) == 2
