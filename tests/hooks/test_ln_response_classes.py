"""Response classes and refractory criteria, at and either side of every cut-off, for each criteria set."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from fhir_maps.domain import Interpretation, LabConcept, LabResult, PatientData
from hooks.lupus_nephritis_response.knowledge.criteria_sets import Level
from hooks.lupus_nephritis_response.rules.assessment import Verdict
from hooks.lupus_nephritis_response.rules.clinical_response import CheckpointStatus, Unassessed
from tests.hooks.builders import ago, assess, lab, story

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
