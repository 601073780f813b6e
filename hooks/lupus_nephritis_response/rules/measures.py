"""The three measurements the response model reads: proteinuria, kidney function and urinary sediment.

Each is picked "as of" a day, so the same code judges today and the day of an earlier therapy change. Only results
that may decide (`LabResult.decides`: final, amended, corrected) are picked; a newer preliminary result is reported,
never used (response-model.md section 3).

Censored results ("< 0.10 g/g", "> 90 mL/min/1.73 m2") are judged as bounds, never as the number (`decide`): every
test here is monotone in each value, so a test that passes with the bound passes for every value the bound allows
when the uncertainty can only help it, and fails soundly when the uncertainty can only hurt it; anything else is
UNDECIDED, which never supports a refractory call (response-model.md section 7: never decide from a value we lack).

A range as labs report sediment counts ("10-20 /HPF") is the pair of bounds "<= 20" and ">= 10"; a test that either
bound decides is decided for every value of the range (`bound_readings`): "0-2 /HPF" is quiet, "10-20 /HPF" is
active, "3-10 /HPF" decides nothing. Where a rule judges one reading against another (a relative fall, kidney
stability) a range is read by its upper bound alone ("<= 20"): sound, at worst undecided.

Corrected and amended results have already replaced their originals, and same-day duplicates collapsed, when the
series was built (`fhir_maps.labs.resolve_versions`). A result whose value could not be read is never replaced
by an older one silently: `Proteinuria.unreadable_after` is its date when it is newer than the value used.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from fhir_maps.domain import Demographics, Interpretation, LabConcept, LabResult, LabSeries, PatientData, Sex
from fhir_maps.egfr import ADULT_AGE_YEARS, ckd_epi_2021

BASELINE_DAYS_BEFORE_T0 = 90  # response-model.md section 3: baseline within [T0 - 90 days, T0 + 14 days]
BASELINE_DAYS_AFTER_T0 = 14  # response-model.md section 3
CURRENT_MAX_AGE_DAYS = 90  # response-model.md section 3: current = latest at or before today, no older than 90 days
# The card states the current value's age when it is older than this (issue 10 §4: an older value is never shown
# as current without its date and age). A display choice of this service, not a guideline figure: about one
# monthly laboratory round during induction; the value may still be used up to CURRENT_MAX_AGE_DAYS.
CURRENT_AGE_NOTE_DAYS = 30
ACTIVE_SEDIMENT_RBC_PER_HPF = 5  # response-model.md §3: active when RBC > 5/HPF
PROTEINURIA_CONCEPTS = (LabConcept.UPCR, LabConcept.PROTEIN_24H)
# KDIGO CKD category G1 ("normal or high"): an eGFR reported as "> 90" or above is normal kidney function. Used only
# when baseline and current eGFR are both censored above (the lab's reporting ceiling), where no fall can be measured.
EGFR_NORMAL_AT_OR_ABOVE = Decimal(90)
# "Normal OR stable creatinine" (Santacruz 2023, complete and partial response; response-model.md section 4: "Normal
# creatinine counts as normal regardless of baseline"). Upper reference limits of serum creatinine for adults, IDMS-
# traceable enzymatic method: Pottel H et al., Establishing age/sex related serum creatinine reference intervals from
# hospital laboratory data based on different statistical methods, Clin Chim Acta 2008;396:49-55, PMID 18621041
# (abstract read via a PubMed mirror, 2026-12): constant between 20 and 70 years, men 0.63-1.16 mg/dL, women
# 0.48-0.93 mg/dL; above 70 creatinine "starts to slowly increase", so these limits are the conservative ones there.
# Used from 18 years (the age CKD-EPI 2021 starts); 18-19 year-old men sit a little lower (conservative only for
# women). Only the upper limit matters: a low creatinine is not impaired function. A lab's own "normal" flag
# (Observation.interpretation N) also counts, at any age: it carries the lab's own age and sex norms.
CREATININE_UPPER_NORMAL_MG_DL = {Sex.FEMALE: Decimal("0.93"), Sex.MALE: Decimal("1.16")}
# No sex recorded: the lower (female) adult limit, so that no man's normal creatinine is assumed for a woman. No
# birth date: the adult limits too (this service's decision for lupus nephritis records, documented in the package
# README; a child's norms are lower, so a record without a birth date may read as normal where a child's lab would
# not: the lab's own range, when sent, comes first).
# The lab's own reference range (Observation.referenceRange.high, converted to mg/dL) comes first at any age: it is
# the best age and sex norm for this patient, and above it the creatinine is not normal whatever the adult limits.
# Under 18: no paediatric creatinine interval was verified for this service (CALIPER and Ceriotti 2008 tables not
# read), so without the lab's range or flag an adolescent's creatinine is compared with the baseline; a rise beyond
# the tolerance that stays at or below the adult upper limit for sex (female without sex) cannot be judged against
# age norms (UNJUDGED: no refractory call from it). Paediatric creatinine norms lie below the adult plateau Pottel
# 2008 reports from 20 years (creatinine rises with muscle mass through childhood), so a value above the adult limit
# is above any paediatric one: that rise still counts as worse. The bound is this service's reasoning, not a table.
# A strict comparator's bound is excluded ("< 0.5" is below 0.5): tests read it this far beyond the bound, far below
# any reported precision, so "< 0.5 g/g" meets "below 0.5 g/g" while "<= 0.5 g/g" does not decide it.
STRICT_BOUND_OFFSET = Decimal("1e-9")
AT_MOST = frozenset({"<", "<="})  # comparators whose true value is at most the reported number
AT_LEAST = frozenset({">", ">="})  # comparators whose true value is at least the reported number


class Decision(StrEnum):
    """A test judged on possibly censored values."""

    HOLDS = "holds"
    FAILS = "fails"
    UNDECIDED = "undecided"  # the censored value's bound does not decide the test


@dataclass(frozen=True, slots=True)
class Reading:
    """One picked result, reduced to what the rules and the card need."""

    concept: LabConcept
    value: Decimal
    day: date
    comparator: str | None = None  # "<", "<=", ">", ">=": a censored result (`value` is the bound); None: exact
    low: Decimal | None = None  # a range's lower bound ("10-20": value 20, comparator "<=", low 10)

    @property
    def test_value(self) -> Decimal:
        """Returns the number a test reads: the value, or just beyond a strict comparator's excluded bound."""
        if self.comparator == "<":
            return self.value - STRICT_BOUND_OFFSET
        if self.comparator == ">":
            return self.value + STRICT_BOUND_OFFSET
        return self.value

    def uncertainty(self, *, higher_passes: bool) -> int:
        """Returns +1 when the true value can only make a test easier than `test_value` does, -1 when it can only
        make it harder, 0 when the value is exact. `higher_passes`: the test passes more easily as the value rises.
        """
        if self.comparator in AT_LEAST:
            return 1 if higher_passes else -1
        if self.comparator in AT_MOST:
            return -1 if higher_passes else 1
        return 0


