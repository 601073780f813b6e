from __future__ import annotations

from datetime import date

import pytest

from fhir_maps.domain import Demographics, Sex
from fhir_maps.patient import map_patient
from tests.fhir_maps.builders import patient


@pytest.mark.parametrize(
    ("gender", "sex"),
    [
        pytest.param("female", Sex.FEMALE, id="female"),
        pytest.param("male", Sex.MALE, id="male"),
        pytest.param("other", Sex.UNKNOWN, id="other"),
        pytest.param("unknown", Sex.UNKNOWN, id="unknown"),
    ],
)
def test_gender_maps_to_sex(gender: str, sex: Sex) -> None:
    assert map_patient(patient(gender=gender, birthDate="1990-02-03")) == Demographics(date(1990, 2, 3), sex)


def test_patient_without_gender_or_birth_date_has_unknowns() -> None:
    assert map_patient(patient()) == Demographics(None, Sex.UNKNOWN)


@pytest.mark.parametrize("birth_date", ["1990", "1990-02"])
def test_partial_birth_date_gives_no_birth_date(birth_date: str) -> None:
    demographics = map_patient(patient(birthDate=birth_date, gender="female"))
    assert demographics == Demographics(None, Sex.FEMALE)


def test_invalid_patient_gives_none() -> None:
    assert map_patient(patient(birthDate="3 February 1990")) is None
