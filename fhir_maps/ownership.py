"""Whose record a resource belongs to: only resources of the patient in `context.patientId` may reach the rules.

A FHIR server may ignore the `patient` search parameter, and an EHR may prefetch from the wrong chart; either way a
resource of another patient must never change a card (issue 10 §1). This module decides, from the resource alone,
whether it is provably this patient's:

- `Patient`: its `id` must equal the patient id; any other id is another patient's (refused).
- Resources with a patient reference (`subject`, else `patient`): the reference must name `Patient/<id>`, relative
  or absolute (`https://fhir.example.org/r4/Patient/<id>`, with or without `/_history/<v>`). A reference to
  another patient, or to a non-Patient subject (a `Group`, a `Device`), is FOREIGN.
- A reference we cannot resolve to a patient id (missing `subject`, a `#contained` or `urn:uuid:` reference, an
  identifier-only reference): UNATTRIBUTED. It is not provably this patient's, so it is dropped like a foreign one
  (an Observation with no subject could be anybody's).
- Resources that are not about a patient at all (`Medication`, `OperationOutcome`, ...): NOT_PATIENT_DATA, kept.

Absolute references are accepted on any base: a prefetch may carry no `fhirServer`, and EHRs write their own base
into references. The id is what identifies the patient within the request.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

__all__ = ["PATIENT_DATA_TYPES", "Ownership", "ownership"]


class Ownership(StrEnum):
    OWN = "own"  # provably this patient's
    FOREIGN = "foreign"  # provably another patient's (or about a non-patient subject)
    UNATTRIBUTED = "unattributed"  # patient data whose patient cannot be read: not provably this patient's
    NOT_PATIENT_DATA = "not-patient-data"  # a resource about no patient (Medication): kept


# Patient-compartment resource types that carry clinical data about one patient (FHIR R4 CompartmentDefinition
# "patient"). Every one of them must name its patient; any other type with a `subject` or `patient` element is
# checked too.
PATIENT_DATA_TYPES = frozenset(
    {
        "AllergyIntolerance",
        "Condition",
        "DiagnosticReport",
        "Encounter",
        "Immunization",
        "MedicationAdministration",
        "MedicationDispense",
        "MedicationRequest",
        "MedicationStatement",
        "Observation",
        "Procedure",
        "ServiceRequest",
    }
)
_REFERENCE_ELEMENTS = ("subject", "patient")
# "[base/]Type/id[/_history/version]": the last Type/id pair of a literal reference (FHIR R4 References 2.3.0.1).
_LITERAL = re.compile(r"(?:^|/)(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})(?:/_history/[^/]+)?$")


def _referenced(element: object) -> tuple[str, str] | None:
    """Returns (type, id) of a literal reference, or None when it names no resource we can read."""
    if not isinstance(element, Mapping):
        return None
    reference = element.get("reference")
    if not isinstance(reference, str) or reference.startswith(("#", "urn:")):
        return None
    match = _LITERAL.search(reference.strip())
    return (match["type"], match["id"]) if match else None


def ownership(resource: Mapping[str, Any], patient_id: str) -> Ownership:
    """Returns whose record `resource` belongs to, judged against the request's patient id."""
    kind = resource.get("resourceType")
    if not isinstance(kind, str):
        return Ownership.NOT_PATIENT_DATA  # hostile input: no type we read (the mapper ignores it too)
    if kind == "Patient":
        return Ownership.OWN if resource.get("id") == patient_id else Ownership.FOREIGN
    present = [resource[e] for e in _REFERENCE_ELEMENTS if e in resource]
    if not present and kind not in PATIENT_DATA_TYPES:
        return Ownership.NOT_PATIENT_DATA
    for element in present:
        target = _referenced(element)
        if target is None:
            continue
        if target == ("Patient", patient_id):
            return Ownership.OWN
        return Ownership.FOREIGN
    return Ownership.UNATTRIBUTED
