"""No PHI and no credentials in any log line, at DEBUG, over the whole golden matrix and the integration cohort.

Every logger is set to DEBUG (root, the service's, urllib3, requests, werkzeug) and two things are checked:
- every record our own code emits (service, hooks, fhir_maps: anything but the URL-bearing libraries), formatted
  the way the service formats it and as its plain message;
- every line the service's own JSON handler (`service.logging_setup.json_handler`) writes, from all loggers,
  libraries included: their URL-bearing lines are what that handler's filter must hold back even at DEBUG.
The needles are whatever identifies the patient or grants access: patient ids, birth dates, names, identifiers,
contact details, lab values, the lent FHIR bearer and the client's JWT. Canary values (a name, an MRN, a phone
number) are added to one request because the synthetic fixtures carry no names.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
import responses

from service.logging_setup import JsonFormatter, json_handler
from service.trust import IssuerTrust
from tests.golden_support import FOLDERS, ROOT, load_json, register_fhir, run_folder
from tests.security.conftest import SigningKey
from tests.support import make_app

URL_LOGGERS = ("urllib3", "requests")
ALL_LOGGERS = ("", "service", "hooks", "fhir_maps", "urllib3", "requests", "werkzeug", "flask", "gunicorn")
TIMING_FIELDS = frozenset({"ts", "duration_ms", "fhir_ms"})
CANARY = {
    "name": [{"family": "Quixotevaldez", "given": ["Marisolenne"], "text": "Marisolenne Quixotevaldez"}],
    "identifier": [{"system": "urn:oid:1.2.3.4", "value": "MRN-77441-CANARY"}],
    "telecom": [{"system": "phone", "value": "+57-300-555-0199"}],
    "address": [{"line": ["Calle 45 #12-99 Canary"], "city": "Villacanaria", "postalCode": "050021"}],
}


@dataclass
class Needles:
    """What must never be logged: exact strings, and numbers matched as whole numbers."""

    strings: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)

    def add_resource(self, resource: Any) -> None:
        if not isinstance(resource, dict):
            return
        if resource.get("resourceType") == "Patient":
            self._add(resource.get("id"))
            self._add(resource.get("birthDate"))
            for name in resource.get("name", []):
                self._add(name.get("family"))
                self._add(name.get("text"))
                for given in name.get("given", []):
                    self._add(given)
            for contact in resource.get("telecom", []):
                self._add(contact.get("value"))
            for address in resource.get("address", []):
                for key in ("city", "postalCode"):
                    self._add(address.get(key))
                for line in address.get("line", []):
                    self._add(line)
        for ident in resource.get("identifier", []):
            self._add(ident.get("value"))
        for quantity in _quantities(resource):
            self._add_number(quantity.get("value"))

    def add_any(self, document: Any) -> None:
        """Adds the needles of a resource, a Bundle, or a prefetch object of those."""
        if isinstance(document, dict) and document.get("resourceType") == "Bundle":
            for entry in document.get("entry", []):
                self.add_resource(entry.get("resource"))
        elif isinstance(document, dict) and "resourceType" in document:
            self.add_resource(document)
        elif isinstance(document, dict):
            for value in document.values():
                self.add_any(value)

    def _add(self, value: Any) -> None:
        if isinstance(value, str) and len(value) >= 4:
            self.strings.add(value)

    def _add_number(self, value: Any) -> None:
        # Decimals and numbers of 3+ digits: small integers would match the line's own counts (cards, calls).
        if isinstance(value, float | int) and not isinstance(value, bool):
            text = str(Decimal(str(value)).normalize())
            if "." in text or len(text) >= 3:
                self.numbers.add(text)

    def found_in(self, text: str) -> list[str]:
        hits = [needle for needle in self.strings if needle in text]
        # uuids (hookInstance, card uuids) are logged on purpose and are no PHI; their hex groups ("1240") would
        # otherwise match a lab value ("124") by chance
        numeric = _UUID.sub("<uuid>", text)
        for number in self.numbers:
            if re.search(rf"(?<![\d.]){re.escape(number)}0*(?!\d)", numeric):
                hits.append(number)
        return sorted(hits)


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _quantities(resource: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if isinstance(resource.get("valueQuantity"), dict):
        yield resource["valueQuantity"]
    for component in resource.get("component", []):
        if isinstance(component, dict) and isinstance(component.get("valueQuantity"), dict):
            yield component["valueQuantity"]


def _without_timings(line: str) -> str:
    try:
        fields = json.loads(line)
    except ValueError:
        return line
    if not isinstance(fields, dict):
        return line
    return json.dumps({k: v for k, v in fields.items() if k not in TIMING_FIELDS}, ensure_ascii=False)


@dataclass
class Capture:
    """Everything logged while a test ran: the records, and what the service's JSON handler wrote."""

    records: list[logging.LogRecord]
    stream: io.StringIO

    def our_records(self) -> Iterable[logging.LogRecord]:
        return (r for r in self.records if not r.name.startswith(URL_LOGGERS))

    def leaks(self, needles: Needles) -> list[str]:
        """Returns each needle found, with the start of the line it was found in."""
        formatter = JsonFormatter()
        texts = []
        for record in self.our_records():
            texts += [_without_timings(formatter.format(record)), record.getMessage()]
        texts += [_without_timings(line) for line in self.stream.getvalue().splitlines()]
        return [f"{hit!r} in {text[:200]!r}" for text in texts for hit in needles.found_in(text)]


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def capture() -> Iterator[Capture]:
    """Sets every logger to DEBUG, adds a recording handler and the service's JSON handler to the root."""
    saved = {name: logging.getLogger(name).level for name in ALL_LOGGERS}
    recorder, stream = _ListHandler(), io.StringIO()
    service_handler = json_handler(stream)
    root = logging.getLogger()
    for name in ALL_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    root.addHandler(recorder)
    root.addHandler(service_handler)
    try:
        yield Capture(recorder.records, stream)
    finally:
        root.removeHandler(recorder)
        root.removeHandler(service_handler)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


