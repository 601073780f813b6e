"""`fhir_maps.ownership`: whose record a resource belongs to, as a table (issue 10 §1)."""

from __future__ import annotations

from typing import Any

import pytest

from fhir_maps.ownership import Ownership, ownership

PID = "p-1"


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        pytest.param({"resourceType": "Patient", "id": PID}, Ownership.OWN, id="patient-own"),
        pytest.param({"resourceType": "Patient", "id": "p-2"}, Ownership.FOREIGN, id="patient-other"),
        pytest.param({"resourceType": "Patient"}, Ownership.FOREIGN, id="patient-no-id"),
        pytest.param({"resourceType": "Medication", "id": "m"}, Ownership.NOT_PATIENT_DATA, id="medication"),
        pytest.param({"resourceType": "OperationOutcome"}, Ownership.NOT_PATIENT_DATA, id="outcome"),
        pytest.param({"resourceType": ["Observation"]}, Ownership.NOT_PATIENT_DATA, id="hostile-type"),
        pytest.param({"resourceType": "Observation"}, Ownership.UNATTRIBUTED, id="observation-no-subject"),
        pytest.param(
            {"resourceType": "Condition", "subject": "Patient/p-1"}, Ownership.UNATTRIBUTED, id="string-subject"
        ),
        pytest.param(
            {"resourceType": "Observation", "subject": {"reference": "Patient/p-1"}}, Ownership.OWN, id="relative"
        ),
        pytest.param(
            {"resourceType": "Observation", "subject": {"reference": " Patient/p-1 "}}, Ownership.OWN, id="padded"
        ),
        pytest.param(
            {"resourceType": "Observation", "subject": {"reference": "https://h.example/fhir/Patient/p-1"}},
            Ownership.OWN,
            id="absolute",
        ),
        pytest.param(
            {"resourceType": "Observation", "subject": {"reference": "Patient/p-1/_history/2"}},
            Ownership.OWN,
            id="versioned",
        ),
        pytest.param(
            {"resourceType": "Observation", "subject": {"reference": "Patient/p-10"}},
            Ownership.FOREIGN,
            id="prefix-of-another-id",
        ),
        pytest.param(
            {"resourceType": "Observation", "subject": {"reference": "Patient/p"}}, Ownership.FOREIGN, id="id-prefix"
        ),
        pytest.param(
            {"resourceType": "Observation", "subject": {"reference": "Group/g"}}, Ownership.FOREIGN, id="group"
        ),
        pytest.param(
            {"resourceType": "Observation", "subject": {"identifier": {"value": "mrn"}}},
            Ownership.UNATTRIBUTED,
            id="identifier-only",
        ),
        pytest.param(
            {"resourceType": "Observation", "subject": {"reference": "#pat"}}, Ownership.UNATTRIBUTED, id="contained"
        ),
        pytest.param(
            {"resourceType": "MedicationStatement", "patient": {"reference": "Patient/p-1"}},
            Ownership.OWN,
            id="patient-element",
        ),
        pytest.param(
            {"resourceType": "MedicationAdministration", "subject": {"reference": "Patient/p-2"}},
            Ownership.FOREIGN,
            id="administration-other",
        ),
        pytest.param({"resourceType": "MedicationAdministration"}, Ownership.UNATTRIBUTED, id="administration-none"),
    ],
)
def test_ownership(resource: dict[str, Any], expected: Ownership) -> None:
    assert ownership(resource, PID) is expected
