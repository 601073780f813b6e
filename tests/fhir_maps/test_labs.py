from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from fhir_maps import codes
from fhir_maps.codes import ValueSet
from fhir_maps.domain import Interpretation, LabConcept, LabResult, ResultStatus
from fhir_maps.labs import Skip, SkipReason, build_lab_series, map_observation
from fhir_maps.parse import as_instant
from tests.fhir_maps.builders import a_code, concept, observation, quantity


def mapped(resource: dict[str, object]) -> LabResult:
    result = map_observation(resource)
    assert isinstance(result, LabResult), result
    return result


@pytest.mark.parametrize(
    ("value_set", "expected", "ucum"),
    [
        pytest.param(codes.UPCR, LabConcept.UPCR, "g/g", id="upcr"),
        pytest.param(codes.PROTEIN_24H, LabConcept.PROTEIN_24H, "g/(24.h)", id="protein-24h"),
        pytest.param(codes.CREATININE, LabConcept.CREATININE, "mg/dL", id="creatinine"),
        pytest.param(codes.EGFR, LabConcept.EGFR, "mL/min/{1.73_m2}", id="egfr"),
        pytest.param(codes.URINE_RBC, LabConcept.URINE_RBC, "/[HPF]", id="urine-rbc"),
        pytest.param(codes.CELLULAR_CASTS, LabConcept.CELLULAR_CASTS, "/[LPF]", id="cellular-casts"),
        pytest.param(codes.CASTS_UNTYPED, LabConcept.CASTS_UNTYPED, "/[LPF]", id="untyped-casts"),
    ],
)
def test_observation_code_in_a_value_set_gives_its_concept(
    value_set: ValueSet, expected: LabConcept, ucum: str
) -> None:
    result = mapped(observation(value_set, value=3, ucum=ucum))
    assert result.concept is expected
    assert result.value == 3
    assert result.unit == ucum


def test_observation_with_a_code_outside_our_value_sets_is_ignored_without_validation() -> None:
    # Invalid as FHIR (no status), but never validated: it is not a concept we read.
    resource = {"resourceType": "Observation", "code": concept(codes.LOINC, "0000-0")}
    assert map_observation(resource) == Skip(SkipReason.IGNORED)


def test_code_matches_only_with_its_system() -> None:
    _, code = a_code(codes.UPCR)
    assert map_observation(observation(code=("http://example.org/local", code))) == Skip(SkipReason.IGNORED)


def test_invalid_observation_is_skipped_as_invalid_not_raised() -> None:
    result = map_observation(observation(valueQuantity={"value": "not a number", "unit": "g/g"}))
    assert result == Skip(SkipReason.INVALID, LabConcept.UPCR)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param("final", ResultStatus.FINAL, id="final"),
        pytest.param("amended", ResultStatus.FINAL, id="amended"),
        pytest.param("corrected", ResultStatus.FINAL, id="corrected"),
        pytest.param("preliminary", ResultStatus.PRELIMINARY, id="preliminary"),
        pytest.param("registered", ResultStatus.PRELIMINARY, id="registered"),
    ],
)
def test_usable_status_is_mapped(status: str, expected: ResultStatus) -> None:
    result = mapped(observation(status=status))
    assert result.status is expected
    assert result.decides is (expected is ResultStatus.FINAL)