def _request_needles(request: dict[str, Any], needles: Needles) -> None:
    needles._add(request.get("context", {}).get("patientId"))
    needles._add((request.get("fhirAuthorization") or {}).get("access_token"))
    needles.add_any(request.get("prefetch") or {})


def _folder_needles(folder: Path) -> Needles:
    needles = Needles()
    _request_needles(load_json(folder / "request.json"), needles)
    if (folder / "fhir.json").exists():
        for reply in load_json(folder / "fhir.json"):
            needles.add_any(reply.get("body"))
    return needles


def test_the_golden_matrix_logs_no_phi_at_debug(capture: Capture) -> None:
    needles = Needles()
    for folder in FOLDERS:
        needles.strings |= _folder_needles(folder).strings
        needles.numbers |= _folder_needles(folder).numbers
        run_folder(folder)
    assert len(needles.strings) > 20  # the check has teeth
    assert needles.numbers
    assert len(list(capture.our_records())) >= len(FOLDERS)  # and something was logged
    assert capture.leaks(needles) == []


def _demo_folder() -> Path:
    return ROOT / "lupus-nephritis-response" / "demo-refractory-7-months"


def test_canary_names_identifiers_and_tokens_are_not_logged(capture: Capture, ec_key: SigningKey) -> None:
    from tests.security.conftest import ISSUER, claims

    request = load_json(_demo_folder() / "request.json")
    request["prefetch"]["patient"].update(copy.deepcopy(CANARY))
    request["fhirAuthorization"] = {"access_token": "canary-bearer-8f2e61d0", "token_type": "Bearer"}
    request.setdefault("fhirServer", "https://fhir.example.org/r4")
    del request["prefetch"]["conditions"]  # one fetch with the canary bearer, to a mocked server
    needles = Needles()
    _request_needles(request, needles)
    needles.add_resource(request["prefetch"]["patient"])
    public = "https://cds.example.org"
    trust = IssuerTrust(ISSUER, keys=(ec_key.jwk,))
    app = make_app(auth="jwt", trusted_issuers=(trust,), public_url=public, feedback_log=False)
    token = ec_key.sign(claims(aud=f"{public}/cds-services/lupus-nephritis-response"))
    needles.strings.add(token)
    needles.strings.add(token.split(".")[2])  # the signature alone
    conditions = ROOT / "lupus-nephritis-response" / "omitted-prefetch-fhir-fallback"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        register_fhir(rsps, conditions, {**request, "context": request["context"]})
        client = app.test_client()
        auth = {"Authorization": f"Bearer {token}"}
        path = "/cds-services/lupus-nephritis-response"
        # accepted; then replayed (rejected, and the rejection logged); then a malformed token
        statuses = [client.post(path, json=request, headers=auth).status_code for _ in range(2)]
        statuses.append(client.post(path, json=request, headers={"Authorization": "Bearer x.y.z"}).status_code)
        assert len(rsps.calls) == 1  # the canary bearer went to the (mocked) FHIR server once
    assert statuses == [200, 401, 401]
    assert {"Quixotevaldez", "MRN-77441-CANARY", "canary-bearer-8f2e61d0"} <= needles.strings
    assert capture.leaks(needles) == []


