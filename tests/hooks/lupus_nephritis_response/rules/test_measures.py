"""Baseline and current windows, result status, proteinuria kinds, and the kidney-function methods."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from fhir_maps.domain import Demographics, Interpretation, LabConcept, MappingReport, PatientData, ResultStatus, Sex
from fhir_maps.egfr import ckd_epi_2021
from hooks.lupus_nephritis_response.cards.words import fmt_date
from hooks.lupus_nephritis_response.rules.assessment import Missing, Verdict
from hooks.lupus_nephritis_response.rules.measures import (
    KidneyMethod,
    KidneyState,
    Reading,
    surely_above,
    surely_at_least,
    surely_below,
)
from tests.hooks.builders import ago, assess, days_for, lab, response_cards, story, upcr

T0_7M = ago(days_for(7))


@pytest.mark.parametrize(
    ("offset", "assessable"),
    [
        pytest.param(-90, True, id="t0-minus-90-in"),
        pytest.param(-91, False, id="t0-minus-91-out"),
        pytest.param(14, True, id="t0-plus-14-in"),
        pytest.param(15, False, id="t0-plus-15-out"),
    ],
)
def test_baseline_window_edges(offset: int, assessable: bool) -> None:
    a = assess(story(7, "3.1", "2.6", baseline_offset=offset))
    if assessable:
        assert a.verdict is Verdict.REFRACTORY
        assert a.proteinuria is not None
        assert a.proteinuria.baseline is not None
        assert a.proteinuria.baseline.day == T0_7M + timedelta(days=offset)
    else:
        assert a.verdict is Verdict.CANNOT_ASSESS
        assert a.missing == (Missing.BASELINE,)
        assert a.response is None


@pytest.mark.parametrize(
    ("days_ago", "verdict"),
    [
        pytest.param(90, Verdict.REFRACTORY, id="90-days-old-current"),
        pytest.param(91, Verdict.CANNOT_ASSESS, id="91-days-old-cannot-assess"),
    ],
)
def test_current_result_no_older_than_90_days(days_ago: int, verdict: Verdict) -> None:
    a = assess(story(7, "3.1", "2.6", current_days_ago=days_ago))
    assert a.verdict is verdict
    if verdict is Verdict.CANNOT_ASSESS:
        assert a.missing == (Missing.CURRENT,)


def test_baseline_nearest_t0_wins_and_ties_go_to_the_value_before_t0() -> None:
    data = story(
        7,
        "9.0",
        "2.6",
        baseline_offset=-40,
        labs=[upcr(T0_7M - timedelta(days=3), "3.1"), upcr(T0_7M + timedelta(days=3), "5.0")],
    )
    a = assess(data)
    assert a.proteinuria is not None
    assert a.proteinuria.baseline is not None
    assert a.proteinuria.baseline.value == Decimal("3.1")


def test_newer_preliminary_result_is_reported_not_used() -> None:
    data = story(7, "3.10", "2.60", labs=[upcr(ago(1), "0.40", status=ResultStatus.PRELIMINARY)])
    a = assess(data)
    assert a.verdict is Verdict.REFRACTORY
    assert a.proteinuria is not None
    assert a.proteinuria.current is not None
    assert a.proteinuria.current.value == Decimal("2.60")
    (card,) = response_cards(data)
    assert f"Preliminary result of {fmt_date(ago(1))} not used." in (card.detail or "")


def test_only_a_preliminary_current_result_cannot_assess() -> None:
    data = story(7, "3.10", "2.60", current_days_ago=200, labs=[upcr(ago(1), "0.40", status=ResultStatus.PRELIMINARY)])
    a = assess(data)
    assert a.verdict is Verdict.CANNOT_ASSESS
    assert a.missing == (Missing.CURRENT,)


def test_24_hour_protein_instead_of_upcr_is_judged_in_g_per_day() -> None:
    data = story(7, "3.40", "2.90", kind=LabConcept.PROTEIN_24H)
    a = assess(data)
    assert a.verdict is Verdict.REFRACTORY
    (card,) = response_cards(data)
    assert "24-h protein: 3.40 g/day" in (card.detail or "")
    assert "Proteinuria (24-h protein, g/day)" in (card.detail or "")


def test_mixed_kinds_are_noted() -> None:
    data = story(
        7, "3.10", "2.60", baseline_offset=-30, labs=[lab(LabConcept.PROTEIN_24H, T0_7M - timedelta(days=2), "3.40")]
    )
    a = assess(data)
    assert a.proteinuria is not None
    assert a.proteinuria.mixed_kinds
    (card,) = response_cards(data)
    assert "spot UPCR in g/g is taken as equivalent to g/day" in (card.detail or "")


def test_unknown_unit_proteinuria_cannot_assess_and_says_so() -> None:
    report = MappingReport(observations_unknown_unit=2, unknown_unit_concepts=(LabConcept.UPCR,))
    data = story(7, "3.1", "2.6", kind=None, report=report)
    a = assess(data)
    assert a.verdict is Verdict.CANNOT_ASSESS
    assert a.missing == (Missing.BASELINE, Missing.CURRENT)
    (card,) = response_cards(data)
    assert card.summary == "Lupus nephritis response: cannot assess — no baseline or recent proteinuria"
    assert "their unit could not be converted" in (card.detail or "")


def test_no_result_after_the_baseline_once_a_time_point_is_due() -> None:
    data = story(3.1, "3.1", None, baseline_offset=10)
    a = assess(data)
    assert a.verdict is Verdict.CANNOT_ASSESS
    assert a.missing == (Missing.SINCE_BASELINE,)


def test_no_result_after_the_baseline_before_any_time_point_is_a_status() -> None:
    data = story(1, "3.1", None, baseline_offset=2)
    a = assess(data)
    assert a.verdict is Verdict.STATUS
    assert a.response is None
    (card,) = response_cards(data)
    assert "no result since baseline" in card.summary


def _creatinine_story(
    baseline: str, current: str, demographics: Demographics, flag: Interpretation = Interpretation.UNKNOWN
) -> PatientData:
    labs = [
        lab(LabConcept.CREATININE, T0_7M - timedelta(days=5), baseline),
        lab(LabConcept.CREATININE, ago(5), current, flag=flag),
    ]
    return story(7, "4.0", "1.6", egfr=None, labs=labs, demographics=demographics)


ADULT = Demographics(date(1990, 5, 10), Sex.FEMALE)
NO_SEX = Demographics(date(1990, 5, 10), Sex.UNKNOWN)
CHILD = Demographics(date(2012, 1, 1), Sex.FEMALE)


@pytest.mark.parametrize(
    ("baseline", "current", "demographics", "flag", "method", "state"),
    [
        pytest.param(
            "0.90",
            "0.95",
            ADULT,
            Interpretation.UNKNOWN,
            KidneyMethod.EGFR_COMPUTED,
            KidneyState.STABLE,
            id="computed-stable",  # 0.95 mg/dL is above the women's 0.93 limit: judged by stability
        ),
        pytest.param(
            "0.80",
            "1.20",
            ADULT,
            Interpretation.UNKNOWN,
            KidneyMethod.EGFR_COMPUTED,
            KidneyState.WORSE,
            id="computed-worse",
        ),
        pytest.param(
            "1.00",
            "1.10",
            NO_SEX,
            Interpretation.UNKNOWN,
            KidneyMethod.CREATININE,
            KidneyState.STABLE,
            id="creatinine-10pct-rise",
        ),
        pytest.param(
            "1.00",
            "1.11",
            NO_SEX,
            Interpretation.UNKNOWN,
            KidneyMethod.CREATININE,
            KidneyState.WORSE,
            id="creatinine-11pct-rise",
        ),
        pytest.param(
            "1.00",
            "1.11",
            CHILD,
            Interpretation.UNKNOWN,
            KidneyMethod.CREATININE,
            KidneyState.WORSE,
            id="child-no-ckd-epi",
        ),
        pytest.param(
            "0.60",
            "0.95",
            NO_SEX,
            Interpretation.NORMAL,
            KidneyMethod.CREATININE,
            KidneyState.NORMAL,
            id="normal-flag-wins",
        ),
    ],
)
def test_kidney_function_method_and_state(
    baseline: str,
    current: str,
    demographics: Demographics,
    flag: Interpretation,
    method: KidneyMethod,
    state: KidneyState,
) -> None:
    a = assess(_creatinine_story(baseline, current, demographics, flag))
    assert a.measurements is not None
    assert a.measurements.kidney.method is method
    assert a.measurements.kidney.state is state


def test_computed_egfr_uses_ckd_epi_2021_with_age_at_the_result_and_says_so() -> None:
    data = _creatinine_story("0.80", "0.84", ADULT)
    a = assess(data)
    assert a.measurements is not None
    assert a.measurements.kidney.current is not None
    assert a.measurements.kidney.current.value == ckd_epi_2021(Decimal("0.84"), 35, Sex.FEMALE)  # born 1990-05-10
    (card,) = response_cards(data)
    assert "eGFR computed from creatinine with CKD-EPI 2021" in (card.detail or "")


def test_normal_creatinine_counts_without_a_baseline() -> None:
    labs = [lab(LabConcept.CREATININE, ago(5), "0.7", flag=Interpretation.NORMAL)]
    a = assess(story(7, "4.0", "1.6", egfr=None, labs=labs))
    assert a.measurements is not None
    assert a.measurements.kidney.state is KidneyState.NORMAL
    assert a.verdict is Verdict.STATUS
    assert a.response is not None
    assert a.response.provisional is None


def test_reported_egfr_is_preferred() -> None:
    labs = [lab(LabConcept.CREATININE, T0_7M, "0.8"), lab(LabConcept.CREATININE, ago(5), "2.0")]
    a = assess(story(7, "4.0", "1.6", labs=labs))
    assert a.measurements is not None
    assert a.measurements.kidney.method is KidneyMethod.EGFR_REPORTED
    assert a.measurements.kidney.state is KidneyState.STABLE


# --- Flags and cautions outside the response class also respect a censored value's comparator.

DAY = date(2026, 6, 1)


def egfr(value: str, comparator: str | None = None) -> Reading:
    return Reading(LabConcept.EGFR, Decimal(value), DAY, comparator)


@pytest.mark.parametrize(
    ("reading", "limit", "below", "at_least", "above"),
    [
        pytest.param(egfr("25"), "30", True, False, False, id="exact-25-vs-30"),
        pytest.param(egfr("30"), "30", False, True, False, id="exact-at-the-limit"),
        pytest.param(egfr("15", "<"), "30", True, False, False, id="less-than-15-is-surely-below-30"),
        pytest.param(egfr("15", ">"), "30", False, False, False, id="more-than-15-decides-nothing-at-30"),
        pytest.param(egfr("60", ">"), "45", False, True, True, id="more-than-60-is-surely-above-45"),
        pytest.param(egfr("60", "<"), "45", False, False, False, id="less-than-60-decides-nothing-at-45"),
        pytest.param(egfr("45", ">="), "45", False, True, False, id="at-least-45-is-not-surely-above-45"),
        pytest.param(egfr("45", ">"), "45", False, True, True, id="more-than-45-is-surely-above-45"),
    ],
)
def test_censored_bounds_decide_only_what_they_can(
    reading: Reading, limit: str, below: bool, at_least: bool, above: bool
) -> None:
    assert surely_below(reading, Decimal(limit)) is below
    assert surely_at_least(reading, Decimal(limit)) is at_least
    assert surely_above(reading, Decimal(limit)) is above


def test_an_egfr_reported_above_15_does_not_flag_chronic_damage() -> None:
    from hooks.lupus_nephritis_response.rules.checklist import ItemState
    from tests.hooks.builders import ago, assess, lab, story

    data = story(7, "3.10", "2.60", egfr=None, labs=[lab(LabConcept.EGFR, ago(5), "15", comparator=">")])
    keys = {item.key for item in assess(data).checklist if item.state is ItemState.FLAGGED}
    assert "chronic-damage-low-egfr" not in keys


def test_an_egfr_reported_below_15_flags_chronic_damage() -> None:
    from hooks.lupus_nephritis_response.rules.checklist import ItemState
    from tests.hooks.builders import ago, assess, lab, story

    data = story(7, "3.10", "2.60", egfr=None, labs=[lab(LabConcept.EGFR, ago(5), "15", comparator="<")])
    keys = {item.key for item in assess(data).checklist if item.state is ItemState.FLAGGED}
    assert "chronic-damage-low-egfr" in keys


@pytest.mark.parametrize(
    ("comparator", "value", "due"),
    [
        pytest.param(None, "2.0", True, id="exact-2.0-is-proteinuric"),
        pytest.param("<", "2.0", False, id="less-than-2.0-may-not-be"),
        pytest.param(">", "0.5", True, id="more-than-0.5-surely-is"),
    ],
)
def test_raas_suggestion_needs_a_value_surely_proteinuric(comparator: str | None, value: str, due: bool) -> None:
    from hooks.lupus_nephritis_response.knowledge.criteria_sets import get_criteria_set
    from hooks.lupus_nephritis_response.rules.supportive_care import supportive_gaps
    from tests.hooks.builders import TODAY, ago, lab, ln_dx, patient

    data = patient(diagnoses=[ln_dx()], labs=[lab(LabConcept.UPCR, ago(5), value, comparator=comparator)])
    gaps = supportive_gaps(data, get_criteria_set("seed-eular-era-edta-2012"), TODAY)
    assert gaps is not None
    assert (gaps.proteinuria is not None) is due


MAN = Demographics(date(1990, 5, 10), Sex.MALE)
ADOLESCENT = Demographics(date(2010, 9, 1), Sex.FEMALE)  # 15 on the test's today


@pytest.mark.parametrize(
    ("baseline", "current", "demographics", "flag", "state", "limit"),
    [
        # "normal OR stable": a creatinine within the adult upper reference limit is normal even after a rise beyond
        # the stability margin (Pottel 2008: women 0.93, men 1.16 mg/dL)
        pytest.param("0.55", "0.93", ADULT, Interpretation.UNKNOWN, KidneyState.NORMAL, "0.93", id="woman-at-limit"),
        pytest.param("0.55", "0.94", ADULT, Interpretation.UNKNOWN, KidneyState.WORSE, None, id="woman-above-limit"),
        pytest.param("0.70", "1.16", MAN, Interpretation.UNKNOWN, KidneyState.NORMAL, "1.16", id="man-at-limit"),
        pytest.param("0.70", "1.17", MAN, Interpretation.UNKNOWN, KidneyState.WORSE, None, id="man-above-limit"),
        # no sex recorded: the lower (female) adult limit (review finding C7)
        pytest.param(
            "0.55", "0.90", NO_SEX, Interpretation.UNKNOWN, KidneyState.NORMAL, "0.93", id="sex-unknown-female-limit"
        ),
        pytest.param(
            "0.55", "0.95", NO_SEX, Interpretation.UNKNOWN, KidneyState.WORSE, None, id="sex-unknown-above-female"
        ),
        # under 18: no adult limit, no CKD-EPI; only the lab's own flag or range says normal; a rise that stays
        # within the adult limit cannot be judged against age norms (review finding C7); above it, it counts
        pytest.param("0.50", "0.80", ADOLESCENT, Interpretation.UNKNOWN, KidneyState.UNJUDGED, None, id="teen-no-flag"),
        pytest.param(
            "0.50", "0.95", ADOLESCENT, Interpretation.UNKNOWN, KidneyState.WORSE, None, id="teen-above-adult"
        ),
        pytest.param("0.50", "0.80", ADOLESCENT, Interpretation.NORMAL, KidneyState.NORMAL, None, id="teen-lab-flag"),
        pytest.param("0.50", "0.52", ADOLESCENT, Interpretation.UNKNOWN, KidneyState.STABLE, None, id="teen-stable"),
    ],
)
def test_creatinine_within_the_normal_range_for_sex_and_age_is_normal_kidney_function(
    baseline: str, current: str, demographics: Demographics, flag: Interpretation, state: KidneyState, limit: str | None
) -> None:
    a = assess(_creatinine_story(baseline, current, demographics, flag))
    assert a.measurements is not None
    k = a.measurements.kidney
    assert k.state is state
    assert k.normal_limit == (Decimal(limit) if limit else None)
    assert k.under_18 is (demographics is ADOLESCENT)
    if demographics is ADOLESCENT:
        assert k.method is KidneyMethod.CREATININE  # CKD-EPI 2021 is for adults: never computed under 18


def test_an_egfr_fall_alone_does_not_cancel_a_response_when_creatinine_is_normal() -> None:
    """Reported eGFR 110 -> 88 (-20%, beyond 10%) while the creatinine of the same day is 0.85 mg/dL in a woman."""
    labs = [
        lab(LabConcept.EGFR, T0_7M - timedelta(days=5), "110"),
        lab(LabConcept.EGFR, ago(5), "88"),
        lab(LabConcept.CREATININE, ago(5), "0.85"),
    ]
    a = assess(story(7, "4.0", "0.3", egfr=None, labs=labs, demographics=ADULT))
    assert a.measurements is not None
    assert a.measurements.kidney.state is KidneyState.NORMAL
    assert a.response is not None
    assert a.response.reached_partial  # the eGFR fall alone did not cancel it


def test_an_older_normal_creatinine_does_not_override_a_newer_egfr_fall() -> None:
    labs = [
        lab(LabConcept.EGFR, T0_7M - timedelta(days=5), "110"),
        lab(LabConcept.EGFR, ago(5), "70"),
        lab(LabConcept.CREATININE, ago(40), "0.85"),
    ]
    a = assess(story(7, "4.0", "0.3", egfr=None, labs=labs, demographics=ADULT))
    assert a.measurements is not None
    assert a.measurements.kidney.state is KidneyState.WORSE
