"""The demo FHIR server does real FHIR search, reads, paging and transactions (Medplum's router, in memory).

These pin the behaviour the service and the CDS Hooks Sandbox rely on, against the running server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests

from demo import fhir_server
from demo.cohort import SYNTHETIC_TAG
from demo.paths import COHORT_DIR
from fhir_maps import codes
from service.fhir_client import FhirClient, FhirStats
from tests.integration.conftest import cohort_settings

pytestmark = pytest.mark.integration

DEMO = "ln-demo-07"  # class IV LN on MMF: 2 Conditions, 6 Observations (2 UPCR, 2 eGFR, 2 RBC), 3 MedicationRequests
UPCR = f"{codes.LOINC}|2890-2"
EGFR = f"{codes.LOINC}|98979-8"


def _get(http: requests.Session, url: str, **params: Any) -> Any:
    reply = http.get(url, params=params, headers={"Accept": "application/fhir+json"}, timeout=30)
    assert reply.headers["Content-Type"].startswith("application/fhir+json")
    return reply.status_code, reply.json()


def _ids(bundle: dict[str, Any]) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", [])]


def test_metadata_is_an_r4_capability_statement_with_search_parameters(fhir_base: str, http: requests.Session) -> None:
    status, body = _get(http, f"{fhir_base}/metadata")
    assert status == 200
    assert body["resourceType"] == "CapabilityStatement"
    assert body["fhirVersion"] == "4.0.1"
    observation = next(r for r in body["rest"][0]["resource"] if r["type"] == "Observation")
    assert {"patient", "code", "date", "status"} <= {p["name"] for p in observation["searchParam"]}


def test_patient_search_and_read(fhir_base: str, http: requests.Session) -> None:
    status, bundle = _get(http, f"{fhir_base}/Patient", _count=100)
    assert status == 200
    assert sorted(_ids(bundle)) == sorted(p.stem for p in COHORT_DIR.glob("*.json"))
    status, patient = _get(http, f"{fhir_base}/Patient/{DEMO}")
    assert status == 200
    assert (patient["resourceType"], patient["id"]) == ("Patient", DEMO)
    assert SYNTHETIC_TAG in patient["meta"]["tag"]


def test_unknown_patient_is_a_404_operation_outcome(fhir_base: str, http: requests.Session) -> None:
    status, body = _get(http, f"{fhir_base}/Patient/no-such-patient")
    assert status == 404
    assert body["resourceType"] == "OperationOutcome"


def test_reference_search_takes_a_bare_id_or_a_reference(fhir_base: str, http: requests.Session) -> None:
    _, bare = _get(http, f"{fhir_base}/Observation", patient=DEMO)
    _, typed = _get(http, f"{fhir_base}/Observation", patient=f"Patient/{DEMO}")
    _, subject = _get(http, f"{fhir_base}/Observation", subject=f"Patient/{DEMO}")
    assert bare["total"] == typed["total"] == subject["total"] == 6
    assert sorted(_ids(bare)) == sorted(_ids(typed)) == sorted(_ids(subject))
    assert all(e["resource"]["subject"]["reference"] == f"Patient/{DEMO}" for e in bare["entry"])


def test_token_search_matches_system_and_code_with_comma_or(fhir_base: str, http: requests.Session) -> None:
    _, upcr = _get(http, f"{fhir_base}/Observation", patient=DEMO, code=UPCR)
    _, either = _get(http, f"{fhir_base}/Observation", patient=DEMO, code=f"{UPCR},{EGFR}")
    _, wrong_system = _get(http, f"{fhir_base}/Observation", patient=DEMO, code=f"{codes.SNOMED}|2890-2")
    assert upcr["total"] == 2
    assert either["total"] == 4
    assert wrong_system["total"] == 0


def test_status_search(fhir_base: str, http: requests.Session) -> None:
    _, completed = _get(http, f"{fhir_base}/MedicationRequest", patient="ln-fx-25m", status="completed")
    _, both = _get(http, f"{fhir_base}/MedicationRequest", patient="ln-fx-25m", status="active,completed")
    _, eie = _get(http, f"{fhir_base}/Observation", patient="ln-fx-eie", status="entered-in-error")
    _, not_final = _get(http, f"{fhir_base}/Observation", patient="ln-fx-eie", **{"status:not": "final"})
    assert [e["resource"]["medicationCodeableConcept"]["coding"][0]["display"] for e in completed["entry"]] == [
        "cyclophosphamide 1000 MG Injection"
    ]
    assert both["total"] == 4
    assert eie["total"] == 1
    assert _ids(not_final) == _ids(eie)


def test_medication_administration_search_by_patient(fhir_base: str, http: requests.Session) -> None:
    """The LN service's administrations key (issue 10): pulses charted only as given doses are found by patient."""
    _, given = _get(http, f"{fhir_base}/MedicationAdministration", patient="ln-lines-cyc-nih-admin", _count="200")
    _, nobody = _get(http, f"{fhir_base}/MedicationAdministration", patient=DEMO)
    assert given["total"] == 6
    assert {e["resource"]["status"] for e in given["entry"]} == {"completed"}
    assert nobody["total"] == 0


