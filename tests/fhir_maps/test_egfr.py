from __future__ import annotations

from decimal import Decimal

import pytest

from fhir_maps.domain import Sex
from fhir_maps.egfr import ckd_epi_2021


# CKD-EPI 2021 values computed by hand from the published equation (kidney.org, "CKD-EPI Creatinine Equation
# (2021)"): 142 x min(Scr/k,1)^a x max(Scr/k,1)^-1.200 x 0.9938^age x 1.012 [female].
@pytest.mark.parametrize(
    ("creatinine", "age", "sex", "expected"),
    [
        pytest.param("1.0", 50, Sex.MALE, "91.7", id="male-50-scr-1.0-above-kappa"),
        pytest.param("1.0", 50, Sex.FEMALE, "68.6", id="female-50-scr-1.0-above-kappa"),
        pytest.param("0.7", 40, Sex.FEMALE, "112.1", id="female-at-kappa"),
        pytest.param("0.9", 18, Sex.MALE, "127.0", id="male-at-kappa"),
        pytest.param("0.5", 30, Sex.FEMALE, "129.3", id="female-below-kappa"),
        pytest.param("0.6", 25, Sex.MALE, "137.4", id="male-below-kappa"),
        pytest.param("1.8", 60, Sex.MALE, "42.6", id="male-60-scr-1.8"),
    ],
)
def test_ckd_epi_2021_matches_hand_computed_values(creatinine: str, age: int, sex: Sex, expected: str) -> None:
    assert ckd_epi_2021(Decimal(creatinine), age, sex) == Decimal(expected)


def test_ckd_epi_2021_female_factor_is_1_012_at_kappa() -> None:
    female = ckd_epi_2021(Decimal("0.7"), 18, Sex.FEMALE)
    male = ckd_epi_2021(Decimal("0.9"), 18, Sex.MALE)
    assert female / male == pytest.approx(Decimal("1.012"), abs=Decimal("0.001"))


def test_ckd_epi_2021_falls_as_creatinine_rises() -> None:
    values = [ckd_epi_2021(Decimal(scr), 45, Sex.FEMALE) for scr in ("0.4", "0.7", "1.0", "2.0", "5.0")]
    assert values == sorted(values, reverse=True)
    assert len(set(values)) == len(values)


@pytest.mark.parametrize(
    ("creatinine", "age", "sex", "message"),
    [
        pytest.param("1.0", 50, Sex.UNKNOWN, "needs sex", id="unknown-sex"),
        pytest.param("1.0", 17, Sex.FEMALE, "adult", id="child"),
        pytest.param("0", 50, Sex.FEMALE, "positive", id="zero-creatinine"),
        pytest.param("-1", 50, Sex.MALE, "positive", id="negative-creatinine"),
    ],
)
def test_ckd_epi_2021_refuses_inputs_it_does_not_cover(creatinine: str, age: int, sex: Sex, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ckd_epi_2021(Decimal(creatinine), age, sex)
