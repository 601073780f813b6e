"""Scope, LN class, and the current treatment line with its clock (T0), through switches and add-ons."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from fhir_maps.domain import Agent, ConditionKind, LabConcept, LnClass, PatientData
from hooks.lupus_nephritis_response.rules.assessment import in_scope, ln_classes
from hooks.lupus_nephritis_response.rules.treatment_line import ChangeKind
from tests.hooks.builders import ago, assess, cards, dx, episode, lab, ln_dx, patient, response_cards, story, upcr

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
    pytest.param(
        [episode(CYC, ago(400), ago(220)), episode(Agent.AZATHIOPRINE, ago(210))],
        id="azathioprine-maintenance-never-starts-a-line",
    ),
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
    labs = [upcr(ago(400), "4.0"), upcr(ago(200), "3.0"), upcr(ago(5), "2.0")]
    eps = [episode(CYC, ago(396), ago(300)), episode(MMF, ago(290), dose=3000)]
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
