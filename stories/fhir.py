"""Small builders for synthetic FHIR R4 resources used by the golden fixtures and the demo.

All data are synthetic: ids like "ln-demo-07", no names, no real identifiers. Codes come from the project's value
sets (fhir_maps.codes) so a fixture can never drift from what the service recognises.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fhir_maps import codes
from fhir_maps.domain import LnClass
from fhir_maps.lab_concepts import LAB_CONCEPT_ROWS

# the response model's month: one definition
from hooks.lupus_nephritis_response.rules.clinical_response import DAYS_PER_MONTH

Resource = dict[str, Any]

# Displays as LOINC and SNOMED CT state them, for the codes the stories use (each named in fhir_maps.codes).
LOINC_DISPLAY = {
    codes.UPCR_SPOT_MASS: "Protein/Creatinine [Mass Ratio] in Urine",
    codes.UPCR_SPOT_SI: "Protein/Creatinine [Ratio] in Urine",
    codes.PROTEIN_24H_MASS_RATE: "Protein [Mass/time] in 24 hour Urine",
    codes.CREATININE_MASS: "Creatinine [Mass/volume] in Serum or Plasma",
    codes.CREATININE_MOLES: "Creatinine [Moles/volume] in Serum or Plasma",
    codes.EGFR_CKD_EPI_2021: "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or "
    "Blood by Creatinine-based formula (CKD-EPI 2021)",
    codes.URINE_RBC_HPF: "Erythrocytes [#/area] in Urine sediment by Microscopy high power field",
    codes.RBC_CASTS_LPF: "RBC casts [#/area] in Urine sediment by Microscopy low power field",
}
SNOMED_DISPLAY = {
    codes.SLE_DISORDER: "Systemic lupus erythematosus",
    codes.LN_DISORDER: "Systemic lupus erythematosus glomerulonephritis syndrome",
    codes.LN_CLASS_SNOMED[LnClass.III]: "Systemic lupus erythematosus glomerulonephritis syndrome, World Health "
    "Organization class III",
    codes.LN_CLASS_SNOMED[LnClass.IV]: "Systemic lupus erythematosus glomerulonephritis syndrome, World Health "
    "Organization class IV",
    codes.LN_CLASS_SNOMED[LnClass.V]: "Systemic lupus erythematosus glomerulonephritis syndrome, World Health "
    "Organization class V",
    codes.APS_DISORDER: "Antiphospholipid syndrome",
    codes.TMA_DISORDER: "Thrombotic microangiopathy",
    codes.PREGNANCY_FINDING: "Pregnancy",
    codes.SEPSIS_DISORDER: "Sepsis",
}


def months_before(today: date, months: float) -> date:
    """Returns the date `months` (mean months) before `today`."""
    return today - timedelta(days=round(months * float(DAYS_PER_MONTH)))  # 30.4375 is exact in binary


def patient(pid: str, birth: str = "1994-03-02", gender: str = "female") -> Resource:
    """Returns a synthetic Patient (no name, no identifier)."""
    return {"resourceType": "Patient", "id": pid, "birthDate": birth, "gender": gender}


def condition(
    pid: str, rid: str, snomed: str, onset: date, clinical: str = "active", verification: str = "confirmed"
) -> Resource:
    """Returns a Condition coded in SNOMED CT."""
    if not any(codes.in_value_set(vs, codes.SNOMED, snomed) for vs in codes.CONDITION_VALUE_SETS.values()):
        raise ValueError(f"SNOMED {snomed} is in none of the service's condition value sets")
    return {
        "resourceType": "Condition",
        "id": rid,
        "clinicalStatus": {"coding": [{"system": codes.CONDITION_CLINICAL, "code": clinical}]},
        "verificationStatus": {"coding": [{"system": codes.CONDITION_VER_STATUS, "code": verification}]},
        "code": {"coding": [{"system": codes.SNOMED, "code": snomed, "display": SNOMED_DISPLAY[snomed]}]},
        "subject": {"reference": f"Patient/{pid}"},
        "onsetDateTime": onset.isoformat(),
    }


def observation(
    pid: str,
    rid: str,
    loinc: str,
    value: float,
    unit: str,
    when: date,
    status: str = "final",
    interpretation: str | None = None,
    comparator: str | None = None,
) -> Resource:
    """Returns a numeric laboratory Observation with a UCUM quantity (censored when `comparator` is given)."""
    if not any(codes.in_value_set(vs, codes.LOINC, loinc) for vs in (row.value_set for row in LAB_CONCEPT_ROWS)):
        raise ValueError(f"LOINC {loinc} is in none of the service's lab value sets")
    obs: Resource = {
        "resourceType": "Observation",
        "id": rid,
        "status": status,
        "category": [
            {
                "coding": [
                    {
                        "system": codes.OBS_CATEGORY,
                        "code": "laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": codes.LOINC, "code": loinc, "display": LOINC_DISPLAY[loinc]}]},
        "subject": {"reference": f"Patient/{pid}"},
        "effectiveDateTime": f"{when.isoformat()}T08:30:00Z",
        "valueQuantity": {"value": value, "unit": unit, "system": codes.UCUM, "code": unit},
    }
    if comparator:
        obs["valueQuantity"]["comparator"] = comparator
    if interpretation:
        obs["interpretation"] = [{"coding": [{"system": codes.OBS_INTERPRETATION, "code": interpretation}]}]
    return obs


def medication_request(
    pid: str,
    rid: str,
    rxcui: str,
    display: str,
    start: date,
    end: date | None = None,
    status: str = "active",
    dose: tuple[float, str] | None = None,
    per_day: int | None = None,
) -> Resource:
    """Returns a MedicationRequest coded with an RxNorm product or ingredient code."""
    dosage: Resource = {"timing": {"repeat": {"boundsPeriod": {"start": start.isoformat()}}}}
    if end:
        dosage["timing"]["repeat"]["boundsPeriod"]["end"] = end.isoformat()
    if dose and per_day:
        dosage["timing"]["repeat"].update({"frequency": per_day, "period": 1, "periodUnit": "d"})
        value, unit = dose
        quantity: Resource = {"value": value, "unit": unit}
        if unit in ("mg", "g"):
            quantity.update({"system": codes.UCUM, "code": unit})
        dosage["doseAndRate"] = [{"doseQuantity": quantity}]
    return {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": codes.RXNORM, "code": rxcui, "display": display}]},
        "subject": {"reference": f"Patient/{pid}"},
        "authoredOn": start.isoformat(),
        "dosageInstruction": [dosage],
    }


def searchset(resources: list[Resource]) -> Resource:
    """Returns a searchset Bundle holding `resources`."""
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [
            {
                "fullUrl": f"urn:uuid:{r['resourceType'].lower()}-{r['id']}",
                "resource": r,
                "search": {"mode": "match"},
            }
            for r in resources
        ],
    }
