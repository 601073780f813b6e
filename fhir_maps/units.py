"""UCUM normalisation: every lab value is converted to its concept's canonical unit (`domain.CANONICAL_UNIT`).

Only the units listed here are converted; any other unit gives None, so the caller skips the result and reports it.
A value is never converted silently on a guess. All arithmetic is Decimal. Unit strings are matched after a light
normalisation (case, spaces, the micro sign, a trailing "creat" word, and then `{...}` annotations, which carry no
unit meaning in UCUM), so common non-UCUM spellings such as "mg/g creat" or "mg/24 HR" are accepted.
"""

from __future__ import annotations

import re
from decimal import Decimal

from fhir_maps.domain import LabConcept

ONE = Decimal(1)
MG_PER_G = Decimal(1000)  # SI prefix milli-
# Creatinine, 113.12 g/mol, so 1 mmol = 113.1 mg and 1 mg/mmol = 8.8417 mg/g (terminology.md §7, after
# medicalalgorithms.com's ACR unit conversion); response-model.md §3 states the same rule as "mg/mmol ÷ 113.1 = g/g".
CREATININE_MG_PER_MMOL = Decimal("113.1")
UPCR_G_PER_G_PER_MG_PER_MMOL = ONE / CREATININE_MG_PER_MMOL  # 0.0088417...: mg/mmol x this = g/g
# Serum creatinine: umol/L = mg/dL x 88.4 (10 dL/L x 1000 ug/mg ÷ 113.12 g/mol; terminology.md §7).
CREATININE_UMOL_PER_L_PER_MG_PER_DL = Decimal("88.4")

_UPCR = {
    "g/g": ONE,
    "mg/mg": ONE,  # the same mass ratio
    "mg/g": ONE / MG_PER_G,
    "mg/mmol": UPCR_G_PER_G_PER_MG_PER_MMOL,
    "g/mmol": UPCR_G_PER_G_PER_MG_PER_MMOL * MG_PER_G,
}
_PROTEIN_24H = {
    **dict.fromkeys(("g/(24.h)", "g/d", "g/day", "g/24h", "g/24hr", "g/24hrs"), ONE),
    **dict.fromkeys(("mg/(24.h)", "mg/d", "mg/day", "mg/24h", "mg/24hr", "mg/24hrs"), ONE / MG_PER_G),
}
_CREATININE = {
    "mg/dl": ONE,
    "umol/l": ONE / CREATININE_UMOL_PER_L_PER_MG_PER_DL,
}
_EGFR = dict.fromkeys(("ml/min/{1.73_m2}", "ml/min/1.73m2", "ml/min/1.73_m2", "ml/min/1.73m²"), ONE)
_PER_HPF = dict.fromkeys(("/[hpf]", "#/hpf", "/hpf", "cells/hpf", "rbc/hpf", "#/[hpf]"), ONE)
_PER_LPF = dict.fromkeys(("/[lpf]", "#/lpf", "/lpf", "casts/lpf", "#/[lpf]"), ONE)

# Factor from each accepted unit to the canonical unit: canonical value = value x factor.
FACTORS: dict[LabConcept, dict[str, Decimal]] = {
    LabConcept.UPCR: _UPCR,
    LabConcept.PROTEIN_24H: _PROTEIN_24H,
    LabConcept.CREATININE: _CREATININE,
    LabConcept.EGFR: _EGFR,
    LabConcept.URINE_RBC: _PER_HPF,
    LabConcept.CELLULAR_CASTS: _PER_LPF,
    LabConcept.CASTS_UNTYPED: _PER_LPF,
}

