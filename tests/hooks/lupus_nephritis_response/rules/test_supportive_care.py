"""Pregnancy recorded: no RAAS blocker is suggested (a safety hold), one that is active is flagged on the drug-safety
card, and the checklist gives no dose advice for mycophenolate or cyclophosphamide, which the drug-safety card flags as
teratogenic when active (issue 10 section 5: one safety card, not a checklist bullet)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from fhir_maps.domain import Agent, ConditionKind, PatientData
from hooks.cards import Indicator
from hooks.lupus_nephritis_response.knowledge.criteria_sets import get_criteria_set
from hooks.lupus_nephritis_response.rules.checklist import ChecklistItem
from hooks.lupus_nephritis_response.rules.supportive_care import supportive_gaps
from tests.hooks.builders import TODAY, ago, assess, cards, days_for, dx, episode, story

MMF, MPA, CYC = Agent.MYCOPHENOLATE_MOFETIL, Agent.MYCOPHENOLIC_ACID, Agent.CYCLOPHOSPHAMIDE
RAAS, HCQ = Agent.RAAS_BLOCKER, Agent.HYDROXYCHLOROQUINE
SEED = "seed-eular-era-edta-2012"


def _pregnancy() -> list[object]:
    return [dx(ConditionKind.PREGNANCY, ago(60))]


def _patient(*, pregnant: bool, raas: bool, hcq: bool, agent: Agent = MMF, dose: int = 3000) -> PatientData:
    """Seven months of `agent` without response (UPCR 3.0 -> 2.8 g/g, proteinuric); supportive drugs as asked."""
    t0 = ago(days_for(7))
    eps = [episode(agent, t0, dose=dose)]
    eps += [episode(RAAS, ago(900))] if raas else []
    eps += [episode(HCQ, ago(900))] if hcq else []
    diagnoses = _pregnancy() if pregnant else []
    return story(7, "3.0", "2.8", episodes=eps, supportive=False, diagnoses=diagnoses)  # type: ignore[arg-type]


def _supportive_card(data: PatientData) -> object | None:
    return next((c for c in cards(data) if c.rule_id == "ln-supportive-care"), None)


def _safety_card(data: PatientData) -> object | None:
    return next((c for c in cards(data) if c.rule_id == "ln-pregnancy-safety"), None)


@dataclass(frozen=True)
class SupportiveCase:
    pregnant: bool
    raas: bool
    hcq: bool
    card: bool  # a supportive card is shown
    summary_has: str = ""
    detail_has: tuple[str, ...] = ()
    detail_lacks: tuple[str, ...] = ()


SUPPORTIVE_CASES = [
    pytest.param(
        SupportiveCase(
            False, False, True, True, "— RAAS blocker", ("**Not recorded:** a RAAS blocker",), ("pregnancy",)
        ),
        id="not-pregnant-proteinuric-without-raas-suggests-raas",
    ),
    pytest.param(SupportiveCase(True, False, True, False), id="pregnant-without-raas-hcq-present-no-card-no-nudge"),
    pytest.param(
        SupportiveCase(
            True,
            False,
            False,
            True,
            "— hydroxychloroquine",
            ("**Not suggested while pregnancy is recorded:** a RAAS blocker", "review with obstetric and nephrology"),
            ("**Not recorded:** a RAAS blocker",),
        ),
        id="pregnant-without-raas-or-hcq-card-holds-raas-and-names-hcq-only",
    ),
    pytest.param(SupportiveCase(True, True, True, False), id="pregnant-on-raas-is-on-the-safety-card-instead"),
    pytest.param(SupportiveCase(False, True, True, False), id="not-pregnant-on-raas-and-hcq-no-card"),
]


@pytest.mark.parametrize("case", SUPPORTIVE_CASES)
def test_supportive_card_never_suggests_a_raas_blocker_in_pregnancy(case: SupportiveCase) -> None:
    card = _supportive_card(_patient(pregnant=case.pregnant, raas=case.raas, hcq=case.hcq))
    assert (card is not None) is case.card
    if card is None:
        return
    summary, detail = card.summary, card.detail or ""  # type: ignore[attr-defined]
    assert case.summary_has in summary
    if case.pregnant:
        assert "— RAAS blocker" not in summary  # never listed as missing care
    for text in case.detail_has:
        assert text in detail
    for text in case.detail_lacks:
        assert text not in detail


def test_reviewer_reproduction_pregnant_proteinuric_without_supportive_care() -> None:
    """r1.py: pregnancy, no RAAS blocker or HCQ, proteinuric: the card used to list "RAAS blocker" as missing."""
    data = story(7, "3.0", "2.8", supportive=False, diagnoses=[dx(ConditionKind.PREGNANCY, ago(60))])
    card = _supportive_card(data)
    assert card is not None
    assert card.summary == "Lupus nephritis: supportive care not in the record — hydroxychloroquine"  # type: ignore[attr-defined]
    gaps = supportive_gaps(data, get_criteria_set(SEED), TODAY)
    assert gaps is not None
    assert gaps.proteinuria is None
    assert gaps.raas_held is not None


def _items(data: PatientData) -> list[ChecklistItem]:
    return list(assess(data).checklist)


def _keys(data: PatientData) -> set[str]:
    return {i.key for i in _items(data)}


@pytest.mark.parametrize(
    ("pregnant", "raas", "present", "absent"),
    [
        pytest.param(False, False, {"no-raas"}, {"raas-held-in-pregnancy", "raas-in-pregnancy"}, id="not-pregnant"),
        pytest.param(True, False, {"raas-held-in-pregnancy"}, {"no-raas", "raas-in-pregnancy"}, id="pregnant-no-raas"),
        pytest.param(True, True, set(), {"no-raas", "raas-held-in-pregnancy"}, id="pregnant-on-raas"),
        pytest.param(False, True, set(), {"no-raas", "raas-held-in-pregnancy"}, id="on-raas"),
    ],
)
def test_checklist_holds_raas_in_pregnancy_and_the_safety_card_flags_an_active_one(
    pregnant: bool, raas: bool, present: set[str], absent: set[str]
) -> None:
    data = _patient(pregnant=pregnant, raas=raas, hcq=True)
    keys = _keys(data)
    assert present <= keys
    assert not absent & keys
    risk = assess(data).pregnancy_risk
    assert (risk is not None and risk.raas_blocker) is (pregnant and raas)


def test_raas_blocker_active_in_pregnancy_is_a_safety_warning() -> None:
    card = _safety_card(_patient(pregnant=True, raas=True, hcq=True, agent=Agent.RITUXIMAB))
    assert card is not None
    assert "RAAS blocker is active" in card.summary  # type: ignore[attr-defined]
    assert card.indicator is Indicator.WARNING  # type: ignore[attr-defined]
    assert "(ACE inhibitor or ARB) active while pregnancy is recorded" in card.detail  # type: ignore[attr-defined]
    assert "**Not recorded:** a RAAS blocker" not in card.detail  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("agent", "dose", "pregnant", "expected", "unexpected", "teratogen"),
    [
        pytest.param(MMF, 1500, False, {"dose-below-target"}, set(), False, id="mmf-low-not-pregnant"),
        pytest.param(MMF, 1500, True, set(), {"dose-below-target", "dose"}, True, id="mmf-low-pregnant"),
        pytest.param(MPA, 720, True, set(), {"dose-below-target", "dose"}, True, id="mpa-low-pregnant"),
        pytest.param(CYC, 1000, True, set(), {"dose-below-target"}, True, id="cyc-pregnant"),
        pytest.param(Agent.RITUXIMAB, 1000, True, {"dose"}, set(), False, id="rituximab-pregnant"),
    ],
)
def test_checklist_gives_no_dose_advice_for_a_teratogen_in_pregnancy_and_the_safety_card_flags_it(
    agent: Agent, dose: int, pregnant: bool, expected: set[str], unexpected: set[str], teratogen: bool
) -> None:
    data = _patient(pregnant=pregnant, raas=False, hcq=True, agent=agent, dose=dose)
    keys = _keys(data)
    assert expected <= keys
    assert not unexpected & keys
    risk = assess(data).pregnancy_risk
    assert (risk is not None and agent in risk.teratogens) is teratogen


def test_teratogen_card_names_the_agent_is_critical_and_leads() -> None:
    data = _patient(pregnant=True, raas=False, hcq=True, agent=MMF, dose=1500)
    first, *rest = cards(data)
    assert first.rule_id == "ln-pregnancy-safety"
    assert first.indicator is Indicator.CRITICAL
    assert "mycophenolate mofetil" in first.summary
    assert "- **Mycophenolate mofetil** is active while pregnancy is recorded" in (first.detail or "")
    (card,) = [c for c in rest if c.rule_id == "ln-refractory"]
    detail = card.detail or ""
    assert "**Flagged:** Pregnancy recorded" not in detail  # said once, on the drug-safety card (review E14)
    assert "Dose below target" not in detail
    assert "not suggested while pregnancy is recorded" in detail


@pytest.mark.parametrize(
    ("raas", "hcq", "indicator"),
    [
        pytest.param(True, False, Indicator.INFO, id="raas-active-in-pregnancy-warns-on-the-safety-card-instead"),
        pytest.param(False, False, Indicator.INFO, id="only-hcq-missing-stays-info"),
    ],
)
def test_supportive_card_stays_info_in_pregnancy(raas: bool, hcq: bool, indicator: Indicator) -> None:
    card = _supportive_card(_patient(pregnant=True, raas=raas, hcq=hcq))
    assert card is not None
    assert card.indicator is indicator  # type: ignore[attr-defined]
