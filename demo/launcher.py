"""`python -m demo` (what `make demo` runs): the FHIR server with the cohort, and the CDS service, on loopback.

Steps: check Node.js, `npm ci` the FHIR server if needed, start it (FHIR_PORT, default 8090), load
demo/cohort/*.json, start the service with gunicorn (CDS_PORT, default 8000) with today pinned to the cohort's
reference date and client authentication open (the Sandbox's JWT cannot be verified offline), then print the
discovery URL, the FHIR base, a Sandbox URL and one curl per patient. Ctrl-C (or SIGTERM) stops both children,
by their process ids. Logs go to .demo/. Never the Flask dev server, never debug, never a non-loopback address.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import IO, Any
from urllib.parse import urlencode

import requests

from demo import fhir_server
from demo import store as demo_store
from demo.paths import COHORT_DIR, MANIFEST, ROOT
from demo.serve import gunicorn_argv
from hooks.lupus_nephritis_response.config import LupusNephritisConfig
from hooks.spec import ConfigError
from service.settings import Settings, SettingsError

LOG_DIR = ROOT / ".demo"  # DEMO_LOG_DIR overrides it (the tests do, so a running demo keeps its logs)
HOST = "127.0.0.1"
DEFAULT_FHIR_PORT = 8090
SANDBOX = "https://sandbox.cds-hooks.org/"
USER_ID = "Practitioner/synthetic-clinician-1"
READY_TIMEOUT_S = 60


class _Stop(Exception):
    """Raised by the SIGINT/SIGTERM handler to unwind to the cleanup."""


@dataclass(frozen=True, slots=True)
class Urls:
    """Where the demo's two servers answer."""

    fhir_base: str
    service_base: str

    @property
    def discovery(self) -> str:
        """Returns the CDS Hooks discovery URL."""
        return f"{self.service_base}/cds-services"


def manifest() -> dict[str, Any]:
    """Returns the committed cohort manifest (demo/cohort-manifest.json)."""
    data: dict[str, Any] = json.loads(MANIFEST.read_text())
    return data


def hook_request(patient_id: str, fhir_base: str) -> dict[str, Any]:
    """Returns a patient-view request with no prefetch: the service reads everything from `fhir_base`."""
    return {
        "hookInstance": str(uuid.uuid5(uuid.NAMESPACE_URL, f"ln-cds-demo:{patient_id}")),
        "hook": "patient-view",
        "fhirServer": fhir_base,
        "context": {"userId": USER_ID, "patientId": patient_id},
    }


JWT_VARIABLE = "CDS_CLIENT_JWT"  # where a CDS_AUTH=jwt demo user puts a client token for the printed curls


def curl(urls: Urls, patient: dict[str, Any], *, jwt: bool = False) -> str:
    """Returns a shell command that fires patient-view for one cohort patient and pretty-prints the cards.

    With `jwt` (CDS_AUTH=jwt) the command sends `Authorization: Bearer $CDS_CLIENT_JWT`.
    """
    body = json.dumps(hook_request(patient["patientId"], urls.fhir_base), separators=(",", ":"))
    target = f"{urls.service_base}/cds-services/{patient['service']}"
    auth = f' -H "Authorization: Bearer ${JWT_VARIABLE}"' if jwt else ""
    return (
        f"curl -s -X POST -H 'Content-Type: application/json'{auth} -d {shlex.quote(body)} {target}"
        " | python3 -m json.tool --no-ensure-ascii"
    )


def auth_lines(settings: Settings, urls: Urls) -> list[str]:
    """Returns what the demo says about client authentication and, in jwt mode, about reaching its FHIR server."""
    if settings.open_mode:
        return ["client authentication open (CDS_AUTH=open)."]
    lines = [
        "client authentication ON (CDS_AUTH=jwt): each call needs a JWT signed by an issuer in CDS_TRUSTED_ISSUERS,",
        f"aud = the service URL; put one in ${JWT_VARIABLE} for the curls below (docs/serving.md).",
    ]
    fhir_ok = any(base.scheme == "http" and base.host == HOST for base in settings.effective_fhir_allowlist())
    if not fhir_ok:
        lines.append(
            f"WARNING: the FHIR server {urls.fhir_base} is plain http and not allowlisted: calls without prefetch get"
            " 412; for local testing set CDS_FHIR_ALLOW_LOOPBACK_HTTP=on (logged by the service)."
        )
    return lines


