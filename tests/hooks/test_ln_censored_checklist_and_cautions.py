"""The "no RAAS blocker while proteinuric" items flag only a value surely at or above the ceiling, and checklist
items and cautions show a censored value with its comparator ("eGFR < 60"), never as the bare bound. An eGFR whose
bound does not decide the CNI limit ("< 60" against 45) gives a caution that it "may be" at or below the limit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from fhir_maps.domain import Agent, ConditionKind, LabConcept, PatientData
from hooks.lupus_nephritis_response.rules.assessment import Verdict
from hooks.lupus_nephritis_response.rules.checklist import Amount, ItemState
from hooks.lupus_nephritis_response.rules.next_line import Caution
from tests.hooks.builders import ago, assess, cards, days_for, dx, episode, lab, ln_dx, patient, story


def falling_kidney(current: str, comparator: str | None, *, pregnant: bool = False) -> PatientData:
    """r_clin.py: 25 months of MMF, kidney function falling (so refractory), UPCR 3.0 -> `comparator current`,
    no RAAS blocker."""
    t0 = ago(days_for(25))
    base = t0 - timedelta(days=5)
    labs = [
        lab(LabConcept.UPCR, base, "3.0"),
        lab(LabConcept.UPCR, ago(5), current, comparator=comparator),
        lab(LabConcept.EGFR, base, "90"),
        lab(LabConcept.EGFR, ago(5), "50"),
        lab(LabConcept.URINE_RBC, base, "20"),
        lab(LabConcept.URINE_RBC, ago(5), "2"),
    ]
    diagnoses = [ln_dx(), *([dx(ConditionKind.PREGNANCY, ago(30))] if pregnant else [])]
    eps = [episode(Agent.MYCOPHENOLATE_MOFETIL, t0, dose=3000), episode(Agent.HYDROXYCHLOROQUINE, ago(900))]
    return patient(diagnoses=diagnoses, labs=labs, episodes=eps)


@pytest.mark.parametrize(
    ("current", "comparator", "pregnant", "key", "shown"),
    [
        pytest.param("1.0", None, False, "no-raas", "1.00", id="exact-1.0-flagged"),
        pytest.param("1.0", "<", False, None, None, id="less-than-1.0-not-surely-proteinuric"),
        pytest.param("1.0", ">", False, "no-raas", "> 1.00", id="more-than-1.0-flagged-with-comparator"),
        pytest.param("1.0", "<", True, None, None, id="pregnant-less-than-1.0-not-flagged"),
        pytest.param("1.0", ">", True, "raas-held-in-pregnancy", "> 1.00", id="pregnant-more-than-1.0"),
    ],
)
def test_no_raas_item_needs_a_value_surely_proteinuric(
    current: str, comparator: str | None, pregnant: bool, key: str | None, shown: str | None
) -> None:
    data = falling_kidney(current, comparator, pregnant=pregnant)
    a = assess(data)
    assert a.verdict is Verdict.REFRACTORY
    flagged = {i.key: dict(i.params) for i in a.checklist if i.state is ItemState.FLAGGED}
    raas = [k for k in flagged if k in ("no-raas", "raas-held-in-pregnancy")]
    assert raas == ([key] if key else [])
    detail = next(c.detail or "" for c in cards(data) if c.rule_id == "ln-refractory")
    if key is not None and shown is not None:
        assert flagged[key]["value"] == Amount(Decimal(current), 2, comparator)
        assert f"while proteinuric ({shown} g/g on" in detail
    else:
        assert "while proteinuric" not in detail


def _cni_story(egfr_value: str, comparator: str | None) -> PatientData:
    """r_cni.py: 7 months of tacrolimus, no partial response; the latest eGFR `comparator egfr_value`."""
    base = ago(days_for(7)) - timedelta(days=5)
    labs = [
        lab(LabConcept.EGFR, base, "60", comparator=">"),
        lab(LabConcept.EGFR, ago(5), egfr_value, comparator=comparator),
    ]
    return story(7, "3.0", "2.9", agent=Agent.TACROLIMUS, egfr=None, labs=labs)


@pytest.mark.parametrize(
    ("value", "comparator", "key", "line"),
    [
        pytest.param("60", "<", "cni-egfr-low-undecided", "**eGFR < 60 on ", id="less-than-60-may-be"),
        pytest.param("40", None, "cni-egfr-low", "**eGFR 40 on ", id="exact-40"),
        pytest.param("45", "<=", "cni-egfr-low", "**eGFR <= 45 on ", id="at-most-45-surely"),
        pytest.param("30", "<", "cni-egfr-low", "**eGFR < 30 on ", id="less-than-30-surely"),
        pytest.param("40", ">", "cni-egfr-low-undecided", "**eGFR > 40 on ", id="more-than-40-may-be"),
        pytest.param("60", ">", None, None, id="more-than-60-no-caution"),
    ],
)
def test_cni_egfr_caution_shows_the_comparator_and_words_an_undecided_bound(
    value: str, comparator: str | None, key: str | None, line: str | None
) -> None:
    data = _cni_story(value, comparator)
    a = assess(data)
    assert a.therapy is not None
    keys = [c.key for c in a.therapy.cautions if isinstance(c, Caution) and c.key.startswith("cni-egfr-low")]
    assert keys == ([key] if key else [])
    detail = next(c.detail or "" for c in cards(data) if c.rule_id == "ln-next-line-therapy")
    low = [x for x in detail.splitlines() if "at or below 45" in x]
    if line is None:
        assert low == []
        return
    (shown,) = low
    assert shown.startswith(f"- {line}")
    assert ("which may be at or below 45" in shown) is (key == "cni-egfr-low-undecided")


def test_chronic_damage_egfr_is_shown_with_its_comparator() -> None:
    data = story(7, "3.10", "2.60", egfr=None, labs=[lab(LabConcept.EGFR, ago(5), "15", comparator="<")])
    (item,) = [i for i in assess(data).checklist if i.key == "chronic-damage-low-egfr"]
    assert dict(item.params)["egfr"] == Amount(Decimal("15"), 0, "<")
    detail = next(c.detail or "" for c in cards(data) if c.rule_id == "ln-refractory")
    assert "eGFR < 15 on " in detail