def _cohort() -> tuple[Any, Path, Path] | None:
    try:
        from demo import fhir_server
        from demo.cohort import COHORT_DIR, MANIFEST
    except ImportError:
        return None
    return fhir_server, COHORT_DIR, MANIFEST


def test_the_integration_cohort_logs_no_phi_at_debug(capture: Capture, tmp_path: Path) -> None:
    found = _cohort()
    if found is None:
        # The cohort is part of the repository and CI never skips (tests/integration fails the same way).
        pytest.fail("the PHI log test needs the integration cohort (demo/cohort, demo/fhir_server)", pytrace=False)
    fhir_server, cohort_dir, manifest_path = found
    manifest = json.loads(manifest_path.read_text())
    bundles = sorted(cohort_dir.glob("*.json"))
    needles = Needles()
    for path in bundles:
        needles.add_any(json.loads(path.read_text()))
    try:
        server = fhir_server.running(0, tmp_path / "fhir.log", bundles, log_requests=False)
        base = server.__enter__()
    except fhir_server.FhirServerError as exc:  # the project requires Node.js: a missing server is a failure
        first_line = (str(exc).splitlines() or ["no detail"])[0]
        pytest.fail(
            f"the PHI log test needs the demo FHIR server (Node.js), which cannot start: {first_line}", pytrace=False
        )
    statuses: list[int] = []
    try:
        with requests.Session() as session:
            app = make_app(today=manifest["today"], criteria_set=manifest["criteriaSet"], session=session)
            client = app.test_client()
            for patient in manifest["patients"]:
                needles._add(patient["patientId"])
                request = {
                    "hook": "patient-view",
                    "hookInstance": str(uuid.uuid4()),
                    "fhirServer": base,
                    "context": {"patientId": patient["patientId"], "userId": "Practitioner/example"},
                }
                statuses.append(client.post(f"/cds-services/{patient['service']}", json=request).status_code)
    finally:
        server.__exit__(None, None, None)
    assert set(statuses) == {200}, statuses  # every patient answered from the FHIR server, not refused
    assert any(r.name.startswith("urllib3") for r in capture.records)  # the URL-bearing library did log
    assert capture.leaks(needles) == []


def test_the_capture_would_catch_a_leak(capture: Capture) -> None:
    needles = Needles(strings={"ln-demo-07", "1994-03-02"}, numbers={"2.6", "310"})
    logging.getLogger("service.test").info("patient ln-demo-07 born 1994-03-02, UPCR 2.60, creatinine 310")
    logging.getLogger("urllib3.connectionpool").warning("GET /Patient/ln-demo-07")  # withheld by the handler
    leaks = capture.leaks(needles)
    assert {leak.split(" in ")[0] for leak in leaks} == {"'ln-demo-07'", "'1994-03-02'", "'2.6'", "'310'"}
    assert len(leaks) == 12  # 4 needles x (the formatted record, its message, the JSON line); not urllib3
    assert "GET /Patient" not in capture.stream.getvalue()
