"""Scope, LN class, and the current treatment line with its clock (T0), through switches and add-ons."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from fhir_maps.domain import Agent, ConditionKind, LabConcept, LabResult, LnClass, PatientData, TherapyEpisode
from hooks.lupus_nephritis_response.knowledge.criteria_sets import CRITERIA_SETS, get_criteria_set
from hooks.lupus_nephritis_response.rules.assessment import Verdict, in_scope, ln_classes
from hooks.lupus_nephritis_response.rules.clinical_response import CheckpointStatus
from hooks.lupus_nephritis_response.rules.treatment_line import ChangeKind, current_line, partial_response_months
from tests.hooks.builders import (
    TODAY,
    ago,
    assess,
    cards,
    days_for,
    dx,
    episode,
    lab,
    ln_dx,
    patient,
    response_cards,
    story,
    upcr,
)

MMF, CYC, BEL = Agent.MYCOPHENOLATE_MOFETIL, Agent.CYCLOPHOSPHAMIDE, Agent.BELIMUMAB


def _with(make: Callable[[], PatientData], **changes: object) -> PatientData:
    return replace(make(), **changes)  # type: ignore[arg-type]


NO_CARD = [
    pytest.param(
        lambda: _with(lambda: story(7, "3.1", "2.6"), diagnoses=()),
        id="no-diagnosis",
    ),
    pytest.param(
        lambda: _with(lambda: story(7, "3.1", "2.6"), diagnoses=(dx(ConditionKind.SLE, ago(900)),)),
        id="sle-only",
    ),
    pytest.param(
        lambda: _with(
            lambda: story(7, "3.1", "2.6"),
            diagnoses=(dx(ConditionKind.LUPUS_NEPHRITIS, ago(2000), LnClass.IV, active=False),),
        ),
        id="ln-inactive",
    ),
]


@pytest.mark.parametrize("make", NO_CARD)
def test_out_of_scope_gives_no_assessment_and_no_card(make: Callable[[], PatientData]) -> None:
    data = make()
    assert not in_scope(data)
    assert not assess(data).in_scope
    assert cards(data) == []


NO_LINE = [
    pytest.param([episode(Agent.HYDROXYCHLOROQUINE, ago(900))], id="hydroxychloroquine-only"),
    pytest.param([episode(Agent.GLUCOCORTICOID, ago(200))], id="glucocorticoid-only"),
    pytest.param([episode(MMF, ago(400), ago(100))], id="line-agent-ended"),
    pytest.param([episode(MMF, ago(-10))], id="future-start"),
]


@pytest.mark.parametrize("episodes", NO_LINE)
def test_active_ln_without_an_active_line_agent_gives_no_response_card(episodes: list[object]) -> None:
    data = story(7, "3.1", "2.6", episodes=episodes, supportive=False)
    a = assess(data)
    assert a.in_scope
    assert a.line is None
    assert a.verdict is None
    assert a.therapy is None
    # untreated LN still gets the supportive-care card when the record lacks it (and nothing when switched off)
    assert [c.rule_id for c in cards(data)] == ["ln-supportive-care"]
    assert cards(data, show_supportive_card=False) == []


@pytest.mark.parametrize(
    ("diagnoses", "expected"),
    [
        pytest.param([ln_dx(None)], (), id="not-recorded"),
        pytest.param([ln_dx(LnClass.IV)], (LnClass.IV,), id="iv"),
        pytest.param([ln_dx(LnClass.III, ago(50)), ln_dx(LnClass.V, ago(50))], (LnClass.III, LnClass.V), id="iii+v"),
        pytest.param([ln_dx(LnClass.IV, ago(700)), ln_dx(LnClass.V, ago(100))], (LnClass.V,), id="most-recent-wins"),
        pytest.param([ln_dx(LnClass.V, ago(100)), ln_dx(LnClass.IV, ago(100))], (LnClass.IV, LnClass.V), id="iv+v"),
    ],
)
def test_ln_class_from_the_most_recent_date(diagnoses: list[object], expected: tuple[LnClass, ...]) -> None:
    data = patient(diagnoses=diagnoses)  # type: ignore[arg-type]
    assert ln_classes(data) == expected


def _switch_story(at_switch: str) -> PatientData:
    """CYC from 13 months ago for 6 months, then MMF; UPCR 4.0 at the start and `at_switch` just before MMF."""
    cyc_start, mmf_start = ago(396), ago(213)
    labs = [
        upcr(ago(400), "4.0"),
        upcr(ago(220), at_switch),
        upcr(ago(5), "1.2"),
        lab(LabConcept.EGFR, ago(400), "80"),
        lab(LabConcept.EGFR, ago(220), "80"),
        lab(LabConcept.EGFR, ago(5), "80"),
        lab(LabConcept.URINE_RBC, ago(400), "25"),
        lab(LabConcept.URINE_RBC, ago(220), "2"),
        lab(LabConcept.URINE_RBC, ago(5), "2"),
    ]
    eps = [episode(CYC, cyc_start, ago(215)), episode(MMF, mmf_start, dose=3000)]
    return patient(diagnoses=[ln_dx()], labs=labs, episodes=eps)


def test_switch_after_partial_response_is_maintenance_and_keeps_t0() -> None:
    a = assess(_switch_story(at_switch="1.4"))
    assert a.line is not None
    assert a.line.t0 == ago(396)
    assert [c.kind for c in a.line.changes] == [ChangeKind.MAINTENANCE]
    assert a.line.agents == (CYC, MMF)
    assert a.line.current_agents == (MMF,)
    assert a.line.failed_agents == ()


def test_switch_without_partial_response_starts_a_new_line_and_records_the_failed_agent() -> None:
    a = assess(_switch_story(at_switch="3.8"))
    assert a.line is not None
    assert a.line.t0 == ago(213)
    assert [c.kind for c in a.line.changes] == [ChangeKind.NO_RESPONSE]
    assert a.line.failed_agents == (CYC,)
    assert a.line.agents == (MMF,)


def test_maintenance_line_summary_names_both_agents_and_the_clock_from_the_first() -> None:
    data = _switch_story(at_switch="1.4")
    (card,) = response_cards(data)
    assert card.summary == (
        "Lupus nephritis: partial response after 13 months of cyclophosphamide then mycophenolate mofetil "
        "(UPCR 4.00 → 1.20 g/g, \u221270%)"
    )


def _add_on_story(upcr_at_add_on: str, add_on_days_ago: int) -> PatientData:
    labs = [upcr(ago(310), "4.0"), upcr(ago(add_on_days_ago + 3), upcr_at_add_on), upcr(ago(5), "1.0")]
    labs += [lab(LabConcept.EGFR, ago(310), "80"), lab(LabConcept.EGFR, ago(5), "80")]
    labs += [lab(LabConcept.EGFR, ago(add_on_days_ago + 3), "80")]
    labs += [lab(LabConcept.URINE_RBC, d, "2") for d in (ago(310), ago(add_on_days_ago + 3), ago(5))]
    eps = [episode(MMF, ago(305), dose=3000), episode(BEL, ago(add_on_days_ago))]
    return patient(diagnoses=[ln_dx()], labs=labs, episodes=eps)


def test_add_on_for_non_response_starts_a_combination_line() -> None:
    a = assess(_add_on_story("3.5", add_on_days_ago=120))
    assert a.line is not None
    assert a.line.t0 == ago(120)
    assert a.line.current_agents == (MMF, BEL)
    assert a.line.is_combination
    assert a.line.failed_agents == (MMF,)


def test_add_on_after_response_is_maintenance() -> None:
    a = assess(_add_on_story("1.5", add_on_days_ago=120))
    assert a.line is not None
    assert a.line.t0 == ago(305)
    assert a.line.is_combination
    assert a.line.failed_agents == ()


def test_agent_added_within_30_days_is_part_of_the_initial_combination() -> None:
    a = assess(_add_on_story("4.0", add_on_days_ago=280))
    assert a.line is not None
    assert a.line.t0 == ago(305)
    assert [c.kind for c in a.line.changes] == [ChangeKind.COMBINATION]


def test_mycophenolate_mofetil_to_mycophenolic_acid_is_not_a_change() -> None:
    eps = [episode(MMF, ago(213), ago(100)), episode(Agent.MYCOPHENOLIC_ACID, ago(99), dose=1440)]
    a = assess(story(7, "3.1", "2.6", episodes=eps))
    assert a.line is not None
    assert a.line.t0 == ago(213)
    assert a.line.changes == ()


def test_change_without_proteinuria_at_the_change_is_a_new_line_with_no_failed_agent() -> None:
    # Issue 10: mycophenolate after a short cyclophosphamide course is planned maintenance (next test), so the
    # unjudged switch is shown going the other way.
    labs = [upcr(ago(400), "4.0"), upcr(ago(200), "3.0"), upcr(ago(5), "2.0")]
    eps = [episode(MMF, ago(396), ago(300), dose=3000), episode(CYC, ago(290))]
    a = assess(patient(diagnoses=[ln_dx()], labs=labs, episodes=eps))
    assert a.line is not None
    assert a.line.t0 == ago(290)
    assert [c.kind for c in a.line.changes] == [ChangeKind.UNJUDGED]
    assert a.line.failed_agents == ()


def test_new_course_after_a_break_restarts_the_clock() -> None:
    labs = [upcr(ago(1100), "4.0"), upcr(ago(900), "0.3"), upcr(ago(160), "3.0"), upcr(ago(5), "1.2")]
    labs += [lab(LabConcept.URINE_RBC, d, "2") for d in (ago(1100), ago(900), ago(160), ago(5))]
    labs += [lab(LabConcept.EGFR, d, "90") for d in (ago(1100), ago(900), ago(160), ago(5))]
    eps = [episode(CYC, ago(1095), ago(900)), episode(MMF, ago(152), dose=3000)]
    a = assess(patient(diagnoses=[ln_dx()], labs=labs, episodes=eps))
    assert a.line is not None
    assert a.line.t0 == ago(152)
    assert [c.kind for c in a.line.changes] == [ChangeKind.NEW_COURSE]
    assert a.line.failed_agents == ()  # CYC reached a complete response before it ended


# --- A maintenance-only agent (azathioprine, leflunomide) continues the current line after induction reached at least
# a partial response, so T0 and the 24-month "no complete response" criterion hold; it never starts a line.

AZA, LEF = Agent.AZATHIOPRINE, Agent.LEFLUNOMIDE


def induction_then(maintenance: Agent, at_switch: str, *, months: float = 25) -> PatientData:
    """The reviewer's reproduction (r3.py): CYC for 6 months (UPCR 4.0 at T0, `at_switch` just before the switch),
    then `maintenance`; now `months` after T0 with UPCR 1.2 (no complete response)."""
    t0 = ago(days_for(months))
    switch = t0 + timedelta(days=183)
    eps = [episode(CYC, t0, switch - timedelta(days=1)), episode(maintenance, switch)]
    day = switch - timedelta(days=3)
    labs = [upcr(day, at_switch), lab(LabConcept.EGFR, day, "90"), lab(LabConcept.URINE_RBC, day, "2")]
    return story(months, "4.0", "1.2", episodes=eps, labs=labs)


@pytest.mark.parametrize("maintenance", [AZA, LEF])
def test_maintenance_after_partial_response_keeps_t0_and_calls_no_cr_at_24_months(maintenance: Agent) -> None:
    data = induction_then(maintenance, "1.4")
    a = assess(data)
    assert a.line is not None
    assert a.line.t0 == ago(days_for(25))
    assert a.line.agents == (CYC, maintenance)
    assert a.line.current_agents == (maintenance,)
    assert [c.kind for c in a.line.changes] == [ChangeKind.MAINTENANCE]
    assert a.line.failed_agents == ()
    assert a.verdict is Verdict.REFRACTORY
    assert [c.key for c in a.with_status(CheckpointStatus.MISSED)] == ["no-complete"]
    summary = next(c.summary for c in cards(data) if c.rule_id == "ln-refractory")
    assert summary == (
        f"Lupus nephritis: complete response not reached after 25 months of cyclophosphamide then "
        f"{maintenance.value} — review"
    )


def test_reviewer_reproduction_azathioprine_maintenance_used_to_give_no_card() -> None:
    data = induction_then(AZA, "1.4")
    assert [c.rule_id for c in cards(data)] == ["ln-refractory", "ln-next-line-therapy"]


def test_azathioprine_maintenance_matches_mycophenolate_maintenance() -> None:
    aza, mmf = assess(induction_then(AZA, "1.4")), assess(induction_then(MMF, "1.4"))
    assert aza.line is not None
    assert mmf.line is not None
    assert (aza.line.t0, aza.verdict, aza.months) == (mmf.line.t0, mmf.verdict, mmf.months)


@pytest.mark.parametrize(
    ("at_switch", "why"),
    [
        pytest.param("3.9", "no partial response at the switch", id="after-non-response"),
    ],
)
def test_azathioprine_after_an_induction_course_without_response_continues_its_line(at_switch: str, why: str) -> None:
    """Issue 10 (was: 'starts no line', which left the patient with no card): azathioprine never starts a line,
    and after a cyclophosphamide course it is that course's maintenance; the clock keeps running from T0."""
    a = assess(induction_then(AZA, at_switch))
    assert a.in_scope
    assert a.line is not None, why
    assert a.line.t0 == ago(days_for(25))
    assert a.line.agents == (CYC, AZA)
    assert [c.kind for c in a.line.changes] == [ChangeKind.PLANNED_MAINTENANCE]
    assert a.line.failed_agents == ()
    assert a.verdict is Verdict.REFRACTORY


