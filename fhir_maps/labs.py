"""Observations -> LabResult: concept from the value sets, status, time, canonical value, and the lab's flag.

Each Observation is validated on its own with fhir.resources R4B. Observations whose code is in none of our value
sets are ignored before validation (the cheap path). What is left out is returned as a `Skip` with its reason, so the
caller can count it; no resource content is ever logged or kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fhir.resources.R4B.observation import Observation

from fhir_maps import codes, units
from fhir_maps.domain import Interpretation, LabConcept, LabResult, LabSeries, ResultStatus
from fhir_maps.lab_concepts import LAB_CONCEPT_ROWS, LAB_CONCEPTS
from fhir_maps.parse import Coding, Skip, SkipReason, any_in, as_instant, model_codings, raw_codings, validate

__all__ = [
    "COMPARATORS",
    "Skip",
    "SkipReason",
    "build_lab_series",
    "lab_concept",
    "map_observation",
    "read_value_string",
]

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


# Corrections (FHIR R4 ObservationStatus): "amended" and its specialisation "corrected" replace an earlier final
# result of the same specimen or time.
_CORRECTED = frozenset({"amended", "corrected"})
# How much a result outranks another of the same specimen or time: a correction over the final result, a final
# over a preliminary one. Within a rank the latest `issued` wins.
_RANK = {"corrected": 2, "amended": 2, "final": 1}

# valueString as laboratories send it: an optional comparator, a number, an optional "-" range end, an optional
# unit: "<0.20", "> 60", "< 0.2 g/g", "0-2", "10-20 /HPF", ">50". Unicode comparators and dashes are read too. A
# decimal comma is not read ("1,200" is a thousand separator in one lab and a decimal in another): unreadable.
_VALUE_STRING = re.compile(
    r"^\s*(?P<cmp><=|>=|<|>|\u2264|\u2265)?\s*(?P<num>\d+(?:\.\d+)?|\.\d+)"
    r"(?:\s*(?:-|\u2013|\u2014|to)\s*(?P<high>\d+(?:\.\d+)?))?\s*(?P<unit>[A-Za-z/%#{\[\u00b5\u03bc].*?)?\s*$"
)
_UNICODE_COMPARATOR = {"\u2264": "<=", "\u2265": ">="}
# "Too numerous to count" in a microscopy count: the category above the top countable one. Many laboratories report
# urine RBC per HPF on the semi-quantitative scale 0-2, 3-5, 6-10, 11-20, 21-50, >50, TNTC, so TNTC is read as
# "> 50" per field (a lower bound: every test against 5/HPF or 0 casts is decided by it). Only for per-field
# counts (an implied /[HPF] or /[LPF] unit); elsewhere it is unreadable. Debatable where a lab's scale stops lower.
TNTC_AT_LEAST_PER_FIELD = Decimal(50)
_TNTC = re.compile(r"^\s*(?:tntc|too\s+numerous(?:\s+to\s+count)?)\s*\.?\s*$", re.IGNORECASE)
_PER_FIELD_UNITS = frozenset({"/[HPF]", "/[LPF]"})


@dataclass(frozen=True, slots=True)
class StringValue:
    """A valueString read as a number, a bound (comparator) or a range (low-high), with the unit it names."""

    value: Decimal  # the number, the bound, or the range's upper end
    comparator: str | None = None  # "<=" for a range
    low: Decimal | None = None  # the range's lower end
    unit: str | None = None


def read_value_string(text: str) -> StringValue | None:
    """Returns the valueString as a number, bound or range; None when it holds none (a comment, "TNTC").

    A range must run low to high ("20-10" is unreadable); a comparator on a range is not a form labs use.
    """
    match = _VALUE_STRING.match(text)
    if match is None:
        return None
    try:
        number = Decimal(match["num"])
        high = Decimal(match["high"]) if match["high"] else None
    except InvalidOperation:  # pragma: no cover -- the pattern admits only decimal digits
        return None
    comparator = _UNICODE_COMPARATOR.get(match["cmp"] or "", match["cmp"])
    unit = match["unit"] or None
    if high is None:
        return StringValue(number, comparator, None, unit)
    if comparator is not None or high < number:
        return None
    if high == number:
        return StringValue(number, None, None, unit)
    return StringValue(high, "<=", number, unit)


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
    read = _read_value(concept, obs, when)
    if isinstance(read, Skip):
        return read
    value, source_unit, comparator, low = read
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
        low=low,
        issued=as_instant(obs.issued),
        corrected=obs.status in _CORRECTED,
        specimen=obs.specimen.reference if obs.specimen is not None else None,
        reference_high=_reference_high(concept, obs),
    )


def _reference_high(concept: LabConcept, obs: Any) -> Decimal | None:
    """Returns the upper limit of the lab's first reference range with one, in the canonical unit, or None.

    The range is in the result's unit (FHIR: referenceRange.high is a SimpleQuantity); a range whose unit cannot
    be converted is not used. A range restricted to another population (appliesTo, age) is the lab's choice for
    this result, so it is taken as sent.
    """
    for rng in obs.referenceRange or ():
        high = rng.high
        if high is None or high.value is None:
            continue
        converted = _canonical_value(concept, high)
        return converted[0] if converted is not None else None
    return None


_Read = tuple[Decimal, str, str | None, Decimal | None]  # canonical value, source unit, comparator, range low


def _read_value(concept: LabConcept, obs: Any, when: datetime) -> _Read | Skip:
    """Returns the value in the canonical unit from valueQuantity, else from valueString, or the Skip."""
    quantity = obs.valueQuantity
    if quantity is not None and quantity.value is not None:
        converted = _canonical_value(concept, quantity)
        if converted is None:
            return Skip(SkipReason.UNKNOWN_UNIT, concept)
        comparator = quantity.comparator
        if comparator is not None and comparator not in COMPARATORS:
            return Skip(SkipReason.INVALID, concept)  # e.g. R5's "ad" (sufficient to achieve): no bound to judge
        return converted[0], converted[1], comparator, None
    if obs.valueString is None:
        return Skip(SkipReason.NO_VALUE, concept)
    text = read_value_string(obs.valueString)
    if text is None and _TNTC.match(obs.valueString) and LAB_CONCEPTS[concept].implied_unit in _PER_FIELD_UNITS:
        text = StringValue(TNTC_AT_LEAST_PER_FIELD, ">")
    if text is None:
        return Skip(SkipReason.UNREADABLE, concept, when)
    unit = text.unit or LAB_CONCEPTS[concept].implied_unit
    if unit is None:  # "2.1" as UPCR: g/g, mg/g or mg/mmol? never guessed; its time lets the card say so
        return Skip(SkipReason.UNKNOWN_UNIT, concept, when)
    value = units.to_canonical(concept, text.value, unit)
    low = units.to_canonical(concept, text.low, unit) if text.low is not None else None
    if value is None or (text.low is not None and low is None):
        return Skip(SkipReason.UNKNOWN_UNIT, concept)
    return value, unit, text.comparator, low


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


def _same_measurement(result: LabResult) -> tuple[object, ...]:
    """Returns what makes two results versions of one measurement: the specimen when the lab names it, else the
    effective calendar day (a correction keeps the original's time; an interface re-send duplicates it)."""
    return (result.concept, "specimen", result.specimen) if result.specimen else (result.concept, result.when.date())


def _version_rank(result: LabResult) -> tuple[int, datetime, datetime]:
    status = 2 if result.corrected else (1 if result.decides else 0)
    issued = result.issued or result.when
    return status, issued, result.when


def resolve_versions(results: Iterable[LabResult]) -> list[LabResult]:
    """Returns one result per measurement: corrections supersede the original, duplicates collapse.

    Results of one specimen, or (with no specimen named) of one concept on one calendar day, are versions of one
    measurement. The one kept: a corrected/amended result over a final one, a final over a preliminary one (FHIR R4
    ObservationStatus), then the latest `issued`, then the latest effective time. Two same-day results of one
    concept are taken as one measurement even when their times differ: the response model reads one value per day
    (baseline nearest T0, latest current), and a re-sent or corrected result must never count twice. A result of
    one specimen and a result naming no specimen on the same day are still collapsed by day, below.
    """
    by_specimen: dict[tuple[object, ...], LabResult] = {}
    for result in results:
        key = _same_measurement(result)
        kept = by_specimen.get(key)
        if kept is None or _version_rank(result) > _version_rank(kept):
            by_specimen[key] = result
    by_day: dict[tuple[object, ...], LabResult] = {}
    for result in by_specimen.values():
        key = (result.concept, result.when.date())
        kept = by_day.get(key)
        if kept is None or _version_rank(result) > _version_rank(kept):
            by_day[key] = result
    return list(by_day.values())


# Judgement call (review D10): two final, exact results of one concept on one day, neither a correction and not
# versions of one specimen, whose values differ by more than a fifth of the larger are a conflict, not a re-send
# (an interface re-send repeats the value; a UPCR repeated the same morning varies by far less). The later one is
# still the one kept (`resolve_versions`), but the card says the day was in doubt: never a silent decision.
CONFLICT_MIN_RELATIVE_DIFFERENCE = Decimal("0.2")


def same_day_conflicts(results: Iterable[LabResult]) -> dict[LabConcept, tuple[date, ...]]:
    """Returns, per concept, the days on which final results disagree (CONFLICT_MIN_RELATIVE_DIFFERENCE)."""
    by_day: dict[tuple[LabConcept, date], list[LabResult]] = {}
    for r in results:
        if r.decides and not r.corrected and r.comparator is None and r.low is None:
            by_day.setdefault((r.concept, r.when.date()), []).append(r)
    out: dict[LabConcept, list[date]] = {}
    for (concept, day), same in sorted(by_day.items(), key=lambda kv: kv[0][1]):
        if len({r.specimen for r in same if r.specimen}) == 1 and all(r.specimen for r in same):
            continue  # versions of one specimen: the latest issued supersedes (resolve_versions)
        low, high = min(r.value for r in same), max(r.value for r in same)
        if high > 0 and (high - low) / high > CONFLICT_MIN_RELATIVE_DIFFERENCE:
            out.setdefault(concept, []).append(day)
    return {concept: tuple(days) for concept, days in out.items()}


def build_lab_series(
    results: Iterable[LabResult], unreadable: Iterable[tuple[LabConcept, datetime]] = ()
) -> dict[LabConcept, LabSeries]:
    """Returns one LabSeries per concept present in `results` (or in `unreadable`), each sorted by time (oldest
    first), corrections and duplicates resolved (`resolve_versions`)."""
    results = list(results)
    conflicts = same_day_conflicts(results)
    grouped: dict[LabConcept, list[LabResult]] = {}
    for result in resolve_versions(results):
        grouped.setdefault(result.concept, []).append(result)
    unread: dict[LabConcept, list[datetime]] = {}
    for concept, when in unreadable:
        unread.setdefault(concept, []).append(when)
        grouped.setdefault(concept, [])
    return {
        concept: LabSeries(
            concept,
            tuple(sorted(items, key=lambda r: r.when)),
            tuple(sorted(unread.get(concept, ()))),
            conflicts.get(concept, ()),
        )
        for concept, items in sorted(grouped.items(), key=lambda kv: list(LabConcept).index(kv[0]))
    }
