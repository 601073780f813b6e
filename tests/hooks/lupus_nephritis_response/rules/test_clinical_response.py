"""Response classes and refractory criteria, at and either side of every cut-off, for each criteria set."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from fhir_maps.domain import Interpretation, LabConcept, LabResult, PatientData
from hooks.lupus_nephritis_response.knowledge.criteria_sets import (
    EULAR25_SET,
    SEED_SET,
    Level,
    ResponseTest,
)
from hooks.lupus_nephritis_response.rules.assessment import Verdict
from hooks.lupus_nephritis_response.rules.clinical_response import CheckpointStatus, Unassessed, judge_proteinuria
from hooks.lupus_nephritis_response.rules.measures import (
    Decision,
    KidneyMethod,
    KidneyState,
    Proteinuria,
    Reading,
    SedimentState,
    _state,
)
from tests.hooks.builders import ago, assess, days_for, lab, response_cards, story, upcr

SEED = "seed-eular-era-edta-2012"
KDIGO = "kdigo-2024"
EULAR25 = "eular-2025"
ACR = "acr-2012"
EULAR19 = "eular-2019"

# (id, patient, criteria set, verdict, missed checkpoint keys, response level reached)
CASES: list[tuple[str, Callable[[], PatientData], str, Verdict, tuple[str, ...], Level]] = [
    ("responder-cr-12m", lambda: story(12, "3.20", "0.30"), SEED, Verdict.STATUS, (), Level.COMPLETE),
    ("pr-on-track-6m", lambda: story(6.2, "4.00", "1.60"), SEED, Verdict.STATUS, (), Level.PARTIAL),
    ("improvement-exactly-25pct", lambda: story(3.5, "3.20", "2.40"), SEED, Verdict.STATUS, (), Level.IMPROVEMENT),
    (
        "improvement-24pct-criterion-1",
        lambda: story(3.5, "3.20", "2.44"),
        SEED,
        Verdict.REFRACTORY,
        ("no-improvement",),
        Level.NONE,
    ),
    (
        "no-pr-7m-criterion-2",
        lambda: story(7, "3.10", "2.00"),
        SEED,
        Verdict.REFRACTORY,
        ("no-partial",),
        Level.IMPROVEMENT,
    ),
    (
        "demo-7m-minus-16pct",
        lambda: story(7, "3.10", "2.60"),
        SEED,
        Verdict.REFRACTORY,
        ("no-improvement", "no-partial"),
        Level.NONE,
    ),
    (
        "pr-no-cr-25m-criterion-3",
        lambda: story(25, "4.0", "1.2"),
        SEED,
        Verdict.REFRACTORY,
        ("no-complete",),
        Level.PARTIAL,
    ),
    # CR < 0.5
    ("cr-0.49-at-25m", lambda: story(25, "4.0", "0.49"), SEED, Verdict.STATUS, (), Level.COMPLETE),
    (
        "cr-0.50-at-25m-not-cr",
        lambda: story(25, "4.0", "0.50"),
        SEED,
        Verdict.REFRACTORY,
        ("no-complete",),
        Level.PARTIAL,
    ),
    # PR > 50% (seed) vs >= 50% (KDIGO)
    (
        "seed-exactly-50pct-not-pr",
        lambda: story(7, "3.00", "1.50"),
        SEED,
        Verdict.REFRACTORY,
        ("no-partial",),
        Level.IMPROVEMENT,
    ),
    ("seed-50.3pct-pr", lambda: story(7, "3.00", "1.49"), SEED, Verdict.STATUS, (), Level.PARTIAL),
    ("kdigo-exactly-50pct-pr", lambda: story(7, "3.00", "1.50"), KDIGO, Verdict.STATUS, (), Level.PARTIAL),
    (
        "kdigo-49pct-no-response",
        lambda: story(7, "3.00", "1.53"),
        KDIGO,
        Verdict.REFRACTORY,
        ("no-response",),
        Level.NONE,
    ),
    # PR ceiling: < 3.5 (seed), < 3.0 (KDIGO)
    ("seed-3.49-pr", lambda: story(7, "8.00", "3.49"), SEED, Verdict.STATUS, (), Level.PARTIAL),
    (
        "seed-3.50-not-pr",
        lambda: story(7, "8.00", "3.50"),
        SEED,
        Verdict.REFRACTORY,
        ("no-partial",),
        Level.IMPROVEMENT,
    ),
    ("kdigo-2.99-pr", lambda: story(7, "8.00", "2.99"), KDIGO, Verdict.STATUS, (), Level.PARTIAL),
    ("kdigo-3.00-not-pr", lambda: story(7, "8.00", "3.00"), KDIGO, Verdict.REFRACTORY, ("no-response",), Level.NONE),
    # kidney-function tolerance: 10% (seed), 15% (KDIGO), eGFR >= 80% (EULAR 2025)
    (
        "seed-egfr-10pct-stable",
        lambda: story(7, "4.0", "1.6", egfr=("100", "90")),
        SEED,
        Verdict.STATUS,
        (),
        Level.PARTIAL,
    ),
    (
        "seed-egfr-11pct-worse",
        lambda: story(7, "4.0", "1.6", egfr=("100", "89")),
        SEED,
        Verdict.REFRACTORY,
        ("no-improvement", "no-partial"),
        Level.NONE,
    ),
    (
        "kdigo-egfr-15pct-stable",
        lambda: story(7, "4.0", "1.6", egfr=("100", "85")),
        KDIGO,
        Verdict.STATUS,
        (),
        Level.PARTIAL,
    ),
    (
        "kdigo-egfr-16pct-worse",
        lambda: story(7, "4.0", "1.6", egfr=("100", "84")),
        KDIGO,
        Verdict.REFRACTORY,
        ("no-response",),
        Level.NONE,
    ),
    (
        "eular25-egfr-80pct-stable",
        lambda: story(7, "4.0", "1.6", egfr=("100", "80")),
        EULAR25,
        Verdict.STATUS,
        (),
        Level.PARTIAL,
    ),
    (
        "eular25-egfr-79pct-worse",
        lambda: story(7, "4.0", "1.6", egfr=("100", "79")),
        EULAR25,
        Verdict.REFRACTORY,
        ("milestone-3", "milestone-6"),
        Level.NONE,
    ),
    # time points: 3, 6 and 24 months
    ("months-2.9-too-early", lambda: story(2.9, "3.0", "2.9"), SEED, Verdict.STATUS, (), Level.NONE),
    (
        "months-3.0-no-improvement",
        lambda: story(3.0, "3.0", "2.9"),
        SEED,
        Verdict.REFRACTORY,
        ("no-improvement",),
        Level.NONE,
    ),
    ("months-5.9-improving", lambda: story(5.9, "3.0", "2.0"), SEED, Verdict.STATUS, (), Level.IMPROVEMENT),
    (
        "months-6.0-no-pr",
        lambda: story(6.0, "3.0", "2.0"),
        SEED,
        Verdict.REFRACTORY,
        ("no-partial",),
        Level.IMPROVEMENT,
    ),
    ("months-23.9-pr", lambda: story(23.9, "4.0", "1.0"), SEED, Verdict.STATUS, (), Level.PARTIAL),
    ("months-24.0-no-cr", lambda: story(24.0, "4.0", "1.0"), SEED, Verdict.REFRACTORY, ("no-complete",), Level.PARTIAL),
    ("kdigo-5.9-not-judged", lambda: story(5.9, "3.0", "2.9"), KDIGO, Verdict.STATUS, (), Level.NONE),
    # ACR 2012: the 3-month criterion is a watch note; the earliest refractory call is at 6 months
    ("acr-4m-watch-note", lambda: story(4, "3.00", "2.70"), ACR, Verdict.WATCH, ("no-improvement",), Level.NONE),
    (
        "acr-7m-refractory",
        lambda: story(7, "3.00", "2.70"),
        ACR,
        Verdict.REFRACTORY,
        ("no-improvement", "no-partial"),
        Level.NONE,
    ),
    # EULAR 2025 milestones: >= 25% by 3 m, >= 50% by 6 m, < 0.7 g/g by 12 m
    ("eular25-3m-24pct", lambda: story(3.5, "3.20", "2.44"), EULAR25, Verdict.REFRACTORY, ("milestone-3",), Level.NONE),
    (
        "eular25-6m-47pct",
        lambda: story(6.5, "3.0", "1.6"),
        EULAR25,
        Verdict.REFRACTORY,
        ("milestone-6",),
        Level.IMPROVEMENT,
    ),
    ("eular25-6m-exactly-50pct", lambda: story(6.5, "3.0", "1.5"), EULAR25, Verdict.STATUS, (), Level.PARTIAL),
    (
        "eular25-12m-0.70",
        lambda: story(12.5, "3.0", "0.70"),
        EULAR25,
        Verdict.REFRACTORY,
        ("milestone-12",),
        Level.PARTIAL,
    ),
    ("eular25-12m-0.69", lambda: story(12.5, "3.0", "0.69"), EULAR25, Verdict.STATUS, (), Level.PARTIAL),
    # a complete response meets every time point, even from a low baseline
    ("eular25-cr-low-baseline", lambda: story(7, "0.60", "0.45"), EULAR25, Verdict.STATUS, (), Level.COMPLETE),
    # EULAR/ERA-EDTA 2019: >= 25% by 3 m and >= 50% by 6 m (2nd tier), < 0.7 g/24 h by 12 m, CR < 0.5, eGFR 10%
    ("eular19-3m-24pct", lambda: story(3.5, "3.20", "2.44"), EULAR19, Verdict.REFRACTORY, ("milestone-3",), Level.NONE),
    ("eular19-3m-25pct", lambda: story(3.5, "3.20", "2.40"), EULAR19, Verdict.STATUS, (), Level.IMPROVEMENT),
    (
        "eular19-6m-47pct",
        lambda: story(6.5, "3.0", "1.6"),
        EULAR19,
        Verdict.REFRACTORY,
        ("milestone-6",),
        Level.IMPROVEMENT,
    ),
    ("eular19-6m-exactly-50pct", lambda: story(6.5, "3.0", "1.5"), EULAR19, Verdict.STATUS, (), Level.PARTIAL),
    (
        "eular19-12m-0.70",
        lambda: story(12.5, "3.0", "0.70"),
        EULAR19,
        Verdict.REFRACTORY,
        ("milestone-12",),
        Level.PARTIAL,
    ),
    ("eular19-12m-0.69", lambda: story(12.5, "3.0", "0.69"), EULAR19, Verdict.STATUS, (), Level.PARTIAL),
    ("eular19-cr-0.49", lambda: story(12.5, "3.0", "0.49"), EULAR19, Verdict.STATUS, (), Level.COMPLETE),
    (
        "eular19-egfr-11pct-worse",
        lambda: story(7, "4.0", "1.6", egfr=("100", "89")),
        EULAR19,
        Verdict.REFRACTORY,
        ("milestone-3", "milestone-6"),
        Level.NONE,
    ),
]


@pytest.mark.parametrize(
    ("make", "criteria_set", "verdict", "missed", "level"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_response_class_and_refractory_criteria(
    make: Callable[[], PatientData], criteria_set: str, verdict: Verdict, missed: tuple[str, ...], level: Level
) -> None:
    a = assess(make(), criteria_set)
    assert a.verdict is verdict
    assert tuple(c.key for c in a.with_status(CheckpointStatus.MISSED)) == missed
    assert a.response is not None
    assert a.response.level is level


def _rbc(value: str, **kw: object) -> LabResult:
    return lab(LabConcept.URINE_RBC, ago(5), value, **kw)  # type: ignore[arg-type]


# Kidney function or sediment unknown: meeting the proteinuria criterion is "by proteinuria" only (never a
# refractory call); failing it is enough for "not met".
UNKNOWN_CASES = [
    pytest.param(
        lambda: story(7, "4.0", "1.6", egfr=None),
        SEED,
        Verdict.STATUS,
        Level.PARTIAL,
        (Unassessed.KIDNEY,),
        id="kidney-unknown-pr-by-proteinuria-no-call",
    ),
    pytest.param(
        lambda: story(7, "3.0", "2.0", egfr=None),
        SEED,
        Verdict.REFRACTORY,
        Level.IMPROVEMENT,
        (Unassessed.KIDNEY,),
        id="kidney-unknown-proteinuria-fails-pr-still-called",
    ),
    pytest.param(
        lambda: story(7, "3.1", "2.6", egfr=None),
        SEED,
        Verdict.REFRACTORY,
        None,
        (),
        id="kidney-unknown-no-fall-called",
    ),
    pytest.param(
        lambda: story(7, "4.0", "1.6", rbc=None),
        SEED,
        Verdict.STATUS,
        Level.PARTIAL,
        (Unassessed.SEDIMENT,),
        id="sediment-unknown-pr-by-proteinuria",
    ),
    pytest.param(
        lambda: story(25, "4.0", "0.3", rbc=None),
        SEED,
        Verdict.STATUS,
        Level.COMPLETE,
        (Unassessed.SEDIMENT,),
        id="sediment-unknown-cr-by-proteinuria-at-25m",
    ),
    pytest.param(
        lambda: story(7, "4.0", "1.6", rbc=None, egfr=None),
        SEED,
        Verdict.STATUS,
        Level.PARTIAL,
        (Unassessed.KIDNEY, Unassessed.SEDIMENT),
        id="kidney-and-sediment-unknown",
    ),
    pytest.param(
        lambda: story(7, "4.0", "1.6", rbc=None),
        KDIGO,
        Verdict.STATUS,
        None,
        (),
        id="kdigo-needs-no-sediment",
    ),
]


@pytest.mark.parametrize(("make", "criteria_set", "verdict", "provisional", "unassessed"), UNKNOWN_CASES)
def test_unknown_kidney_or_sediment_never_supports_a_refractory_call(
    make: Callable[[], PatientData],
    criteria_set: str,
    verdict: Verdict,
    provisional: Level | None,
    unassessed: tuple[Unassessed, ...],
) -> None:
    a = assess(make(), criteria_set)
    assert a.verdict is verdict
    assert a.response is not None
    assert a.response.provisional is provisional
    assert a.response.unassessed == unassessed


SEDIMENT_CASES = [
    pytest.param(lambda: story(7, "4.0", "1.6", rbc=("20", "5")), Verdict.STATUS, id="rbc-5-inactive"),
    pytest.param(lambda: story(7, "4.0", "1.6", rbc=("20", "6")), Verdict.REFRACTORY, id="rbc-6-active"),
    pytest.param(
        lambda: story(7, "4.0", "1.6", rbc=None, labs=[_rbc("3", flag=Interpretation.ABNORMAL)]),
        Verdict.REFRACTORY,
        id="rbc-flagged-abnormal-active",
    ),
    pytest.param(
        lambda: story(7, "4.0", "1.6", labs=[lab(LabConcept.CELLULAR_CASTS, ago(5), "1")]),
        Verdict.REFRACTORY,
        id="cellular-cast-active",
    ),
    pytest.param(
        lambda: story(7, "4.0", "1.6", labs=[lab(LabConcept.CASTS_UNTYPED, ago(5), "2")]),
        Verdict.STATUS,
        id="untyped-casts-do-not-decide",
    ),
    pytest.param(
        lambda: story(7, "4.0", "1.6", rbc=None, labs=[lab(LabConcept.URINE_RBC, ago(95), "2")]),
        Verdict.STATUS,
        id="rbc-older-than-90-days-unknown",
    ),
]


@pytest.mark.parametrize(("make", "verdict"), SEDIMENT_CASES)
def test_sediment_state_decides_partial_response_in_the_seed_set(
    make: Callable[[], PatientData], verdict: Verdict
) -> None:
    assert assess(make()).verdict is verdict


@pytest.mark.parametrize(
    ("make", "state"),
    [
        pytest.param(lambda: story(7, "4.0", "1.6"), "inactive", id="inactive"),
        pytest.param(lambda: story(7, "4.0", "1.6", rbc=None), "unknown", id="unknown"),
        pytest.param(lambda: story(7, "4.0", "1.6", rbc=("20", "9")), "active", id="active"),
        pytest.param(
            lambda: story(7, "4.0", "1.6", labs=[lab(LabConcept.CASTS_UNTYPED, ago(5), "2")]),
            "untyped-casts",
            id="untyped-casts",
        ),
        pytest.param(
            lambda: story(
                7,
                "4.0",
                "1.6",
                labs=[lab(LabConcept.CASTS_UNTYPED, ago(5), "2"), lab(LabConcept.CELLULAR_CASTS, ago(5), "0")],
            ),
            "inactive",
            id="untyped-casts-with-cellular-casts-zero",
        ),
    ],
)
def test_sediment_state(make: Callable[[], PatientData], state: str) -> None:
    m = assess(make()).measurements
    assert m is not None
    assert m.sediment.state.value == state


# --- Censored results ("< 0.10 g/g", "> 90 mL/min/1.73 m²") are judged as bounds: a test the bound decides is decided,
# anything else is undecided and never supports a refractory call; the card names the censored value.

DAY = date(2025, 1, 1)
CR = ResponseTest(max_proteinuria=Decimal("0.5"))
PR_STRICT = ResponseTest(max_proteinuria=Decimal("3.5"), min_fall=Decimal("0.50"), fall_strict=True)
FALL_25 = ResponseTest(min_fall=Decimal("0.25"))


def reading(value: str, comparator: str | None = None, concept: LabConcept = LabConcept.UPCR) -> Reading:
    return Reading(concept, Decimal(value), DAY, comparator)


def proteinuria_of(baseline: Reading, current: Reading) -> Proteinuria:
    window = (DAY, DAY)
    return Proteinuria(baseline, current, current, None, window, window)


def censored(result: LabResult, comparator: str) -> LabResult:
    return dataclasses.replace(result, comparator=comparator)


# --- proteinuria criteria, judged on bounds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("test", "baseline", "current", "expected"),
    [
        # current "< x" / "<= x": at most x. Passing with x passes; failing with x decides nothing.
        pytest.param(CR, reading("4.0"), reading("0.10", "<"), Decision.HOLDS, id="cr-current-below-0.10-met"),
        pytest.param(CR, reading("4.0"), reading("0.5", "<"), Decision.HOLDS, id="cr-current-below-0.5-met-strict"),
        pytest.param(CR, reading("4.0"), reading("0.5", "<="), Decision.UNDECIDED, id="cr-current-at-most-0.5-open"),
        pytest.param(CR, reading("4.0"), reading("0.6", "<"), Decision.UNDECIDED, id="cr-current-below-0.6-open"),
        # current "> x" / ">= x": at least x. Failing with x fails; passing with x decides nothing.
        pytest.param(CR, reading("4.0"), reading("0.6", ">"), Decision.FAILS, id="cr-current-above-0.6-fails"),
        pytest.param(CR, reading("4.0"), reading("0.3", ">"), Decision.UNDECIDED, id="cr-current-above-0.3-open"),
        # falls: a lower current or a higher baseline is a larger fall
        pytest.param(FALL_25, reading("1.0"), reading("0.5", "<"), Decision.HOLDS, id="fall-current-below-met"),
        pytest.param(FALL_25, reading("0.15"), reading("0.10", "<"), Decision.HOLDS, id="fall-33pct-at-least-met"),
        pytest.param(PR_STRICT, reading("0.15"), reading("0.10", "<"), Decision.UNDECIDED, id="pr-fall-open"),
        pytest.param(FALL_25, reading("1.0"), reading("0.9", ">"), Decision.FAILS, id="fall-current-above-fails"),
        pytest.param(FALL_25, reading("1.0", ">"), reading("0.7"), Decision.HOLDS, id="fall-baseline-above-met"),
        pytest.param(FALL_25, reading("1.0", ">"), reading("0.9"), Decision.UNDECIDED, id="fall-baseline-above-open"),
        pytest.param(FALL_25, reading("1.0", "<"), reading("0.9"), Decision.FAILS, id="fall-baseline-below-fails"),
        pytest.param(FALL_25, reading("1.0", "<"), reading("0.5"), Decision.UNDECIDED, id="fall-baseline-below-open"),
        pytest.param(PR_STRICT, reading("1.0"), reading("0.5", "<"), Decision.HOLDS, id="pr-strict-fall-below-met"),
        # exact values keep the old behaviour
        pytest.param(CR, reading("4.0"), reading("0.5"), Decision.FAILS, id="cr-exact-0.5-fails"),
        pytest.param(CR, reading("4.0"), reading("0.49"), Decision.HOLDS, id="cr-exact-0.49-met"),
    ],
)
def test_proteinuria_criterion_is_decided_only_where_the_bound_decides_it(
    test: ResponseTest, baseline: Reading, current: Reading, expected: Decision
) -> None:
    assert judge_proteinuria(test, proteinuria_of(baseline, current)) is expected


# --- kidney function ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "baseline", "current", "expected"),
    [
        pytest.param(KidneyMethod.EGFR_REPORTED, ("90", None), ("90", ">"), KidneyState.STABLE, id="egfr-90-to-gt90"),
        pytest.param(KidneyMethod.EGFR_REPORTED, ("95", None), ("90", ">"), KidneyState.STABLE, id="egfr-95-to-gt90"),
        pytest.param(
            KidneyMethod.EGFR_REPORTED, ("120", None), ("90", ">"), KidneyState.CENSORED, id="egfr-120-to-gt90-open"
        ),
        pytest.param(
            KidneyMethod.EGFR_REPORTED, ("90", ">"), ("90", ">"), KidneyState.STABLE, id="egfr-gt90-both-normal"
        ),
        pytest.param(
            KidneyMethod.EGFR_REPORTED, ("60", ">"), ("60", ">"), KidneyState.CENSORED, id="egfr-gt60-both-open"
        ),
        pytest.param(KidneyMethod.EGFR_REPORTED, ("80", None), ("60", "<"), KidneyState.WORSE, id="egfr-lt60-worse"),
        pytest.param(
            KidneyMethod.EGFR_REPORTED, ("60", None), ("60", "<"), KidneyState.CENSORED, id="egfr-60-to-lt60-open"
        ),
        pytest.param(
            KidneyMethod.EGFR_REPORTED, ("90", "<"), ("85", None), KidneyState.STABLE, id="egfr-baseline-lt90-stable"
        ),
        pytest.param(KidneyMethod.CREATININE, ("1.0", None), ("0.5", "<"), KidneyState.STABLE, id="creat-lt-stable"),
        pytest.param(KidneyMethod.CREATININE, ("1.0", None), ("1.5", ">"), KidneyState.WORSE, id="creat-gt-worse"),
        pytest.param(KidneyMethod.CREATININE, ("1.0", None), ("1.0", ">"), KidneyState.CENSORED, id="creat-gt-open"),
    ],
)
def test_kidney_function_is_decided_only_where_the_bound_decides_it(
    method: KidneyMethod,
    baseline: tuple[str, str | None],
    current: tuple[str, str | None],
    expected: KidneyState,
) -> None:
    concept = LabConcept.CREATININE if method is KidneyMethod.CREATININE else LabConcept.EGFR
    b, c = reading(*baseline, concept=concept), reading(*current, concept=concept)
    assert _state(method, b, c, Decimal("0.10")) is expected


@pytest.mark.parametrize("criteria_set", ["seed-eular-era-edta-2012", "kdigo-2024", "eular-2025", "eular-2019"])
def test_egfr_reported_above_90_never_gives_falling_kidney_function(criteria_set: str) -> None:
    t0 = ago(days_for(25))
    egfr = [lab(LabConcept.EGFR, t0 - timedelta(days=5), "92"), censored(lab(LabConcept.EGFR, ago(5), "90"), ">")]
    a = assess(story(25, "4.0", "0.3", egfr=None, labs=egfr), criteria_set)
    assert a.measurements is not None
    assert a.measurements.kidney.state is KidneyState.STABLE
    assert a.verdict is Verdict.STATUS
    assert a.response is not None
    assert a.response.level is Level.COMPLETE


# --- sediment ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "comparator", "expected"),
    [
        pytest.param("2", "<", SedimentState.INACTIVE, id="lt2-inactive"),
        pytest.param("5", "<=", SedimentState.INACTIVE, id="le5-inactive"),
        pytest.param("5", "<", SedimentState.INACTIVE, id="lt5-inactive"),
        pytest.param("10", "<", SedimentState.CENSORED, id="lt10-undecided"),
        pytest.param("5", ">", SedimentState.ACTIVE, id="gt5-active"),
        pytest.param("10", ">", SedimentState.ACTIVE, id="gt10-active"),
        pytest.param("5", ">=", SedimentState.CENSORED, id="ge5-undecided"),
        pytest.param("2", ">", SedimentState.CENSORED, id="gt2-undecided"),
    ],
)
def test_censored_rbc_count_decides_the_sediment_only_where_the_bound_does(
    value: str, comparator: str, expected: SedimentState
) -> None:
    rbc = censored(lab(LabConcept.URINE_RBC, ago(5), value), comparator)
    a = assess(story(7, "3.0", "1.0", rbc=None, labs=[rbc]))
    assert a.measurements is not None
    assert a.measurements.sediment.state is expected


def test_censored_rbc_count_flagged_abnormal_is_active() -> None:
    rbc = censored(lab(LabConcept.URINE_RBC, ago(5), "2", flag=Interpretation.ABNORMAL), "<")
    a = assess(story(7, "3.0", "1.0", rbc=None, labs=[rbc]))
    assert a.measurements is not None
    assert a.measurements.sediment.state is SedimentState.ACTIVE


# --- verdicts and cards ---------------------------------------------------------------------------------------------


def current_upcr(value: str, comparator: str) -> list[LabResult]:
    return [censored(upcr(ago(5), value), comparator)]


@pytest.mark.parametrize(
    ("months", "value", "comparator", "verdict", "level", "undecided"),
    [
        # the reviewer's 25-month story: "< 0.5 g/g" meets CR (< 0.5), no refractory call. "> x" bounds only a fall
        # from below, so a PR is never established from it (undecided), but a sound fail still makes the call.
        pytest.param(25, "0.5", "<", Verdict.STATUS, Level.COMPLETE, None, id="25m-lt0.5-complete"),
        pytest.param(25, "0.10", "<", Verdict.STATUS, Level.COMPLETE, None, id="25m-lt0.10-complete"),
        pytest.param(25, "0.6", "<", Verdict.STATUS, Level.PARTIAL, Level.COMPLETE, id="25m-lt0.6-cr-undecided"),
        pytest.param(25, "0.5", "<=", Verdict.STATUS, Level.PARTIAL, Level.COMPLETE, id="25m-le0.5-cr-undecided"),
        pytest.param(25, "0.6", ">", Verdict.REFRACTORY, Level.NONE, Level.PARTIAL, id="25m-gt0.6-no-cr"),
        pytest.param(7, "2.9", ">", Verdict.REFRACTORY, Level.NONE, Level.IMPROVEMENT, id="7m-gt2.9-no-pr"),
        pytest.param(7, "1.0", ">", Verdict.STATUS, Level.NONE, Level.PARTIAL, id="7m-gt1.0-pr-undecided"),
    ],
)
def test_censored_current_proteinuria_makes_a_refractory_call_only_when_its_bound_fails(
    months: int, value: str, comparator: str, verdict: Verdict, level: Level, undecided: Level | None
) -> None:
    a = assess(story(months, "4.0", None, labs=current_upcr(value, comparator)))
    assert a.verdict is verdict
    assert a.response is not None
    assert (a.response.level, a.response.undecided) == (level, undecided)


def test_undecided_checkpoint_is_unknown_not_missed() -> None:
    a = assess(story(25, "4.0", None, labs=current_upcr("0.6", "<")))
    assert [(r.checkpoint.key, r.status) for r in a.checkpoints] == [
        ("no-improvement", CheckpointStatus.MET),
        ("no-partial", CheckpointStatus.MET),
        ("no-complete", CheckpointStatus.UNKNOWN),
    ]


def test_status_card_names_the_censored_value_that_leaves_the_class_undecided() -> None:
    [card] = response_cards(story(25, "4.0", None, labs=current_upcr("0.6", "<")))
    assert card.rule_id == "ln-status"
    assert "complete response undecided (UPCR reported as < 0.60 g/g)" in card.summary
    assert "| < 0.60 (" in card.detail


def test_card_shows_the_comparator_in_the_measurement() -> None:
    [card] = response_cards(story(25, "4.0", None, labs=current_upcr("0.10", "<")))
    assert "4.00 → < 0.10 g/g" in card.summary
    assert "< 0.10 g/g on" in card.detail


def test_censored_egfr_behind_an_unassessed_kidney_function_is_named() -> None:
    t0 = ago(days_for(25))
    egfr = [lab(LabConcept.EGFR, t0 - timedelta(days=5), "70"), censored(lab(LabConcept.EGFR, ago(5), "60"), ">")]
    [card] = response_cards(story(25, "4.0", "0.3", egfr=None, labs=egfr))
    assert card.rule_id == "ln-status"
    assert "Kidney function (eGFR reported as > 60 mL/min/1.73 m²) not assessed" in card.detail
    assert "not assessed: a censored value does not decide it" in card.detail


def test_censored_baseline_above_makes_the_fall_at_least_as_large() -> None:
    t0 = ago(days_for(7))
    base = censored(upcr(t0 - timedelta(days=5), "3.0"), ">")
    a = assess(story(7, "3.0", "1.2", kind=None, labs=[base, upcr(ago(5), "1.2")]))
    assert a.verdict is Verdict.STATUS
    assert a.response is not None
    assert a.response.level is Level.PARTIAL


@pytest.mark.parametrize("criteria_set", [SEED_SET.id, EULAR25_SET.id])
def test_censored_value_never_turns_a_status_into_a_refractory_call(criteria_set: str) -> None:
    for comparator in ("<", "<="):
        a = assess(story(25, "4.0", None, labs=current_upcr("0.6", comparator)), criteria_set)
        assert a.verdict is not Verdict.REFRACTORY


# --- the reviewer's reproduction through the service (r2.py) --------------------------------------------------------

FIXTURE = (
    Path(__file__).resolve().parents[4]
    / "cards_fixtures"
    / "lupus-nephritis-response"
    / "partial-no-complete-25-months"
)


@pytest.mark.parametrize(
    ("value", "comparator", "expected"),
    [
        pytest.param(0.5, None, "complete response not reached after 25 months", id="exact-0.5-refractory"),
        pytest.param(0.5, "<", "complete response after 25 months", id="lt0.5-complete"),
        pytest.param(0.6, "<", "complete response undecided (UPCR reported as < 0.60 g/g)", id="lt0.6-undecided"),
    ],
)
def test_reviewer_reproduction_censored_upcr_at_25_months(value: float, comparator: str | None, expected: str) -> None:
    from tests.support import make_app

    logging.disable(logging.CRITICAL)
    try:
        request = json.loads((FIXTURE / "request.json").read_text())
        settings = json.loads((FIXTURE / "settings.json").read_text())
        quantity = request["prefetch"]["proteinuria"]["entry"][-1]["resource"]["valueQuantity"]
        quantity["value"] = value
        if comparator:
            quantity["comparator"] = comparator
        app = make_app(today=settings["today"], criteria_set=settings.get("criteriaSet"))
        response = app.test_client().post("/cds-services/lupus-nephritis-response", json=request)
    finally:
        logging.disable(logging.NOTSET)
    assert response.status_code == 200
    summaries = [c["summary"] for c in response.get_json()["cards"]]
    assert any(expected in s for s in summaries), summaries
    if comparator:
        assert not any("review" in s and "not reached" in s for s in summaries), summaries


# --- Checkpoints are judged on today's values; the latest due one settles the earlier ones (response-model.md §4-5,
# evidence.md §2: the EULAR 2019/2025 milestones are a trajectory, a later target supersedes the earlier ones).

MET, MISSED, UNKNOWN = CheckpointStatus.MET, CheckpointStatus.MISSED, CheckpointStatus.UNKNOWN
EULAR_SETS = ["eular-2025", "eular-2019"]


@pytest.mark.parametrize("criteria_set", EULAR_SETS)
@pytest.mark.parametrize(
    ("months", "baseline", "current", "rbc", "verdict", "statuses"),
    [
        # the reviewer's reproduction (r5.py): 0.80 -> 0.65 g/g at 13 months meets the 12-month target (< 0.7)
        pytest.param(13, "0.80", "0.65", ("20", "2"), Verdict.STATUS, (MET, MET, MET), id="13m-12m-target-met"),
        pytest.param(13, "0.80", "0.75", ("20", "2"), Verdict.REFRACTORY, (MISSED, MISSED, MISSED), id="13m-missed"),
        pytest.param(13, "3.0", "0.9", ("20", "2"), Verdict.REFRACTORY, (MET, MET, MISSED), id="13m-only-12m-missed"),
        pytest.param(7, "0.80", "0.65", ("20", "2"), Verdict.REFRACTORY, (MISSED, MISSED), id="7m-6m-missed"),
        pytest.param(7, "2.0", "0.9", ("20", "2"), Verdict.STATUS, (MET, MET), id="7m-6m-met"),
        pytest.param(4, "1.0", "0.7", ("20", "2"), Verdict.STATUS, (MET,), id="4m-3m-met"),
        pytest.param(4, "1.0", "0.9", ("20", "2"), Verdict.REFRACTORY, (MISSED,), id="4m-3m-missed"),
        pytest.param(25, "0.80", "0.40", ("20", "2"), Verdict.STATUS, (MET, MET, MET), id="25m-complete"),
    ],
)
def test_eular_milestones_met_latest_supersedes_earlier(
    criteria_set: str,
    months: int,
    baseline: str,
    current: str,
    rbc: tuple[str, str],
    verdict: Verdict,
    statuses: tuple[CheckpointStatus, ...],
) -> None:
    a = assess(story(months, baseline, current, rbc=rbc), criteria_set)
    assert a.verdict is verdict
    assert tuple(r.status for r in a.checkpoints) == statuses


@pytest.mark.parametrize("criteria_set", EULAR_SETS)
def test_eular_latest_milestone_undecided_makes_no_refractory_call_from_an_earlier_miss(criteria_set: str) -> None:
    # 0.80 -> 0.65 at 13 months with kidney function unknown: the 12-month target is met by proteinuria only.
    a = assess(story(13, "0.80", "0.65", egfr=None), criteria_set)
    assert a.verdict is Verdict.STATUS
    assert tuple(r.status for r in a.checkpoints) == (UNKNOWN, UNKNOWN, UNKNOWN)


@pytest.mark.parametrize("criteria_set", EULAR_SETS)
def test_reviewer_reproduction_13_months_card_is_not_a_review(criteria_set: str) -> None:
    [card] = response_cards(story(13, "0.80", "0.65"), criteria_set)
    assert card.rule_id == "ln-status"
    assert "milestone not reached" not in card.summary


@pytest.mark.parametrize("criteria_set", ["seed-eular-era-edta-2012", "acr-2012"])
@pytest.mark.parametrize(
    ("months", "baseline", "current", "rbc", "statuses"),
    [
        # no improvement >= 3 m, no PR >= 6 m, no CR >= 24 m: each criterion on its own, judged today
        pytest.param(4, "3.0", "2.9", ("20", "2"), (MISSED,), id="4m-no-improvement"),
        pytest.param(4, "3.0", "2.0", ("20", "2"), (MET,), id="4m-improvement"),
        pytest.param(7, "3.0", "2.8", ("20", "2"), (MISSED, MISSED), id="7m-neither"),
        pytest.param(7, "3.0", "2.0", ("20", "2"), (MET, MISSED), id="7m-improvement-no-pr"),
        pytest.param(7, "3.0", "1.2", ("20", "2"), (MET, MET), id="7m-pr-meets-criteria-1-and-2"),
        pytest.param(25, "3.0", "1.2", ("20", "2"), (MET, MET, MISSED), id="25m-pr-no-cr"),
        pytest.param(25, "3.0", "0.4", ("20", "2"), (MET, MET, MET), id="25m-cr-meets-everything"),
        pytest.param(25, "0.6", "0.4", ("20", "2"), (MET, MET, MET), id="25m-cr-from-low-baseline"),
        pytest.param(25, "3.0", "2.9", ("20", "2"), (MISSED, MISSED, MISSED), id="25m-nothing"),
        # CR by proteinuria only (sediment unknown) covers the PR it may be: no call (unchanged)
        pytest.param(25, "0.6", "0.4", None, (MET, UNKNOWN, UNKNOWN), id="25m-cr-by-proteinuria-no-call"),
    ],
)
def test_seed_criteria_keep_their_behaviour(
    criteria_set: str,
    months: int,
    baseline: str,
    current: str,
    rbc: tuple[str, str] | None,
    statuses: tuple[CheckpointStatus, ...],
) -> None:
    a = assess(story(months, baseline, current, rbc=rbc), criteria_set)
    assert tuple(r.status for r in a.checkpoints) == statuses


def test_status_card_names_the_met_milestone_when_the_set_has_no_class_for_it() -> None:
    """EULAR 2025 at 13 months, UPCR 0.80 -> 0.65 g/g: the 12-month target (< 0.7) is met; "no response yet"
    would misread what the set judged."""
    from tests.hooks.builders import response_cards, story

    card = response_cards(story(13, "0.80", "0.65"), criteria_set="eular-2025")[0]
    assert card.summary.startswith("Lupus nephritis: 12-month milestone met after 13 months")
    assert card.detail is not None
    assert "no response yet" not in card.detail
