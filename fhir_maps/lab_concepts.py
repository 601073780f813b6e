"""One row per lab concept: how it is coded, its canonical UCUM unit, the units it converts from, its plausible range.

Everything fhir_maps knows about a `LabConcept` is in its `LabConceptSpec` row, so a new concept (or a new accepted
unit) is one edit here, never four tables kept in step by hand. The codes themselves stay in `codes.py`, each cited
there; the conversion factors and plausibility bounds are cited below. `units.py` does the arithmetic with them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from fhir_maps import codes
from fhir_maps.codes import ValueSet
from fhir_maps.domain import LabConcept

__all__ = ["CANONICAL_UNIT", "LAB_CONCEPTS", "LAB_CONCEPT_ROWS", "LabConceptSpec"]


@dataclass(frozen=True, slots=True)
class LabConceptSpec:
    """How one measured quantity is recognised and normalised.

    `factors` maps each accepted unit, in `units`' normalised spelling (lower case, no spaces), to the factor that
    takes it to `canonical_unit`: canonical value = value x factor. Only these units are converted; any other gives
    None, never a guess. `plausible_range` is inclusive, in `canonical_unit`: NOT a clinical threshold, it only keeps
    values no laboratory reports (a mistyped exponent, a unit slip by 10^6, an overflow) away from the rules and the
    card texts, where Decimal arithmetic on them would raise. Each bound is generous, many times past any survivable
    value; a result outside it is skipped like one in an unknown unit.
    """

    concept: LabConcept
    value_set: ValueSet  # codes.py, each code cited there
    canonical_unit: str  # UCUM
    factors: Mapping[str, Decimal]
    plausible_range: tuple[Decimal, Decimal]
    # The unit a valueString with no unit is read in ("0-2" for RBC per HPF, "> 60" for eGFR): only where the
    # code leaves one unit possible. None: a unitless string is skipped as an unknown unit (UPCR could be g/g,
    # mg/g or mg/mmol; creatinine mg/dL or umol/L), never guessed.
    implied_unit: str | None = None

    def __post_init__(self) -> None:
        # A read-only copy: the row is frozen, so its unit table must not change under it either.
        object.__setattr__(self, "factors", MappingProxyType(dict(self.factors)))


ONE = Decimal(1)
MG_PER_G = Decimal(1000)  # SI prefix milli-
# Creatinine, 113.12 g/mol, so 1 mmol = 113.1 mg and 1 mg/mmol = 8.8417 mg/g (terminology.md §7, after
# medicalalgorithms.com's ACR unit conversion); response-model.md §3 states the same rule as "mg/mmol ÷ 113.1 = g/g".
CREATININE_MG_PER_MMOL = Decimal("113.1")
UPCR_G_PER_G_PER_MG_PER_MMOL = ONE / CREATININE_MG_PER_MMOL  # 0.0088417...: mg/mmol x this = g/g
# Serum creatinine: umol/L = mg/dL x 88.4 (10 dL/L x 1000 ug/mg ÷ 113.12 g/mol; terminology.md §7).
CREATININE_UMOL_PER_L_PER_MG_PER_DL = Decimal("88.4")

_PER_HPF = dict.fromkeys(("/[hpf]", "#/hpf", "/hpf", "cells/hpf", "rbc/hpf", "#/[hpf]"), ONE)
_PER_LPF = dict.fromkeys(("/[lpf]", "#/lpf", "/lpf", "casts/lpf", "#/[lpf]"), ONE)

LAB_CONCEPT_ROWS: tuple[LabConceptSpec, ...] = (
    LabConceptSpec(
        LabConcept.UPCR,
        codes.UPCR,
        "g/g",
        {
            "g/g": ONE,
            "mg/mg": ONE,  # the same mass ratio
            "mg/g": ONE / MG_PER_G,
            "mg/mmol": UPCR_G_PER_G_PER_MG_PER_MMOL,
            "g/mmol": UPCR_G_PER_G_PER_MG_PER_MMOL * MG_PER_G,
        },
        (Decimal(0), Decimal(100)),  # g/g; plausibility bound, not a clinical threshold
    ),
    LabConceptSpec(
        LabConcept.PROTEIN_24H,
        codes.PROTEIN_24H,
        "g/(24.h)",
        {
            **dict.fromkeys(("g/(24.h)", "g/d", "g/day", "g/24h", "g/24hr", "g/24hrs"), ONE),
            **dict.fromkeys(("mg/(24.h)", "mg/d", "mg/day", "mg/24h", "mg/24hr", "mg/24hrs"), ONE / MG_PER_G),
        },
        (Decimal(0), Decimal(100)),  # g/day; plausibility bound, not a clinical threshold
    ),
    LabConceptSpec(
        LabConcept.CREATININE,
        codes.CREATININE,
        "mg/dL",
        {"mg/dl": ONE, "umol/l": ONE / CREATININE_UMOL_PER_L_PER_MG_PER_DL},
        (Decimal("0.05"), Decimal(30)),  # mg/dL; plausibility bound, not a clinical threshold
    ),
    LabConceptSpec(
        LabConcept.EGFR,
        codes.EGFR,
        "mL/min/{1.73_m2}",
        dict.fromkeys(("ml/min/{1.73_m2}", "ml/min/1.73m2", "ml/min/1.73_m2", "ml/min/1.73m²"), ONE),
        (Decimal(0), Decimal(250)),  # mL/min/1.73 m2; plausibility bound, not a clinical threshold
        "mL/min/{1.73_m2}",  # the eGFR LOINC codes are all per 1.73 m2 (codes.EGFR): no other unit exists
    ),
    LabConceptSpec(
        LabConcept.URINE_RBC,
        codes.URINE_RBC,
        "/[HPF]",
        _PER_HPF,
        (Decimal(0), Decimal(10000)),  # /HPF; plausibility bound, not a clinical threshold
        "/[HPF]",  # the codes (codes.URINE_RBC) are counts per high-power field by name
    ),
    LabConceptSpec(
        LabConcept.CELLULAR_CASTS,
        codes.CELLULAR_CASTS,
        "/[LPF]",
        _PER_LPF,
        (Decimal(0), Decimal(10000)),  # /LPF; plausibility bound, not a clinical threshold
        "/[LPF]",  # the codes are counts per low-power field by name
    ),
    LabConceptSpec(
        LabConcept.CASTS_UNTYPED,
        codes.CASTS_UNTYPED,
        "/[LPF]",
        _PER_LPF,
        (Decimal(0), Decimal(10000)),  # /LPF; plausibility bound, not a clinical threshold
        "/[LPF]",  # the codes are counts per low-power field by name
    ),
)

# The rows by concept, in row order (a code is matched to the first concept whose value set holds it).
LAB_CONCEPTS: Mapping[LabConcept, LabConceptSpec] = {row.concept: row for row in LAB_CONCEPT_ROWS}
# The canonical unit of each concept, a view of the rows (LabResult.unit).
CANONICAL_UNIT: Mapping[LabConcept, str] = {row.concept: row.canonical_unit for row in LAB_CONCEPT_ROWS}