@pytest.mark.parametrize("status", ["entered-in-error", "cancelled", "unknown"])
def test_entered_in_error_cancelled_and_unknown_results_are_excluded(status: str) -> None:
    assert map_observation(observation(status=status)) == Skip(SkipReason.EXCLUDED_STATUS, LabConcept.UPCR)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param(
            {"effectiveDateTime": "2024-05-01T09:30:00+02:00"},
            datetime(2024, 5, 1, 7, 30, tzinfo=UTC),
            id="datetime-with-offset",
        ),
        pytest.param(
            {"effectiveDateTime": "2024-05-01"}, datetime(2024, 5, 1, tzinfo=UTC), id="date-only-is-midnight-utc"
        ),
        pytest.param(
            {"effectivePeriod": {"start": "2024-04-30T08:00:00Z", "end": "2024-05-01T08:00:00Z"}},
            datetime(2024, 4, 30, 8, tzinfo=UTC),
            id="period-start",
        ),
        pytest.param({"issued": "2024-05-02T10:00:00Z"}, datetime(2024, 5, 2, 10, tzinfo=UTC), id="issued-fallback"),
        pytest.param(
            {"effectiveDateTime": "2024-05", "issued": "2024-05-02T10:00:00Z"},
            datetime(2024, 5, 2, 10, tzinfo=UTC),
            id="partial-effective-falls-back-to-issued",
        ),
    ],
)
def test_result_time_comes_from_effective_then_issued(fields: dict[str, object], expected: datetime) -> None:
    result = mapped(observation(when=None, **fields))
    assert result.when == expected
    assert result.when.tzinfo is not None


@pytest.mark.parametrize(
    "fields",
    [pytest.param({}, id="no-time-at-all"), pytest.param({"effectiveDateTime": "2024-05"}, id="month-only")],
)
def test_result_without_a_full_date_is_skipped_as_no_time(fields: dict[str, object]) -> None:
    assert map_observation(observation(when=None, **fields)) == Skip(SkipReason.NO_TIME, LabConcept.UPCR)


def test_naive_datetime_fails_fhir_validation_and_is_counted_invalid() -> None:
    # FHIR requires an offset when a time is given; fhir.resources enforces it.
    assert map_observation(observation(when="2024-05-01T09:30:00")) == Skip(SkipReason.INVALID, LabConcept.UPCR)


