"""`make demo` end to end: `python -m demo` starts both servers, every printed curl gets the cards its README row
promises, the CDS Hooks Sandbox's calls work against it, and Ctrl-C stops everything it started.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import select

from service.store.engine import open_engine
from service.store.schema import feedback as feedback_table
from tests.integration import sandbox

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
READY_LINE = "Stop with Ctrl-C."
START_TIMEOUT_S = 240  # includes `npm ci` when node_modules is missing


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _refuses(url: str) -> bool:
    parts = urlsplit(url)
    with socket.socket() as probe:
        return probe.connect_ex((parts.hostname or "", parts.port or 80)) != 0


def _wait_for_ready(out: Path, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        text = out.read_text()
        if READY_LINE in text:
            return text
        if process.poll() is not None:
            pytest.fail(f"python -m demo exited with {process.returncode}:\n{text}", pytrace=False)
        time.sleep(0.1)
    pytest.fail(f"python -m demo was not ready within {START_TIMEOUT_S} s:\n{out.read_text()}", pytrace=False)


class RunningDemo:
    """A `python -m demo` child process, its printed text, and `interrupt()`: Ctrl-C, as a terminal sends it."""

    def __init__(self, process: subprocess.Popen[bytes], out: Path) -> None:
        self.process, self.out = process, out
        self.text = _wait_for_ready(out, process)

    def interrupt(self) -> int:
        """Sends SIGINT (once) and returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        return self.process.wait(60)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    """Yields the running demo (free ports, logs in a temporary folder); interrupts it at the end in any case."""
    tmp = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDS_")}
    env.update({"FHIR_PORT": "0", "CDS_PORT": str(_free_port()), "DEMO_LOG_DIR": str(tmp / "logs")})
    env["CDS_DATABASE_URL"] = f"sqlite:///{tmp / 'demo.sqlite3'}"  # the demo's store, kept out of instance/
    out = tmp / "stdout.txt"
    with open(out, "wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "demo"], cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT
        )
        try:
            yield RunningDemo(process, out)
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            process.wait(60)


def _curls(text: str) -> list[list[str]]:
    return [shlex.split(line) for line in text.splitlines() if line.startswith("curl ")]


def _sandbox_params(text: str) -> dict[str, str]:
    url = next(line.strip() for line in text.splitlines() if line.strip().startswith(sandbox.ORIGIN))
    return {name: values[0] for name, values in parse_qs(urlsplit(url).query).items()}


def test_demo_prints_the_pinned_today_discovery_fhir_base_and_a_sandbox_url(demo: RunningDemo) -> None:
    text = demo.text
    params = _sandbox_params(text)
    assert "today is pinned to 2026-06-15 (CDS_TODAY)" in text
    assert f"CDS Hooks discovery  {params['serviceDiscoveryURL']}" in text
    assert f"FHIR server (R4)     {params['fhirServiceUrl']}" in text
    assert params["patientId"] == "ln-demo-07"
    assert params["fhirServiceUrl"].startswith("http://127.0.0.1:")
    assert params["serviceDiscoveryURL"].startswith("http://127.0.0.1:")


def test_every_printed_curl_returns_the_cards_its_cohort_row_promises(
    demo: RunningDemo, manifest: dict[str, Any]
) -> None:
    curls = _curls(demo.text)
    assert len(curls) == len(manifest["patients"])
    with requests.Session() as http:
        for patient, argv in zip(manifest["patients"], curls, strict=True):
            data = argv.index("-d")
            request, url = json.loads(argv[data + 1]), argv[data + 2]
            assert "prefetch" not in request
            assert request["context"]["patientId"] == patient["patientId"]
            reply = http.post(url, json=request, timeout=60)
            assert reply.status_code == 200, patient["patientId"]
            cards = [(c["indicator"], c["summary"]) for c in reply.json()["cards"]]
            assert cards == [(c["indicator"], c["summary"]) for c in patient["cards"]], patient["patientId"]


