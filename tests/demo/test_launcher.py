"""The demo launcher's printed instructions and its checks, without starting anything (tests/integration runs it)."""

from __future__ import annotations

import json
import os
import shlex
import socket
import stat
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from demo import fhir_server, launcher
from service.settings import Settings

URLS = launcher.Urls("http://127.0.0.1:8090/fhir", "http://127.0.0.1:8000")
PATIENT = {"patientId": "ln-demo-07", "scenario": "demo-refractory-7-months", "service": "lupus-nephritis-response"}


def _data(**overrides: Any) -> dict[str, Any]:
    patient = {**PATIENT, "story": "s", "expect": "e", "cards": [{"indicator": "warning", "summary": "review"}]}
    return {"today": "2026-06-15", "criteriaSet": "seed-eular-era-edta-2012", "patients": [patient], **overrides}


def test_curl_posts_patient_view_without_prefetch_so_the_service_queries_the_fhir_server() -> None:
    argv = shlex.split(launcher.curl(URLS, PATIENT))
    body = json.loads(argv[argv.index("-d") + 1])
    assert argv[argv.index("-d") + 2] == "http://127.0.0.1:8000/cds-services/lupus-nephritis-response"
    assert body["hook"] == "patient-view"
    assert body["fhirServer"] == "http://127.0.0.1:8090/fhir"
    assert body["context"]["patientId"] == "ln-demo-07"
    assert "prefetch" not in body
    assert "fhirAuthorization" not in body


def test_hook_instance_is_a_stable_uuid_per_patient() -> None:
    first = launcher.hook_request("ln-demo-07", URLS.fhir_base)["hookInstance"]
    assert first == launcher.hook_request("ln-demo-07", URLS.fhir_base)["hookInstance"]
    assert first != launcher.hook_request("ln-fx-4m", URLS.fhir_base)["hookInstance"]


def test_sandbox_url_presets_fhir_server_patient_and_discovery() -> None:
    url = launcher.sandbox_url(URLS, "ln-demo-07")
    assert url.startswith("https://sandbox.cds-hooks.org/?")
    assert parse_qs(urlsplit(url).query) == {
        "fhirServiceUrl": ["http://127.0.0.1:8090/fhir"],
        "patientId": ["ln-demo-07"],
        "serviceDiscoveryURL": ["http://127.0.0.1:8000/cds-services"],
        "hook": ["patient-view"],
    }


def test_instructions_name_today_urls_and_one_curl_per_patient() -> None:
    settings = Settings(today=Settings.from_env({"CDS_TODAY": "2026-06-15"}).today)
    text = launcher.instructions(URLS, _data(), settings, 3.2, "seed-eular-era-edta-2012")
    assert "today is pinned to 2026-06-15 (CDS_TODAY)" in text
    assert "http://127.0.0.1:8000/cds-services" in text
    assert "http://127.0.0.1:8090/fhir" in text
    assert "# ln-demo-07 (demo-refractory-7-months) -> warning: review" in text
    assert sum(line.startswith("curl ") for line in text.splitlines()) == 1
    assert "NOTE" not in text
    assert text.endswith("Stop with Ctrl-C.")


def test_instructions_warn_when_the_expected_cards_may_not_hold() -> None:
    text = launcher.instructions(URLS, _data(), Settings(), 3.2, "kdigo-2024")
    assert "NOTE: CDS_TODAY or CDS_CRITERIA_SET differ from the cohort's" in text