def test_azathioprine_after_an_ended_cyc_course_is_judged_from_the_course() -> None:
    """Issue 10 (was in NO_LINE as 'azathioprine-maintenance-never-starts-a-line'): no silence after induction."""
    data = story(7, "3.1", "2.6", episodes=[episode(CYC, ago(400), ago(220)), episode(AZA, ago(210))])
    a = assess(data)
    assert a.line is not None
    assert a.line.t0 == ago(400)
    assert a.line.current_agents == (AZA,)
    assert a.line.agents == (CYC, AZA)


def test_mycophenolate_after_a_short_cyc_course_without_data_is_planned_maintenance() -> None:
    labs = [upcr(ago(400), "4.0"), upcr(ago(200), "3.0"), upcr(ago(5), "2.0")]
    eps = [episode(CYC, ago(396), ago(300)), episode(MMF, ago(290), dose=3000)]
    a = assess(patient(diagnoses=[ln_dx()], labs=labs, episodes=eps))
    assert a.line is not None
    assert a.line.t0 == ago(396)
    assert [c.kind for c in a.line.changes] == [ChangeKind.PLANNED_MAINTENANCE]
    assert a.line.agents == (CYC, MMF)


@pytest.mark.parametrize(
    "episodes",
    [
        pytest.param([episode(AZA, ago(400))], id="azathioprine-alone"),
        pytest.param([episode(LEF, ago(400))], id="leflunomide-alone"),
        pytest.param([episode(AZA, ago(600)), episode(CYC, ago(400), ago(300))], id="azathioprine-before-induction"),
    ],
)
def test_maintenance_only_agent_alone_never_starts_a_line(episodes: list[object]) -> None:
    data = story(7, "3.1", "2.6", episodes=episodes)  # type: ignore[arg-type]
    a = assess(data)
    assert a.line is None
    assert a.verdict is None
    assert [c.rule_id for c in cards(data)] == []