def test_a_printed_curl_line_runs_as_pasted(demo: RunningDemo, manifest: dict[str, Any]) -> None:
    bash, curl = shutil.which("bash"), shutil.which("curl")
    assert bash is not None, "this check pastes a printed line into bash"
    assert curl is not None, "this check pastes a printed line into bash: it needs curl"
    line = next(line for line in demo.text.splitlines() if line.startswith("curl "))
    # The line is the demo's own output, which is what this test is about: run it as a user would paste it.
    done = subprocess.run(  # noqa: S603 -- bash by absolute path; the command is the demo's printed curl
        [bash, "-o", "pipefail", "-c", line], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    summary = manifest["patients"][0]["cards"][0]["summary"]
    assert json.loads(done.stdout)["cards"][0]["summary"] == summary


def test_the_sandbox_can_use_the_demo_servers(demo: RunningDemo, manifest: dict[str, Any]) -> None:
    params = _sandbox_params(demo.text)
    fhir, discovery, patient_id = params["fhirServiceUrl"], params["serviceDiscoveryURL"], params["patientId"]
    browser = {"Origin": sandbox.ORIGIN}
    with requests.Session() as http:
        # The FHIR server, as the Sandbox checks and reads it.
        assert http.get(f"{fhir}/metadata", headers=browser, timeout=30).json()["resourceType"] == "CapabilityStatement"
        assert http.get(f"{fhir}/Patient", headers=browser, timeout=30).status_code == 200
        assert http.get(f"{fhir}/Patient/{patient_id}", headers=browser, timeout=30).json()["id"] == patient_id
        conditions = http.get(f"{fhir}/Condition", params={"patient": patient_id}, headers=browser, timeout=30)
        assert conditions.json()["total"] > 0
        assert conditions.headers["Access-Control-Allow-Origin"] == "*"
        # The service: preflight, discovery, the hook call with its JWT and its own prefetch, then feedback.
        service_url = f"{discovery}/lupus-nephritis-response"
        preflight = http.options(
            service_url,
            headers={
                **browser,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
            timeout=30,
        )
        assert preflight.status_code == 204
        assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
        services = http.get(discovery, headers=browser, timeout=30).json()["services"]
        templates = next(s["prefetch"] for s in services if s["id"] == "lupus-nephritis-response")
        prefetched = sandbox.prefetch(http, fhir, templates, patient_id)
        assert set(prefetched) == set(templates)
        reply = http.post(
            service_url,
            json=sandbox.hook_request(fhir, patient_id, prefetched),
            headers={**browser, "Authorization": f"Bearer {sandbox.jwt(service_url)}", "Accept": "application/json"},
            timeout=60,
        )
        assert reply.status_code == 200
        assert reply.headers["Access-Control-Allow-Origin"] in ("*", sandbox.ORIGIN)
        cards = reply.json()["cards"]
        promised = next(p for p in manifest["patients"] if p["patientId"] == patient_id)["cards"]
        assert [(c["indicator"], c["summary"]) for c in cards] == [(c["indicator"], c["summary"]) for c in promised]
        feedback = http.post(
            f"{service_url}/feedback",
            json=sandbox.dismissal(cards[0]),
            headers={**browser, "Authorization": f"Bearer {sandbox.jwt(f'{service_url}/feedback')}"},
            timeout=30,
        )
        assert feedback.status_code == 200
    # The Dismiss landed in the demo's store, where the printed lines say to look.
    assert "SELECT card_uuid, outcome" in demo.text
    database = next(w for line in demo.text.splitlines() for w in line.split() if w.startswith("sqlite:///"))
    engine = open_engine(database)
    try:
        with engine.connect() as connection:
            rows = connection.execute(select(feedback_table.c.card_uuid, feedback_table.c.outcome)).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in rows] == [(cards[0]["uuid"], "overridden")]


def test_ctrl_c_stops_both_servers(demo: RunningDemo) -> None:
    # Last in the module: the tests above use the running demo.
    params = _sandbox_params(demo.text)
    assert demo.interrupt() == 0
    assert demo.out.read_text().rstrip().endswith("Stopped.")
    assert _refuses(params["fhirServiceUrl"])
    assert _refuses(params["serviceDiscoveryURL"])
