"""A maintenance-only agent (azathioprine, leflunomide) continues the current line after induction reached at least
a partial response, so T0 and the 24-month "no complete response" criterion hold; it never starts a line."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fhir_maps.domain import Agent, LabConcept, PatientData
from hooks.lupus_nephritis_response.rules.assessment import Verdict
from hooks.lupus_nephritis_response.rules.clinical_response import CheckpointStatus
from hooks.lupus_nephritis_response.rules.treatment_line import ChangeKind
from tests.hooks.builders import ago, assess, cards, days_for, episode, lab, story, upcr

CYC, MMF = Agent.CYCLOPHOSPHAMIDE, Agent.MYCOPHENOLATE_MOFETIL
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
def test_maintenance_only_agent_after_non_response_starts_no_line(at_switch: str, why: str) -> None:
    a = assess(induction_then(AZA, at_switch))
    assert a.in_scope
    assert a.line is None, why
    assert a.verdict is None


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