def test_sort_by_date_descending_and_date_prefixes(fhir_base: str, http: requests.Session) -> None:
    _, newest_first = _get(http, f"{fhir_base}/Observation", patient=DEMO, _sort="-date")
    dates = [e["resource"]["effectiveDateTime"] for e in newest_first["entry"]]
    assert dates == sorted(dates, reverse=True)
    assert dates[0] > dates[-1]
    _, recent = _get(http, f"{fhir_base}/Observation", patient=DEMO, date="ge2026-06-01")
    assert recent["total"] == 3


def test_paging_follows_next_links_to_the_whole_result(fhir_base: str, http: requests.Session) -> None:
    _, whole = _get(http, f"{fhir_base}/Observation", patient=DEMO, _sort="-date")
    _, page = _get(http, f"{fhir_base}/Observation", patient=DEMO, _sort="-date", _count=4)
    seen = _ids(page)
    assert len(seen) == 4
    assert page["total"] == 6
    pages = 1
    while (url := next((link["url"] for link in page["link"] if link["relation"] == "next"), None)) is not None:
        _, page = _get(http, url)
        seen += _ids(page)
        pages += 1
    assert pages == 2
    assert seen == _ids(whole)


def test_the_services_fhir_client_pages_through_the_server(fhir_base: str, manifest: dict[str, Any]) -> None:
    with requests.Session() as session:
        access = FhirClient(cohort_settings(manifest), session).connect(fhir_base, None, stats := FhirStats())
        resources = access.search(f"Observation?patient={DEMO}&_sort=-date&_count=2")
    assert len(resources) == 6
    assert stats.calls == 3


def test_post_search_with_form_parameters_equals_get(fhir_base: str, http: requests.Session) -> None:
    query = {"patient": DEMO, "code": f"{UPCR},{EGFR}", "_sort": "-date"}
    _, by_get = _get(http, f"{fhir_base}/Observation", **query)
    reply = http.post(f"{fhir_base}/Observation/_search", data=query, timeout=30)
    assert reply.status_code == 200
    assert _ids(reply.json()) == _ids(by_get)


def test_unknown_search_parameter_is_a_400_not_an_empty_result(fhir_base: str, http: requests.Session) -> None:
    status, body = _get(http, f"{fhir_base}/Condition", patient=DEMO, cod="55464009")
    assert status == 400
    assert body["resourceType"] == "OperationOutcome"


def test_unsupported_modifier_is_a_400_not_an_empty_result(fhir_base: str, http: requests.Session) -> None:
    status, body = _get(http, f"{fhir_base}/Observation", patient=DEMO, **{"code:in": "http://example.org/vs"})
    assert status == 400
    assert body["resourceType"] == "OperationOutcome"


def test_summary_count_gives_the_total_only(fhir_base: str, http: requests.Session) -> None:
    _, body = _get(http, f"{fhir_base}/Observation", patient=DEMO, _summary="count")
    assert body["total"] == 6
    assert "entry" not in body


def test_cors_for_browser_clients(fhir_base: str, http: requests.Session) -> None:
    preflight = http.options(
        f"{fhir_base}/Patient/{DEMO}",
        headers={
            "Origin": "https://sandbox.cds-hooks.org",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
            "Access-Control-Request-Private-Network": "true",
        },
        timeout=30,
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert preflight.headers["Access-Control-Allow-Private-Network"] == "true"
    read = http.get(f"{fhir_base}/Patient/{DEMO}", headers={"Origin": "https://sandbox.cds-hooks.org"}, timeout=30)
    assert read.headers["Access-Control-Allow-Origin"] == "*"


def test_requests_for_another_host_name_are_refused(fhir_base: str, http: requests.Session) -> None:
    reply = http.get(f"{fhir_base}/Patient/{DEMO}", headers={"Host": "attacker.example"}, timeout=30)
    assert reply.status_code == 421


def test_loading_the_cohort_again_changes_nothing(fhir_base: str, http: requests.Session) -> None:
    _, before = _get(http, f"{fhir_base}/Observation", patient=DEMO)
    stored = fhir_server.load(fhir_base, [Path(COHORT_DIR / f"{DEMO}.json")], http)
    _, after = _get(http, f"{fhir_base}/Observation", patient=DEMO)
    assert stored == 12
    assert sorted(_ids(after)) == sorted(_ids(before))