def decide(passes: bool, uncertainties: Sequence[int]) -> Decision:
    """Returns how a monotone test judged on `test_value`s stands for the true values.

    A pass holds when no censored value can make the test harder; a fail holds when none can make it easier;
    otherwise the bound does not decide (response-model.md section 7).
    """
    if passes:
        return Decision.HOLDS if all(u >= 0 for u in uncertainties) else Decision.UNDECIDED
    return Decision.FAILS if all(u <= 0 for u in uncertainties) else Decision.UNDECIDED


def bound_readings(reading: Reading) -> tuple[Reading, ...]:
    """Returns the reading, and for a range also its lower bound as ">= low": each holds every value of the range,
    so a test either one decides is decided for the range."""
    if reading.low is None:
        return (reading,)
    return (reading, Reading(reading.concept, reading.low, reading.day, ">="))


def judge_one(reading: Reading, passes: Callable[[Decimal], bool], *, higher_passes: bool) -> Decision:
    """Returns a monotone one-reading test judged on the reading's bounds (both ends of a range)."""
    for bound in bound_readings(reading):
        decision = decide(passes(bound.test_value), [bound.uncertainty(higher_passes=higher_passes)])
        if decision is not Decision.UNDECIDED:
            return decision
    return Decision.UNDECIDED