def test_naive_datetime_is_read_as_utc_by_the_time_helper() -> None:
    assert as_instant(datetime(2024, 5, 1, 9, 30)) == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    aware = datetime(2024, 5, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert as_instant(aware) is aware
    assert as_instant(date(2024, 5, 1)) == datetime(2024, 5, 1, tzinfo=UTC)
    assert as_instant("2024-05") is None


@pytest.mark.parametrize(
    "resource",
    [
        pytest.param(
            observation(codes.CASTS_UNTYPED, value=None, valueCodeableConcept=concept(text="RBC casts")),
            id="casts-as-codeable-concept",
        ),
        pytest.param(observation(value=None), id="no-value"),
        pytest.param(observation(value=None, valueQuantity={"unit": "g/g"}), id="quantity-without-number"),
    ],
)
def test_result_without_a_numeric_quantity_is_skipped_as_no_value(resource: dict[str, object]) -> None:
    result = map_observation(resource)
    assert isinstance(result, Skip)
    assert result.reason is SkipReason.NO_VALUE


def test_a_string_with_no_number_is_skipped_as_unreadable_with_its_time() -> None:
    # Was "skipped as no value" before issue 10 §4: a value was sent, it just cannot be read; the card says so.
    result = map_observation(observation(codes.CELLULAR_CASTS, value=None, valueString="few RBC casts"))
    assert isinstance(result, Skip)
    assert (result.reason, result.concept) == (SkipReason.UNREADABLE, LabConcept.CELLULAR_CASTS)
    assert result.when is not None


def test_unknown_unit_is_skipped_with_its_concept() -> None:
    result = map_observation(observation(codes.CREATININE, value=1.1, ucum="mmol/L", unit="mmol/L"))
    assert result == Skip(SkipReason.UNKNOWN_UNIT, LabConcept.CREATININE)


def test_unit_less_quantity_is_skipped_as_unknown_unit() -> None:
    assert map_observation(observation(ucum=None)) == Skip(SkipReason.UNKNOWN_UNIT, LabConcept.UPCR)


def test_upcr_in_mg_per_mmol_is_converted_and_keeps_the_source_unit() -> None:
    result = mapped(observation(value=226.2, ucum="mg/mmol"))
    assert result.value == pytest.approx(Decimal(2), rel=Decimal("1e-20"))
    assert (result.unit, result.source_unit) == ("g/g", "mg/mmol")


def test_creatinine_in_umol_per_l_is_converted_to_mg_per_dl() -> None:
    result = mapped(observation(codes.CREATININE, value=176.8, ucum="umol/L"))
    assert result.value == pytest.approx(Decimal(2), rel=Decimal("1e-20"))
    assert result.unit == "mg/dL"


def test_unit_string_is_used_when_there_is_no_ucum_code() -> None:
    result = mapped(observation(codes.PROTEIN_24H, value=1800, ucum=None, unit="mg/24 HR"))
    assert result.value == Decimal("1.8")
    assert result.source_unit == "mg/24 HR"


def test_code_from_another_unit_system_is_not_read_as_ucum() -> None:
    resource = observation(valueQuantity=quantity(900, "mg/g", ucum="g/g", system="http://example.org/units"))
    result = mapped(resource)
    assert result.value == Decimal("0.9")
    assert result.source_unit == "mg/g"


def test_comparator_is_kept_with_the_number_as_its_bound() -> None:
    resource = observation(valueQuantity={**quantity(0.2, ucum="g/g"), "comparator": "<"})
    assert (mapped(resource).value, mapped(resource).comparator) == (Decimal("0.2"), "<")


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        pytest.param(["N"], Interpretation.NORMAL, id="N"),
        pytest.param(["H"], Interpretation.ABNORMAL, id="H"),
        pytest.param(["HH"], Interpretation.ABNORMAL, id="HH"),
        pytest.param(["L"], Interpretation.ABNORMAL, id="L"),
        pytest.param(["LL"], Interpretation.ABNORMAL, id="LL"),
        pytest.param(["A"], Interpretation.ABNORMAL, id="A"),
        pytest.param(["AA"], Interpretation.ABNORMAL, id="AA"),
        pytest.param(["N", "H"], Interpretation.ABNORMAL, id="abnormal-wins"),
        pytest.param(["IND"], Interpretation.UNKNOWN, id="indeterminate"),
        pytest.param([], Interpretation.UNKNOWN, id="no-flag"),
    ],
)
def test_interpretation_flag_is_read(flags: list[str], expected: Interpretation) -> None:
    extra = {"interpretation": [concept(codes.OBS_INTERPRETATION, flag) for flag in flags]} if flags else {}
    result = mapped(observation(codes.URINE_RBC, ucum="/[HPF]", **extra))
    assert result.interpretation is expected


def test_interpretation_code_from_another_system_is_ignored() -> None:
    resource = observation(interpretation=[concept("http://example.org/flags", "H")])
    assert mapped(resource).interpretation is Interpretation.UNKNOWN


def test_upcr_on_a_24_hour_sample_is_marked() -> None:
    assert mapped(observation(code=a_code(codes.UPCR_24H_SAMPLE))).from_24h_collection is True
    spot = a_code(codes.UPCR, but_not=codes.UPCR_24H_SAMPLE)
    assert mapped(observation(code=spot)).from_24h_collection is False


def test_lab_series_are_grouped_by_concept_and_sorted_by_time() -> None:
    late = mapped(observation(value=1, when="2024-06-01"))
    early = mapped(observation(value=2, when="2024-01-01"))
    creatinine = mapped(observation(codes.CREATININE, value=1, ucum="mg/dL"))
    series = build_lab_series([late, creatinine, early])
    assert list(series) == [LabConcept.UPCR, LabConcept.CREATININE]
    assert series[LabConcept.UPCR].results == (early, late)
    assert series[LabConcept.CREATININE].results == (creatinine,)


def test_lab_series_of_nothing_is_empty() -> None:
    assert build_lab_series([]) == {}