# Plausibility bounds, in each concept's canonical unit. NOT clinical thresholds: they only keep values no
# laboratory reports (a mistyped exponent, a unit slip by 10^6, an overflow) away from the rules and the card
# texts, where Decimal arithmetic on them would raise. Each is generous, many times past any survivable value;
# a result outside its bound is skipped like one in an unknown unit. Inclusive at both ends.
PLAUSIBLE_RANGE: dict[LabConcept, tuple[Decimal, Decimal]] = {
    LabConcept.UPCR: (Decimal(0), Decimal(100)),  # g/g; plausibility bound, not a clinical threshold
    LabConcept.PROTEIN_24H: (Decimal(0), Decimal(100)),  # g/day; plausibility bound, not a clinical threshold
    LabConcept.CREATININE: (Decimal("0.05"), Decimal(30)),  # mg/dL; plausibility bound, not a clinical threshold
    LabConcept.EGFR: (Decimal(0), Decimal(250)),  # mL/min/1.73 m2; plausibility bound, not a clinical threshold
    LabConcept.URINE_RBC: (Decimal(0), Decimal(10000)),  # /HPF; plausibility bound, not a clinical threshold
    LabConcept.CELLULAR_CASTS: (Decimal(0), Decimal(10000)),  # /LPF; plausibility bound, not a clinical threshold
    LabConcept.CASTS_UNTYPED: (Decimal(0), Decimal(10000)),  # /LPF; plausibility bound, not a clinical threshold
}
# A non-zero result below a millionth of its canonical unit is no laboratory's resolution (plausibility bound,
# not a clinical threshold). Without it a baseline of 1e-300 g/g would make a relative change of 10^300 %.
PLAUSIBLE_SMALLEST_NONZERO = Decimal("1e-6")

_CREAT_WORD = re.compile(r"\s+creat(?:inine)?\.?$")
_ANNOTATION = re.compile(r"\{[^}]*\}")
_SPACE = re.compile(r"\s+")


def _spellings(unit: str) -> tuple[str, str]:
    text = unit.strip().lower().replace("\u00b5", "u").replace("\u03bc", "u")  # micro sign, Greek mu
    text = _SPACE.sub("", _CREAT_WORD.sub("", text))
    return text, _ANNOTATION.sub("", text)


def factor(concept: LabConcept, unit: str) -> Decimal | None:
    """Returns the factor that takes `unit` to the canonical unit of `concept`, or None if the unit is not known.

    The unit is looked up as written first (eGFR's `{1.73_m2}` is part of its unit), then without annotations.
    """
    table = FACTORS[concept]
    as_written, bare = _spellings(unit)
    return table.get(as_written, table.get(bare))


def plausible(concept: LabConcept, canonical: Decimal) -> bool:
    """Returns True when a canonical-unit value is finite and within `PLAUSIBLE_RANGE[concept]` (see there)."""
    if not isinstance(canonical, Decimal) or not canonical.is_finite():
        return False
    low, high = PLAUSIBLE_RANGE[concept]
    if not low <= canonical <= high:
        return False
    return canonical == 0 or canonical >= PLAUSIBLE_SMALLEST_NONZERO


def convert(concept: LabConcept, value: Decimal, unit: str) -> Decimal | None:
    """Returns `value` in `unit` converted to `CANONICAL_UNIT[concept]`, or None when the unit is not recognised or
    the value is not a finite number. Unit arithmetic only: mapping uses `to_canonical`, which also checks bounds.
    """
    f = factor(concept, unit)
    if f is None or not isinstance(value, Decimal) or not value.is_finite():
        return None
    try:
        return value * f
    except ArithmeticError:  # decimal.Overflow, Underflow and InvalidOperation are all ArithmeticErrors
        return None


def to_canonical(concept: LabConcept, value: Decimal, unit: str) -> Decimal | None:
    """Returns `value` in `unit` converted to `CANONICAL_UNIT[concept]`, or None when the unit is not recognised
    or the result is not `plausible` (non-finite or outside its bound): the caller skips it as an unknown unit.
    """
    converted = convert(concept, value, unit)
    return converted if converted is not None and plausible(concept, converted) else None


def from_canonical(concept: LabConcept, value: Decimal, unit: str) -> Decimal | None:
    """Returns a canonical-unit `value` expressed in `unit` (the inverse of `convert`), or None if unknown."""
    f = factor(concept, unit)
    return None if f is None else value / f
