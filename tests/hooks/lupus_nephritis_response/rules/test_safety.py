"""Pregnancy drug safety whatever the verdict, infection ordering, and CNI gating (issue 10 section 5), as tables."""

from __future__ import annotations

import pytest

from fhir_maps import codes
from fhir_maps.conditions import map_condition
from fhir_maps.domain import Agent, ConditionKind, PatientData
from hooks.cards import Indicator
from hooks.lupus_nephritis_response.rules.assessment import Verdict
from hooks.lupus_nephritis_response.rules.next_line import CautionKey
from tests.fhir_maps.builders import condition
from tests.hooks.builders import ago, assess, cards, days_for, dx, episode, story

MMF, MPA, CYC, RTX = Agent.MYCOPHENOLATE_MOFETIL, Agent.MYCOPHENOLIC_ACID, Agent.CYCLOPHOSPHAMIDE, Agent.RITUXIMAB
PREGNANT = [dx(ConditionKind.PREGNANCY, ago(40))]


def _case(verdict: str, agent: Agent, *, raas: bool = True, pregnant: bool = True) -> PatientData:
    t0 = ago(days_for(12 if verdict == "responder" else 7))
    eps = [episode(agent, t0, dose=3000), episode(Agent.HYDROXYCHLOROQUINE, ago(900))]
    eps += [episode(Agent.RAAS_BLOCKER, ago(900))] if raas else []
    diagnoses = PREGNANT if pregnant else []
    if verdict == "responder":
        return story(12, "3.2", "0.3", episodes=eps, diagnoses=diagnoses, supportive=False)
    if verdict == "cannot-assess":
        return story(7, "3.1", "2.6", baseline_offset=-120, episodes=eps, diagnoses=diagnoses, supportive=False)
    return story(7, "3.1", "2.6", episodes=eps, diagnoses=diagnoses, supportive=False)


@pytest.mark.parametrize(
    ("verdict", "agent", "raas", "pregnant", "indicator", "named"),
    [
        pytest.param("responder", MMF, False, True, Indicator.CRITICAL, "mycophenolate mofetil", id="responder-mmf"),
        pytest.param("responder", MPA, False, True, Indicator.CRITICAL, "mycophenolic acid", id="responder-mpa"),
        pytest.param("cannot-assess", CYC, False, True, Indicator.CRITICAL, "cyclophosphamide", id="cannot-cyc"),
        pytest.param("refractory", MMF, True, True, Indicator.CRITICAL, "mycophenolate mofetil", id="refractory"),
        pytest.param("responder", RTX, True, True, Indicator.WARNING, "RAAS blocker", id="raas-only"),
        pytest.param("responder", RTX, False, True, None, None, id="nothing-at-risk"),
        pytest.param("responder", MMF, True, False, None, None, id="not-pregnant"),
    ],
)
def test_pregnancy_drug_safety_card_whatever_the_verdict(
    verdict: str, agent: Agent, raas: bool, pregnant: bool, indicator: Indicator | None, named: str | None
) -> None:
    out = cards(_case(verdict, agent, raas=raas, pregnant=pregnant))
    safety = [c for c in out if c.rule_id == "ln-pregnancy-safety"]
    if indicator is None:
        assert safety == []
        return
    (card,) = safety
    assert card.indicator is indicator
    assert named is not None
    assert named in card.summary
    assert len(card.summary) < 140
    if indicator is Indicator.CRITICAL:
        assert out[0] is card  # ahead of every other card
        assert "mycophenolate mofetil" not in card.summary or agent is MMF  # named as recorded


def test_safety_card_shows_without_a_treatment_line() -> None:
    data = story(7, "1.2", "1.1", episodes=[episode(Agent.RAAS_BLOCKER, ago(300))], diagnoses=PREGNANT)
    a = assess(data)
    assert a.verdict is None or a.verdict is not Verdict.REFRACTORY
    assert a.pregnancy_risk is not None
    assert a.pregnancy_risk.raas_blocker


@pytest.mark.parametrize(
    ("system", "code"),
    [
        pytest.param(system, code, id=f"{system.rsplit('/', 1)[-1]}-{code}")
        for system, codes_ in codes.ACTIVE_INFECTION.items()
        for code in sorted(codes_)
    ],
)
def test_every_serious_infection_code_is_read_as_active_infection(system: str, code: str) -> None:
    mapped = map_condition(condition(system, code))
    assert mapped is not None
    assert mapped.kind is ConditionKind.ACTIVE_INFECTION


@pytest.mark.parametrize(
    ("agent", "expected_first"),
    [pytest.param(MMF, "extracorporeal", id="switch-due"), pytest.param(CYC, "extracorporeal", id="cyc-failed")],
)
def test_in_active_infection_extracorporeal_therapy_leads(agent: Agent, expected_first: str) -> None:
    data = story(7, "3.1", "2.6", agent=agent, diagnoses=[dx(ConditionKind.ACTIVE_INFECTION, ago(10))])
    plan = assess(data).therapy
    assert plan is not None
    assert plan.options[0].option.id == expected_first
    assert not plan.options[0].option.intensifies_immunosuppression


@pytest.mark.parametrize(
    ("egfr", "tma", "cni_first", "caution"),
    [
        pytest.param("60", False, True, None, id="egfr-60-class-iv-favours-cni"),
        pytest.param("46", False, True, None, id="egfr-46-above-45"),
        pytest.param("45", False, False, CautionKey.CNI_EGFR_LOW, id="egfr-45-at-limit"),
        pytest.param("30", False, False, CautionKey.CNI_EGFR_LOW, id="egfr-30"),
        pytest.param("60", True, False, CautionKey.CNI_TMA, id="tma-recorded"),
    ],
)
def test_cni_not_favoured_at_low_egfr_or_with_tma(egfr: str, tma: bool, cni_first: bool, caution: object) -> None:
    diagnoses = [dx(ConditionKind.TMA, ago(30))] if tma else []
    data = story(7, "3.1", "2.6", agent=CYC, egfr=("70", egfr), diagnoses=diagnoses)
    plan = assess(data).therapy
    assert plan is not None
    non_switch = [o for o in plan.options if not o.option.id.startswith("switch")]
    assert non_switch[0].option.calcineurin_inhibitor is cni_first
    if caution is not None:
        assert caution in [c.key for c in plan.cautions]