def test_configure_environment_forces_loopback_and_defaults_auth_today_and_criteria(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("CDS_HOST", "CDS_AUTH", "CDS_TODAY", "CDS_CRITERIA_SET"):
        monkeypatch.setenv(name, "")  # recorded first, so what configure_environment sets is undone afterwards
        monkeypatch.delenv(name)
    monkeypatch.setenv("CDS_HOST", "0.0.0.0")
    monkeypatch.setenv("CDS_CRITERIA_SET", "kdigo-2024")
    launcher.configure_environment(_data())
    assert os.environ["CDS_HOST"] == "127.0.0.1"
    assert os.environ["CDS_AUTH"] == "open"
    assert os.environ["CDS_TODAY"] == "2026-06-15"
    assert os.environ["CDS_CRITERIA_SET"] == "kdigo-2024"  # a deliberate choice is kept, and the printout warns


def test_a_port_in_use_is_refused_naming_the_variable() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(fhir_server.FhirServerError, match=rf"127\.0\.0\.1:{port} is in use.*CDS_PORT"):
            launcher._check_port_free(port, "CDS_PORT")


def test_fhir_port_must_be_a_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FHIR_PORT", "http")
    with pytest.raises(fhir_server.FhirServerError, match="FHIR_PORT"):
        launcher._fhir_port()
    monkeypatch.setenv("FHIR_PORT", "0")
    assert launcher._fhir_port() == 0


def _fake_tool(folder: Path, name: str, output: str) -> None:
    tool = folder / name
    tool.write_text(f"#!/bin/sh\necho '{output}'\n")
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)


def test_missing_node_is_a_clear_error_not_a_skip(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(fhir_server.FhirServerError, match=r"node and npm not found on PATH.*Node.js 20\.19"):
        fhir_server.toolchain()


def test_too_old_node_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_tool(tmp_path, "node", "v18.19.1")
    _fake_tool(tmp_path, "npm", "9.2.0")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(fhir_server.FhirServerError, match=r"Node\.js v18\.19\.1 is too old"):
        fhir_server.toolchain()


def test_a_supported_node_is_accepted(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _fake_tool(tmp_path, "node", "v20.19.0")
    _fake_tool(tmp_path, "npm", "11.0.0")
    monkeypatch.setenv("PATH", str(tmp_path))
    tools = fhir_server.toolchain()
    assert tools.version == (20, 19, 0)
    assert Path(tools.node) == tmp_path / "node"


def test_open_mode_says_open_and_its_curls_carry_no_token() -> None:
    settings = Settings(auth="open", today=Settings.from_env({"CDS_TODAY": "2026-06-15"}).today)
    text = launcher.instructions(URLS, _data(), settings, 3.2, "seed-eular-era-edta-2012")
    assert "client authentication open (CDS_AUTH=open)" in text
    assert "Authorization" not in text


def test_jwt_mode_says_so_and_its_curls_send_the_client_token() -> None:
    settings = Settings(auth="jwt", today=Settings.from_env({"CDS_TODAY": "2026-06-15"}).today)
    text = launcher.instructions(URLS, _data(), settings, 3.2, "seed-eular-era-edta-2012")
    assert "client authentication open" not in text
    assert "client authentication ON (CDS_AUTH=jwt)" in text
    curl = next(line for line in text.splitlines() if line.startswith("curl "))
    assert "Authorization: Bearer $CDS_CLIENT_JWT" in shlex.split(curl)
    assert "CDS_FHIR_ALLOW_LOOPBACK_HTTP=on" in text  # the FHIR server is not reachable without the opt-in


def test_jwt_mode_allowlists_the_demo_fhir_server_only_with_the_opt_in(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CDS_HOST", "CDS_AUTH", "CDS_TODAY", "CDS_CRITERIA_SET", "CDS_FHIR_ALLOWLIST"):
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.setenv("CDS_AUTH", "jwt")
    monkeypatch.setenv("CDS_FHIR_ALLOW_LOOPBACK_HTTP", "off")
    launcher.configure_environment(_data(), 8090)
    assert "CDS_FHIR_ALLOWLIST" not in os.environ
    monkeypatch.setenv("CDS_FHIR_ALLOW_LOOPBACK_HTTP", "on")
    launcher.configure_environment(_data(), 8090)
    assert os.environ["CDS_FHIR_ALLOWLIST"] == "http://127.0.0.1:8090"
    settings = Settings.from_env({**os.environ, "CDS_TRUSTED_ISSUERS": ""})
    text = launcher.instructions(URLS, _data(), settings, 1.0, "seed-eular-era-edta-2012")
    assert "CDS_FHIR_ALLOW_LOOPBACK_HTTP=on" not in text  # allowlisted: no warning
