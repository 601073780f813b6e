"""The shipped gunicorn configuration, run for real on loopback (issue #11).

One gunicorn (gunicorn.conf.py, 1 worker x 2 threads, a 1 s request read deadline) serves most tests; the drain
test starts its own. Slow-client tests are bounded: every socket has a timeout and the assertions are on what
happened (an answer came, the connection was closed), with slack for a loaded 2-core box.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from service.store.engine import open_engine, upgrade

ROOT = Path(__file__).resolve().parents[2]
READ_SECONDS = 1.0
SLACK = 5.0


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_lines(self) -> list[dict[str, object]]:
        out = []
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    continue
        return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _migrated_store(tmp: Path, port: int) -> str:
    """Returns the URL of a throwaway migrated SQLite store (the service refuses an unmigrated one)."""
    url = f"sqlite:///{tmp / f'store-{port}.sqlite3'}"
    engine = open_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


def _start(tmp: Path, **env: str) -> Server:
    port = _free_port()
    log = tmp / f"gunicorn-{port}.log"
    environ = {
        **os.environ,
        "CDS_DATABASE_URL": _migrated_store(tmp, port),
        "CDS_AUTH": "open",
        "CDS_HOST": "127.0.0.1",
        "CDS_PORT": str(port),
        "CDS_WORKERS": "1",
        "CDS_THREADS": "2",
        "CDS_REQUEST_READ_SECONDS": str(READ_SECONDS),
        "CDS_TODAY": "2026-06-15",
        **env,
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    with log.open("wb") as out:
        argv = [gunicorn, "-c", str(ROOT / "gunicorn.conf.py")]  # fixed: the venv's gunicorn, the repo's config
        proc = subprocess.Popen(argv, cwd=ROOT, env=environ, stdout=out, stderr=out)  # noqa: S603
    server = Server(proc, port, log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"gunicorn exited: {log.read_text()}")
        try:
            if requests.get(f"{server.base}/cds-services", timeout=2).status_code == 200:
                return server
        except requests.RequestException:
            time.sleep(0.1)
    _stop(server)
    raise AssertionError("gunicorn did not start")


def _stop(server: Server) -> None:
    if server.proc.poll() is None:
        server.proc.send_signal(signal.SIGTERM)
        try:
            server.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.proc.kill()
            server.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = _start(tmp_path_factory.mktemp("gunicorn"))
    try:
        yield running
    finally:
        _stop(running)


def _raw(port: int, data: bytes, timeout: float = 10) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def _trickle(port: int, data: bytes, interval: float, results: list[tuple[str, float]]) -> None:
    started = time.monotonic()
    outcome = "sent-all"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=SLACK + 10) as sock:
            for byte in data:
                sock.sendall(bytes([byte]))
                time.sleep(interval)
                if time.monotonic() - started > READ_SECONDS + SLACK + 5:
                    break
            sock.settimeout(SLACK)
            first = sock.recv(100)
            outcome = first.split(b"\r\n")[0].decode() if first else "closed"
    except OSError:
        outcome = "closed"
    results.append((outcome, time.monotonic() - started))


def test_slow_clients_cannot_starve_the_pool(server: Server) -> None:
    head = b"GET /cds-services HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 200 + b"\r\n\r\n"
    results: list[tuple[str, float]] = []
    threads = [threading.Thread(target=_trickle, args=(server.port, head, 0.1, results)) for _ in range(4)]
    for thread in threads:  # twice as many trickling clients as the worker has threads
        thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    answer = requests.get(f"{server.base}/cds-services", timeout=READ_SECONDS + SLACK + 10)
    assert answer.status_code == 200
    assert time.monotonic() - started < READ_SECONDS + SLACK  # waited at most for a deadline, not for the trickle
    for thread in threads:
        thread.join(timeout=READ_SECONDS + SLACK + 20)
    assert [outcome for outcome, _ in results] == ["closed"] * 4  # cut at the read deadline
    assert all(took < READ_SECONDS + SLACK + 1 for _, took in results)


def test_a_trickled_body_is_a_400_outcome(server: Server) -> None:
    body = b'{"hook": "patient-view"}' * 10
    head = (
        f"POST /cds-services/lupus-nephritis-response HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=SLACK + 10) as sock:
        sock.sendall(head)
        started = time.monotonic()
        reply = b""
        try:
            for byte in body:
                sock.sendall(bytes([byte]))
                time.sleep(0.1)
                if time.monotonic() - started > READ_SECONDS + SLACK:
                    break
        except OSError:
            pass
        try:
            reply = sock.recv(4096)
        except OSError:
            pass
    assert reply.startswith(b"HTTP/1.1 400"), reply[:80]
    assert b"OperationOutcome" in reply


def test_a_malformed_chunked_body_is_a_400_outcome(server: Server) -> None:
    reply = _raw(
        server.port,
        b"POST /cds-services/lupus-nephritis-response HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
    )
    assert reply.startswith(b"HTTP/1.1 400")
    assert b'"resourceType": "OperationOutcome"' in reply
    assert not [line for line in server.log_lines() if line.get("event") == "unhandled_error"]


@pytest.mark.parametrize("size", [20_000, 40_000])
def test_oversized_headers_get_an_outcome_from_the_app_or_gunicorn(server: Server, size: int) -> None:
    answer = requests.get(f"{server.base}/cds-services", headers={"X-Big": "a" * size}, timeout=10)
    assert answer.status_code == 431
    assert answer.json()["resourceType"] == "OperationOutcome"
    assert "a" * 100 not in answer.text  # the input is never echoed
    assert answer.headers["Cache-Control"] == "no-store"


def test_every_response_has_the_security_headers_and_no_banner(server: Server) -> None:
    for answer in (
        requests.get(f"{server.base}/cds-services/", timeout=10),  # trailing slash: discovery too
        requests.post(f"{server.base}/cds-services/nope", data=b"{", timeout=10),
    ):
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert "Server" not in answer.headers
        assert len(answer.headers["X-Request-ID"]) == 32


def test_the_access_log_holds_the_route_template_and_request_id_only(server: Server) -> None:
    answer = requests.post(
        f"{server.base}/cds-services/pt-secret-service?access_token=tok-secret",
        data=b"{",
        headers={"Content-Type": "application/json", "Referer": "https://ehr/Patient/pt-secret", "User-Agent": "ua-x"},
        timeout=10,
    )
    request_id = answer.headers["X-Request-ID"]
    time.sleep(0.5)
    text = server.log.read_text()
    assert "tok-secret" not in text
    assert "pt-secret" not in text
    assert "ua-x" not in text
    lines = [line for line in server.log_lines() if line.get("request_id") == request_id]
    access = [line for line in lines if line.get("event") == "access"]
    assert access == [
        {
            "event": "access",
            "method": "POST",
            "route": "/cds-services/<service_id>",
            "status": "400",
            "duration_ms": access[0]["duration_ms"],
            "request_id": request_id,
        }
    ]
    assert [line["event"] for line in lines if line.get("event") != "access"] == ["hook_call"]


def test_the_configuration_disables_the_shared_control_socket() -> None:
    namespace: dict[str, object] = {}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), namespace)  # noqa: S102
    assert namespace["control_socket_disable"] is True
    assert namespace["worker_class"] == "service.serving.DeadlineThreadWorker"
    assert namespace["wsgi_app"] == "service.app:create_app()"


def test_sigterm_finishes_in_flight_calls_and_refuses_new_connections(tmp_path: Path) -> None:
    from ln_testing import fhir_stub

    with fhir_stub.running() as stub:
        stub.default = fhir_stub.stall(1.5)
        server = _start(tmp_path, CDS_DRAIN_SECONDS="10")
        try:
            request = json.loads(
                (
                    ROOT / "cards_fixtures/lupus-nephritis-response/omitted-prefetch-fhir-fallback/request.json"
                ).read_text()
            )
            request["fhirServer"] = stub.base
            request.pop("fhirAuthorization", None)
            result: list[int] = []
            inflight = threading.Thread(
                target=lambda: result.append(
                    requests.post(
                        f"{server.base}/cds-services/lupus-nephritis-response", json=request, timeout=20
                    ).status_code
                )
            )
            inflight.start()
            time.sleep(0.7)  # the call is waiting for the stalling FHIR server
            server.proc.send_signal(signal.SIGTERM)
            time.sleep(0.5)
            started = time.monotonic()
            with pytest.raises(requests.ConnectionError):
                requests.get(f"{server.base}/cds-services", timeout=5)
            assert time.monotonic() - started < 3  # refused, not left hanging
            inflight.join(timeout=20)
            assert result  # the in-flight call got its answer ...
            assert result[0] < 500  # ... and not an error
            assert server.proc.wait(timeout=20) == 0
        finally:
            _stop(server)