def surely_below(reading: Reading, limit: Decimal) -> bool:
    """Returns True when the true value is below `limit` whatever a censored comparator hides ("< 15" is; "> 15"
    is not). For flags that prompt an action."""
    return judge_one(reading, lambda v: v < limit, higher_passes=False) is Decision.HOLDS


def surely_above(reading: Reading, limit: Decimal) -> bool:
    """Returns True when the true value is above `limit` whatever a censored comparator hides ("> 60" is above 45)."""
    return judge_one(reading, lambda v: v > limit, higher_passes=True) is Decision.HOLDS


def surely_at_most(reading: Reading, limit: Decimal) -> bool:
    """Returns True when the true value is at most `limit` whatever a censored comparator hides ("< 45" is)."""
    return judge_one(reading, lambda v: v <= limit, higher_passes=False) is Decision.HOLDS


def surely_at_least(reading: Reading, limit: Decimal) -> bool:
    """Returns True when the true value is at least `limit` whatever a censored comparator hides."""
    return judge_one(reading, lambda v: v >= limit, higher_passes=True) is Decision.HOLDS


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
    return Reading(result.concept, result.value, result.when.date(), result.comparator, result.low)


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


def unreadable_after(data: PatientData, concepts: Iterable[LabConcept], used: date | None, as_of: date) -> date | None:
    """Returns the day of the newest unreadable result of `concepts` at or before `as_of` that is newer than the
    value used (`used`; None: no value used), or None. The card says so: an older value is never shown silently."""
    days = [
        when.date()
        for concept in concepts
        for when in _unreadable_as_of(data.series(concept), as_of)
        if when.date() <= as_of and (used is None or when.date() > used)
    ]
    return max(days) if days else None


def _unreadable_as_of(series: LabSeries, as_of: date) -> Sequence[datetime]:
    """Returns the unreadable times of `series` among which the latest at or before `as_of` is: that one alone
    when the series is in day order (a binary search), else all of them (the caller's filter decides)."""
    if not series.unreadable_in_day_order:
        return series.unreadable
    i = bisect_right(series.unreadable_days, as_of)
    return series.unreadable[i - 1 : i]


def _preliminary_as_of(series: LabSeries, as_of: date) -> Sequence[LabResult]:
    """Returns the latest result that does not decide at or before `as_of` (in day order; else all of them)."""
    if not series.in_day_order:
        return series.preliminary
    i = bisect_right(series.preliminary_days, as_of)
    return series.preliminary[i - 1 : i]


def _candidates(
    series: LabSeries,
    as_of: date,
    t0: date | None = None,
    convert: Callable[[LabResult], LabResult | None] | None = None,
) -> list[LabResult]:
    """Returns, in time order, the results of `series` at or before `as_of` among which `pick_current(as_of)`,
    `pick_baseline(t0)` and "the latest that decides" choose: each of those picks is one of them, so the pickers
    give the same answer on this short list as on the whole series (issue 14: the rules ask once per result date,
    and a scan each time made a long history quadratic). `convert` maps a result first (an eGFR computed from a
    creatinine; None: no value), as the pickers would see the converted list.

    In day order (`LabSeries.in_day_order`: times increasing, days never going back) the picks are found by binary
    search: the latest decisive result at or before `as_of` (current, and the latest however old), the latest at or
    before T0 (the nearest before it) and the whole first day after T0 within the baseline window (the nearest
    after it; of one day the later time wins). A series out of day order gives every result at or before `as_of`.
    """
    if not series.in_day_order:
        results = [r for r in series.results if r.when.date() <= as_of]
        return results if convert is None else [c for r in results if (c := convert(r)) is not None]
    final, days = series.final, series.final_days
    picked: dict[int, LabResult] = {}

    def kept(i: int) -> LabResult | None:
        return final[i] if convert is None else convert(final[i])

    def latest(day: date, floor: date) -> None:
        """The latest kept result on or before `day`, no earlier than `floor` (none earlier could be picked)."""
        i = bisect_right(days, day) - 1
        while i >= 0 and days[i] >= floor:
            if (r := picked.get(i) or kept(i)) is not None:
                picked[i] = r
                return
            i -= 1

    latest(as_of, date.min if convert is None else current_window(as_of)[0])
    if t0 is not None:
        low, high = baseline_window(t0)
        latest(min(t0, as_of), low)
        first: date | None = None
        i = bisect_right(days, t0)
        while i < len(final) and days[i] <= min(high, as_of) and (first is None or days[i] == first):
            if (r := picked.get(i) or kept(i)) is not None:
                picked[i], first = r, days[i]
            i += 1
    return [picked[i] for i in sorted(picked)]


