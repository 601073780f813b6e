"""Small synthetic FHIR R4 JSON snippets for the fhir_maps tests.

Codes come from the value sets in fhir_maps.codes and the product table (looked up by RxNorm name), so a test
never carries a code the service does not itself recognise. Every snippet is the minimum a valid resource needs.
"""

from __future__ import annotations

from typing import Any

from fhir_maps import codes
from fhir_maps.codes import ValueSet
from fhir_maps.domain import LnClass
from fhir_maps.products import products

Json = dict[str, Any]


def a_code(value_set: ValueSet, *, but_not: ValueSet | None = None) -> tuple[str, str]:
    """Returns one (system, code) of `value_set` (the smallest, for determinism), optionally outside `but_not`."""
    excluded = but_not or {}
    return min(
        (system, code)
        for system, members in value_set.items()
        for code in members
        if code not in excluded.get(system, frozenset())
    )


def class_code(ln_class: LnClass) -> str:
    """Returns the SNOMED code of an LN class."""
    return next(code for code, value in codes.LN_CLASS_CODES.items() if value is ln_class)


def rxcui(display: str) -> str:
    """Returns the RxCUI of the product table row with exactly this RxNorm name."""
    return next(p.rxcui for p in products().values() if p.display == display)


def concept(
    system: str | None = None, code: str | None = None, display: str | None = None, text: str | None = None
) -> Json:
    """Returns a CodeableConcept with at most one coding."""
    out: Json = {}
    coding = {k: v for k, v in (("system", system), ("code", code), ("display", display)) if v is not None}
    if coding:
        out["coding"] = [coding]
    if text is not None:
        out["text"] = text
    return out


def quantity(value: Any, unit: str | None = None, *, ucum: str | None = None, system: str | None = None) -> Json:
    """Returns a Quantity; `ucum` sets code and the UCUM system unless `system` says otherwise."""
    out: Json = {"value": value}
    if unit is not None:
        out["unit"] = unit
    if ucum is not None:
        out["code"] = ucum
        out["system"] = system or codes.UCUM
    return out


def observation(
    value_set: ValueSet = codes.UPCR,
    *,
    value: Any = 1.2,
    unit: str | None = None,
    ucum: str | None = "g/g",
    status: str = "final",
    when: str | None = "2024-05-01T09:30:00Z",
    code: tuple[str, str] | None = None,
    **extra: Any,
) -> Json:
    """Returns an Observation of the first code of `value_set` with a valueQuantity (set value=None for none)."""
    system, code_value = code or a_code(value_set)
    out: Json = {"resourceType": "Observation", "status": status, "code": concept(system, code_value)}
    if when is not None:
        out["effectiveDateTime"] = when
    if value is not None:
        out["valueQuantity"] = quantity(value, unit, ucum=ucum)
    out.update(extra)
    return out


def condition(system: str, code: str, **extra: Any) -> Json:
    """Returns a Condition coded (system, code) for Patient/p1."""
    return {"resourceType": "Condition", "subject": {"reference": "Patient/p1"}, "code": concept(system, code), **extra}


def dosage(
    value: Any = None,
    unit: str | None = None,
    *,
    frequency: int | None = 2,
    period: Any = 1,
    period_unit: str | None = "d",
    bounds: Json | None = None,
) -> Json:
    """Returns a Dosage with a repeat timing and (when value is given) one doseQuantity."""
    repeat: Json = {
        k: v for k, v in (("frequency", frequency), ("period", period), ("periodUnit", period_unit)) if v is not None
    }
    if bounds is not None:
        repeat["boundsPeriod"] = bounds
    out: Json = {"timing": {"repeat": repeat}}
    if value is not None:
        out["doseAndRate"] = [{"doseQuantity": quantity(value, unit)}]
    return out


def medication_request(
    drug: Json | None = None,
    *,
    status: str = "active",
    authored: str | None = "2024-01-10",
    dosage_instruction: Json | None = None,
    validity_end: str | None = None,
    **extra: Any,
) -> Json:
    """Returns a MedicationRequest for Patient/p1 with `drug` as medicationCodeableConcept (when given)."""
    out: Json = {
        "resourceType": "MedicationRequest",
        "status": status,
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
    }
    if drug is not None:
        out["medicationCodeableConcept"] = drug
    if authored is not None:
        out["authoredOn"] = authored
    if dosage_instruction is not None:
        out["dosageInstruction"] = [dosage_instruction]
    if validity_end is not None:
        out["dispenseRequest"] = {"validityPeriod": {"start": authored, "end": validity_end}}
    out.update(extra)
    return out


def product(display: str) -> Json:
    """Returns a medicationCodeableConcept coded with the RxNorm product of this exact name."""
    return concept(codes.RXNORM, rxcui(display), display)


def patient(**extra: Any) -> Json:
    """Returns a Patient p1."""
    return {"resourceType": "Patient", "id": "p1", **extra}
