from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fhir_maps.domain import LabConcept
from fhir_maps.lab_concepts import LAB_CONCEPTS
from fhir_maps.units import convert, factor, from_canonical, to_canonical

D = Decimal

CONVERSIONS = [
    # concept, value, unit as sent, expected canonical value
    pytest.param(LabConcept.UPCR, "1.5", "g/g", "1.5", id="upcr-g-per-g"),
    pytest.param(LabConcept.UPCR, "1500", "mg/g", "1.5", id="upcr-mg-per-g"),
    pytest.param(LabConcept.UPCR, "1.5", "mg/mg", "1.5", id="upcr-mg-per-mg"),
    pytest.param(LabConcept.UPCR, "113.1", "mg/mmol", "1", id="upcr-mg-per-mmol"),
    pytest.param(LabConcept.UPCR, "0.1131", "g/mmol", "1", id="upcr-g-per-mmol"),
    pytest.param(LabConcept.UPCR, "500", "mg/g{creat}", "0.5", id="upcr-annotated-mg-per-g"),
    pytest.param(LabConcept.UPCR, "0.5", "g/g{creat}", "0.5", id="upcr-annotated-g-per-g"),
    pytest.param(LabConcept.UPCR, "500", "mg/g creat", "0.5", id="upcr-mg-per-g-creat-text"),
    pytest.param(LabConcept.UPCR, "0.5", "g/g creat", "0.5", id="upcr-g-per-g-creat-text"),
    pytest.param(LabConcept.UPCR, "226.2", "mg/mmol{creat}", "2", id="upcr-annotated-mg-per-mmol"),
    pytest.param(LabConcept.PROTEIN_24H, "2.5", "g/(24.h)", "2.5", id="24h-g-per-24h"),
    pytest.param(LabConcept.PROTEIN_24H, "2500", "mg/(24.h)", "2.5", id="24h-mg-per-24h"),
    pytest.param(LabConcept.PROTEIN_24H, "2.5", "g/d", "2.5", id="24h-g-per-d"),
    pytest.param(LabConcept.PROTEIN_24H, "2500", "mg/d", "2.5", id="24h-mg-per-d"),
    pytest.param(LabConcept.PROTEIN_24H, "2.5", "g/day", "2.5", id="24h-g-per-day"),
    pytest.param(LabConcept.PROTEIN_24H, "2500", "mg/24 h", "2.5", id="24h-mg-per-24-h-text"),
    pytest.param(LabConcept.PROTEIN_24H, "2500", "mg/24 HR", "2.5", id="24h-mg-per-24-HR-text"),
    pytest.param(LabConcept.CREATININE, "1.2", "mg/dL", "1.2", id="creatinine-mg-per-dl"),
    pytest.param(LabConcept.CREATININE, "88.4", "umol/L", "1", id="creatinine-umol-per-l"),
    pytest.param(LabConcept.CREATININE, "176.8", "\u00b5mol/L", "2", id="creatinine-micro-sign"),
    pytest.param(LabConcept.CREATININE, "176.8", "\u03bcmol/L", "2", id="creatinine-greek-mu"),
    pytest.param(LabConcept.CREATININE, "176.8", "umol/l", "2", id="creatinine-lower-case-l"),
    pytest.param(LabConcept.EGFR, "58", "mL/min/{1.73_m2}", "58", id="egfr-ucum"),
    pytest.param(LabConcept.EGFR, "58", "mL/min/1.73m2", "58", id="egfr-no-space"),
    pytest.param(LabConcept.EGFR, "58", "mL/min/1.73 m2", "58", id="egfr-space"),
    pytest.param(LabConcept.URINE_RBC, "12", "/[HPF]", "12", id="rbc-ucum"),
    pytest.param(LabConcept.URINE_RBC, "12", "#/HPF", "12", id="rbc-hash"),
    pytest.param(LabConcept.URINE_RBC, "12", "/HPF", "12", id="rbc-plain"),
    pytest.param(LabConcept.URINE_RBC, "12", "cells/HPF", "12", id="rbc-cells"),
    pytest.param(LabConcept.CELLULAR_CASTS, "2", "/[LPF]", "2", id="casts-ucum"),
    pytest.param(LabConcept.CELLULAR_CASTS, "2", "#/LPF", "2", id="casts-hash"),
    pytest.param(LabConcept.CASTS_UNTYPED, "2", "/LPF", "2", id="untyped-casts-plain"),
]