@dataclass(frozen=True, slots=True)
class Proteinuria:
    """Baseline and current proteinuria (UPCR g/g and 24-h protein g/day as one series)."""

    baseline: Reading | None
    current: Reading | None
    last_decisive: Reading | None  # the latest decisive value at or before as_of, however old
    preliminary_skipped: date | None  # a preliminary result newer than the last decisive one: shown, not used
    baseline_window: tuple[date, date]
    current_window: tuple[date, date]
    unreadable_after: date | None = None  # the latest result could not be read: its date (the card says so)
    as_of: date | None = None  # the day judged: the current value's age is counted from it

    @property
    def current_age_days(self) -> int | None:
        """Returns how many days old the current value is on the day judged (None without one)."""
        if self.current is None or self.as_of is None:
            return None
        return (self.as_of - self.current.day).days

    @property
    def change(self) -> Decimal | None:
        """Returns the relative change from baseline, or None when it cannot be computed: a missing or zero
        baseline, or a censored value on either side ("3.00 → < 0.10" has no precise change)."""
        if self.baseline is None or self.current is None:
            return None
        if self.baseline.comparator or self.current.comparator:
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


def _proteinuria_candidates(series: LabSeries, t0: date, as_of: date) -> list[LabResult]:
    """Returns the results of one proteinuria series that `proteinuria` may pick (`_candidates`), with the latest
    that does not decide (the newer preliminary result it reports)."""
    if not series.in_day_order:
        return _candidates(series, as_of, t0)  # every result at or before `as_of`, the preliminary ones too
    return _candidates(series, as_of, t0) + list(_preliminary_as_of(series, as_of))


def proteinuria(data: PatientData, t0: date, as_of: date) -> Proteinuria:
    """Returns the proteinuria figures of a line that started on `t0`, judged on `as_of`."""
    # Only the results the picks below can choose (`_candidates`), merged as the whole series would be: by time,
    # a UPCR before a 24-h protein of the same time.
    results = sorted(
        (r for c in PROTEINURIA_CONCEPTS for r in _proteinuria_candidates(data.series(c), t0, as_of)),
        key=lambda r: r.when,
    )
    baseline = pick_baseline(results, t0)
    current = pick_current(results, as_of)
    decisive = [r for r in results if r.decides]
    last = decisive[-1] if decisive else None
    newer_preliminary = [r for r in results if not r.decides and (last is None or r.when > last.when)]
    unreadable = [
        when
        for c in PROTEINURIA_CONCEPTS
        for when in _unreadable_as_of(data.series(c), as_of)
        if when.date() <= as_of and (last is None or when > last.when)
    ]
    return Proteinuria(
        baseline=_reading(baseline) if baseline else None,
        current=_reading(current) if current else None,
        last_decisive=_reading(last) if last else None,
        preliminary_skipped=newer_preliminary[-1].when.date() if newer_preliminary else None,
        baseline_window=baseline_window(t0),
        current_window=current_window(as_of),
        unreadable_after=max(unreadable).date() if unreadable else None,
        as_of=as_of,
    )


class KidneyMethod(StrEnum):
    EGFR_REPORTED = "egfr-reported"
    EGFR_COMPUTED = "egfr-computed"  # CKD-EPI 2021 from creatinine, age and sex: the card says so
    CREATININE = "creatinine"  # no age or sex: creatinine compared directly


class NormalBy(StrEnum):
    """What made a current creatinine normal (the card names it)."""

    LAB_RANGE = "lab-range"  # within the lab's own referenceRange high
    LAB_FLAG = "lab-flag"  # Observation.interpretation N
    ADULT_LIMIT = "adult-limit"  # within the adult upper limit for sex (Pottel 2008)
    ADULT_LIMIT_NO_SEX = "adult-limit-no-sex"  # no sex recorded: within the female (lower) adult limit