def test_maintenance_agent_given_before_induction_is_not_part_of_the_line() -> None:
    data = story(7, "3.1", "2.6", episodes=[episode(AZA, ago(600)), episode(MMF, ago(days_for(7)), dose=3000)])
    a = assess(data)
    assert a.line is not None
    assert a.line.agents == (MMF,)
    assert a.line.current_agents == (MMF,)


# --- A course stopped before the criteria set's partial-response time point (6 months in every set today) without a
# partial response starts a new line but fails no agent; a change for non-response at 6 months or later still
# marks the earlier agents failed (response-model.md section 2: "ended without partial response by 6 months").


@pytest.mark.parametrize("set_id", sorted(CRITERIA_SETS))
def test_every_set_expects_a_partial_response_by_6_months(set_id: str) -> None:
    assert partial_response_months(CRITERIA_SETS[set_id]) == Decimal(6)


def switched_after(days_on_cyc: int, *, months_on_mmf: float = 8.5) -> PatientData:
    """CYC for `days_on_cyc` days without response (UPCR 4.0 -> 3.9 at the switch), then MMF for `months_on_mmf`."""
    t0 = ago(days_for(months_on_mmf))
    cyc_start = t0 - timedelta(days=days_on_cyc)
    eps = [episode(CYC, cyc_start, t0 - timedelta(days=1)), episode(MMF, t0, dose=3000)]
    before = t0 - timedelta(days=2)
    labs = [
        upcr(cyc_start - timedelta(days=5), "4.0"),
        upcr(before, "3.9"),
        lab(LabConcept.EGFR, before, "90"),
        lab(LabConcept.URINE_RBC, before, "20"),
    ]
    return story(months_on_mmf, "3.9", "3.0", episodes=eps, labs=labs)


