"""The lab concept table: exactly one row per LabConcept, each row complete and consistent with itself."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from fhir_maps import codes, domain
from fhir_maps.domain import LabConcept
from fhir_maps.lab_concepts import CANONICAL_UNIT, LAB_CONCEPT_ROWS, LAB_CONCEPTS, LabConceptSpec
from fhir_maps.units import factor


def test_every_lab_concept_has_exactly_one_row() -> None:
    counts = Counter(row.concept for row in LAB_CONCEPT_ROWS)
    assert counts == Counter(set(LabConcept))
    assert list(LAB_CONCEPTS) == [row.concept for row in LAB_CONCEPT_ROWS]


@pytest.mark.parametrize("row", LAB_CONCEPT_ROWS, ids=lambda row: str(row.concept))
def test_each_row_is_complete(row: LabConceptSpec) -> None:
    assert row.value_set.get(codes.LOINC), "a lab concept is coded in LOINC"
    assert row.canonical_unit
    assert factor(row.concept, row.canonical_unit) == Decimal(1)
    assert all(f > 0 for f in row.factors.values()), "a positive factor keeps a comparator's direction"
    low, high = row.plausible_range
    assert Decimal(0) <= low < high


def test_no_loinc_code_belongs_to_two_concepts() -> None:
    seen = Counter(code for row in LAB_CONCEPT_ROWS for code in row.value_set[codes.LOINC])
    assert [code for code, n in seen.items() if n > 1] == []


def test_rows_are_frozen() -> None:
    with pytest.raises(AttributeError):
        LAB_CONCEPT_ROWS[0].canonical_unit = "mg/g"  # type: ignore[misc]
    with pytest.raises(TypeError):
        LAB_CONCEPT_ROWS[0].factors["mg/l"] = Decimal(1)  # type: ignore[index]


def test_the_canonical_unit_view_and_its_old_name_agree_with_the_rows() -> None:
    assert dict(CANONICAL_UNIT) == {row.concept: row.canonical_unit for row in LAB_CONCEPT_ROWS}
    assert domain.CANONICAL_UNIT is CANONICAL_UNIT  # kept for importers outside fhir_maps
    with pytest.raises(AttributeError):
        _ = domain.NO_SUCH_NAME  # type: ignore[attr-defined]