class KidneyState(StrEnum):
    NORMAL = "normal"  # current creatinine flagged normal or within the reference limit: normal regardless of baseline
    UNJUDGED = "unjudged"  # under 18: a creatinine rise below the adult limit cannot be judged against age norms
    STABLE = "stable"
    WORSE = "worse"  # fell (eGFR) or rose (creatinine) beyond the set's tolerance
    UNKNOWN = "unknown"
    CENSORED = "censored"  # both values present, but a censored one ("< 60") does not decide: no refractory call


@dataclass(frozen=True, slots=True)
class KidneyFunction:
    state: KidneyState
    method: KidneyMethod | None = None
    baseline: Reading | None = None
    current: Reading | None = None
    latest_egfr: Reading | None = None  # the latest eGFR (reported, else computed) in the window, baseline or not
    unreadable_after: date | None = None  # a newer eGFR or creatinine could not be read: its date (card says so)
    normal_creatinine: Reading | None = None  # the current creatinine that made the state NORMAL
    normal_limit: Decimal | None = None  # the adult upper reference limit it was within (None: the lab's flag)
    under_18: bool = False  # CKD-EPI 2021 and the adult limits not used (the card says so)
    normal_by: NormalBy | None = None  # what made the state NORMAL

    @property
    def change(self) -> Decimal | None:
        """Returns the relative change from baseline, or None (also when either value is censored)."""
        if self.baseline is None or self.current is None or self.baseline.comparator or self.current.comparator:
            return None
        return relative_change(self.baseline, self.current)


# CKD-EPI eGFR falls as creatinine rises: a censored creatinine gives an eGFR censored the other way.
_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


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
    comparator = _FLIPPED.get(result.comparator) if result.comparator else None
    return LabResult(
        LabConcept.EGFR, result.when, value, "mL/min/{1.73_m2}", result.status, "computed", comparator=comparator
    )


def _pair(results: list[LabResult], t0: date, as_of: date) -> tuple[LabResult, LabResult] | None:
    baseline, current = pick_baseline(results, t0), pick_current(results, as_of)
    return (baseline, current) if baseline and current else None


def _state(method: KidneyMethod, baseline: Reading, current: Reading, tolerance: Decimal) -> KidneyState:
    """Returns STABLE or WORSE, or CENSORED when a censored value's bound does not decide (see `decide`).

    An eGFR reported as "> 90" passes whenever 90 is not below the baseline-derived floor; when the baseline is
    censored above too ("> 90" then "> 90"), the current value is in the normal range (KDIGO G1) and no fall can be
    measured, so it counts as stable ("normal or stable", response-model.md section 4).
    """
    b, c = baseline.test_value, current.test_value
    if method is KidneyMethod.CREATININE:  # creatinine rises as function falls
        passes = c <= b * (1 + tolerance)
        higher_passes = False
    else:
        passes = c >= b * (1 - tolerance)
        higher_passes = True
    decision = decide(
        passes,
        (current.uncertainty(higher_passes=higher_passes), baseline.uncertainty(higher_passes=not higher_passes)),
    )
    if (
        decision is Decision.UNDECIDED
        and passes
        and method is not KidneyMethod.CREATININE
        and current.comparator in AT_LEAST
        and baseline.comparator in AT_LEAST
        and current.value >= EGFR_NORMAL_AT_OR_ABOVE
    ):
        decision = Decision.HOLDS
    return {
        Decision.HOLDS: KidneyState.STABLE,
        Decision.FAILS: KidneyState.WORSE,
        Decision.UNDECIDED: KidneyState.CENSORED,
    }[decision]


def age_on(demographics: Demographics, day: date) -> int | None:
    """Returns the age in whole years on `day`, or None without a birth date."""
    birth = demographics.birth_date
    if birth is None:
        return None
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def creatinine_upper_limit(demographics: Demographics, day: date) -> Decimal | None:
    """Returns the adult upper reference limit (mg/dL) for the patient on `day`: for sex, the female one when no sex
    is recorded; None under 18 (no adult limit applies). No birth date: the adult limit (see the constants)."""
    age = age_on(demographics, day)
    if age is not None and age < ADULT_AGE_YEARS:
        return None
    return CREATININE_UPPER_NORMAL_MG_DL.get(demographics.sex, CREATININE_UPPER_NORMAL_MG_DL[Sex.FEMALE])


