"""Patient -> Demographics: birth date and administrative sex, only what the eGFR equation needs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fhir.resources.R4B.patient import Patient

from fhir_maps.domain import Demographics, Sex
from fhir_maps.parse import as_date, validate

_SEX = {"female": Sex.FEMALE, "male": Sex.MALE}  # other and unknown stay Sex.UNKNOWN: never inferred


def map_patient(resource: Mapping[str, Any]) -> Demographics | None:
    """Returns the Patient's Demographics, or None when the resource does not validate.

    A partial birthDate ("1980" or "1980-05") gives birth_date None: the age would be a guess.
    """
    patient = validate(Patient, resource)
    if patient is None:
        return None
    return Demographics(birth_date=as_date(patient.birthDate), sex=_SEX.get(patient.gender or "", Sex.UNKNOWN))
