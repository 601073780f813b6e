"""Results as laboratories send them (issue 10 §4): valueString with comparators and ranges, corrected and amended
results superseding the original, duplicates on one day collapsing, unreadable values kept as a dated fact."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from fhir_maps import codes, map_patient_data
from fhir_maps.codes import ValueSet
from fhir_maps.domain import LabConcept, LabResult, ResultStatus
from fhir_maps.labs import Skip, SkipReason, map_observation, read_value_string, resolve_versions
from tests.fhir_maps.builders import observation


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("<0.20", ("0.20", "<", None, None), id="below"),
        pytest.param("< 0.2 g/g", ("0.2", "<", None, "g/g"), id="below-with-unit"),
        pytest.param(">60", ("60", ">", None, None), id="above"),
        pytest.param(">= 90 mL/min/1.73m2", ("90", ">=", None, "mL/min/1.73m2"), id="at-least-with-unit"),
        pytest.param("\u2264 5", ("5", "<=", None, None), id="unicode-at-most"),
        pytest.param("0-2", ("2", "<=", "0", None), id="range"),
        pytest.param("10-20 /HPF", ("20", "<=", "10", "/HPF"), id="range-with-unit"),
        pytest.param("10 \u2013 20", ("20", "<=", "10", None), id="range-en-dash"),
        pytest.param("3 to 5", ("5", "<=", "3", None), id="range-to"),
        pytest.param("5-5", ("5", None, None, None), id="range-of-one-value"),
        pytest.param(">50", ("50", ">", None, None), id="above-count"),
        pytest.param("2.6", ("2.6", None, None, None), id="plain-number"),
        pytest.param(".5", (".5", None, None, None), id="leading-point"),
        pytest.param("  1.4 mg/dL ", ("1.4", None, None, "mg/dL"), id="padded"),
    ],
)
def test_value_strings_are_read_with_their_comparators(text: str, expected: tuple[Any, ...]) -> None:
    read = read_value_string(text)
    assert read is not None
    value, comparator, low, unit = expected
    assert (read.value, read.comparator, read.low, read.unit) == (
        Decimal(value),
        comparator,
        Decimal(low) if low else None,
        unit,
    )


@pytest.mark.parametrize(
    "text",
    ["TNTC", "see comment", "negative", "", "20-10", "<5-10", "1,200", "0,20", "hemolysed, repeat", "- 3"],
)
def test_value_strings_that_hold_no_number_bound_or_range_are_unreadable(text: str) -> None:
    assert read_value_string(text) is None


def _string_obs(value_set: ValueSet, text: str, **extra: Any) -> dict[str, Any]:
    return observation(value_set, value=None, valueString=text, **extra)


@pytest.mark.parametrize(
    ("value_set", "text", "value", "comparator", "low"),
    [
        pytest.param(codes.UPCR, "<0.20 g/g", "0.20", "<", None, id="upcr-below"),
        pytest.param(codes.UPCR, "< 20 mg/mmol", "0.1768", "<", None, id="upcr-mg-mmol-converted"),
        pytest.param(codes.EGFR, ">60", "60", ">", None, id="egfr-above-implied-unit"),
        pytest.param(codes.URINE_RBC, "0-2", "2", "<=", "0", id="rbc-range"),
        pytest.param(codes.URINE_RBC, "10-20 /HPF", "20", "<=", "10", id="rbc-range-unit"),
        pytest.param(codes.URINE_RBC, ">50", "50", ">", None, id="rbc-above"),
        pytest.param(codes.CELLULAR_CASTS, "0-1", "1", "<=", "0", id="casts-range"),
        pytest.param(codes.CREATININE, "88 umol/L", "0.9955", None, None, id="creatinine-si"),
        pytest.param(codes.URINE_RBC, "TNTC", "50", ">", None, id="rbc-too-numerous"),
        pytest.param(codes.CELLULAR_CASTS, "too numerous to count", "50", ">", None, id="casts-too-numerous"),
    ],
)
def test_value_strings_map_to_canonical_bounds(
    value_set: ValueSet, text: str, value: str, comparator: str | None, low: str | None
) -> None:
    result = map_observation(_string_obs(value_set, text))
    assert isinstance(result, LabResult)
    assert result.value.quantize(Decimal("0.0001")) == Decimal(value).quantize(Decimal("0.0001"))
    assert result.comparator == comparator
    assert result.low == (Decimal(low) if low else None)


@pytest.mark.parametrize(
    ("value_set", "text"),
    [
        pytest.param(codes.UPCR, "2.1", id="upcr-no-unit-g-g-or-mg-mmol"),
        pytest.param(codes.CREATININE, "<0.5", id="creatinine-no-unit"),
        pytest.param(codes.UPCR, "2.1 furlongs", id="unknown-unit"),
    ],
)
def test_a_value_string_whose_unit_is_unknown_is_never_guessed(value_set: ValueSet, text: str) -> None:
    result = map_observation(_string_obs(value_set, text))
    assert isinstance(result, Skip)
    assert result.reason is SkipReason.UNKNOWN_UNIT


def test_too_numerous_to_count_is_unreadable_outside_microscopy_counts() -> None:
    result = map_observation(_string_obs(codes.UPCR, "TNTC"))
    assert isinstance(result, Skip)
    assert result.reason is SkipReason.UNREADABLE


def _result(day: int, value: str, *, hour: int = 8, issued: int | None = None, **kw: Any) -> LabResult:
    when = datetime(2026, 5, day, hour, tzinfo=UTC)
    return LabResult(
        concept=kw.pop("concept", LabConcept.UPCR),
        when=when,
        value=Decimal(value),
        unit="g/g",
        status=kw.pop("status", ResultStatus.FINAL),
        source_unit="g/g",
        issued=datetime(2026, 5, issued, 12, tzinfo=UTC) if issued else None,
        **kw,
    )


@pytest.mark.parametrize(
    ("results", "kept"),
    [
        pytest.param([_result(1, "2.0", issued=1), _result(1, "1.2", issued=3, corrected=True)], "1.2", id="corrected"),
        pytest.param(
            [_result(1, "1.2", issued=3, corrected=True), _result(1, "2.0", issued=4)], "1.2", id="resent-original"
        ),
        pytest.param([_result(1, "2.0", issued=2), _result(1, "2.0", issued=2)], "2.0", id="exact-duplicate"),
        pytest.param(
            [_result(1, "2.0", issued=1, corrected=True), _result(1, "1.8", issued=5, corrected=True)],
            "1.8",
            id="latest-amendment",
        ),
        pytest.param([_result(1, "2.0", hour=8), _result(1, "2.4", hour=17)], "2.4", id="same-day-later-time"),
        pytest.param(
            [_result(1, "2.0", status=ResultStatus.PRELIMINARY, issued=1), _result(1, "2.2", issued=2)],
            "2.2",
            id="final-over-preliminary",
        ),
        pytest.param(
            [_result(1, "2.0", specimen="Specimen/s1", issued=1), _result(1, "1.1", specimen="Specimen/s1", issued=2)],
            "1.1",
            id="same-specimen",
        ),
    ],
)
def test_versions_of_one_measurement_collapse_to_the_one_that_counts(results: list[LabResult], kept: str) -> None:
    [only] = resolve_versions(results)
    assert only.value == Decimal(kept)


def test_results_of_different_days_or_concepts_are_all_kept() -> None:
    results = [_result(1, "2.0"), _result(2, "1.9"), _result(1, "1.0", concept=LabConcept.PROTEIN_24H)]
    assert len(resolve_versions(results)) == 3


def _upcr(
    ident: str, text_or_value: Any, when: str, status: str = "final", issued: str | None = None
) -> dict[str, Any]:
    extra: dict[str, Any] = {"id": ident, "subject": {"reference": "Patient/p1"}}
    if issued:
        extra["issued"] = issued
    if isinstance(text_or_value, str):
        return observation(codes.UPCR, value=None, valueString=text_or_value, status=status, when=when, **extra)
    return observation(codes.UPCR, value=text_or_value, status=status, when=when, **extra)


def test_a_corrected_result_replaces_the_original_in_the_series() -> None:
    data = map_patient_data(
        [
            _upcr("o1", 4.1, "2026-05-01T08:00:00Z", issued="2026-05-01T12:00:00Z"),
            _upcr("o1c", 1.4, "2026-05-01T08:00:00Z", status="corrected", issued="2026-05-03T09:00:00Z"),
        ]
    )
    [only] = data.series(LabConcept.UPCR).results
    assert (only.value, only.corrected) == (Decimal("1.4"), True)


def test_an_unreadable_latest_result_is_kept_as_a_dated_fact() -> None:
    data = map_patient_data(
        [_upcr("o1", 2.0, "2026-04-01T08:00:00Z"), _upcr("o2", "see comment", "2026-06-01T08:00:00Z")]
    )
    series = data.series(LabConcept.UPCR)
    assert [r.value for r in series.results] == [Decimal("2.0")]
    assert series.unreadable == (datetime(2026, 6, 1, 8, tzinfo=UTC),)
    assert data.report.observations_unreadable == 1