def _normal_creatinine(data: PatientData, current: LabResult | None) -> tuple[Reading, Decimal | None, NormalBy] | None:
    """Returns the current creatinine, the limit it is within (None: flagged normal) and why it is normal, or None.

    Order: the lab's own reference range (above it: not normal, whatever else), the lab's normal flag, then the
    adult upper limit for sex (female when no sex is recorded).
    """
    if current is None:
        return None
    reading = _reading(current)
    if current.reference_high is not None:
        if surely_at_most(reading, current.reference_high):
            return reading, current.reference_high, NormalBy.LAB_RANGE
        return None
    if current.interpretation is Interpretation.NORMAL:
        return reading, None, NormalBy.LAB_FLAG
    limit = creatinine_upper_limit(data.demographics, current.when.date())
    if limit is not None and surely_at_most(reading, limit):  # "< 1.0" is within 1.16; "> 0.9" is not known to be
        by = (
            NormalBy.ADULT_LIMIT
            if data.demographics.sex in CREATININE_UPPER_NORMAL_MG_DL
            else NormalBy.ADULT_LIMIT_NO_SEX
        )
        return reading, limit, by
    return None


def _unjudged(data: PatientData, k: KidneyFunction) -> KidneyFunction:
    """Under 18 without the lab's range or flag: a creatinine rise beyond the tolerance that stays at or below the
    adult upper limit for sex (female without sex) cannot be judged against age norms (see the constants)."""
    if not (k.under_18 and k.state is KidneyState.WORSE and k.method is KidneyMethod.CREATININE and k.current):
        return k
    bound = CREATININE_UPPER_NORMAL_MG_DL.get(data.demographics.sex, CREATININE_UPPER_NORMAL_MG_DL[Sex.FEMALE])
    return replace(k, state=KidneyState.UNJUDGED) if surely_at_most(k.current, bound) else k


def kidney_function(data: PatientData, t0: date, as_of: date, tolerance: Decimal) -> KidneyFunction:
    """Returns kidney function (`_kidney_function`), with the date of a newer result that could not be read."""
    k = _unjudged(data, _kidney_function(data, t0, as_of, tolerance))
    used = k.current.day if k.current else None
    unread = unreadable_after(data, (LabConcept.EGFR, LabConcept.CREATININE), used, as_of)
    return replace(k, unreadable_after=unread) if unread else k


def _kidney_function(data: PatientData, t0: date, as_of: date, tolerance: Decimal) -> KidneyFunction:
    """Returns kidney function at `as_of` against the line's baseline, by the first method that has both values.

    Methods in order: reported eGFR, eGFR computed from creatinine (adults only), creatinine itself. A current
    creatinine within the normal range (the lab's flag, or the adult upper reference limit for sex) makes the state
    NORMAL whatever the baseline and whatever an eGFR change says ("normal or stable"), provided it is not older
    than the value it overrides.
    """
    # Each list holds the results at or before `as_of` that the picks below may choose (`_candidates`), not the
    # whole history: the eGFR is computed only for the creatinine results that could be picked.
    creatinine_series = data.series(LabConcept.CREATININE)
    creatinine = _candidates(creatinine_series, as_of, t0)
    current_creatinine = pick_current(creatinine, as_of)
    normal = _normal_creatinine(data, current_creatinine)
    age = age_on(data.demographics, as_of)
    under_18 = age is not None and age < ADULT_AGE_YEARS
    computed = _candidates(creatinine_series, as_of, t0, lambda r: _computed_egfr(data, r))
    reported = _candidates(data.series(LabConcept.EGFR), as_of, t0)
    latest = pick_current(reported, as_of) or pick_current(computed, as_of)
    latest_egfr = _reading(latest) if latest else None
    undecided: KidneyFunction | None = None
    for method, results in (
        (KidneyMethod.EGFR_REPORTED, reported),
        (KidneyMethod.EGFR_COMPUTED, computed),
        (KidneyMethod.CREATININE, creatinine),
    ):
        pair = _pair(results, t0, as_of)
        if pair is None:
            continue
        baseline, current = _reading(pair[0]), _reading(pair[1])
        state = _state(method, baseline, current, tolerance)
        if state is KidneyState.CENSORED:
            # "> 60" at both ends is no measured change: the exact creatinine (as eGFR, else itself) decides
            undecided = undecided or KidneyFunction(state, method, baseline, current, latest_egfr, under_18=under_18)
            continue
        if normal is not None and normal[0].day >= current.day:
            return KidneyFunction(
                KidneyState.NORMAL,
                method,
                baseline,
                current,
                latest_egfr,
                normal_creatinine=normal[0],
                normal_limit=normal[1],
                under_18=under_18,
                normal_by=normal[2],
            )
        return KidneyFunction(state, method, baseline, current, latest_egfr, under_18=under_18)
    if normal is not None:
        return KidneyFunction(
            KidneyState.NORMAL,
            KidneyMethod.CREATININE,
            None,
            normal[0],
            latest_egfr,
            normal_creatinine=normal[0],
            normal_limit=normal[1],
            under_18=under_18,
            normal_by=normal[2],
        )
    if undecided is not None:
        return undecided
    return KidneyFunction(KidneyState.UNKNOWN, latest_egfr=latest_egfr, under_18=under_18)


