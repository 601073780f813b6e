"""Daily dose from a MedicationRequest's first dosage instruction, in mg/day, or None when it cannot be computed.

Only the plain case is computed: one doseQuantity in mg or g (or a count of tablets/capsules of a product whose
unit strength the product table knows) given `frequency` times per `period` h, d or wk. Ranges, rates, tapers,
"as needed", timing codes without a repeat, and anything else give None: a dose is never guessed.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from fhir_maps.domain import Agent

MG_PER_G = Decimal(1000)  # SI prefix milli-
HOURS_PER_DAY = Decimal(24)
DAYS_PER_WEEK = Decimal(7)
DOSE_QUANTUM = Decimal("0.01")  # mg/day is reported to 0.01 mg; finer digits only come from division
# Plausibility bound, not a clinical threshold: no agent this service reads is given at 100 g a day, so a larger
# computed dose is a data error (a mistyped exponent, a unit slip) and gives None like any uncomputable dose.
MAX_PLAUSIBLE_DAILY_DOSE_MG = Decimal(100_000)

# Infused in pulses weeks apart (response-model.md §2): a "mg per day" averaged over a 2-week or 6-month cycle
# would mislead, so their dose is only computed when the schedule is itself daily or sub-daily.
PULSE_AGENTS = frozenset(
    {
        Agent.CYCLOPHOSPHAMIDE,
        Agent.RITUXIMAB,
        Agent.OBINUTUZUMAB,
        Agent.OFATUMUMAB,
        Agent.BELIMUMAB,
        Agent.ANIFROLUMAB,
        Agent.IMMUNE_GLOBULIN,
    }
)

_MASS_MG = {"mg": Decimal(1), "g": MG_PER_G}
# Count units for a tablet or capsule, as UCUM annotations ({tbl}) or free text ("TAB", "capsules").
_UNIT_DOSE = frozenset({"tbl", "tab", "tabs", "tablet", "tablets", "cap", "caps", "capsule", "capsules"})
_PERIOD_PER_DAY = {"h": HOURS_PER_DAY, "d": Decimal(1), "wk": Decimal(1) / DAYS_PER_WEEK}
_ANNOTATION = re.compile(r"^\{(.*)\}$")


def daily_dose_mg(dosage: Any, agent: Agent, strength_mg: Decimal | None) -> Decimal | None:
    """Returns the mg/day of a validated Dosage, or None when it is not plainly computable.

    `strength_mg` is the mg per tablet/capsule of the ordered product (None when the product is not a known
    solid oral form, in which case a dose counted in tablets is not computable).
    """
    if dosage is None or dosage.timing is None or dosage.timing.repeat is None or not dosage.doseAndRate:
        return None
    repeat = dosage.timing.repeat
    if agent in PULSE_AGENTS and repeat.periodUnit not in ("h", "d"):
        return None
    try:
        dose = _dose_mg(dosage.doseAndRate[0].doseQuantity, strength_mg)
        per_day = _administrations_per_day(repeat)
        if dose is None or per_day is None:
            return None
        daily = dose * per_day
        if not daily.is_finite() or not 0 < daily <= MAX_PLAUSIBLE_DAILY_DOSE_MG:
            return None
        rounded = daily.quantize(DOSE_QUANTUM)
    except ArithmeticError:  # decimal.DecimalException: a value too large or too small for the context
        return None
    return rounded if rounded > 0 else None  # a dose below 0.005 mg/day is no dose that can be stated


def _dose_mg(quantity: Any, strength_mg: Decimal | None) -> Decimal | None:
    if quantity is None or quantity.value is None:
        return None
    value: Decimal = quantity.value
    if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        return None
    for raw in (quantity.code, quantity.unit):
        if not raw:
            continue
        unit = raw.strip().lower()
        if unit in _MASS_MG:
            return value * _MASS_MG[unit]
        match = _ANNOTATION.match(unit)
        if (match.group(1) if match else unit) in _UNIT_DOSE:
            return value * strength_mg if strength_mg is not None else None
    return None


def _administrations_per_day(repeat: Any) -> Decimal | None:
    frequency, period, unit = repeat.frequency, repeat.period, repeat.periodUnit
    if frequency is None or period is None or unit not in _PERIOD_PER_DAY or period <= 0 or frequency <= 0:
        return None
    return Decimal(frequency) * _PERIOD_PER_DAY[unit] / Decimal(period)
