"""UCUM normalisation: every lab value is converted to its concept's canonical unit (`lab_concepts.LAB_CONCEPTS`).

Only the units listed in each concept's row are converted; any other unit gives None, so the caller skips the result
and reports it. A value is never converted silently on a guess. All arithmetic is Decimal. Unit strings are matched
after a light normalisation (case, spaces, the micro sign, a trailing "creat" word, and then `{...}` annotations,
which carry no unit meaning in UCUM), so common non-UCUM spellings such as "mg/g creat" or "mg/24 HR" are accepted.
"""

from __future__ import annotations

import re
from decimal import Decimal

from fhir_maps.domain import LabConcept
from fhir_maps.lab_concepts import LAB_CONCEPTS

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
    table = LAB_CONCEPTS[concept].factors
    as_written, bare = _spellings(unit)
    return table.get(as_written, table.get(bare))


def plausible(concept: LabConcept, canonical: Decimal) -> bool:
    """Returns True when a canonical-unit value is finite and within its row's `plausible_range` (`LabConceptSpec`)."""
    if not isinstance(canonical, Decimal) or not canonical.is_finite():
        return False
    low, high = LAB_CONCEPTS[concept].plausible_range
    if not low <= canonical <= high:
        return False
    return canonical == 0 or canonical >= PLAUSIBLE_SMALLEST_NONZERO


def convert(concept: LabConcept, value: Decimal, unit: str) -> Decimal | None:
    """Returns `value` in `unit` converted to the canonical unit of `concept`, or None when the unit is not recognised
    or the value is not a finite number. Unit arithmetic only: mapping uses `to_canonical`, which also checks bounds.
    """
    f = factor(concept, unit)
    if f is None or not isinstance(value, Decimal) or not value.is_finite():
        return None
    try:
        return value * f
    except ArithmeticError:  # decimal.Overflow, Underflow and InvalidOperation are all ArithmeticErrors
        return None


def to_canonical(concept: LabConcept, value: Decimal, unit: str) -> Decimal | None:
    """Returns `value` in `unit` converted to the canonical unit of `concept`, or None when the unit is not recognised
    or the result is not `plausible` (non-finite or outside its bound): the caller skips it as an unknown unit.
    """
    converted = convert(concept, value, unit)
    return converted if converted is not None and plausible(concept, converted) else None


def from_canonical(concept: LabConcept, value: Decimal, unit: str) -> Decimal | None:
    """Returns a canonical-unit `value` expressed in `unit` (the inverse of `convert`), or None if unknown."""
    f = factor(concept, unit)
    return None if f is None else value / f
