"""Every cohort patient, read by the service from the real FHIR server, gets exactly its golden cards.

Two ways in, as real clients call: no prefetch (the service runs its own queries against `fhirServer`), and the
CDS Hooks Sandbox's way (it fills prefetch from the same server with `POST [type]/_search`). Both must give the
answer of the patient's golden scenario, uuids normalised, and the cards the README's cohort table promises.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from flask import Flask

from demo.launcher import hook_request
from demo.paths import MANIFEST
from tests.contract import check_response
from tests.golden_support import normalise_uuids
from tests.integration import sandbox
from tests.integration.conftest import expected

pytestmark = pytest.mark.integration

PATIENTS: list[dict[str, Any]] = json.loads(MANIFEST.read_text())["patients"]


def _answer(app: Flask, service: str, request: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
    reply = app.test_client().post(f"/cds-services/{service}", json=request, headers=headers or {})
    return {"status": reply.status_code, "body": normalise_uuids(reply.get_json())}


def _promised(patient: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["indicator"], c["summary"]) for c in patient["cards"]]


@pytest.mark.parametrize("patient", PATIENTS, ids=[p["patientId"] for p in PATIENTS])
def test_patient_without_prefetch_gets_its_golden_cards_from_the_fhir_server(
    patient: dict[str, Any], fhir_base: str, cohort_app: Flask
) -> None:
    actual = _answer(cohort_app, patient["service"], hook_request(patient["patientId"], fhir_base))
    assert actual == expected(patient)
    assert check_response(actual["body"]) == []
    assert [(c["indicator"], c["summary"]) for c in actual["body"]["cards"]] == _promised(patient)


@pytest.mark.parametrize("patient", PATIENTS, ids=[p["patientId"] for p in PATIENTS])
def test_patient_with_sandbox_style_prefetch_gets_the_same_cards(
    patient: dict[str, Any], fhir_base: str, cohort_app: Flask, http: requests.Session
) -> None:
    discovery = cohort_app.test_client().get("/cds-services").get_json()
    templates = next(s["prefetch"] for s in discovery["services"] if s["id"] == patient["service"])
    prefetched = sandbox.prefetch(http, fhir_base, templates, patient["patientId"])
    assert set(prefetched) == set(templates), "every prefetch query should succeed against the demo server"
    url = f"http://127.0.0.1/cds-services/{patient['service']}"
    headers = {"Authorization": f"Bearer {sandbox.jwt(url)}", "Origin": sandbox.ORIGIN}
    actual = _answer(
        cohort_app, patient["service"], sandbox.hook_request(fhir_base, patient["patientId"], prefetched), headers
    )
    assert actual == expected(patient)
