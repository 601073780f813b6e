"""Uncoded orders are of two kinds: an identified drug we do not track (RxNorm-coded amlodipine) and a drug that
could not be identified at all (no RxNorm code and no known ingredient name, or a medicationReference that could
not be resolved). Only the second kind, while the order has not ended (active, on-hold, unknown), is counted as
`medication_requests_unresolved`: it may hide the current treatment line. Every uncoded order still counts in
`medication_requests_uncoded`, the log counter."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest

from fhir_maps import codes, map_patient_data
from fhir_maps.domain import MappingReport
from fhir_maps.medications import Uncoded, map_medication_request
from tests.fhir_maps.builders import concept, medication_request

AMLODIPINE = concept(codes.RXNORM, "17767", "amlodipine")
SNOMED = "http://snomed.info/sct"


@pytest.mark.parametrize(
    ("resource", "unresolved", "uncoded"),
    [
        pytest.param(medication_request(AMLODIPINE, status="completed", authored="2012-01-01"), 0, 1, id="old-amlo"),
        pytest.param(medication_request(AMLODIPINE), 0, 1, id="active-amlodipine-rxnorm-not-ours"),
        pytest.param(medication_request(concept(codes.RXNORM, "1")), 0, 1, id="unknown-rxnorm-code"),
        pytest.param(medication_request(concept(text="Blinded study medication")), 1, 1, id="text-only-active"),
        pytest.param(medication_request(concept(text="Blinded"), status="on-hold"), 1, 1, id="text-only-on-hold"),
        pytest.param(medication_request(concept(text="Blinded"), status="unknown"), 1, 1, id="text-only-unknown"),
        pytest.param(medication_request(concept(text="Blinded"), status="completed"), 0, 1, id="text-only-completed"),
        pytest.param(medication_request(concept(text="Blinded"), status="stopped"), 0, 1, id="text-only-stopped"),
        pytest.param(medication_request(concept(SNOMED, "12345", "Drug X")), 1, 1, id="other-system-only"),
        pytest.param(
            medication_request(
                {"coding": [{"system": SNOMED, "code": "1"}, {"system": codes.RXNORM, "code": "17767"}]}
            ),
            0,
            1,
            id="other-system-with-rxnorm",
        ),
        pytest.param(medication_request(concept(codes.RXNORM, display="Drug X")), 1, 1, id="rxnorm-without-code"),
        pytest.param(medication_request(medicationReference={"reference": "Medication/absent"}), 1, 1, id="ref-absent"),
        pytest.param(medication_request(medicationReference={"reference": "#absent"}), 1, 1, id="contained-absent"),
        pytest.param(medication_request(medicationReference={"display": "tacrolimus"}), 1, 1, id="ref-display-only"),
        pytest.param(medication_request(concept(text="mycophenolate mofetil 500 mg")), 0, 0, id="ours-by-name"),
    ],
)
def test_only_open_orders_for_an_unidentified_drug_are_unresolved(
    resource: dict[str, Any], unresolved: int, uncoded: int
) -> None:
    report = map_patient_data([resource]).report
    assert (report.medication_requests_unresolved, report.medication_requests_uncoded) == (unresolved, uncoded)


def test_uncoded_result_says_whether_the_drug_was_identified_and_the_order_is_open() -> None:
    assert map_medication_request(medication_request(AMLODIPINE), {}) == Uncoded(unresolved=False, open=True)
    blinded = medication_request(concept(text="Blinded"), status="completed")
    assert map_medication_request(blinded, {}) == Uncoded(unresolved=True, open=False)


def test_unresolved_is_the_last_report_field() -> None:
    assert fields(MappingReport)[-1].name == "medication_requests_unresolved"
