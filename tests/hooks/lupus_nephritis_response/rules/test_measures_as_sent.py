"""Results as laboratories send them, judged (issue 10 §4): ranges by both bounds, censored eGFR falling back to
creatinine, decisions the current values settle without a baseline, unreadable and old current values."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from fhir_maps.domain import Demographics, LabConcept, LabSeries, Sex
from hooks.lupus_nephritis_response.knowledge.criteria_sets import get_criteria_set
from hooks.lupus_nephritis_response.rules.assessment import Missing, Verdict
from hooks.lupus_nephritis_response.rules.clinical_response import CheckpointStatus
from hooks.lupus_nephritis_response.rules.measures import (
    Decision,
    KidneyMethod,
    KidneyState,
    Reading,
    SedimentState,
    judge_one,
    surely_above,
    surely_below,
)
from tests.hooks.builders import TODAY, ago, assess, lab, response_cards, story

NO_BASELINE = -200  # baseline offset outside [T0 - 90, T0 + 14]: no baseline in the window


def nb(day: date) -> str:
    """Returns the date as cards print it: ISO with non-breaking hyphens (U+2011), so it never wraps."""
    return day.isoformat().replace("-", "\u2011")


def _range(low: str, high: str) -> Reading:
    return Reading(LabConcept.URINE_RBC, Decimal(high), TODAY, "<=", Decimal(low))


@pytest.mark.parametrize(
    ("low", "high", "quiet"),
    [
        pytest.param("0", "2", Decision.HOLDS, id="0-2-quiet"),
        pytest.param("0", "5", Decision.HOLDS, id="0-5-quiet-at-the-limit"),
        pytest.param("10", "20", Decision.FAILS, id="10-20-active"),
        pytest.param("6", "10", Decision.FAILS, id="6-10-active"),
        pytest.param("3", "10", Decision.UNDECIDED, id="3-10-spans-5"),
        pytest.param("5", "6", Decision.UNDECIDED, id="5-6-spans-5"),
    ],
)
def test_a_range_is_judged_by_both_bounds(low: str, high: str, quiet: Decision) -> None:
    assert judge_one(_range(low, high), lambda v: v <= 5, higher_passes=False) is quiet


def test_surely_flags_read_a_range_by_the_bound_that_decides() -> None:
    assert surely_below(_range("0", "2"), Decimal(5))
    assert surely_above(_range("10", "20"), Decimal(5))
    assert not surely_below(_range("3", "10"), Decimal(5))
    assert not surely_above(_range("3", "10"), Decimal(5))


@pytest.mark.parametrize(
    ("low", "high", "state"),
    [
        pytest.param("0", "2", SedimentState.INACTIVE, id="0-2"),
        pytest.param("10", "20", SedimentState.ACTIVE, id="10-20"),
        pytest.param("3", "10", SedimentState.CENSORED, id="3-10"),
    ],
)
def test_sediment_reported_as_a_range(low: str, high: str, state: SedimentState) -> None:
    rbc = replace(lab(LabConcept.URINE_RBC, ago(5), high), comparator="<=", low=Decimal(low))
    a = assess(story(7, "4.0", "1.4", rbc=None, labs=[rbc]))
    assert a.measurements is not None
    assert a.measurements.sediment.state is state


def _censored_egfr(day_ago: int) -> object:
    return replace(lab(LabConcept.EGFR, ago(day_ago), "60"), comparator=">")


@pytest.mark.parametrize(
    ("creatinine_now", "state"),
    [
        # 0.72 mg/dL is within the adult female upper limit (0.93): normal, whatever its change
        pytest.param("0.72", KidneyState.NORMAL, id="creatinine-normal"),
        pytest.param("1.15", KidneyState.WORSE, id="creatinine-rose"),
    ],
)
def test_egfr_above_60_at_both_ends_falls_back_to_the_exact_creatinine(creatinine_now: str, state: KidneyState) -> None:
    t0_day = 7 * 31 - 5
    labs = [
        _censored_egfr(t0_day),
        _censored_egfr(5),
        lab(LabConcept.CREATININE, ago(t0_day), "0.70"),
        lab(LabConcept.CREATININE, ago(5), creatinine_now),
    ]
    data = story(
        7, "4.0", "1.4", egfr=None, labs=labs, demographics=Demographics(datetime(1994, 3, 2).date(), Sex.FEMALE)
    )
    a = assess(data)
    assert a.measurements is not None
    assert (a.measurements.kidney.state, a.measurements.kidney.method) == (state, KidneyMethod.EGFR_COMPUTED)


def test_egfr_above_60_at_both_ends_without_creatinine_stays_undecided() -> None:
    t0_day = 7 * 31 - 5
    a = assess(story(7, "4.0", "1.4", egfr=None, labs=[_censored_egfr(t0_day), _censored_egfr(5)]))
    assert a.measurements is not None
    assert a.measurements.kidney.state is KidneyState.CENSORED


@pytest.mark.parametrize(
    ("criteria_set", "current", "months", "verdict"),
    [
        pytest.param("seed-eular-era-edta-2012", "4.8", 7, Verdict.REFRACTORY, id="seed-nephrotic"),
        pytest.param("seed-eular-era-edta-2012", "3.5", 7, Verdict.REFRACTORY, id="seed-at-ceiling"),
        pytest.param("seed-eular-era-edta-2012", "3.49", 7, Verdict.CANNOT_ASSESS, id="seed-just-below"),
        pytest.param("seed-eular-era-edta-2012", "4.8", 5, Verdict.CANNOT_ASSESS, id="seed-before-6-months"),
        pytest.param("kdigo-2024", "3.0", 7, Verdict.REFRACTORY, id="kdigo-at-3"),
        pytest.param("kdigo-2024", "2.9", 7, Verdict.CANNOT_ASSESS, id="kdigo-below-3"),
        pytest.param("eular-2025", "0.8", 13, Verdict.REFRACTORY, id="eular-12m-ceiling"),
        pytest.param("eular-2025", "0.6", 13, Verdict.CANNOT_ASSESS, id="eular-below-0.7"),
        # kidney function and sediment have no baseline either here: complete by proteinuria only, not settled
        pytest.param("seed-eular-era-edta-2012", "0.3", 12, Verdict.CANNOT_ASSESS, id="seed-complete-by-upcr-only"),
    ],
)
def test_what_the_current_value_settles_without_a_baseline(
    criteria_set: str, current: str, months: int, verdict: Verdict
) -> None:
    data = story(months, "4.0", current, baseline_offset=NO_BASELINE)
    a = assess(data, criteria_set)
    assert a.verdict is verdict
    assert Missing.BASELINE in a.missing
    if verdict is not Verdict.CANNOT_ASSESS:
        [card] = response_cards(data, criteria_set)
        assert "No baseline proteinuria" in (card.detail or "")
    if verdict is Verdict.REFRACTORY:
        assert a.with_status(CheckpointStatus.MISSED)


def test_every_criteria_set_uses_its_own_partial_response_ceiling() -> None:
    assert get_criteria_set("seed-eular-era-edta-2012").partial.max_proteinuria == Decimal("3.5")
    assert get_criteria_set("kdigo-2024").partial.max_proteinuria == Decimal("3.0")
    assert get_criteria_set("acr-2012").partial.max_proteinuria == Decimal("3.5")


def test_a_censored_nephrotic_value_decides_without_a_baseline_only_when_its_bound_does() -> None:
    above = replace(lab(LabConcept.UPCR, ago(5), "3.5"), comparator=">")
    a = assess(story(7, "4.0", None, baseline_offset=NO_BASELINE, labs=[above]))
    assert a.verdict is Verdict.REFRACTORY
    below = replace(lab(LabConcept.UPCR, ago(5), "4.0"), comparator="<")
    assert assess(story(7, "4.0", None, baseline_offset=NO_BASELINE, labs=[below])).verdict is Verdict.CANNOT_ASSESS


def _with_unreadable(data: object, days_ago: int) -> object:
    when = datetime.combine(ago(days_ago), datetime.min.time(), UTC)
    labs = dict(data.labs)  # type: ignore[attr-defined]
    series = labs[LabConcept.UPCR]
    labs[LabConcept.UPCR] = LabSeries(LabConcept.UPCR, series.results, (when,))
    return replace(data, labs=labs)  # type: ignore[type-var]


def test_an_unreadable_latest_result_is_said_with_the_age_of_the_value_used() -> None:
    data = _with_unreadable(story(7, "3.1", "2.6", current_days_ago=40), 3)
    a = assess(data)  # type: ignore[arg-type]
    assert a.proteinuria is not None
    assert a.proteinuria.unreadable_after == ago(3)
    [card] = response_cards(data)  # type: ignore[arg-type]
    assert f"on {nb(ago(3))}, could not be read" in (card.detail or "")
    assert "37 days older" in (card.detail or "")


def test_an_unreadable_result_older_than_the_value_used_is_not_mentioned() -> None:
    data = _with_unreadable(story(7, "3.1", "2.6", current_days_ago=5), 20)
    assert assess(data).proteinuria.unreadable_after is None  # type: ignore[arg-type, union-attr]


def test_an_unreadable_only_recent_result_is_said_on_the_cannot_assess_card() -> None:
    data = _with_unreadable(story(7, "3.1", "2.6", current_days_ago=120), 3)
    a = assess(data)  # type: ignore[arg-type]
    assert a.verdict is Verdict.CANNOT_ASSESS
    [card] = response_cards(data)  # type: ignore[arg-type]
    assert "could not be read" in (card.detail or "")


@pytest.mark.parametrize(
    ("days_ago", "said"),
    [pytest.param(30, False, id="30-days-not-said"), pytest.param(31, True, id="31-days-said")],
)
def test_the_age_of_an_older_current_value_is_on_the_card(days_ago: int, said: bool) -> None:
    [card] = response_cards(story(7, "3.1", "2.6", current_days_ago=days_ago))
    assert (f"is {days_ago} days old" in (card.detail or "")) is said


def _unreadable_in(data: object, concept: LabConcept, days_ago: int) -> object:
    when = datetime.combine(ago(days_ago), datetime.min.time(), UTC)
    labs = dict(data.labs)  # type: ignore[attr-defined]
    series = labs.get(concept) or LabSeries(concept)
    labs[concept] = LabSeries(concept, series.results, (when,))
    return replace(data, labs=labs)  # type: ignore[type-var]


@pytest.mark.parametrize(
    ("concept", "words"),
    [
        pytest.param(LabConcept.EGFR, "latest eGFR or creatinine", id="egfr"),
        pytest.param(LabConcept.CREATININE, "latest eGFR or creatinine", id="creatinine"),
        pytest.param(LabConcept.URINE_RBC, "latest urine sediment count", id="rbc"),
    ],
)
def test_an_unreadable_newer_kidney_or_sediment_result_is_said(concept: LabConcept, words: str) -> None:
    data = _unreadable_in(story(7, "3.1", "2.6", current_days_ago=20), concept, 2)
    [card] = response_cards(data)  # type: ignore[arg-type]
    assert f"{words}, on {nb(ago(2))}, could not be read" in (card.detail or "")


def test_an_unreadable_kidney_result_older_than_the_one_used_is_not_said() -> None:
    data = _unreadable_in(story(7, "3.1", "2.6", current_days_ago=5), LabConcept.EGFR, 9)
    [card] = response_cards(data)  # type: ignore[arg-type]
    assert "could not be read" not in (card.detail or "")


@pytest.mark.parametrize(
    ("concept", "text"),
    [
        pytest.param(LabConcept.EGFR, "current kidney function value is 45 days old", id="egfr"),
        pytest.param(LabConcept.URINE_RBC, "current sediment count is 45 days old", id="rbc"),
    ],
)
def test_the_age_of_an_older_kidney_or_sediment_value_is_on_the_card(concept: LabConcept, text: str) -> None:
    data = story(7, "3.1", "2.6")
    labs = dict(data.labs)
    old = labs[concept].results
    moved = replace(old[-1], when=datetime.combine(ago(45), datetime.min.time(), UTC))
    labs[concept] = LabSeries(concept, (*old[:-1], moved))
    [card] = response_cards(replace(data, labs=labs))
    assert text in (card.detail or "")
