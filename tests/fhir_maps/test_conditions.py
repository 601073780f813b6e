from __future__ import annotations

from datetime import date

import pytest

from fhir_maps import codes
from fhir_maps.codes import ValueSet
from fhir_maps.conditions import map_condition, map_condition_or_skip
from fhir_maps.domain import ConditionKind, Diagnosis, LnClass
from fhir_maps.parse import Skip, SkipReason
from tests.fhir_maps.builders import a_code, class_code, concept, condition


def ln(**extra: object) -> dict[str, object]:
    return condition(*a_code(codes.LUPUS_NEPHRITIS, but_not={codes.SNOMED: frozenset(codes.LN_CLASS_CODES)}), **extra)


def diagnosis(resource: dict[str, object]) -> Diagnosis:
    result = map_condition(resource)
    assert result is not None
    return result


@pytest.mark.parametrize("ln_class", list(LnClass), ids=[c.value for c in LnClass])
def test_ln_class_code_gives_lupus_nephritis_with_its_class(ln_class: LnClass) -> None:
    result = diagnosis(condition(codes.SNOMED, class_code(ln_class)))
    assert (result.kind, result.ln_class) == (ConditionKind.LUPUS_NEPHRITIS, ln_class)


def test_ln_without_a_class_code_has_no_class() -> None:
    result = diagnosis(ln())
    assert (result.kind, result.ln_class) == (ConditionKind.LUPUS_NEPHRITIS, None)


def test_icd10_glomerular_disease_in_sle_is_lupus_nephritis() -> None:
    (code,) = codes.LUPUS_NEPHRITIS[codes.ICD10CM]
    assert diagnosis(condition(codes.ICD10CM, code)).kind is ConditionKind.LUPUS_NEPHRITIS


@pytest.mark.parametrize(
    ("value_set", "kind"),
    [
        pytest.param(codes.SLE, ConditionKind.SLE, id="sle"),
        pytest.param(codes.TMA, ConditionKind.TMA, id="tma"),
        pytest.param(codes.APS, ConditionKind.APS, id="aps"),
        pytest.param(codes.PREGNANCY, ConditionKind.PREGNANCY, id="pregnancy"),
    ],
)
def test_context_condition_gives_its_kind_without_a_class(value_set: ValueSet, kind: ConditionKind) -> None:
    result = diagnosis(condition(*a_code(value_set)))
    assert (result.kind, result.ln_class) == (kind, None)


def test_class_coding_next_to_the_generic_ln_code_sets_the_class() -> None:
    resource = ln()
    resource["code"]["coding"].append({"system": codes.SNOMED, "code": class_code(LnClass.V)})  # type: ignore[index]
    assert diagnosis(resource).ln_class is LnClass.V


def test_condition_outside_our_value_sets_is_ignored() -> None:
    other = condition(codes.SNOMED, "1")  # in none of our value sets
    assert map_condition(other) is None
    assert map_condition_or_skip(other) == Skip(SkipReason.IGNORED)


def test_invalid_condition_is_skipped_as_invalid_not_raised() -> None:
    resource = ln(clinicalStatus="active")  # must be a CodeableConcept
    assert map_condition(resource) is None
    assert map_condition_or_skip(resource) == Skip(SkipReason.INVALID)


@pytest.mark.parametrize("status", ["refuted", "entered-in-error"])
def test_refuted_or_entered_in_error_condition_is_excluded(status: str) -> None:
    resource = ln(verificationStatus=concept(codes.CONDITION_VER_STATUS, status))
    assert map_condition_or_skip(resource) == Skip(SkipReason.EXCLUDED_STATUS)


def test_excluded_verification_status_without_a_system_is_still_excluded() -> None:
    assert map_condition(ln(verificationStatus=concept(code="refuted"))) is None


@pytest.mark.parametrize("status", ["confirmed", "provisional", "differential", "unconfirmed"])
def test_other_verification_statuses_are_kept(status: str) -> None:
    assert map_condition(ln(verificationStatus=concept(codes.CONDITION_VER_STATUS, status))) is not None


@pytest.mark.parametrize(
    ("status", "active"),
    [
        pytest.param("active", True, id="active"),
        pytest.param("recurrence", True, id="recurrence"),
        pytest.param("relapse", True, id="relapse"),
        pytest.param("inactive", False, id="inactive"),
        pytest.param("remission", False, id="remission"),
        pytest.param("resolved", False, id="resolved"),
    ],
)
def test_clinical_status_sets_active(status: str, active: bool) -> None:
    resource = ln(clinicalStatus=concept(codes.CONDITION_CLINICAL, status))
    assert diagnosis(resource).active is active


def test_condition_without_clinical_status_is_active() -> None:
    assert diagnosis(ln()).active is True


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            {"onsetDateTime": "2022-03-04T10:00:00Z", "recordedDate": "2023-01-01"}, date(2022, 3, 4), id="onset"
        ),
        pytest.param(
            {"onsetPeriod": {"start": "2022-02-01"}, "recordedDate": "2023-01-01"}, date(2022, 2, 1), id="period"
        ),
        pytest.param({"recordedDate": "2023-01-01T08:00:00Z"}, date(2023, 1, 1), id="recorded-date"),
        pytest.param({"onsetDateTime": "2022", "recordedDate": "2023-01-01"}, date(2023, 1, 1), id="year-only-onset"),
        pytest.param({"onsetString": "in her twenties"}, None, id="no-date"),
    ],
)
def test_recorded_is_onset_else_recorded_date(fields: dict[str, object], expected: date | None) -> None:
    assert diagnosis(ln(**fields)).recorded == expected