@pytest.mark.parametrize(
    ("days_on_cyc", "kind", "failed"),
    [
        pytest.param(42, ChangeKind.EARLY, (), id="6-weeks-reviewer-reproduction"),
        pytest.param(days_for(6), ChangeKind.NO_RESPONSE, (CYC,), id="6-months"),
        pytest.param(days_for(9), ChangeKind.NO_RESPONSE, (CYC,), id="9-months"),
    ],
)
def test_switch_without_response_fails_the_agent_only_from_the_pr_time_point(
    days_on_cyc: int, kind: ChangeKind, failed: tuple[Agent, ...]
) -> None:
    a = assess(switched_after(days_on_cyc))
    assert a.line is not None
    assert a.line.t0 == ago(days_for(8.5))  # a new line either way
    assert [c.kind for c in a.line.changes] == [kind]
    assert a.line.failed_agents == failed
    assert a.line.agents == (MMF,)


@pytest.mark.parametrize(
    "days_on_cyc",
    [
        # Issue 10 (these were EARLY, a new line that restarted the clock): a completed cyclophosphamide course
        # (at least the 10 weeks of the Euro-Lupus schedule) followed by mycophenolate is planned maintenance.
        pytest.param(days_for(3), id="3-months"),
        pytest.param(days_for(6) - 1, id="one-day-short-of-6-months"),
        pytest.param(71, id="euro-lupus-course"),
    ],
)
def test_mycophenolate_after_a_completed_cyc_course_is_planned_maintenance(days_on_cyc: int) -> None:
    a = assess(switched_after(days_on_cyc))
    assert a.line is not None
    assert a.line.t0 == ago(days_for(8.5)) - timedelta(days=days_on_cyc)  # the clock did not restart
    assert [c.kind for c in a.line.changes] == [ChangeKind.PLANNED_MAINTENANCE]
    assert a.line.failed_agents == ()
    assert a.line.agents == (CYC, MMF)  # the induction agent counts as tried


