"""A real FHIR server on loopback that fails every way we know: the service answers 412 + OperationOutcome within
its time budget (CDS_CALL_BUDGET_SECONDS) and leaves no fetch thread running for long.

These use a real socket (ln_testing/fhir_stub.py), not `responses`, because the failures are in the transport:
timeouts, a body dripped one byte at a time (each read is quick, so `requests`' per-read timeout never fires),
chunked and compressed bodies over the byte cap.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from ln_testing import fhir_stub
from ln_testing.fhir_stub import StubFhir, json_reply, reply, searchset
from service.app import create_app
from tests.service.conftest import (
    SERVICE_ID,
    Rules,
    SpyMapper,
    assert_outcome,
    counter_uuids,
    fake_spec,
    hook_request,
    prefetch_without,
    service_settings,
)

URL = f"/cds-services/{SERVICE_ID}"
BUDGET = 1.5
SLACK = 1.0  # scheduling and thread start-up on a loaded 2-core CI box


@pytest.fixture
def stub() -> Iterator[StubFhir]:
    with fhir_stub.running() as server:
        yield server


def _client(**settings: Any) -> FlaskClient:
    fields: dict[str, Any] = {
        "fhir_allowlist": None,  # the open-mode default: loopback only
        "call_budget_seconds": BUDGET,
        "fhir_connect_timeout": 0.5,
        "fhir_read_timeout": 1.0,
        **settings,
    }
    app = create_app(service_settings(**fields), [fake_spec(Rules())], mapper=SpyMapper(), new_uuid=counter_uuids())
    return app.test_client()


def _call(client: FlaskClient, base: str, *missing: str) -> tuple[Any, float]:
    request = hook_request(fhirServer=base, prefetch=prefetch_without(*(missing or ("conditions",))))
    del request["fhirAuthorization"]  # http loopback: no bearer to lend in this test
    started = time.monotonic()
    answer = client.post(URL, json=request)
    return answer, time.monotonic() - started


def _no_fetch_thread_left(within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not [t for t in threading.enumerate() if t.name.startswith("fhir")]:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (401, "security"),
        (403, "security"),
        (404, "not-found"),
        (410, "exception"),
        (429, "exception"),
        (500, "exception"),
        (502, "exception"),
        (503, "exception"),
    ],
)
def test_error_statuses_are_412(stub: StubFhir, status: int, code: str) -> None:
    stub.default = json_reply({"resourceType": "OperationOutcome"}, status=status)
    answer, took = _call(_client(), stub.base)
    assert_outcome(answer, 412, code)
    assert took < BUDGET


def test_connect_timeout_is_412_within_the_budget() -> None:
    with fhir_stub.unaccepting_port() as port:
        answer, took = _call(_client(), f"http://127.0.0.1:{port}/fhir")
    assert_outcome(answer, 412, "timeout")
    assert took < BUDGET + SLACK


def test_a_refused_connection_is_412(stub: StubFhir) -> None:
    with fhir_stub.unaccepting_port() as port:
        pass  # closed again: nothing listens there now
    answer, _ = _call(_client(), f"http://127.0.0.1:{port}/fhir")
    assert_outcome(answer, 412, "exception")


def test_read_timeout_waiting_for_headers_is_412(stub: StubFhir) -> None:
    stub.default = fhir_stub.stall(5)
    answer, took = _call(_client(), stub.base)
    assert_outcome(answer, 412, "timeout")
    assert took < BUDGET + SLACK


def test_a_server_slower_than_the_budget_is_cut_at_the_budget(stub: StubFhir) -> None:
    stub.default = fhir_stub.stall(5)
    answer, took = _call(_client(fhir_read_timeout=30.0), stub.base)  # the read timeout alone would wait 30 s
    assert_outcome(answer, 412, "timeout")
    assert BUDGET - 0.1 < took < BUDGET + SLACK


def test_a_dripping_body_is_cut_at_the_budget_and_the_thread_ends(stub: StubFhir) -> None:
    stub.default = fhir_stub.drip(0.05)
    answer, took = _call(_client(), stub.base)
    assert_outcome(answer, 412, "timeout")
    assert BUDGET - 0.1 < took < BUDGET + SLACK
    assert _no_fetch_thread_left(within=SLACK)


def test_parallel_slow_fetches_share_one_budget(stub: StubFhir) -> None:
    stub.default = fhir_stub.drip(0.05)
    request_missing = ("proteinuria", "medications")  # gate keys prefetched; both the rest drip in parallel
    answer, took = _call(_client(), stub.base, *request_missing)
    assert_outcome(answer, 412, "timeout")
    assert took < BUDGET + SLACK
    assert _no_fetch_thread_left(within=SLACK)


@pytest.mark.parametrize(
    ("behaviour", "code"),
    [
        pytest.param(reply(200, b"{not json"), "exception", id="invalid-json"),
        pytest.param(reply(200, b"<html>hi</html>", "text/html"), "exception", id="html"),
        pytest.param(reply(200, b""), "exception", id="empty-body"),
        pytest.param(json_reply([1, 2, 3]), "exception", id="json-array"),
        pytest.param(json_reply({"resourceType": "Patient", "id": "p"}), "exception", id="not-a-bundle"),
        pytest.param(json_reply({**searchset(1), "type": "collection"}), "exception", id="bundle-not-searchset"),
        pytest.param(json_reply({"resourceType": "Bundle"}), "exception", id="bundle-without-type"),
        pytest.param(reply(200, b"[" * 5000 + b"]" * 5000), "exception", id="nested-too-deep"),
        pytest.param(reply(302, b"", Location="http://127.0.0.1:9/fhir"), "exception", id="redirect"),
    ],
)
def test_replies_that_are_not_a_searchset_are_412(stub: StubFhir, behaviour: fhir_stub.Behaviour, code: str) -> None:
    stub.default = behaviour
    answer, took = _call(_client(), stub.base)
    assert_outcome(answer, 412, code)
    assert took < BUDGET
    assert len(stub.hits) == 1  # a redirect is not followed


def test_a_next_link_to_itself_is_a_loop(stub: StubFhir) -> None:
    page = f"{stub.base}/Condition?page=1"
    stub.routes["/fhir/Condition"] = json_reply(searchset(1, next_url=page))
    answer, _ = _call(_client(), stub.base)
    assert_outcome(answer, 412, "exception")
    assert len(stub.hits) == 2  # the first page, then page=1 once; its next link (itself) is not read again


def test_next_links_that_cycle_are_a_loop(stub: StubFhir) -> None:
    stub.routes["/fhir/Condition"] = json_reply(searchset(1, next_url=f"{stub.base}/page-b"))
    stub.routes["/fhir/page-b"] = json_reply(searchset(1, next_url=f"{stub.base}/page-c"))
    stub.routes["/fhir/page-c"] = json_reply(searchset(1, next_url=f"{stub.base}/page-b"))
    answer, _ = _call(_client(fhir_page_cap=10), stub.base)
    assert_outcome(answer, 412, "exception")
    assert len(stub.hits) == 3


def test_a_10000_entry_page_is_refused_quickly(stub: StubFhir) -> None:
    stub.default = json_reply(searchset(10_000))
    answer, took = _call(_client(), stub.base)
    assert_outcome(answer, 412, "too-costly")
    assert took < BUDGET


def test_a_chunked_body_over_the_cap_is_refused(stub: StubFhir) -> None:
    stub.default = fhir_stub.chunked(8 * 1024 * 1024)
    answer, took = _call(_client(fhir_max_bytes=1024 * 1024), stub.base)
    assert_outcome(answer, 412, "too-long")
    assert took < BUDGET


def test_a_compression_bomb_stops_at_the_cap(stub: StubFhir) -> None:
    stub.default = fhir_stub.gzip_bomb(64 * 1024 * 1024)
    answer, took = _call(_client(fhir_max_bytes=1024 * 1024), stub.base)
    assert_outcome(answer, 412, "too-long")
    assert took < BUDGET


def test_a_healthy_server_still_works(stub: StubFhir) -> None:
    stub.default = json_reply(searchset(3))
    answer, _ = _call(_client(), stub.base)
    assert answer.status_code == 200
