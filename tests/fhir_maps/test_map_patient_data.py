from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from fhir_maps import codes, map_conditions_only, map_patient_data
from fhir_maps.domain import (
    Agent,
    ConditionKind,
    Demographics,
    LabConcept,
    LnClass,
    MappingReport,
    MatchedBy,
    Sex,
)
from tests.fhir_maps.builders import (
    a_code,
    class_code,
    concept,
    condition,
    dosage,
    medication_request,
    observation,
    patient,
    product,
)

MMF = "mycophenolate mofetil 500 MG Oral Tablet"


def ln_class_iv() -> dict[str, Any]:
    return condition(codes.SNOMED, class_code(LnClass.IV), onsetDateTime="2023-03-01")


def searchset(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


def chart() -> list[dict[str, Any]]:
    """One patient with LN class IV on MMF, with one of each thing mapping must leave out."""
    return [
        patient(gender="female", birthDate="1990-02-03"),
        ln_class_iv(),
        condition(*a_code(codes.SLE), verificationStatus=concept(codes.CONDITION_VER_STATUS, "refuted")),
        condition(*a_code(codes.TMA), clinicalStatus="active"),  # invalid: counted
        observation(value=2.1, when="2024-05-01"),
        observation(value=3.5, when="2024-01-01", status="preliminary"),
        observation(value=1.0, status="entered-in-error"),
        observation(codes.CREATININE, value=1.0, ucum="mmol/L"),  # unknown unit: counted
        observation(codes.CELLULAR_CASTS, value=None, valueString="few"),  # unreadable string: counted (issue 10)
        observation(codes.URINE_RBC, value=None),  # no value: counted
        observation(when=None),  # no time: counted
        observation(code=(codes.LOINC, "0000-0")),  # not ours: ignored, not counted
        medication_request(product(MMF), dosage_instruction=dosage(2, "tablet"), authored="2023-03-10"),
        medication_request(concept(text="Tylenol")),  # uncoded and unresolved: counted
        medication_request(product(MMF), status="entered-in-error"),  # excluded: counted
        medication_request(product(MMF), authored=None),  # undated: counted
        medication_request(product(MMF), authored="yesterday"),  # invalid: counted
        {"resourceType": "AllergyIntolerance", "id": "a1"},  # other types: ignored
    ]


def test_chart_is_mapped_into_every_part_of_patient_data() -> None:
    data = map_patient_data(chart())
    assert data.demographics == Demographics(date(1990, 2, 3), Sex.FEMALE)
    assert [(d.kind, d.ln_class) for d in data.diagnoses] == [(ConditionKind.LUPUS_NEPHRITIS, LnClass.IV)]
    upcr = data.series(LabConcept.UPCR).results
    assert [r.value for r in upcr] == [Decimal("3.5"), Decimal("2.1")]  # sorted by time
    assert [r.decides for r in upcr] == [False, True]
    (order,) = data.orders
    assert (order.agent, order.matched_by, order.daily_dose_mg) == (
        Agent.MYCOPHENOLATE_MOFETIL,
        MatchedBy.PRODUCT_CODE,
        2000,
    )
    (episode,) = data.episodes
    assert (episode.start, episode.end, episode.daily_dose_mg) == (date(2023, 3, 10), None, 2000)


def test_report_counts_what_was_left_out_and_nothing_else() -> None:
    assert map_patient_data(chart()).report == MappingReport(
        resources_parsed=14,
        resources_invalid=2,
        observations_excluded_status=1,
        observations_unknown_unit=1,
        observations_no_value=1,
        observations_unreadable=1,
        observations_no_time=1,
        unknown_unit_concepts=(LabConcept.CREATININE,),
        medication_requests_uncoded=1,
        medication_requests_excluded_status=1,
        medication_requests_undated=1,
        medication_requests_unresolved=1,  # "Tylenol", active: no RxNorm code, no known ingredient name
    )


def test_unknown_unit_concepts_are_listed_once_each_in_concept_order() -> None:
    resources = [
        observation(codes.EGFR, value=50, ucum="mL/s"),
        observation(value=1, ucum="mg/dL"),
        observation(codes.EGFR, value=50, ucum="mL/min"),
    ]
    report = map_patient_data(resources).report
    assert report.unknown_unit_concepts == (LabConcept.UPCR, LabConcept.EGFR)
    assert report.observations_unknown_unit == 3


def test_searchset_bundle_is_flattened() -> None:
    flat = map_patient_data(chart())
    bundled = map_patient_data([searchset(*chart()[:8]), *chart()[8:]])
    assert bundled == flat


def test_bundle_without_entries_and_non_resources_are_tolerated() -> None:
    data = map_patient_data([{"resourceType": "Bundle", "type": "searchset"}, "not a resource", ln_class_iv()])  # type: ignore[list-item]
    assert len(data.diagnoses) == 1


def test_medication_resource_referenced_by_a_request_is_used_and_counted() -> None:
    medication = {"resourceType": "Medication", "id": "m9", "code": product(MMF)}
    request = medication_request(medicationReference={"reference": "Medication/m9"})
    data = map_patient_data([request, medication])
    assert [o.agent for o in data.orders] == [Agent.MYCOPHENOLATE_MOFETIL]
    assert data.report.resources_parsed == 2


def test_invalid_medication_resource_is_counted_invalid() -> None:
    data = map_patient_data([{"resourceType": "Medication", "id": "m9", "code": "mmf"}])
    assert data.report.resources_invalid == 1


def test_ophthalmic_cyclosporine_is_an_order_but_never_an_episode() -> None:
    restasis = product("cyclosporine 0.5 MG/ML Ophthalmic Suspension [Restasis]")
    data = map_patient_data([medication_request(restasis)])
    assert [o.route_systemic for o in data.orders] == [False]
    assert data.episodes == ()


def test_conditions_only_path_reads_patient_and_conditions_and_nothing_else() -> None:
    data = map_conditions_only(chart())
    assert data.has(ConditionKind.LUPUS_NEPHRITIS)
    assert data.demographics.sex is Sex.FEMALE
    assert (data.labs, data.orders, data.episodes) == ({}, (), ())
    # Only Patient + 3 Conditions were looked at: the invalid MedicationRequest was never validated.
    assert (data.report.resources_parsed, data.report.resources_invalid) == (3, 1)


def test_conditions_only_path_gives_no_lupus_nephritis_for_sle_alone() -> None:
    data = map_conditions_only([searchset(condition(*a_code(codes.SLE)))])
    assert data.has(ConditionKind.SLE)
    assert not data.has(ConditionKind.LUPUS_NEPHRITIS)


def test_inactive_lupus_nephritis_is_recorded_but_not_active() -> None:
    resolved = condition(
        codes.SNOMED, class_code(LnClass.III), clinicalStatus=concept(codes.CONDITION_CLINICAL, "resolved")
    )
    data = map_conditions_only([resolved])
    assert len(data.diagnoses) == 1
    assert not data.has(ConditionKind.LUPUS_NEPHRITIS)


def test_mapping_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        map_patient_data(chart())
        map_conditions_only(chart())
    assert caplog.records == []


def test_empty_input_gives_empty_patient_data() -> None:
    data = map_patient_data([])
    assert data.report == MappingReport()
    assert (data.diagnoses, data.labs, data.orders) == ((), {}, ())


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param(patient(birthDate="3 February 1990"), id="patient"),
        pytest.param(observation(valueQuantity={"value": "high"}), id="observation"),
    ],
)
def test_invalid_resource_is_counted_not_raised(resource: dict[str, Any]) -> None:
    data = map_patient_data([resource])
    assert (data.report.resources_parsed, data.report.resources_invalid) == (0, 1)
    assert data.demographics == Demographics()


def test_conditions_outside_our_value_sets_are_not_counted() -> None:
    data = map_patient_data([condition(codes.SNOMED, "1")])
    assert data.diagnoses == ()
    assert data.report == MappingReport()


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("a plain string", id="code-as-string"),
        pytest.param({"coding": "not a list"}, id="coding-not-a-list"),
        pytest.param({"coding": ["not a coding"]}, id="coding-item-not-an-object"),
        pytest.param({"coding": [{"system": 1, "code": 2}]}, id="system-and-code-not-strings"),
    ],
)
def test_malformed_codes_are_passed_over_without_validation(code: object) -> None:
    resources = [{"resourceType": kind, "code": code} for kind in ("Observation", "Condition")]
    assert map_patient_data(resources).report == MappingReport()


def test_bundle_inside_a_bundle_entry_is_not_descended_into() -> None:
    inner = searchset(ln_class_iv())
    data = map_patient_data([{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": inner}, "x"]}])
    assert data.diagnoses == ()