def sandbox_url(urls: Urls, patient_id: str) -> str:
    """Returns a CDS Hooks Sandbox URL preset with the FHIR server, the patient and the discovery endpoint."""
    query = {
        "fhirServiceUrl": urls.fhir_base,
        "patientId": patient_id,
        "serviceDiscoveryURL": urls.discovery,
        "hook": "patient-view",
    }
    return f"{SANDBOX}?{urlencode(query)}"


def _cards_text(patient: dict[str, Any]) -> str:
    cards = patient["cards"]
    if not cards:
        return 'no card ({"cards": []})'
    return "; ".join(f"{c['indicator']}: {c['summary']}" for c in cards)


def instructions(urls: Urls, data: dict[str, Any], settings: Settings, seconds: float, criteria_set: str) -> str:
    """Returns what the demo prints once both servers are up."""
    patients = data["patients"]
    first = patients[0]["patientId"]
    lines = [
        f"ln-cds demo up in {seconds:.1f} s. Synthetic data only; today is pinned to {data['today']} (CDS_TODAY),",
        f"criteria set {criteria_set},",
        *auth_lines(settings, urls),
        "",
        f"  CDS Hooks discovery  {urls.discovery}",
        f"  FHIR server (R4)     {urls.fhir_base}   ({len(patients)} patients; try {urls.fhir_base}/Patient/{first})",
        f"  logs                 {_shown(log_dir())}/fhir-server.log, {_shown(log_dir())}/cds-service.log",
        "",
        "CDS Hooks Sandbox, in a browser on this machine (set patientId to any id below):",
        f"  {sandbox_url(urls, first)}",
        "",
        "patient-view for each cohort patient, with no prefetch (the service queries the FHIR server):",
    ]
    if criteria_set != data["criteriaSet"] or settings.today is None or str(settings.today) != data["today"]:
        lines.insert(
            2, "NOTE: CDS_TODAY or CDS_CRITERIA_SET differ from the cohort's; the expected cards may not hold."
        )
    for patient in patients:
        lines += [
            "",
            f"# {patient['patientId']} ({patient['scenario']}) -> {_cards_text(patient)}",
            curl(urls, patient, jwt=not settings.open_mode),
        ]
    lines += ["", "Stop with Ctrl-C."]
    return "\n".join(lines)


def log_dir() -> Path:
    """Returns where the servers' logs go: DEMO_LOG_DIR, else .demo/ in the work tree."""
    return Path(os.environ.get("DEMO_LOG_DIR") or LOG_DIR)


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise _Stop(signal.Signals(signum).name)


def _start_service(settings: Settings, log: IO[bytes]) -> subprocess.Popen[bytes]:
    argv = gunicorn_argv()  # gunicorn.conf.py binds CDS_HOST:CDS_PORT from the environment passed below
    return subprocess.Popen(argv, cwd=ROOT, env=os.environ.copy(), stdout=log, stderr=log)


