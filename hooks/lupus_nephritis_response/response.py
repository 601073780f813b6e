"""Applies a criteria set to the measurements: response class now, and each refractory checkpoint that is due.

The asymmetry that keeps the service from guessing: failing the proteinuria criterion is enough for "not met",
but meeting it while kidney function or sediment is unknown gives "met by proteinuria only", which can never
support a refractory call (response-model.md sections 4-5).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from hooks.lupus_nephritis_response.criteria import Checkpoint, CriteriaSet, Level, ResponseTest
from hooks.lupus_nephritis_response.measures import KidneyFunction, KidneyState, Proteinuria, Sediment, SedimentState

DAYS_PER_MONTH = Decimal("30.4375")  # mean Gregorian month (365.25 / 12): months on therapy = days / this


class Outcome(StrEnum):
    MET = "met"
    NOT_MET = "not-met"
    BY_PROTEINURIA = "by-proteinuria"  # the proteinuria criterion is met; kidney function or sediment unassessed


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


def proteinuria_met(test: ResponseTest, p: Proteinuria) -> bool:
    """Returns True when the proteinuria part of `test` is met (False when a figure is missing)."""
    if p.current is None or p.baseline is None:
        return False
    if test.max_proteinuria is not None and not p.current.value < test.max_proteinuria:
        return False
    if test.min_fall is not None:
        change = p.change
        if change is None:  # a zero baseline cannot fall
            return False
        fall = -change
        return fall > test.min_fall if test.fall_strict else fall >= test.min_fall
    return True


def apply(test: ResponseTest, m: Measurements) -> TestResult:
    """Returns whether `test` is met, not met, or met by proteinuria with other parts unassessed."""
    if not proteinuria_met(test, m.proteinuria):
        return TestResult(Outcome.NOT_MET)
    unassessed: list[Unassessed] = []
    if test.needs_stable_kidney:
        if m.kidney.state is KidneyState.WORSE:
            return TestResult(Outcome.NOT_MET)
        if m.kidney.state is KidneyState.UNKNOWN:
            unassessed.append(Unassessed.KIDNEY)
    if test.needs_inactive_sediment:
        if m.sediment.state is SedimentState.ACTIVE:
            return TestResult(Outcome.NOT_MET)
        if m.sediment.state is not SedimentState.INACTIVE:
            unassessed.append(Unassessed.SEDIMENT)
    if unassessed:
        return TestResult(Outcome.BY_PROTEINURIA, tuple(unassessed))
    return TestResult(Outcome.MET)


@dataclass(frozen=True, slots=True)
class Response:
    """The response class reached, and a higher class met by proteinuria alone, if any."""

    level: Level
    provisional: Level | None = None
    unassessed: tuple[Unassessed, ...] = ()

    @property
    def reached_partial(self) -> bool:
        """Returns True when at least a partial response is reached, even if only by proteinuria."""
        return max(self.level, self.provisional or Level.NONE) >= Level.PARTIAL


def classify(cs: CriteriaSet, m: Measurements) -> Response:
    """Returns the highest class met, with the highest class met by proteinuria only above it."""
    tests = [(Level.COMPLETE, cs.complete), (Level.PARTIAL, cs.partial)]
    if cs.improvement is not None:
        tests.append((Level.IMPROVEMENT, cs.improvement))
    provisional: Level | None = None
    unassessed: tuple[Unassessed, ...] = ()
    for level, test in tests:
        result = apply(test, m)
        if result.outcome is Outcome.MET:
            return Response(level, provisional, unassessed)
        if result.outcome is Outcome.BY_PROTEINURIA and provisional is None:
            provisional, unassessed = level, result.unassessed
    return Response(Level.NONE, provisional, unassessed)


class CheckpointStatus(StrEnum):
    MET = "met"
    MISSED = "missed"
    UNKNOWN = "unknown"  # met by proteinuria, but kidney function or sediment unassessed: no refractory call


@dataclass(frozen=True, slots=True)
class CheckpointResult:
    checkpoint: Checkpoint
    status: CheckpointStatus


def months_between(days: int) -> Decimal:
    """Returns a day count as months (days / DAYS_PER_MONTH), exact enough to judge "at least 3.0 months"."""
    return Decimal(days) / DAYS_PER_MONTH


def judge_checkpoints(cs: CriteriaSet, m: Measurements, months: Decimal) -> tuple[CheckpointResult, ...]:
    """Returns the status of every checkpoint due at `months`.

    A complete response meets every checkpoint (a patient in CR is never refractory, even when an earlier
    milestone's relative fall was not reached from a low baseline).
    """
    complete = apply(cs.complete, m).outcome
    results = []
    for checkpoint in cs.checkpoints:
        if months < checkpoint.months:
            continue
        own = apply(checkpoint.test, m).outcome
        if Outcome.MET in (own, complete):
            status = CheckpointStatus.MET
        elif Outcome.BY_PROTEINURIA in (own, complete):
            status = CheckpointStatus.UNKNOWN
        else:
            status = CheckpointStatus.MISSED
        results.append(CheckpointResult(checkpoint, status))
    return tuple(results)
