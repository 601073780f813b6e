"""Censored results ("< 0.10 g/g", "> 90 mL/min/1.73 m²") are judged as bounds: a test the bound decides is decided,
anything else is undecided and never supports a refractory call; the card names the censored value."""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from fhir_maps.domain import Interpretation, LabConcept, LabResult
from hooks.lupus_nephritis_response.knowledge.criteria_sets import (
    EULAR25_SET,
    SEED_SET,
    Level,
    ResponseTest,
)
from hooks.lupus_nephritis_response.rules.assessment import Verdict
from hooks.lupus_nephritis_response.rules.clinical_response import CheckpointStatus, judge_proteinuria
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
    Path(__file__).resolve().parents[2]
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
