"""The three measurements the response model reads: proteinuria, kidney function and urinary sediment.

Each is picked "as of" a day, so the same code judges today and the day of an earlier therapy change. Only results
that may decide (`LabResult.decides`: final, amended, corrected) are picked; a newer preliminary result is reported,
never used (response-model.md section 3).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from fhir_maps.domain import Interpretation, LabConcept, LabResult, PatientData
from fhir_maps.egfr import ckd_epi_2021

BASELINE_DAYS_BEFORE_T0 = 90  # response-model.md section 3: baseline within [T0 - 90 days, T0 + 14 days]
BASELINE_DAYS_AFTER_T0 = 14  # response-model.md section 3
CURRENT_MAX_AGE_DAYS = 90  # response-model.md section 3: current = latest at or before today, no older than 90 days
ACTIVE_SEDIMENT_RBC_PER_HPF = 5  # response-model.md §3: active when RBC > 5/HPF
PROTEINURIA_CONCEPTS = (LabConcept.UPCR, LabConcept.PROTEIN_24H)


@dataclass(frozen=True, slots=True)
class Reading:
    """One picked result, reduced to what the rules and the card need."""

    concept: LabConcept
    value: Decimal
    day: date


def relative_change(baseline: Reading, current: Reading) -> Decimal | None:
    """Returns (current - baseline) / baseline, or None when the baseline is zero."""
    if baseline.value == 0:
        return None
    return (current.value - baseline.value) / baseline.value


def baseline_window(t0: date) -> tuple[date, date]:
    """Returns the inclusive window a baseline value must fall in."""
    return t0 - timedelta(days=BASELINE_DAYS_BEFORE_T0), t0 + timedelta(days=BASELINE_DAYS_AFTER_T0)


def current_window(as_of: date) -> tuple[date, date]:
    """Returns the inclusive window a current value must fall in."""
    return as_of - timedelta(days=CURRENT_MAX_AGE_DAYS), as_of


def _reading(result: LabResult) -> Reading:
    return Reading(result.concept, result.value, result.when.date())


def _in(day: date, window: tuple[date, date]) -> bool:
    return window[0] <= day <= window[1]


def pick_baseline(results: Iterable[LabResult], t0: date) -> LabResult | None:
    """Returns the decisive result nearest T0 in the baseline window.

    Ties in distance go to the value before T0 (untreated disease is the truer baseline), then to the later one.
    """
    window = baseline_window(t0)
    candidates = [r for r in results if r.decides and _in(r.when.date(), window)]
    if not candidates:
        return None
    return min(candidates, key=lambda r: (abs((r.when.date() - t0).days), r.when.date() > t0, -r.when.timestamp()))


def pick_current(results: Iterable[LabResult], as_of: date) -> LabResult | None:
    """Returns the latest decisive result in the current window."""
    window = current_window(as_of)
    candidates = [r for r in results if r.decides and _in(r.when.date(), window)]
    return max(candidates, key=lambda r: r.when) if candidates else None


@dataclass(frozen=True, slots=True)
class Proteinuria:
    """Baseline and current proteinuria (UPCR g/g and 24-h protein g/day as one series)."""

    baseline: Reading | None
    current: Reading | None
    last_decisive: Reading | None  # the latest decisive value at or before as_of, however old
    preliminary_skipped: date | None  # a preliminary result newer than the last decisive one: shown, not used
    baseline_window: tuple[date, date]
    current_window: tuple[date, date]

    @property
    def change(self) -> Decimal | None:
        """Returns the relative change from baseline, or None when it cannot be computed."""
        if self.baseline is None or self.current is None:
            return None
        return relative_change(self.baseline, self.current)

    @property
    def mixed_kinds(self) -> bool:
        """Returns True when baseline and current are of different kinds (UPCR vs 24-h protein)."""
        return bool(self.baseline and self.current and self.baseline.concept is not self.current.concept)

    @property
    def current_is_baseline(self) -> bool:
        """Returns True when no result was taken after the baseline one."""
        return bool(self.baseline and self.current and self.current.day <= self.baseline.day)


def proteinuria(data: PatientData, t0: date, as_of: date) -> Proteinuria:
    """Returns the proteinuria figures of a line that started on `t0`, judged on `as_of`."""
    results = sorted(
        (r for c in PROTEINURIA_CONCEPTS for r in data.series(c).results if r.when.date() <= as_of),
        key=lambda r: r.when,
    )
    baseline = pick_baseline(results, t0)
    current = pick_current(results, as_of)
    decisive = [r for r in results if r.decides]
    last = decisive[-1] if decisive else None
    newer_preliminary = [r for r in results if not r.decides and (last is None or r.when > last.when)]
    return Proteinuria(
        baseline=_reading(baseline) if baseline else None,
        current=_reading(current) if current else None,
        last_decisive=_reading(last) if last else None,
        preliminary_skipped=newer_preliminary[-1].when.date() if newer_preliminary else None,
        baseline_window=baseline_window(t0),
        current_window=current_window(as_of),
    )


class KidneyMethod(StrEnum):
    EGFR_REPORTED = "egfr-reported"
    EGFR_COMPUTED = "egfr-computed"  # CKD-EPI 2021 from creatinine, age and sex: the card says so
    CREATININE = "creatinine"  # no age or sex: creatinine compared directly


class KidneyState(StrEnum):
    NORMAL = "normal"  # the lab flagged the current creatinine normal: counts as normal regardless of baseline
    STABLE = "stable"
    WORSE = "worse"  # fell (eGFR) or rose (creatinine) beyond the set's tolerance
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class KidneyFunction:
    state: KidneyState
    method: KidneyMethod | None = None
    baseline: Reading | None = None
    current: Reading | None = None
    latest_egfr: Reading | None = None  # the latest eGFR (reported, else computed) in the window, baseline or not

    @property
    def change(self) -> Decimal | None:
        """Returns the relative change from baseline, or None."""
        if self.baseline is None or self.current is None:
            return None
        return relative_change(self.baseline, self.current)


def _computed_egfr(data: PatientData, result: LabResult) -> LabResult | None:
    """Returns an eGFR computed from one creatinine result, or None when age or sex do not allow it."""
    birth = data.demographics.birth_date
    if birth is None:
        return None
    day = result.when.date()
    age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
    try:
        value = ckd_epi_2021(result.value, age, data.demographics.sex)
    except ValueError:  # unknown sex, under 18, or a non-positive creatinine: compare creatinine instead
        return None
    return LabResult(LabConcept.EGFR, result.when, value, "mL/min/{1.73_m2}", result.status, "computed")


def _pair(results: list[LabResult], t0: date, as_of: date) -> tuple[LabResult, LabResult] | None:
    baseline, current = pick_baseline(results, t0), pick_current(results, as_of)
    return (baseline, current) if baseline and current else None


def _state(method: KidneyMethod, baseline: Reading, current: Reading, tolerance: Decimal) -> KidneyState:
    if method is KidneyMethod.CREATININE:  # creatinine rises as function falls
        return KidneyState.STABLE if current.value <= baseline.value * (1 + tolerance) else KidneyState.WORSE
    return KidneyState.STABLE if current.value >= baseline.value * (1 - tolerance) else KidneyState.WORSE


def kidney_function(data: PatientData, t0: date, as_of: date, tolerance: Decimal) -> KidneyFunction:
    """Returns kidney function at `as_of` against the line's baseline, by the first method that has both values.

    Methods in order: reported eGFR, eGFR computed from creatinine, creatinine itself. A current creatinine the
    lab flagged normal makes the state NORMAL whatever the baseline.
    """
    creatinine = [r for r in data.series(LabConcept.CREATININE).results if r.when.date() <= as_of]
    current_creatinine = pick_current(creatinine, as_of)
    flagged_normal = bool(current_creatinine and current_creatinine.interpretation is Interpretation.NORMAL)
    computed = [e for r in creatinine if (e := _computed_egfr(data, r)) is not None]
    reported = [r for r in data.series(LabConcept.EGFR).results if r.when.date() <= as_of]
    latest = pick_current(reported, as_of) or pick_current(computed, as_of)
    latest_egfr = _reading(latest) if latest else None
    for method, results in (
        (KidneyMethod.EGFR_REPORTED, reported),
        (KidneyMethod.EGFR_COMPUTED, computed),
        (KidneyMethod.CREATININE, creatinine),
    ):
        pair = _pair(results, t0, as_of)
        if pair is None:
            continue
        baseline, current = _reading(pair[0]), _reading(pair[1])
        state = KidneyState.NORMAL if flagged_normal else _state(method, baseline, current, tolerance)
        return KidneyFunction(state, method, baseline, current, latest_egfr)
    if flagged_normal and current_creatinine is not None:
        current = _reading(current_creatinine)
        return KidneyFunction(KidneyState.NORMAL, KidneyMethod.CREATININE, None, current, latest_egfr)
    return KidneyFunction(KidneyState.UNKNOWN, latest_egfr=latest_egfr)


class SedimentState(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    UNTYPED_CASTS = "untyped-casts"  # casts present, type not reported: does not decide
    UNKNOWN = "unknown"  # not measured in the window: never assumed inactive


@dataclass(frozen=True, slots=True)
class Sediment:
    state: SedimentState
    rbc: Reading | None = None
    rbc_flagged_abnormal: bool = False
    cellular_casts: Reading | None = None
    untyped_casts: Reading | None = None


def sediment(data: PatientData, as_of: date) -> Sediment:
    """Returns the sediment state from the latest decisive result of each measure in the last 90 days.

    Untyped casts decide nothing: with a normal RBC count and no typed cellular-cast result they leave the state
    open ("casts present, type not reported"); with a cellular-cast count of 0 they do not stop "inactive".
    """

    def latest(concept: LabConcept) -> LabResult | None:
        return pick_current((r for r in data.series(concept).results if r.when.date() <= as_of), as_of)

    rbc, casts, untyped = (
        latest(LabConcept.URINE_RBC),
        latest(LabConcept.CELLULAR_CASTS),
        latest(LabConcept.CASTS_UNTYPED),
    )
    flagged = bool(rbc and rbc.interpretation is Interpretation.ABNORMAL)
    if (rbc and (rbc.value > ACTIVE_SEDIMENT_RBC_PER_HPF or flagged)) or (casts and casts.value > 0):
        state = SedimentState.ACTIVE
    elif rbc is None:
        state = SedimentState.UNKNOWN
    elif untyped and untyped.value > 0 and casts is None:
        state = SedimentState.UNTYPED_CASTS
    else:
        state = SedimentState.INACTIVE
    return Sediment(
        state,
        _reading(rbc) if rbc else None,
        flagged,
        _reading(casts) if casts else None,
        _reading(untyped) if untyped else None,
    )
