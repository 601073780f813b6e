"""Conditions -> Diagnosis: which clinical concept, the LN class, whether it is active, and when it was recorded.

Conditions are the gate of the service (no lupus nephritis, no further parsing), so this path is kept cheap: a
Condition whose codes are in none of our value sets is dropped before validation.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from fhir.resources.R4B.condition import Condition

from fhir_maps import codes
from fhir_maps.domain import ConditionKind, Diagnosis, LnClass
from fhir_maps.parse import Coding, Skip, SkipReason, any_code_in, any_in, as_date, model_codings, raw_codings, validate


def condition_kind(codings: list[Coding]) -> ConditionKind | None:
    """Returns the first ConditionKind whose value set holds one of `codings` (LN is tried first), or None."""
    for kind, value_set in codes.CONDITION_VALUE_SETS.items():
        if any_in(value_set, codings):
            return kind
    return None


def _ln_class(codings: list[Coding]) -> LnClass | None:
    for system, code in codings:
        if system == codes.SNOMED and code in codes.LN_CLASS_CODES:
            return codes.LN_CLASS_CODES[code]
    return None


def map_condition_or_skip(resource: Mapping[str, Any]) -> Diagnosis | Skip:
    """Returns the Condition as a Diagnosis, or a Skip saying why it was left out (for the caller's counts)."""
    codings = list(raw_codings(resource, "code"))  # once validated, these are the model's codings too
    kind = condition_kind(codings)
    if kind is None:
        return Skip(SkipReason.IGNORED)
    condition = validate(Condition, resource)
    if condition is None:
        return Skip(SkipReason.INVALID)
    # response-model.md §1: only refuted and entered-in-error make a Condition unusable.
    if any_code_in(codes.VERIFICATION_EXCLUDED, model_codings(condition.verificationStatus)):
        return Skip(SkipReason.EXCLUDED_STATUS)
    return Diagnosis(
        kind=kind,
        recorded=_recorded(condition),
        ln_class=_ln_class(codings) if kind is ConditionKind.LUPUS_NEPHRITIS else None,
        active=not any_code_in(codes.CLINICAL_INACTIVE, model_codings(condition.clinicalStatus)),
    )


def map_condition(resource: Mapping[str, Any]) -> Diagnosis | None:
    """Returns the Condition as a Diagnosis, or None when it is not ours, invalid, refuted or entered-in-error.

    clinicalStatus inactive/remission/resolved gives active=False; active/recurrence/relapse or none gives True.
    """
    mapped = map_condition_or_skip(resource)
    return mapped if isinstance(mapped, Diagnosis) else None


def _recorded(condition: Any) -> date | None:
    """onsetDateTime, else onsetPeriod.start, else recordedDate, as a calendar date (None if none is a full date)."""
    onset_start = condition.onsetPeriod.start if condition.onsetPeriod is not None else None
    for value in (condition.onsetDateTime, onset_start, condition.recordedDate):
        day = as_date(value)
        if day is not None:
            return day
    return None
