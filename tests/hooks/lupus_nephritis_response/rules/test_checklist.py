"""The "before calling it refractory" checklist: each item flagged only when the data show it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from fhir_maps.domain import Agent, ConditionKind, LabConcept, LnClass, PatientData
from hooks.lupus_nephritis_response.cards.words import fmt_date
from hooks.lupus_nephritis_response.rules.assessment import Verdict
from hooks.lupus_nephritis_response.rules.checklist import Amount, ItemState
from hooks.lupus_nephritis_response.rules.next_line import Caution
from tests.hooks.builders import ago, assess, cards, days_for, dx, episode, lab, ln_dx, patient, response_cards, story

MMF = Agent.MYCOPHENOLATE_MOFETIL
T0 = ago(days_for(7))


def _demo(**kw: object) -> PatientData:
    """The demo patient: 7 months of MMF 3 g/day, UPCR 3.10 -> 2.60 g/g (refractory, criterion 2)."""
    return story(7, "3.10", "2.60", **kw)  # type: ignore[arg-type]


FLAGS = [
    pytest.param(
        lambda: _demo(diagnoses=[dx(ConditionKind.APS, ago(300))]),
        "aps",
        "Antiphospholipid syndrome recorded",
        id="aps",
    ),
    pytest.param(
        lambda: _demo(diagnoses=[dx(ConditionKind.TMA, ago(30))]),
        "tma",
        "Thrombotic microangiopathy recorded",
        id="tma",
    ),
    pytest.param(
        # no teratogen and no RAAS blocker active: no drug-safety card, so the checklist says it (review E14)
        lambda: _demo(diagnoses=[dx(ConditionKind.PREGNANCY, ago(60))], agent=Agent.RITUXIMAB, supportive=False),
        "pregnancy",
        "teratogenic",
        id="pregnancy",
    ),
    pytest.param(
        lambda: _demo(diagnoses=[dx(ConditionKind.ACTIVE_INFECTION, ago(10))]),
        "infection",
        "Active infection recorded",
        id="infection-if-a-site-codes-it",
    ),
    pytest.param(
        lambda: _demo(classes=(LnClass.IV, LnClass.V)), "class-v", "Class IV+V: persistent proteinuria", id="class-iv+v"
    ),
    pytest.param(
        lambda: _demo(dose=1500),
        "dose-below-target",
        "Dose below target: mycophenolate mofetil 1500 mg/day, under 2000 mg/day",
        id="mmf-1.5g",
    ),
    pytest.param(
        lambda: _demo(episodes=[episode(Agent.MYCOPHENOLIC_ACID, T0, dose=1080)]),
        "dose-below-target",
        "mycophenolic acid 1080 mg/day, under 1440 mg/day",
        id="mycophenolic-acid-1080mg",
    ),
    pytest.param(
        lambda: _demo(dose=None), "dose-not-recorded", "Dose of mycophenolate mofetil not recorded", id="dose-unknown"
    ),
    pytest.param(
        lambda: _demo(episodes=[episode(MMF, T0, dose=3000, gaps=((ago(150), ago(110)),))]),
        "adherence-gap",
        f"no active order from {fmt_date(ago(150))} to {fmt_date(ago(110))}",
        id="gap-over-30-days",
    ),
    pytest.param(
        lambda: _demo(episodes=[episode(MMF, T0, dose=3000, interrupted=True)]),
        "adherence-interrupted",
        "stopped or put on hold",
        id="stopped-or-on-hold",
    ),
    pytest.param(lambda: _demo(egfr=("32", "28")), "chronic-damage-low-egfr", "eGFR 28 on", id="egfr-below-30"),
    pytest.param(
        lambda: _demo(egfr=None, labs=[lab(LabConcept.EGFR, ago(5), "25")]),
        "chronic-damage-low-egfr",
        f"eGFR 25 on {fmt_date(ago(5))}",
        id="egfr-below-30-without-baseline",
    ),
    pytest.param(
        lambda: _demo(egfr=("60", "50")),
        "chronic-damage-falling",
        "Kidney function \u221217%, beyond the 10% tolerance, with an inactive sediment",
        id="egfr-falling-quiet-sediment",
    ),
    pytest.param(
        lambda: _demo(episodes=[episode(MMF, T0, dose=3000, by_name=True)]),
        "matched-by-name",
        "recognised by its name only",
        id="matched-by-name",
    ),
    pytest.param(
        lambda: _demo(supportive=False), "no-raas", "No RAAS blocker active while proteinuric (2.60 g/g", id="no-raas"
    ),
    pytest.param(lambda: _demo(supportive=False), "no-hcq", "No hydroxychloroquine active", id="no-hydroxychloroquine"),
]


@pytest.mark.parametrize(("make", "key", "text"), FLAGS)
def test_checklist_flags_what_the_data_show_with_the_data(make: Callable[[], PatientData], key: str, text: str) -> None:
    data = make()
    a = assess(data)
    flagged = {i.key for i in a.checklist if i.state is not ItemState.CHECK}
    assert key in flagged
    (card,) = response_cards(data)
    assert card.rule_id == "ln-refractory"
    assert text in (card.detail or "")


def test_nothing_flagged_lists_every_item_as_a_check() -> None:
    a = assess(_demo())
    assert all(i.state is ItemState.CHECK for i in a.checklist)
    keys = {i.key for i in a.checklist}
    expected = {"adherence", "dose", "chronic-damage", "tma-check", "aps-check", "pregnancy-check", "infection-check"}
    assert expected | {"class-v-check", "supportive"} == keys


def test_adequate_doses_are_not_flagged() -> None:
    a = assess(_demo(episodes=[episode(Agent.MYCOPHENOLIC_ACID, T0, dose=1440)]))
    assert "dose-below-target" not in {i.key for i in a.checklist}


def test_egfr_falling_with_active_sediment_is_not_called_chronic_damage() -> None:
    a = assess(_demo(egfr=("60", "50"), rbc=("20", "12")))
    assert "chronic-damage-falling" not in {i.key for i in a.checklist}


def test_no_raas_flag_only_while_proteinuric() -> None:
    a = assess(story(25, "4.0", "0.3", supportive=False))
    assert "no-raas" not in {i.key for i in a.checklist}


def test_flagged_items_come_first_in_the_card() -> None:
    (card,) = response_cards(_demo(dose=None, diagnoses=[dx(ConditionKind.APS, ago(300))]))
    all_lines = (card.detail or "").splitlines()
    lines = [line for line in all_lines if line.startswith("- ")]
    states = [line.split(" ")[1] for line in lines if "**" in line]
    assert states.index("**Flagged:**") < states.index("**Not")
    assert lines[0].startswith("- **Flagged:** Antiphospholipid")
    # the checks the record cannot show collapse into one line after the flagged ones (issue 10 section 6)
    (checks,) = [i for i, line in enumerate(all_lines) if line.startswith("Also check:")]
    assert checks > all_lines.index(lines[-1])


@pytest.mark.parametrize(
    ("mpa_dose", "flagged"),
    [
        pytest.param(1080, True, id="mpa-1080mg-after-mmf-below-target"),
        pytest.param(1440, False, id="mpa-1440mg-after-mmf-on-target"),
    ],
)
def test_mycophenolic_acid_that_follows_mmf_has_its_dose_checked(mpa_dose: int, flagged: bool) -> None:
    """MMF for 3 months, then mycophenolic acid (same drug family: the same line): the current agent's dose counts."""
    switch = ago(days_for(4))
    episodes = [
        episode(MMF, T0, switch, dose=3000),
        episode(Agent.MYCOPHENOLIC_ACID, switch, dose=mpa_dose),
    ]
    a = assess(_demo(episodes=episodes))
    assert a.line is not None
    assert Agent.MYCOPHENOLIC_ACID in {e.agent for e in a.line.episodes}
    keys = {item.key for item in a.checklist if item.state is ItemState.FLAGGED}
    assert ("dose-below-target" in keys) is flagged


# --- The "no RAAS blocker while proteinuric" items flag only a value surely at or above the ceiling, and checklist
# items and cautions show a censored value with its comparator ("eGFR < 60"), never as the bare bound. An eGFR whose
# bound does not decide the CNI limit ("< 60" against 45) gives a caution that it "may be" at or below the limit.


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


def test_pregnancy_with_an_active_teratogen_is_left_to_the_drug_safety_card() -> None:
    """Review finding E14: pregnancy is said once, on the drug-safety card that leads every other card."""
    data = _demo(diagnoses=[dx(ConditionKind.PREGNANCY, ago(60))])
    a = assess(data)
    assert a.pregnancy_risk is not None
    assert "pregnancy" not in {i.key for i in a.checklist}
    assert "pregnancy-check" not in {i.key for i in a.checklist}