class SedimentState(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    UNTYPED_CASTS = "untyped-casts"  # casts present, type not reported: does not decide
    UNKNOWN = "unknown"  # not measured in the window: never assumed inactive
    CENSORED = "censored"  # a censored count ("< 10 /HPF") does not decide between active and inactive


@dataclass(frozen=True, slots=True)
class Sediment:
    state: SedimentState
    rbc: Reading | None = None
    rbc_flagged_abnormal: bool = False
    cellular_casts: Reading | None = None
    untyped_casts: Reading | None = None
    unreadable_after: date | None = None  # a newer RBC or cast count could not be read: its date (card says so)


def _quiet(result: LabResult, at_most: Decimal) -> Decision:
    """Returns whether a count is at most `at_most` (HOLDS), above it (FAILS), or undecided by its bound."""
    return judge_one(_reading(result), lambda v: v <= at_most, higher_passes=False)


def sediment(data: PatientData, as_of: date) -> Sediment:
    """Returns the sediment state from the latest decisive result of each measure in the last 90 days.

    Untyped casts decide nothing: with a normal RBC count and no typed cellular-cast result they leave the state
    open ("casts present, type not reported"); with a cellular-cast count of 0 they do not stop "inactive".
    """

    def latest(concept: LabConcept) -> LabResult | None:
        return pick_current(_candidates(data.series(concept), as_of), as_of)

    rbc, casts, untyped = (
        latest(LabConcept.URINE_RBC),
        latest(LabConcept.CELLULAR_CASTS),
        latest(LabConcept.CASTS_UNTYPED),
    )
    flagged = bool(rbc and rbc.interpretation is Interpretation.ABNORMAL)
    # Each count is judged as "quiet" (RBC <= 5/HPF, no cellular casts); a censored count only where its bound
    # decides: "< 2 /HPF" is quiet, "> 10 /HPF" is active, "< 10 /HPF" decides nothing.
    rbc_quiet = _quiet(rbc, Decimal(ACTIVE_SEDIMENT_RBC_PER_HPF)) if rbc else None
    casts_quiet = _quiet(casts, Decimal(0)) if casts else None
    if flagged or Decision.FAILS in (rbc_quiet, casts_quiet):
        state = SedimentState.ACTIVE
    elif rbc is None:
        state = SedimentState.UNKNOWN
    elif Decision.UNDECIDED in (rbc_quiet, casts_quiet):
        state = SedimentState.CENSORED
    elif untyped and untyped.value > 0 and casts is None:
        state = SedimentState.UNTYPED_CASTS
    else:
        state = SedimentState.INACTIVE
    used = max((r.when.date() for r in (rbc, casts, untyped) if r is not None), default=None)
    sediment_concepts = (LabConcept.URINE_RBC, LabConcept.CELLULAR_CASTS, LabConcept.CASTS_UNTYPED)
    return Sediment(
        state,
        _reading(rbc) if rbc else None,
        flagged,
        _reading(casts) if casts else None,
        _reading(untyped) if untyped else None,
        unreadable_after(data, sediment_concepts, used, as_of),
    )
