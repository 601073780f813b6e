"""A course stopped before the criteria set's partial-response time point (6 months in every set today) without a
partial response starts a new line but fails no agent; a change for non-response at 6 months or later still
marks the earlier agents failed (response-model.md section 2: "ended without partial response by 6 months")."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from fhir_maps.domain import Agent, LabConcept, PatientData
from hooks.lupus_nephritis_response.knowledge.criteria_sets import CRITERIA_SETS
from hooks.lupus_nephritis_response.rules.treatment_line import ChangeKind, partial_response_months
from tests.hooks.builders import ago, assess, days_for, episode, lab, ln_dx, patient, story, upcr

CYC, MMF = Agent.CYCLOPHOSPHAMIDE, Agent.MYCOPHENOLATE_MOFETIL


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
        pytest.param(days_for(3), ChangeKind.EARLY, (), id="3-months"),
        pytest.param(days_for(6) - 1, ChangeKind.EARLY, (), id="one-day-short-of-6-months"),
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
