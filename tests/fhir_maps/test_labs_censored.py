"""Censored lab values: valueQuantity.comparator is kept on the LabResult, through unit conversion."""

from __future__ import annotations

from decimal import Decimal

import pytest

from fhir_maps import codes
from fhir_maps.codes import ValueSet
from fhir_maps.domain import LabConcept, LabResult
from fhir_maps.labs import Skip, SkipReason, map_observation
from tests.fhir_maps.builders import observation, quantity


def censored(value: object, comparator: str, ucum: str = "g/g", value_set: ValueSet = codes.UPCR) -> object:
    return map_observation(
        observation(value_set, valueQuantity={**quantity(value, ucum=ucum), "comparator": comparator})
    )


@pytest.mark.parametrize("comparator", ["<", "<=", ">", ">="])
def test_each_fhir_comparator_is_kept_on_the_lab_result(comparator: str) -> None:
    result = censored(0.5, comparator)
    assert isinstance(result, LabResult)
    assert (result.value, result.comparator) == (Decimal("0.5"), comparator)


def test_a_result_without_comparator_has_none() -> None:
    result = map_observation(observation(value=0.5))
    assert isinstance(result, LabResult)
    assert result.comparator is None


@pytest.mark.parametrize(
    ("value", "comparator", "ucum", "value_set", "expected"),
    [
        pytest.param(10, "<", "mg/mmol", codes.UPCR, Decimal(10) / Decimal("113.1"), id="upcr-mg-per-mmol"),
        pytest.param(90, ">", "mL/min/{1.73_m2}", codes.EGFR, Decimal(90), id="egfr-above-90"),
        pytest.param(2, "<", "/[HPF]", codes.URINE_RBC, Decimal(2), id="rbc-below-2"),
    ],
)
def test_unit_conversion_keeps_the_comparator_direction(
    value: int, comparator: str, ucum: str, value_set: ValueSet, expected: Decimal
) -> None:
    result = censored(value, comparator, ucum, value_set)
    assert isinstance(result, LabResult)
    assert result.comparator == comparator
    assert abs(result.value - expected) < Decimal("1e-6")


def test_an_unknown_comparator_code_is_skipped_as_invalid_not_read_as_the_number() -> None:
    # R5's "ad" (sufficient to achieve) gives no bound to judge.
    assert censored(0.5, "ad") == Skip(SkipReason.INVALID, LabConcept.UPCR)
