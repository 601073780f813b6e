"""Observations -> LabResult: concept from the value sets, status, time, canonical value, and the lab's flag.

Each Observation is validated on its own with fhir.resources R4B. Observations whose code is in none of our value
sets are ignored before validation (the cheap path). What is left out is returned as a `Skip` with its reason, so the
caller can count it; no resource content is ever logged or kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from fhir.resources.R4B.observation import Observation

from fhir_maps import codes, units
from fhir_maps.domain import Interpretation, LabConcept, LabResult, LabSeries, ResultStatus
from fhir_maps.lab_concepts import LAB_CONCEPT_ROWS, LAB_CONCEPTS
from fhir_maps.parse import Coding, Skip, SkipReason, any_in, as_instant, model_codings, raw_codings, validate

__all__ = ["COMPARATORS", "Skip", "SkipReason", "build_lab_series", "lab_concept", "map_observation"]

# Quantity.comparator (FHIR R4 QuantityComparator): a censored result, e.g. "< 0.10 g/g" below the lab's reporting
# limit or "> 90 mL/min/1.73 m2" above it. Any other code is left out as invalid: it gives no bound to judge.
COMPARATORS = frozenset({"<", "<=", ">", ">="})

# Observation.status (FHIR R4 ObservationStatus). Anything not listed (entered-in-error, cancelled, unknown) is
# excluded: response-model.md §3 lets only final/amended/corrected decide, and shows preliminary.
_STATUS: dict[str, ResultStatus] = {
    "final": ResultStatus.FINAL,
    "amended": ResultStatus.FINAL,
    "corrected": ResultStatus.FINAL,
    "preliminary": ResultStatus.PRELIMINARY,
    "registered": ResultStatus.PRELIMINARY,
}


def lab_concept(codings: Iterable[Coding]) -> LabConcept | None:
    """Returns the first LabConcept whose value set holds one of `codings`, or None."""
    pairs = list(codings)
    for row in LAB_CONCEPT_ROWS:
        if any_in(row.value_set, pairs):
            return row.concept
    return None


def map_observation(resource: Mapping[str, Any]) -> LabResult | Skip:
    """Returns the Observation as a LabResult in canonical units, or a Skip saying why it was left out."""
    concept = lab_concept(raw_codings(resource, "code"))
    if concept is None:
        return Skip(SkipReason.IGNORED)
    obs = validate(Observation, resource)
    if obs is None:
        return Skip(SkipReason.INVALID, concept)
    status = _STATUS.get(obs.status or "")
    if status is None:
        return Skip(SkipReason.EXCLUDED_STATUS, concept)
    when = _effective_time(obs)
    if when is None:
        return Skip(SkipReason.NO_TIME, concept)
    quantity = obs.valueQuantity
    if quantity is None or quantity.value is None:
        return Skip(SkipReason.NO_VALUE, concept)
    converted = _canonical_value(concept, quantity)
    if converted is None:
        return Skip(SkipReason.UNKNOWN_UNIT, concept)
    value, source_unit = converted
    comparator = quantity.comparator
    if comparator is not None and comparator not in COMPARATORS:
        return Skip(SkipReason.INVALID, concept)  # e.g. R5's "ad" (sufficient to achieve): no bound to judge
    return LabResult(
        concept=concept,
        when=when,
        value=value,
        unit=LAB_CONCEPTS[concept].canonical_unit,
        status=status,
        source_unit=source_unit,
        interpretation=_interpretation(obs),
        from_24h_collection=any_in(codes.UPCR_24H_SAMPLE, model_codings(obs.code)),
        comparator=comparator,
    )


def _effective_time(obs: Any) -> datetime | None:
    """effectiveDateTime, else effectivePeriod.start, else issued."""
    period_start = obs.effectivePeriod.start if obs.effectivePeriod is not None else None
    for value in (obs.effectiveDateTime, period_start, obs.issued):
        when = as_instant(value)
        if when is not None:
            return when
    return None


def _canonical_value(concept: LabConcept, quantity: Any) -> tuple[Decimal, str] | None:
    """The UCUM code is tried first (when the system is UCUM or absent), then the human-readable unit string.

    Every conversion is a positive factor, so a comparator ("<", ">=") keeps its direction: `map_observation`
    keeps it on the LabResult, and the rules judge the censored value as a bound, never as the number itself.
    """
    candidates: list[str] = []
    if quantity.code and quantity.system in (None, codes.UCUM):
        candidates.append(quantity.code)
    if quantity.unit:
        candidates.append(quantity.unit)
    for unit in candidates:
        value = units.to_canonical(concept, quantity.value, unit)
        if value is not None:
            return value, unit
    return None


def _interpretation(obs: Any) -> Interpretation:
    pairs = [pair for concept in obs.interpretation or () for pair in model_codings(concept)]
    if any_in(codes.INTERPRETATION_ABNORMAL, pairs):
        return Interpretation.ABNORMAL
    if any_in(codes.INTERPRETATION_NORMAL, pairs):
        return Interpretation.NORMAL
    return Interpretation.UNKNOWN


def build_lab_series(results: Iterable[LabResult]) -> dict[LabConcept, LabSeries]:
    """Returns one LabSeries per concept present in `results`, each sorted by time (oldest first)."""
    grouped: dict[LabConcept, list[LabResult]] = {}
    for result in results:
        grouped.setdefault(result.concept, []).append(result)
    return {
        concept: LabSeries(concept, tuple(sorted(items, key=lambda r: r.when)))
        for concept, items in sorted(grouped.items(), key=lambda kv: list(LabConcept).index(kv[0]))
    }
