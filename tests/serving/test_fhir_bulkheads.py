"""Bulkheads for FHIR servers (issue #11): a hung or failing fhirServer costs its own calls, not everyone's.

Real sockets on loopback (ln_testing/fhir_stub.py). Assertions are on behaviour -- what the stub saw, the status,
"well under the budget" -- with generous slack, so a loaded 2-core box does not make them flaky.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from bench.soak import _self_signed
from ln_testing import fhir_stub
from ln_testing.fhir_stub import StubFhir, json_reply, reply, searchset
from service.app import create_app
from service.bulkhead import OriginGuards, parse_retry_after
from service.outbound import Deadline, OutboundRefused
from service.transport import guarded_session
from service.watchdog import SocketWatchdog
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
SLACK = 2.0  # scheduling on a loaded 2-core box: a bound, not a measurement


@pytest.fixture
def stub() -> Iterator[StubFhir]:
    with fhir_stub.running() as server:
        yield server


def _client(**settings: Any) -> FlaskClient:
    fields: dict[str, Any] = {
        "fhir_allowlist": None,  # open mode: loopback only
        "call_budget_seconds": BUDGET,
        "fhir_connect_timeout": 0.5,
        "fhir_read_timeout": 10.0,  # longer than the budget: the deadline must do the cutting
        **settings,
    }
    app = create_app(service_settings(**fields), [fake_spec(Rules())], mapper=SpyMapper(), new_uuid=counter_uuids())
    return app.test_client()


def _call(client: FlaskClient, base: str) -> tuple[Any, float]:
    request = hook_request(fhirServer=base, prefetch=prefetch_without("conditions"))
    del request["fhirAuthorization"]
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


def test_headers_dripped_one_byte_at_a_time_end_at_the_budget_and_the_thread_with_them(stub: StubFhir) -> None:
    stub.default = fhir_stub.drip_headers(0.05)  # each read is quick, so a per-read timeout never fires
    answer, took = _call(_client(), stub.base)
    assert_outcome(answer, 412, "timeout")
    assert took < BUDGET + SLACK
    assert _no_fetch_thread_left(within=SLACK)  # before the watchdog, the thread lived on ~40 s


def test_the_breaker_opens_after_repeated_failures_and_answers_412_at_once(stub: StubFhir) -> None:
    stub.default = fhir_stub.stall(3)
    client = _client(fhir_breaker_failures=2, fhir_breaker_seconds=60.0)
    for _ in range(2):
        answer, _ = _call(client, stub.base)
        assert_outcome(answer, 412, "timeout")
    hits = len(stub.hits)
    answer, took = _call(client, stub.base)
    assert_outcome(answer, 412, "transient")  # circuit-open
    assert len(stub.hits) == hits  # the hung server was not asked again
    assert took < BUDGET / 2


def test_an_open_breaker_does_not_hold_calls_to_other_servers(stub: StubFhir) -> None:
    stub.default = fhir_stub.stall(3)
    client = _client(fhir_breaker_failures=1, fhir_breaker_seconds=60.0)
    _call(client, stub.base)
    with fhir_stub.running() as healthy:
        healthy.default = json_reply(searchset())
        answer, _ = _call(client, healthy.base)
    assert answer.status_code == 200


def test_retry_after_on_503_is_honoured(stub: StubFhir) -> None:
    stub.default = reply(503, b"", Retry_After="120")
    client = _client(fhir_breaker_failures=100)
    assert_outcome(_call(client, stub.base)[0], 412, "exception")
    hits = len(stub.hits)
    assert_outcome(_call(client, stub.base)[0], 412, "transient")
    assert len(stub.hits) == hits  # not asked again before the time it gave


def test_a_success_closes_the_breaker() -> None:
    now = [0.0]
    guards = OriginGuards(concurrency=2, failures_to_open=2, open_seconds=10, clock=lambda: now[0])
    guards.failed("o")
    guards.succeeded("o")
    guards.failed("o")
    assert not guards.is_open("o")  # consecutive failures only
    guards.failed("o")
    assert guards.is_open("o")
    now[0] = 11.0
    assert not guards.is_open("o")  # half-open: the next call probes ...
    guards.failed("o")
    assert guards.is_open("o")  # ... and one more failure opens it again


def test_the_bulkhead_limits_concurrent_requests_per_origin() -> None:
    guards = OriginGuards(concurrency=1, failures_to_open=5, open_seconds=10)
    with guards.slot("a", Deadline.after(5)):
        with pytest.raises(OutboundRefused, match="bulkhead"):
            with guards.slot("a", Deadline.after(0.05)):
                pass
        with guards.slot("b", Deadline.after(0.05)):  # another origin is not held up
            pass
    with guards.slot("a", Deadline.after(0.05)):  # released again
        pass


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [("120", 120.0), ("100000", 300.0), (None, None), ("soon", None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_retry_after_values(raw: str | None, seconds: float | None) -> None:
    assert parse_retry_after(raw) == seconds


def test_a_reply_longer_than_its_content_length_never_poisons_the_next_call(tmp_path: Path) -> None:
    # Over TLS the extra bytes sit decrypted in the TLS layer, where urllib3's liveness check does not look.
    cert, key = _self_signed(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    server = StubFhir(tls).start()
    try:
        server.routes["/fhir/first"] = fhir_stub.overlong(searchset(), b"HTTP/1.1 200 OK\r\n\r\n{}")
        server.default = json_reply(searchset(1))
        session = guarded_session()
        first = session.get(f"{server.base}/first", timeout=5, verify=str(cert))
        assert first.json()["resourceType"] == "Bundle"
        time.sleep(0.2)  # the extra bytes have arrived
        second = session.get(f"{server.base}/second", timeout=5, verify=str(cert))
        assert second.status_code == 200
        assert len(second.json()["entry"]) == 1
    finally:
        server.stop()


def test_the_watchdog_wakes_a_blocked_read_at_its_deadline() -> None:
    import socket

    left, right = socket.socketpair()
    watchdog = SocketWatchdog()
    try:
        watch = watchdog.watch(left, time.monotonic() + 0.2)
        started = time.monotonic()
        assert left.recv(10) == b""  # woken by the shutdown, not by data
        assert time.monotonic() - started < SLACK
        assert watch.fired
        released = watchdog.watch(right, time.monotonic() + 0.1)
        released.release()
        time.sleep(0.3)
        assert not released.fired
        assert watchdog.pending() == 0
    finally:
        left.close()
        right.close()
