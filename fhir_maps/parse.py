"""Parsing at the edge: validate one resource with fhir.resources, read codings and dates without raising.

Everything here is shared by the per-family mappers. Nothing here logs: a resource that fails validation is
reported to the caller as `None` and counted there, never echoed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel

from fhir_maps.codes import ValueSet, in_value_set
from fhir_maps.domain import LabConcept

Model = TypeVar("Model", bound=BaseModel)


class SkipReason(StrEnum):
    """Why a resource produced no domain value."""

    INVALID = "invalid"  # failed fhir.resources validation
    IGNORED = "ignored"  # not a concept this service reads
    EXCLUDED_STATUS = "excluded-status"  # entered-in-error, cancelled, unknown ...
    NO_TIME = "no-time"
    NO_VALUE = "no-value"
    UNREADABLE = "unreadable"  # a value was sent (valueString) but no number, bound or range can be read from it
    UNKNOWN_UNIT = "unknown-unit"


@dataclass(frozen=True, slots=True)
class Skip:
    """A resource that was left out, with the reason and (for labs) the concept it would have fed."""

    reason: SkipReason
    concept: LabConcept | None = None
    when: datetime | None = None  # UNREADABLE, or UNKNOWN_UNIT of a valueString: the result's time (card says so)


Coding = tuple[str | None, str | None]  # (system, code)


def validate(model: type[Model], resource: Mapping[str, Any]) -> Model | None:
    """Returns the validated model, or None when the resource does not validate (the caller counts it)."""
    try:
        return model.model_validate(resource)
    except Exception:  # pydantic and fhir_core validators raise several error types; each means "invalid"
        return None


def raw_codings(resource: Mapping[str, Any], element: str) -> Iterator[Coding]:
    """Returns the (system, code) pairs of a CodeableConcept element of raw JSON, ignoring malformed parts.

    Used to decide cheaply, before validation, whether a resource is one we read at all.
    """
    concept = resource.get(element)
    if not isinstance(concept, Mapping):
        return
    codings = concept.get("coding")
    if not isinstance(codings, list):
        return
    for coding in codings:
        if isinstance(coding, Mapping):
            system, code = coding.get("system"), coding.get("code")
            yield (system if isinstance(system, str) else None, code if isinstance(code, str) else None)


def model_codings(concept: Any) -> list[Coding]:
    """Returns the (system, code) pairs of a validated CodeableConcept (empty when it is None)."""
    if concept is None or not concept.coding:
        return []
    return [(c.system, c.code) for c in concept.coding]


def any_in(value_set: ValueSet, codings: list[Coding]) -> bool:
    """Returns True when any coding is a member of `value_set`."""
    return any(in_value_set(value_set, system, code) for system, code in codings)


def any_code_in(value_set: ValueSet, codings: list[Coding]) -> bool:
    """Returns True when a coding matches `value_set` by code, with its system equal or absent.

    For FHIR status elements with a required binding, where senders often omit the system.
    """
    return any(
        code is not None
        and any(code in codes and system in (None, vs_system) for vs_system, codes in value_set.items())
        for system, code in codings
    )


def as_instant(value: object) -> datetime | None:
    """Returns a timezone-aware datetime: a date becomes 00:00 UTC, a naive datetime is taken as UTC.

    Partial dates ("2024" or "2024-05", kept as strings by fhir.resources) give None: a day is never guessed.
    """
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    return None


def as_date(value: object) -> date | None:
    """Returns the calendar date of a FHIR date/dateTime (in its own offset), or None for partial dates."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None