def _wait_ready(process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    with requests.Session() as session:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise fhir_server.FhirServerError(
                    f"the CDS service exited with {process.returncode}:\n{fhir_server.log_tail(log_path)}"
                )
            try:
                if session.get(url, timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass  # not listening yet, or its workers are still importing the app
            time.sleep(0.1)
    raise fhir_server.FhirServerError(f"the CDS service did not answer {url} within {READY_TIMEOUT_S} s")


def _check_port_free(port: int, variable: str) -> None:
    """Raises FhirServerError when something already listens on 127.0.0.1:`port`, which readiness checks would
    otherwise mistake for the demo's own server."""
    if port == 0:
        return
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            raise fhir_server.FhirServerError(
                f"{HOST}:{port} is in use; stop what listens there or choose another port with {variable}=<port>"
            ) from None


def _stop_process(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


def configure_environment(data: dict[str, Any], fhir_port: int | None = None) -> None:
    """Sets the demo's service environment: loopback, open client auth, and the cohort's today and criteria.

    With CDS_AUTH=jwt and the explicit opt-in CDS_FHIR_ALLOW_LOOPBACK_HTTP=on, the demo's own http FHIR server is
    allowlisted (unless CDS_FHIR_ALLOWLIST says otherwise); without the opt-in nothing http is ever allowed.
    """
    os.environ["CDS_HOST"] = HOST  # loopback only, whatever the shell has
    os.environ.setdefault("CDS_AUTH", "open")  # the Sandbox's JWT key (jku) is unreachable offline
    os.environ.setdefault("CDS_TODAY", data["today"])
    os.environ.setdefault("CDS_CRITERIA_SET", data["criteriaSet"])
    opted_in = os.environ.get("CDS_FHIR_ALLOW_LOOPBACK_HTTP", "").strip().lower() in ("on", "true", "1")
    if fhir_port and os.environ["CDS_AUTH"].strip().lower() == "jwt" and opted_in:
        os.environ.setdefault("CDS_FHIR_ALLOWLIST", f"http://{HOST}:{fhir_port}")


def _fhir_port() -> int:
    raw = os.environ.get("FHIR_PORT", "").strip() or str(DEFAULT_FHIR_PORT)
    if not raw.isdigit() or int(raw) > 65535:
        raise fhir_server.FhirServerError(f"FHIR_PORT: {raw!r} is not a port; use a whole number from 0 to 65535")
    return int(raw)


def run() -> None:
    """Starts everything, prints the instructions, and waits for Ctrl-C or a child's exit; stops all it started."""
    started = time.monotonic()
    data = manifest()
    fhir_port = _fhir_port()
    configure_environment(data, fhir_port)
    settings = Settings.from_env()  # fails here, naming the variable, rather than inside gunicorn
    database = demo_store.prepare(settings)  # the service refuses to start on an unapplied migration
    criteria_set = LupusNephritisConfig.from_env(os.environ).criteria_set
    _check_port_free(fhir_port, "FHIR_PORT")
    _check_port_free(settings.port, "CDS_PORT")
    tools = fhir_server.toolchain()
    logs = log_dir()
    logs.mkdir(parents=True, exist_ok=True)
    if not fhir_server.is_installed():
        _say(f"Installing the FHIR server's packages (npm ci in {_shown(fhir_server.SERVER_DIR)}) ...")
        with open(logs / "npm-ci.log", "w") as npm_log:
            fhir_server.install(tools, npm_log)
    fhir = fhir_server.start(tools, fhir_port, logs / "fhir-server.log")
    service: subprocess.Popen[bytes] | None = None
    service_log = open(logs / "cds-service.log", "wb")  # closed in the finally below
    try:
        with requests.Session() as session:
            fhir_server.load(fhir.base, sorted(COHORT_DIR.glob("*.json")), session)
        service = _start_service(settings, service_log)
        urls = Urls(fhir.base, f"http://{settings.host}:{settings.port}")
        _wait_ready(service, urls.discovery, logs / "cds-service.log")
        _say(instructions(urls, data, settings, time.monotonic() - started, criteria_set))
        _say(demo_store.how_to_look(database))
        while fhir.process.poll() is None and service.poll() is None:
            time.sleep(0.5)
        raise fhir_server.FhirServerError(f"a demo server stopped unexpectedly; see the logs in {_shown(logs)}/")
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)  # a second Ctrl-C must not cut the cleanup short
        if service is not None:
            _stop_process(service)
        fhir.stop()
        service_log.close()


def main() -> int:
    """Runs the demo; returns 0 after Ctrl-C, 1 when something could not start."""
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    try:
        run()
    except _Stop:
        _say("Stopped.")
        return 0
    except (fhir_server.FhirServerError, SettingsError, ConfigError) as exc:
        sys.stderr.write(f"demo: {exc}\n")
        return 1
    return 0