def test_reviewer_reproduction_cyc_stopped_at_6_weeks_is_offered_again() -> None:
    """r3.py: CYC stopped after 6 weeks, MMF refractory at 7+ months: CYC used to count as failed."""
    a = assess(switched_after(42))
    assert a.therapy is not None
    assert a.therapy.tried == (MMF,)
    assert a.therapy.options[0].option.id == "switch-to-cyc"


def test_short_course_before_a_break_is_not_a_failure() -> None:
    """A new course after a break: the earlier line ended at 3 months without response, so nothing failed."""
    labs = [upcr(ago(600), "4.0"), upcr(ago(505), "3.9"), upcr(ago(160), "3.0"), upcr(ago(5), "2.8")]
    labs += [lab(LabConcept.URINE_RBC, d, "20") for d in (ago(600), ago(505), ago(160), ago(5))]
    labs += [lab(LabConcept.EGFR, d, "90") for d in (ago(600), ago(505), ago(160), ago(5))]
    eps = [episode(CYC, ago(596), ago(505)), episode(MMF, ago(152), dose=3000)]
    a = assess(patient(diagnoses=[ln_dx()], labs=labs, episodes=eps))
    assert a.line is not None
    assert [c.kind for c in a.line.changes] == [ChangeKind.NEW_COURSE]
    assert a.line.failed_agents == ()


