"""Applies a criteria set to the measurements: response class now, and each refractory checkpoint that is due.

The asymmetry that keeps the service from guessing: failing the proteinuria criterion is enough for "not met",
but meeting it while kidney function or sediment is unknown gives "met by proteinuria only", which can never
support a refractory call (response-model.md sections 4-5). A censored proteinuria ("< 0.10 g/g") whose bound does
not decide the criterion gives "censored", which can never support a refractory call either (`measures.decide`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from hooks.lupus_nephritis_response.knowledge.criteria_sets import Checkpoint, CriteriaSet, Level, ResponseTest
from hooks.lupus_nephritis_response.rules.measures import (
    Decision,
    KidneyFunction,
    KidneyState,
    Proteinuria,
    Reading,
    Sediment,
    SedimentState,
    decide,
    judge_one,
)

DAYS_PER_MONTH = Decimal("30.4375")  # mean Gregorian month (365.25 / 12): months on therapy = days / this


class Outcome(StrEnum):
    MET = "met"
    NOT_MET = "not-met"
    BY_PROTEINURIA = "by-proteinuria"  # the proteinuria criterion is met; kidney function or sediment unassessed
    CENSORED = "censored"  # a censored proteinuria's bound does not decide the proteinuria criterion


class Unassessed(StrEnum):
    KIDNEY = "kidney"
    SEDIMENT = "sediment"


@dataclass(frozen=True, slots=True)
class Measurements:
    """What one judgement reads: proteinuria (with baseline and current both present), kidney function, sediment."""

    proteinuria: Proteinuria
    kidney: KidneyFunction
    sediment: Sediment


@dataclass(frozen=True, slots=True)
class TestResult:
    outcome: Outcome
    unassessed: tuple[Unassessed, ...] = ()


def judge_proteinuria(test: ResponseTest, p: Proteinuria) -> Decision:
    """Returns whether the proteinuria part of `test` is met (FAILS when the current figure is missing).

    Censored values are judged as bounds (`measures.decide`): the ceiling gets harder as the current value rises;
    the fall gets harder as the current value rises and easier as the baseline rises. Both parts must pass; one
    sound fail is enough to fail. With no baseline the fall is UNDECIDED, but the ceiling still decides: a current
    value at or above the set's partial-response ceiling (3.5 g/day, KDIGO 3 g/g) is no partial response whatever
    the baseline was (issue 10 §4); below it, nothing is decided.
    """
    current, baseline = p.current, p.baseline
    if current is None:
        return Decision.FAILS
    parts = []
    if test.max_proteinuria is not None:
        ceiling = test.max_proteinuria
        parts.append(judge_one(current, lambda v: v < ceiling, higher_passes=False))
    if test.min_fall is not None:
        if baseline is None:
            parts.append(Decision.UNDECIDED)
        else:
            parts.append(_fall(test.min_fall, test.fall_strict, baseline, current))
    if Decision.FAILS in parts:
        return Decision.FAILS
    return Decision.UNDECIDED if Decision.UNDECIDED in parts else Decision.HOLDS


def _fall(min_fall: Decimal, strict: bool, baseline: Reading, current: Reading) -> Decision:
    b, c = baseline.test_value, current.test_value
    uncertainties = (current.uncertainty(higher_passes=False), baseline.uncertainty(higher_passes=True))
    if b <= 0:  # a zero baseline cannot fall (a censored one might be above zero)
        return Decision.FAILS if baseline.comparator is None else Decision.UNDECIDED
    fall = (b - c) / b
    return decide(fall > min_fall if strict else fall >= min_fall, uncertainties)


def proteinuria_met(test: ResponseTest, p: Proteinuria) -> bool:
    """Returns True when the proteinuria part of `test` is soundly met (False when missing or undecided)."""
    return judge_proteinuria(test, p) is Decision.HOLDS


def apply(test: ResponseTest, m: Measurements) -> TestResult:
    """Returns whether `test` is met, not met, met by proteinuria with other parts unassessed, or undecided by a
    censored proteinuria. A part that soundly fails makes the test not met, whatever else is undecided."""
    proteinuria = judge_proteinuria(test, m.proteinuria)
    if proteinuria is Decision.FAILS:
        return TestResult(Outcome.NOT_MET)
    unassessed: list[Unassessed] = []
    if test.needs_stable_kidney:
        if m.kidney.state is KidneyState.WORSE:
            return TestResult(Outcome.NOT_MET)
        if m.kidney.state in (KidneyState.UNKNOWN, KidneyState.CENSORED, KidneyState.UNJUDGED):
            unassessed.append(Unassessed.KIDNEY)
    if test.needs_inactive_sediment:
        if m.sediment.state is SedimentState.ACTIVE:
            return TestResult(Outcome.NOT_MET)
        if m.sediment.state is not SedimentState.INACTIVE:
            unassessed.append(Unassessed.SEDIMENT)
    if proteinuria is Decision.UNDECIDED:
        return TestResult(Outcome.CENSORED, tuple(unassessed))
    if unassessed:
        return TestResult(Outcome.BY_PROTEINURIA, tuple(unassessed))
    return TestResult(Outcome.MET)


@dataclass(frozen=True, slots=True)
class Response:
    """The response class reached, a higher class met by proteinuria alone, and a higher class a censored value
    leaves undecided, if any. `censored` holds the censored readings behind `undecided` or `unassessed`."""

    level: Level
    provisional: Level | None = None
    unassessed: tuple[Unassessed, ...] = ()
    undecided: Level | None = None
    censored: tuple[Reading, ...] = ()

    @property
    def reached_partial(self) -> bool:
        """Returns True when at least a partial response is reached, even if only by proteinuria or only possibly
        (a censored value that may meet it), as for the unassessed parts."""
        return max(self.level, self.provisional or Level.NONE, self.undecided or Level.NONE) >= Level.PARTIAL


def censored_readings(m: Measurements, *, proteinuria: bool, unassessed: tuple[Unassessed, ...]) -> tuple[Reading, ...]:
    """Returns the censored readings behind an undecided proteinuria and behind censored kidney function or
    sediment among `unassessed`, for the card ("UPCR reported as < 0.10 g/g")."""
    readings: list[Reading | None] = []
    if proteinuria:
        readings += [m.proteinuria.baseline, m.proteinuria.current]
    if Unassessed.KIDNEY in unassessed and m.kidney.state is KidneyState.CENSORED:
        readings += [m.kidney.baseline, m.kidney.current]
    if Unassessed.SEDIMENT in unassessed and m.sediment.state is SedimentState.CENSORED:
        readings += [m.sediment.rbc, m.sediment.cellular_casts]
    return tuple(r for r in readings if r is not None and r.comparator is not None)


def classify(cs: CriteriaSet, m: Measurements) -> Response:
    """Returns the highest class met, with the highest class met by proteinuria only, and the highest class a
    censored proteinuria leaves undecided, above it."""
    tests = [(Level.COMPLETE, cs.complete), (Level.PARTIAL, cs.partial)]
    if cs.improvement is not None:
        tests.append((Level.IMPROVEMENT, cs.improvement))
    provisional: Level | None = None
    unassessed: tuple[Unassessed, ...] = ()
    undecided: Level | None = None
    censored_proteinuria = False
    level = Level.NONE
    for candidate, test in tests:
        result = apply(test, m)
        if result.outcome is Outcome.MET:
            level = candidate
            break
        if result.outcome is Outcome.BY_PROTEINURIA and provisional is None:
            provisional, unassessed = candidate, result.unassessed
        if result.outcome is Outcome.CENSORED and undecided is None and provisional is None:
            undecided, censored_proteinuria = candidate, True
            unassessed = result.unassessed
    censored = censored_readings(m, proteinuria=censored_proteinuria, unassessed=unassessed)
    return Response(level, provisional, unassessed, undecided, censored)


class CheckpointStatus(StrEnum):
    MET = "met"
    MISSED = "missed"
    UNKNOWN = "unknown"  # met by proteinuria (other parts unassessed), or undecided by a censored value: no call


@dataclass(frozen=True, slots=True)
class CheckpointResult:
    checkpoint: Checkpoint
    status: CheckpointStatus


def months_between(days: int) -> Decimal:
    """Returns a day count as months (days / DAYS_PER_MONTH), exact enough to judge "at least 3.0 months"."""
    return Decimal(days) / DAYS_PER_MONTH


def judge_checkpoints(cs: CriteriaSet, m: Measurements, months: Decimal) -> tuple[CheckpointResult, ...]:
    """Returns the status of every checkpoint due at `months`, each judged on today's values.

    A complete response meets every checkpoint (a patient in CR is never refractory, even when an earlier
    milestone's relative fall was not reached from a low baseline).

    The latest due checkpoint settles the earlier ones (response-model.md sections 4-5; evidence.md section 2):
    - Met: every earlier one counts as met. The EULAR 2019/2025 milestones (>= 25% fall by 3 months, >= 50% by 6,
      UPCR < 0.7 g/g by 12; 2nd tier in evidence.md section 2) are a trajectory judged on today's values, and a
      later, stricter or absolute target supersedes the earlier relative ones: 0.80 -> 0.65 g/g at 13 months meets
      the 12-month target and is not refractory for a 19% fall. For the review's criteria (no improvement by 3-4
      months, no PR by 6-12, no CR by 24) this changes nothing: a PR or CR met today also meets the earlier ones.
    - Not decided (met by proteinuria only, or a censored value): an earlier miss of a set whose later targets
      supersede (`CriteriaSet.later_supersedes`: the EULAR milestones) is not decided either, so no refractory call.
      The review's criteria are independent refractory criteria judged today (response-model.md section 5), so an
      earlier miss there stands.
    - Missed: every checkpoint keeps its own status; the latest miss heads the card.
    """
    complete = apply(cs.complete, m).outcome
    statuses = []
    due = [c for c in cs.checkpoints if months >= c.months]
    for checkpoint in due:
        own = apply(checkpoint.test, m).outcome
        if Outcome.MET in (own, complete):
            status = CheckpointStatus.MET
        elif {own, complete} & {Outcome.BY_PROTEINURIA, Outcome.CENSORED}:
            status = CheckpointStatus.UNKNOWN
        else:
            status = CheckpointStatus.MISSED
        statuses.append(status)
    if statuses and statuses[-1] is CheckpointStatus.MET:
        statuses = [CheckpointStatus.MET] * len(statuses)
    elif statuses and statuses[-1] is CheckpointStatus.UNKNOWN and cs.later_supersedes:
        statuses = [CheckpointStatus.UNKNOWN if s is CheckpointStatus.MISSED else s for s in statuses]
    return tuple(CheckpointResult(c, s) for c, s in zip(due, statuses, strict=True))
