"""The benchmark's hook requests, generated (synthetic data only): what `make bench` sends, kept with the code.

- payload A: an adult without lupus nephritis, 3 years of monthly creatinine and eGFR, 5 Conditions that are in
  none of the service's value sets (an EHR may send more than the coded search asked for): the common chart open.
- payload B: a lupus nephritis patient with a 3-year history: monthly UPCR, creatinine and eGFR, quarterly urine
  sediment, ~20 MedicationRequests and 8 Conditions.
- scale(n): payload B's patient with `n` Observations in all (spread over the three lab keys, one every few days).
- fetch path: payload B with prefetch omitted; `fhir_routes` says what the loopback FHIR server answers per query.

All ids are synthetic ("bench-..."), built with the same builders as the golden fixtures (stories.fhir), so the
codes can never drift from what the service recognises.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from fhir_maps import codes
from fhir_maps.domain import LnClass
from stories.fhir import condition, medication_request, observation, patient, searchset

Resource = dict[str, Any]

TODAY = date(2026, 6, 15)  # pinned, as CDS_TODAY for the server, so a run is reproducible
SERVICE = "lupus-nephritis-response"

# Conditions outside every value set of the service: hypertension, type 2 diabetes, asthma, hyperlipidaemia, GERD.
_UNRELATED = (
    ("38341003", "Hypertensive disorder"),
    ("44054006", "Diabetes mellitus type 2"),
    ("195967001", "Asthma"),
    ("55822004", "Hyperlipidemia"),
    ("235595009", "Gastroesophageal reflux disease"),
)


def _unrelated_condition(pid: str, index: int) -> Resource:
    code, display = _UNRELATED[index % len(_UNRELATED)]
    return {
        "resourceType": "Condition",
        "id": f"{pid}-u{index}",
        "clinicalStatus": {"coding": [{"system": codes.CONDITION_CLINICAL, "code": "active"}]},
        "verificationStatus": {"coding": [{"system": codes.CONDITION_VER_STATUS, "code": "confirmed"}]},
        "code": {"coding": [{"system": codes.SNOMED, "code": code, "display": display}]},
        "subject": {"reference": f"Patient/{pid}"},
        "onsetDateTime": (TODAY - timedelta(days=2000 + 97 * index)).isoformat(),
    }


def _days(count: int, span_days: int) -> Iterator[date]:
    """`count` dates spread evenly over the last `span_days` days, oldest first."""
    step = span_days / max(count, 1)
    for i in range(count):
        yield TODAY - timedelta(days=round(span_days - i * step))


def _kidney_function(pid: str, months: int, high_creatinine: bool = False) -> list[Resource]:
    out: list[Resource] = []
    for i, day in enumerate(_days(months, months * 30)):
        creatinine = 1.4 if high_creatinine else 0.8 + (i % 3) * 0.05
        out.append(observation(pid, f"{pid}-cr{i}", codes.CREATININE_MASS, creatinine, "mg/dL", day))
        out.append(observation(pid, f"{pid}-gfr{i}", codes.EGFR_CKD_EPI_2021, 95 - i % 4, "mL/min/{1.73_m2}", day))
    return out


def _request(pid: str, prefetch: dict[str, Any] | None, fhir_server: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hookInstance": str(uuid.uuid5(uuid.NAMESPACE_URL, f"ln-cds-bench:{pid}")),
        "hook": "patient-view",
        "context": {"userId": "Practitioner/bench-clinician", "patientId": pid},
    }
    if fhir_server is not None:
        body["fhirServer"] = fhir_server
    if prefetch is not None:
        body["prefetch"] = prefetch
    return body


def payload_a() -> dict[str, Any]:
    """The common chart open: no lupus nephritis, 3 years of creatinine/eGFR, 5 unrelated Conditions (78 resources)."""
    pid = "bench-no-ln"
    return _request(
        pid,
        {
            "patient": patient(pid, birth="1971-05-20", gender="male"),
            "conditions": searchset([_unrelated_condition(pid, i) for i in range(5)]),
            "proteinuria": searchset([]),
            "kidneyFunction": searchset(_kidney_function(pid, 36)),
            "sediment": searchset([]),
            "medications": searchset([]),
            "administrations": searchset([]),
            "pregnancy": searchset([]),  # the pregnancy and infection searches (own keys since issue 10)
            "infections": searchset([]),
        },
    )


def _ln_conditions(pid: str) -> list[Resource]:
    start = TODAY - timedelta(days=3 * 365)
    ln = [
        condition(pid, f"{pid}-sle", codes.SLE_DISORDER, start - timedelta(days=400)),
        condition(pid, f"{pid}-ln", codes.LN_CLASS_SNOMED[LnClass.IV], start),
    ]
    return ln + [_unrelated_condition(pid, i) for i in range(6)]  # 8 Conditions


def _medications(pid: str) -> list[Resource]:
    """~20 MedicationRequests: MMF, prednisone tapers and hydroxychloroquine renewed over 3 years."""
    out: list[Resource] = []
    start = TODAY - timedelta(days=3 * 365)
    for i in range(8):  # MMF renewed every ~4.5 months
        begin = start + timedelta(days=137 * i)
        status = "active" if i == 7 else "completed"
        out.append(
            medication_request(
                pid, f"{pid}-mmf{i}", "200060", "mycophenolate mofetil 500 MG Oral Tablet", begin,
                begin + timedelta(days=136) if i < 7 else None, status=status, dose=(3, "tablet"), per_day=2,
            )
        )  # fmt: skip
    for i in range(8):  # prednisone taper steps
        begin = start + timedelta(days=60 * i)
        out.append(
            medication_request(
                pid, f"{pid}-pred{i}", "312617", "prednisone 5 MG Oral Tablet", begin, begin + timedelta(days=59),
                status="completed", dose=(max(1, 8 - i), "tablet"), per_day=1,
            )
        )  # fmt: skip
    for i in range(4):  # hydroxychloroquine, by ingredient
        begin = start + timedelta(days=270 * i)
        out.append(
            medication_request(
                pid, f"{pid}-hcq{i}", "5521", "hydroxychloroquine", begin, None if i == 3 else begin + timedelta(269),
                status="active" if i == 3 else "completed",
            )
        )  # fmt: skip
    return out


def _ln_prefetch(pid: str, observations: int | None = None) -> dict[str, Any]:
    """Payload B's prefetch; `observations` overrides the number of lab results (spread over the three keys)."""
    if observations is None:
        months = 36
        proteinuria = [
            observation(pid, f"{pid}-upcr{i}", codes.UPCR_SPOT_MASS, round(3.2 - i * 0.06, 2), "g/g", day)
            for i, day in enumerate(_days(months, months * 30))
        ]
        kidney = _kidney_function(pid, months)
        sediment = [
            observation(pid, f"{pid}-rbc{i}", codes.URINE_RBC_HPF, 25 - i, "/[HPF]", day)
            for i, day in enumerate(_days(12, months * 30))
        ]
    else:
        third = max(observations // 3, 1)
        span = 3 * 365  # the same 3 years as payload B, denser as n grows (each result inside the line under review)
        proteinuria = [
            observation(pid, f"{pid}-upcr{i}", codes.UPCR_SPOT_MASS, round(3.2 - (i % 40) * 0.06, 2), "g/g", day)
            for i, day in enumerate(_days(third, span))
        ]
        kidney = _kidney_function_n(pid, third, span)
        rest = observations - len(proteinuria) - len(kidney)
        sediment = [
            observation(pid, f"{pid}-rbc{i}", codes.URINE_RBC_HPF, 25 - i % 20, "/[HPF]", day)
            for i, day in enumerate(_days(rest, span))
        ]
    return {
        "patient": patient(pid),
        "conditions": searchset(_ln_conditions(pid)),
        "proteinuria": searchset(proteinuria),
        "kidneyFunction": searchset(kidney),
        "sediment": searchset(sediment),
        "medications": searchset(_medications(pid)),
        "administrations": searchset([]),
        "pregnancy": searchset([]),  # the pregnancy and infection searches (own keys since issue 10)
        "infections": searchset([]),
    }


def _kidney_function_n(pid: str, count: int, span: int) -> list[Resource]:
    out: list[Resource] = []
    for i, day in enumerate(_days(count // 2 or 1, span)):
        out.append(observation(pid, f"{pid}-cr{i}", codes.CREATININE_MASS, 0.8 + (i % 3) * 0.05, "mg/dL", day))
        out.append(observation(pid, f"{pid}-gfr{i}", codes.EGFR_CKD_EPI_2021, 95 - i % 4, "mL/min/{1.73_m2}", day))
    return out


def payload_b() -> dict[str, Any]:
    """An LN patient's 3-year history (monthly UPCR, creatinine, eGFR; sediment; 20 orders; 8 Conditions)."""
    return _request("bench-ln", _ln_prefetch("bench-ln"))


def scale(observations: int) -> dict[str, Any]:
    """Payload B's patient with `observations` lab results in all."""
    pid = f"bench-ln-{observations}"
    return _request(pid, _ln_prefetch(pid, observations))


def fetch_path(fhir_base: str) -> dict[str, Any]:
    """Payload B with prefetch omitted: every key is fetched from `fhir_base`."""
    return _request("bench-ln", None, fhir_server=fhir_base)


def fhir_routes() -> dict[tuple[str, str | None], Resource]:
    """What the FHIR server answers: (resource path, first code of the `code` parameter or None) -> body."""
    prefetch = _ln_prefetch("bench-ln")
    routes: dict[tuple[str, str | None], Resource] = {("Patient/bench-ln", None): prefetch["patient"]}
    for key, kind in (("conditions", "Condition"), ("medications", "MedicationRequest")):
        routes[(kind, None)] = prefetch[key]
    routes[("MedicationAdministration", None)] = prefetch["administrations"]
    for key, code in (
        ("proteinuria", codes.UPCR_SPOT_MASS),
        ("kidneyFunction", codes.CREATININE_MASS),
        ("sediment", codes.URINE_RBC_HPF),
    ):
        routes[("Observation", code)] = prefetch[key]
    return routes


def resources_of(body: dict[str, Any]) -> list[Resource]:
    """Every resource of a request's prefetch (Bundles opened): what the in-process floor validates."""
    out: list[Resource] = []
    for value in (body.get("prefetch") or {}).values():
        if value is None:
            continue
        if value.get("resourceType") == "Bundle":
            out.extend(entry["resource"] for entry in value.get("entry", []))
        else:
            out.append(value)
    return out