@pytest.mark.parametrize(("concept", "value", "unit", "expected"), CONVERSIONS)
def test_known_unit_is_converted_to_the_canonical_unit(
    concept: LabConcept, value: str, unit: str, expected: str
) -> None:
    converted = to_canonical(concept, D(value), unit)
    assert converted is not None
    assert converted == pytest.approx(D(expected), rel=D("1e-20"))


def test_upcr_in_mg_per_mmol_is_converted_to_g_per_g() -> None:
    # terminology.md: 0.5 g/g is about 56.6 mg/mmol; 3 g/g about 339 mg/mmol.
    assert to_canonical(LabConcept.UPCR, D("56.6"), "mg/mmol") == pytest.approx(D("0.5"), abs=D("0.001"))
    assert to_canonical(LabConcept.UPCR, D("339"), "mg/mmol") == pytest.approx(D("3"), abs=D("0.01"))


@pytest.mark.parametrize(
    ("concept", "unit"),
    [
        pytest.param(LabConcept.UPCR, "mg/dL", id="upcr-concentration"),
        pytest.param(LabConcept.UPCR, "", id="upcr-empty"),
        pytest.param(LabConcept.UPCR, "{ratio}", id="upcr-annotation-only"),
        pytest.param(LabConcept.UPCR, "mg/L", id="upcr-mg-per-l"),
        pytest.param(LabConcept.PROTEIN_24H, "mg/dL", id="24h-concentration"),
        pytest.param(LabConcept.CREATININE, "mmol/L", id="creatinine-mmol"),
        pytest.param(LabConcept.CREATININE, "mg/g", id="creatinine-ratio-unit"),
        pytest.param(LabConcept.EGFR, "mL/min", id="egfr-not-normalised-to-bsa"),
        pytest.param(LabConcept.EGFR, "mL/min/", id="egfr-annotation-stripped-is-not-egfr"),
        pytest.param(LabConcept.URINE_RBC, "/[LPF]", id="rbc-per-low-power-field"),
        pytest.param(LabConcept.URINE_RBC, "/uL", id="rbc-per-microlitre"),
        pytest.param(LabConcept.CELLULAR_CASTS, "/[HPF]", id="casts-per-high-power-field"),
    ],
)
def test_unknown_unit_gives_none_never_a_guess(concept: LabConcept, unit: str) -> None:
    assert factor(concept, unit) is None
    assert to_canonical(concept, D(1), unit) is None
    assert from_canonical(concept, D(1), unit) is None


def test_every_concept_accepts_its_canonical_unit_with_factor_one() -> None:
    assert {c: factor(c, LAB_CONCEPTS[c].canonical_unit) for c in LabConcept} == {c: D(1) for c in LabConcept}


UNIT_PAIRS = [(concept, unit) for concept, row in LAB_CONCEPTS.items() for unit in row.factors]
values = st.decimals(min_value=D("0.0001"), max_value=D("100000"), places=4, allow_nan=False, allow_infinity=False)


@given(pair=st.sampled_from(UNIT_PAIRS), value=values)
def test_conversion_to_canonical_and_back_is_stable(pair: tuple[LabConcept, str], value: Decimal) -> None:
    concept, unit = pair
    canonical = convert(concept, value, unit)  # unit arithmetic only; plausibility: test_plausibility.py
    assert canonical is not None
    back = from_canonical(concept, canonical, unit)
    assert back == pytest.approx(value, rel=D("1e-20"))


@given(pair=st.sampled_from(UNIT_PAIRS), low=values, high=values)
def test_conversion_is_monotone(pair: tuple[LabConcept, str], low: Decimal, high: Decimal) -> None:
    concept, unit = pair
    low, high = sorted((low, high))
    low_c, high_c = convert(concept, low, unit), convert(concept, high, unit)
    assert low_c is not None
    assert high_c is not None
    assert (low_c < high_c) if low < high else (low_c == high_c)