def test_full_course_before_a_break_without_response_is_a_failure() -> None:
    labs = [upcr(ago(900), "4.0"), upcr(ago(600), "3.9"), upcr(ago(160), "3.0"), upcr(ago(5), "2.8")]
    labs += [lab(LabConcept.URINE_RBC, d, "20") for d in (ago(900), ago(600), ago(160), ago(5))]
    labs += [lab(LabConcept.EGFR, d, "90") for d in (ago(900), ago(600), ago(160), ago(5))]
    eps = [episode(CYC, ago(896), ago(600)), episode(MMF, ago(152), dose=3000)]
    a = assess(patient(diagnoses=[ln_dx()], labs=labs, episodes=eps))
    assert a.line is not None
    assert [c.kind for c in a.line.changes] == [ChangeKind.NEW_COURSE]
    assert a.line.failed_agents == (CYC,)


# --- A maintenance-only episode (azathioprine) that never joined a line does not count when looking for a break
# before a new line agent: after a short mycophenolate course and a gap, cyclophosphamide is a new course, and
# mycophenolate did not fail. Azathioprine that did join the line (maintenance after a partial response) still
# bridges the time up to the next agent.


def _labs(upcrs: list[tuple[date, str]]) -> list[LabResult]:
    days = [d for d, _ in upcrs]
    return [*(upcr(d, v) for d, v in upcrs), *(lab(LabConcept.EGFR, d, "90") for d in days)]


SHORT_MMF = _labs([(ago(905), "3.0"), (ago(785), "2.9"), (ago(210), "2.9"), (ago(5), "2.9")])
CYC_PR = _labs([(ago(905), "3.0"), (ago(725), "1.0"), (ago(205), "1.0"), (ago(5), "1.0")])


@pytest.mark.parametrize(
    ("labs", "episodes", "kinds", "failed"),
    [
        pytest.param(
            SHORT_MMF,
            [episode(MMF, ago(900), ago(780), dose=3000), episode(CYC, ago(200))],
            [ChangeKind.NEW_COURSE],
            (),
            id="short-mmf-gap-cyc",
        ),
        pytest.param(
            SHORT_MMF,
            [episode(MMF, ago(900), ago(780), dose=3000), episode(AZA, ago(770)), episode(CYC, ago(200))],
            [ChangeKind.NEW_COURSE],
            (),
            id="short-mmf-unjoined-aza-gap-cyc",
        ),
        pytest.param(
            CYC_PR,
            [episode(CYC, ago(900), ago(720)), episode(AZA, ago(719), ago(198)), episode(MMF, ago(200))],
            [ChangeKind.MAINTENANCE, ChangeKind.MAINTENANCE],
            (),
            id="joined-aza-bridges-to-mmf",
        ),
    ],
)
def test_only_episodes_of_the_line_decide_a_break(
    labs: list[LabResult], episodes: list[TherapyEpisode], kinds: list[ChangeKind], failed: tuple[Agent, ...]
) -> None:
    data = patient(diagnoses=[ln_dx()], labs=labs, episodes=episodes)
    line = current_line(data, get_criteria_set("seed-eular-era-edta-2012"), TODAY)
    assert line is not None
    assert [c.kind for c in line.changes] == kinds
    assert line.failed_agents == failed
