"""Next-line ordering: one table row per branch (class, agents tried, rituximab relapse, special settings, set)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from fhir_maps.domain import Agent, ConditionKind, LabConcept, LabResult, LnClass, PatientData
from hooks.lupus_nephritis_response.knowledge.therapy_table import CALCINEURIN_INHIBITORS, THERAPY_TABLE, Fact, Tier
from hooks.lupus_nephritis_response.rules.assessment import Verdict
from hooks.lupus_nephritis_response.rules.measures import KidneyState, SedimentState
from hooks.lupus_nephritis_response.rules.next_line import (
    BiopsyReason,
    TherapyPlan,
    early_relapse_after_rituximab,
    excluded_agents,
)
from tests.hooks.builders import TODAY, ago, assess, days_for, dx, episode, lab, ln_dx, story, upcr

CYC, MMF, RTX, TAC = Agent.CYCLOPHOSPHAMIDE, Agent.MYCOPHENOLATE_MOFETIL, Agent.RITUXIMAB, Agent.TACROLIMUS


def both_failed(*classes: LnClass, months: float = 10, **kw: object) -> PatientData:
    """CYC for 5.5 months without a partial response (UPCR 4.2 -> 3.8), then MMF for `months` (3.8 -> 3.4)."""
    t0 = ago(days_for(months))
    cyc_start = t0 - timedelta(days=days_for(6))
    kw.setdefault("episodes", [episode(CYC, cyc_start, t0 - timedelta(days=15)), episode(MMF, t0, dose=3000)])
    labs = [upcr(cyc_start - timedelta(days=5), "4.2"), *kw.pop("labs", [])]  # type: ignore[misc]
    return story(months, "3.8", "3.4", classes=classes, labs=labs, **kw)  # type: ignore[arg-type]


def one_agent(agent: Agent, *classes: LnClass, **kw: object) -> PatientData:
    """Seven months of a first line of `agent`, UPCR 3.1 -> 2.6 g/g (no response)."""
    return story(7, "3.1", "2.6", agent=agent, classes=classes, **kw)  # type: ignore[arg-type]


def after_rituximab(rtx_months: float, *classes: LnClass) -> PatientData:
    """CYC, then MMF, both failed; rituximab (a 15-day course) added `rtx_months` ago; no response now."""
    t0 = ago(days_for(rtx_months))
    mmf_start = t0 - timedelta(days=days_for(14))
    cyc_start = mmf_start - timedelta(days=days_for(6))
    episodes = [
        episode(CYC, cyc_start, mmf_start - timedelta(days=15)),
        episode(MMF, mmf_start, dose=3000),
        episode(RTX, t0, t0 + timedelta(days=15)),
    ]
    labs = [upcr(cyc_start - timedelta(days=5), "4.0"), upcr(mmf_start - timedelta(days=5), "3.7")]
    return story(rtx_months, "3.5", "3.2", classes=classes, episodes=episodes, labs=labs)


def plan(data: PatientData, criteria_set: str = "seed-eular-era-edta-2012") -> TherapyPlan:
    a = assess(data, criteria_set)
    assert a.therapy is not None, f"no plan: verdict {a.verdict}"
    return a.therapy


def ids(p: TherapyPlan) -> list[str]:
    return [o.option.id for o in p.options]


III, IV, V = LnClass.III, LnClass.IV, LnClass.V
WITH_IVIG = ["msc", "ivig"]

# (id, patient, criteria set, expected option order)
ORDERS: list[tuple[str, Callable[[], PatientData], str, list[str]]] = [
    ("class-iii-both-failed", lambda: both_failed(III), "seed", ["rituximab", "multitarget", "cni", *WITH_IVIG]),
    ("class-iv-both-failed", lambda: both_failed(IV), "seed", ["multitarget", "cni", "rituximab", *WITH_IVIG]),
    ("class-iv-v-both-failed", lambda: both_failed(IV, V), "seed", ["multitarget", "cni", "rituximab", *WITH_IVIG]),
    ("class-v-both-failed", lambda: both_failed(V), "seed", ["multitarget", "cni", "rituximab", *WITH_IVIG]),
    ("class-iii-v-both-favoured", lambda: both_failed(III, V), "seed", ["rituximab", "multitarget", "cni", *WITH_IVIG]),
    ("class-not-recorded-table-order", lambda: both_failed(), "seed", ["rituximab", "multitarget", "cni", *WITH_IVIG]),
    (
        "cyc-only-class-iv",
        lambda: one_agent(CYC, IV),
        "seed",
        ["switch-to-mmf", "multitarget", "cni", "rituximab", "msc", "ivig"],
    ),
    (
        "mmf-only-class-iii",
        lambda: one_agent(MMF, III),
        "seed",
        ["switch-to-cyc", "rituximab", "multitarget", "cni", "msc"],
    ),
    (
        "mmf-only-class-iv",
        lambda: one_agent(MMF, IV),
        "seed",
        ["switch-to-cyc", "multitarget", "cni", "rituximab", "msc"],
    ),
    (
        "mycophenolic-acid-counts-as-mycophenolate",
        lambda: one_agent(Agent.MYCOPHENOLIC_ACID, III, dose=2160),
        "seed",
        ["switch-to-cyc", "rituximab", "multitarget", "cni", "msc"],
    ),
    (
        "rituximab-early-relapse-class-iv",
        lambda: after_rituximab(10, IV),
        "seed",
        ["belimumab-after-rituximab", "multitarget", "cni", "anti-cd20-alternative", *WITH_IVIG],
    ),
    (
        "rituximab-late-failure-class-iv",
        lambda: after_rituximab(16, IV),
        "seed",
        ["multitarget", "cni", "belimumab-after-rituximab", "anti-cd20-alternative", *WITH_IVIG],
    ),
    (
        "rituximab-early-relapse-class-iii",
        lambda: after_rituximab(10, III),
        "seed",
        ["belimumab-after-rituximab", "anti-cd20-alternative", "multitarget", "cni", *WITH_IVIG],
    ),
    (
        "pregnancy-removes-mmf-and-cyc",
        lambda: one_agent(MMF, IV, diagnoses=[dx(ConditionKind.PREGNANCY, ago(45))]),
        "seed",
        ["extracorporeal", "cni", "rituximab", "msc"],
    ),
    (
        "aps-adds-extracorporeal",
        lambda: both_failed(IV, diagnoses=[dx(ConditionKind.APS, ago(300))]),
        "seed",
        ["multitarget", "cni", "rituximab", "extracorporeal", *WITH_IVIG],
    ),
    (
        "active-infection-puts-extracorporeal-first",
        lambda: both_failed(IV, diagnoses=[dx(ConditionKind.ACTIVE_INFECTION, ago(10))]),
        "seed",
        ["extracorporeal", "multitarget", "cni", "rituximab", *WITH_IVIG],
    ),
    (
        "cni-tried-not-offered-again",
        lambda: both_failed(
            IV,
            episodes=[
                # CYC ran the full 6 months before the switch, so it counts as failed (lines.partial_response_months)
                episode(CYC, ago(days_for(10) + days_for(6)), ago(days_for(10) + 15)),
                episode(MMF, ago(days_for(10)), dose=3000),
                episode(TAC, ago(days_for(10))),
            ],
        ),
        "seed",
        ["rituximab", *WITH_IVIG],
    ),
    # voclosporin only where the set's guidelines name it (KDIGO 2024; EULAR 2023 with the EULAR sets)
    ("voclosporin-absent-seed", lambda: both_failed(IV), "seed", ["multitarget", "cni", "rituximab", *WITH_IVIG]),
    ("voclosporin-absent-acr", lambda: both_failed(IV), "acr-2012", ["multitarget", "cni", "rituximab", *WITH_IVIG]),
    (
        "voclosporin-kdigo",
        lambda: both_failed(IV),
        "kdigo-2024",
        ["multitarget", "cni", "rituximab", "voclosporin", *WITH_IVIG],
    ),
    (
        "voclosporin-eular-2019",
        lambda: both_failed(IV),
        "eular-2019",
        ["multitarget", "cni", "rituximab", "voclosporin", *WITH_IVIG],
    ),
    (
        "voclosporin-eular-2025",
        lambda: both_failed(IV),
        "eular-2025",
        ["multitarget", "cni", "rituximab", "voclosporin", *WITH_IVIG],
    ),
]
SETS = {"seed": "seed-eular-era-edta-2012"}


@pytest.mark.parametrize(("make", "criteria_set", "expected"), [pytest.param(*o[1:], id=o[0]) for o in ORDERS])
def test_option_order(make: Callable[[], PatientData], criteria_set: str, expected: list[str]) -> None:
    p = plan(make(), SETS.get(criteria_set, criteria_set))
    assert ids(p) == expected
    assert [o.number for o in p.options] == list(range(1, len(expected) + 1))
    tried = set(p.tried)
    for o in p.options:  # an agent already given is never offered again as new
        assert not tried.intersection(o.option.adds)


@pytest.mark.parametrize(
    ("make", "tried", "facts"),
    [
        pytest.param(lambda: one_agent(CYC, IV), (CYC,), {Fact.CYC_TRIED, Fact.CLASS_IV_OR_V}, id="cyc-only"),
        pytest.param(lambda: both_failed(III), (CYC, MMF), {Fact.CYC_TRIED, Fact.MMF_TRIED, Fact.CLASS_III}, id="both"),
        pytest.param(
            lambda: after_rituximab(10, III),
            (CYC, MMF, RTX),
            {Fact.CYC_TRIED, Fact.MMF_TRIED, Fact.RITUXIMAB_TRIED, Fact.EARLY_RELAPSE_AFTER_RITUXIMAB, Fact.CLASS_III},
            id="rituximab-early",
        ),
        pytest.param(
            lambda: after_rituximab(16, III),
            (CYC, MMF, RTX),
            {Fact.CYC_TRIED, Fact.MMF_TRIED, Fact.RITUXIMAB_TRIED, Fact.CLASS_III},
            id="rituximab-late",
        ),
    ],
)
def test_agents_tried_and_facts(make: Callable[[], PatientData], tried: tuple[Agent, ...], facts: set[Fact]) -> None:
    p = plan(make())
    assert p.tried == tried
    assert p.facts == facts


@pytest.mark.parametrize(
    ("end_days_ago", "early"),
    [
        pytest.param(None, True, id="course-still-running"),
        pytest.param(0, True, id="ended-today"),
        pytest.param(365, True, id="ended-11.99-months-ago"),
        pytest.param(366, False, id="ended-12.02-months-ago"),
    ],
)
def test_early_relapse_window_is_12_months_from_the_end_of_the_course(end_days_ago: int | None, early: bool) -> None:
    end = None if end_days_ago is None else TODAY - timedelta(days=end_days_ago)
    data = story(7, "3.1", "2.6", episodes=[episode(RTX, ago(400), end)])
    assert early_relapse_after_rituximab(data, TODAY) is early


def test_no_rituximab_no_early_relapse() -> None:
    assert not early_relapse_after_rituximab(story(7, "3.1", "2.6"), TODAY)


def test_tiers_explain_the_order() -> None:
    p = plan(after_rituximab(10, IV))
    assert [o.tier for o in p.options] == [
        Tier.FIRST,
        Tier.FAVOURED,
        Tier.FAVOURED,
        Tier.DEFAULT,
        Tier.LATER,
        Tier.LATER,
    ]
    assert p.options[0].reason_key == "why.belimumab-early-relapse"
    assert p.options[1].reason_key == "why.cni-class-iv-v"


def test_pregnancy_withholds_teratogenic_rows_and_says_why() -> None:
    p = plan(one_agent(MMF, IV, diagnoses=[dx(ConditionKind.PREGNANCY, ago(45))]))
    assert [o.id for o in p.withheld_in_pregnancy] == ["switch-to-cyc", "multitarget"]
    assert all(not o.option.teratogenic for o in p.options)
    assert [c.key for c in p.cautions][:2] == ["pregnancy-teratogen-active", "pregnancy-other"]
    assert dict(p.cautions[0].params)["agents"] == (MMF,)
    assert p.options[0].reason_key == "why.extracorporeal-pregnancy"


def test_active_infection_names_the_options_that_intensify_immunosuppression() -> None:
    p = plan(both_failed(IV, diagnoses=[dx(ConditionKind.ACTIVE_INFECTION, ago(10))]))
    infection = next(c for c in p.cautions if c.key == "infection")
    assert dict(infection.params)["options"] == (2, 3, 4)


def _on_tacrolimus(egfr: tuple[str, str], **kw: object) -> PatientData:
    t0 = ago(days_for(7))
    episodes = [episode(MMF, t0, dose=3000), episode(TAC, t0)]
    return one_agent(MMF, IV, egfr=egfr, episodes=episodes, **kw)


@pytest.mark.parametrize(
    ("egfr", "kidney_cautions"),
    [
        pytest.param(("46", "45"), ["cni-egfr-low"], id="egfr-45-at-the-limit"),
        pytest.param(("47", "46"), [], id="egfr-46-above-the-limit"),
        pytest.param(("70", "50"), ["cni-egfr-falling"], id="falling-29pct-above-45"),
        pytest.param(("60", "38"), ["cni-egfr-low", "cni-egfr-falling"], id="low-and-falling"),
    ],
)
def test_cni_kidney_cautions(egfr: tuple[str, str], kidney_cautions: list[str]) -> None:
    p = plan(_on_tacrolimus(egfr))
    keys = [c.key for c in p.cautions]
    assert keys[0] == "cni-active"
    assert [k for k in keys if k.startswith("cni-egfr")] == kidney_cautions
    assert p.level_tests == (TAC,)


def test_cni_options_carry_the_monitoring_and_kidney_cautions() -> None:
    p = plan(both_failed(IV, egfr=("60", "38")))
    assert [o.option.id for o in p.options if o.option.calcineurin_inhibitor] == ["multitarget", "cni"]
    assert [c.key for c in p.cautions] == ["cni-options", "cni-egfr-low", "cni-egfr-falling"]
    # eGFR 38, at or below KDIGO's 45: CNIs lose the class IV favour and follow rituximab (issue 10 section 5)
    assert dict(p.cautions[0].params)["options"] == (2, 3)
    assert not p.options[0].option.calcineurin_inhibitor


def test_no_cni_caution_when_no_cni_is_offered_or_active() -> None:
    t0 = ago(days_for(10))
    episodes = [
        episode(CYC, t0 - timedelta(days=days_for(6)), t0 - timedelta(days=15)),  # 6 months before the switch
        episode(MMF, t0, dose=3000),
        episode(TAC, t0, ago(days_for(1))),  # stopped last month: tried, no longer active
    ]
    p = plan(both_failed(IV, egfr=("60", "38"), episodes=episodes))
    assert ids(p) == ["rituximab", *WITH_IVIG]
    assert p.cautions == ()
    assert p.level_tests == ()


@pytest.mark.parametrize(
    ("agent", "levels"),
    [
        pytest.param(TAC, (TAC,), id="tacrolimus"),
        pytest.param(Agent.CYCLOSPORINE, (Agent.CYCLOSPORINE,), id="cyclosporine"),
        pytest.param(Agent.VOCLOSPORIN, (), id="voclosporin-has-no-level-test"),
    ],
)
def test_level_tests_for_active_calcineurin_inhibitors(agent: Agent, levels: tuple[Agent, ...]) -> None:
    t0 = ago(days_for(7))
    p = plan(one_agent(MMF, IV, episodes=[episode(MMF, t0, dose=3000), episode(agent, t0)]))
    assert p.level_tests == levels


@pytest.mark.parametrize(
    ("make", "reasons"),
    [
        pytest.param(lambda: one_agent(MMF, IV), (), id="none"),
        pytest.param(lambda: one_agent(MMF, IV, egfr=("32", "28")), (BiopsyReason.CHRONIC_DAMAGE,), id="egfr-below-30"),
        pytest.param(
            lambda: one_agent(MMF, IV, egfr=("70", "50")), (BiopsyReason.CHRONIC_DAMAGE,), id="falling-quiet-sediment"
        ),
        # issue 10 section 5: a sediment never measured asks for a urinalysis, not a biopsy
        pytest.param(lambda: one_agent(MMF, IV, rbc=None), (), id="sediment-unknown-asks-for-urinalysis"),
        pytest.param(lambda: one_agent(MMF, IV, egfr=None), (BiopsyReason.UNCLEAR_RESPONSE,), id="kidney-unknown"),
        pytest.param(
            lambda: one_agent(MMF, IV, diagnoses=[ln_dx(V, ago(60))]), (BiopsyReason.CLASS_CHANGE,), id="iv-then-v"
        ),
        pytest.param(lambda: one_agent(MMF, IV, V), (), id="iv-and-v-on-one-day-is-no-change"),
    ],
)
def test_repeat_biopsy_reasons(make: Callable[[], PatientData], reasons: tuple[BiopsyReason, ...]) -> None:
    assert plan(make()).biopsy == reasons


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: story(6.2, "4.00", "1.60"), id="status"),
        pytest.param(lambda: story(7, "3.1", "2.6", baseline_offset=-120), id="cannot-assess"),
        pytest.param(lambda: story(7, "3.10", "2.60", classes=(LnClass.II,)), id="class-ii"),
    ],
)
def test_no_plan_without_a_refractory_verdict(make: Callable[[], PatientData]) -> None:
    assert assess(make()).therapy is None


def test_acr_watch_note_gives_no_plan() -> None:
    assert assess(story(4, "3.00", "2.70"), "acr-2012").therapy is None


def test_class_change_reads_inactive_earlier_class_conditions_too() -> None:
    earlier = dx(ConditionKind.LUPUS_NEPHRITIS, ago(900), LnClass.IV, active=False)
    data = one_agent(MMF, diagnoses=[earlier, ln_dx(V, ago(60))])
    assert plan(data).biopsy == (BiopsyReason.CLASS_CHANGE,)


# --- A sediment or kidney function that a censored value leaves undecided is an unclear response, like one not
# measured: the refractory plan gives "unclear response" as a reason for a repeat biopsy.

BASE = ago(days_for(7)) - timedelta(days=5)


@pytest.mark.parametrize(
    ("rbc", "egfr", "labs", "sediment", "kidney", "unclear"),
    [
        pytest.param(("20", "2"), ("90", "88"), [], SedimentState.INACTIVE, KidneyState.STABLE, False, id="clear"),
        pytest.param(
            None, ("90", "88"), [], SedimentState.UNKNOWN, KidneyState.STABLE, False, id="rbc-unknown-urinalysis"
        ),
        pytest.param(
            None,
            ("90", "88"),
            [lab(LabConcept.URINE_RBC, ago(5), "10", comparator="<")],
            SedimentState.CENSORED,
            KidneyState.STABLE,
            True,
            id="rbc-censored",
        ),
        pytest.param(("20", "2"), None, [], SedimentState.INACTIVE, KidneyState.UNKNOWN, True, id="egfr-unknown"),
        pytest.param(
            ("20", "2"),
            None,
            [lab(LabConcept.EGFR, BASE, "60", comparator=">"), lab(LabConcept.EGFR, ago(5), "60", comparator="<")],
            SedimentState.INACTIVE,
            KidneyState.CENSORED,
            True,
            id="egfr-censored",
        ),
    ],
)
def test_censored_sediment_or_kidney_gives_an_unclear_response_biopsy_reason(
    rbc: tuple[str, str] | None,
    egfr: tuple[str, str] | None,
    labs: list[LabResult],
    sediment: SedimentState,
    kidney: KidneyState,
    unclear: bool,
) -> None:
    a = assess(story(7, "3.0", "2.9", rbc=rbc, egfr=egfr, labs=labs))
    assert a.verdict is Verdict.REFRACTORY
    assert a.measurements is not None
    assert (a.measurements.sediment.state, a.measurements.kidney.state) == (sediment, kidney)
    assert a.therapy is not None
    assert (BiopsyReason.UNCLEAR_RESPONSE in a.therapy.biopsy) is unclear


# --- Calcineurin inhibitors are one class when options are excluded: once tacrolimus, cyclosporine or voclosporin was
# given without response, no option adding any calcineurin inhibitor (multitarget, cni, voclosporin) is offered.

CSA, VCS = Agent.CYCLOSPORINE, Agent.VOCLOSPORIN
CNI_OPTIONS = {o.id for o in THERAPY_TABLE if CALCINEURIN_INHIBITORS.intersection(o.adds)}
CNI_SETS = ("seed-eular-era-edta-2012", "kdigo-2024", "eular-2025", "eular-2019", "acr-2012")


def test_every_option_that_adds_a_calcineurin_inhibitor_is_known() -> None:
    assert CNI_OPTIONS == {"multitarget", "cni", "voclosporin"}


@pytest.mark.parametrize("tried", [TAC, CSA, VCS])
def test_any_calcineurin_inhibitor_excludes_the_whole_class(tried: Agent) -> None:
    assert excluded_agents([tried]) >= CALCINEURIN_INHIBITORS


@pytest.mark.parametrize(
    ("tried", "expected"),
    [
        pytest.param(MMF, {MMF, Agent.MYCOPHENOLIC_ACID}, id="mycophenolate-family"),
        pytest.param(Agent.MYCOPHENOLIC_ACID, {MMF, Agent.MYCOPHENOLIC_ACID}, id="mycophenolic-acid-family"),
        pytest.param(CYC, {CYC}, id="cyclophosphamide-alone"),
        pytest.param(Agent.RITUXIMAB, {Agent.RITUXIMAB}, id="rituximab-alone"),
    ],
)
def test_other_agents_exclude_only_their_family(tried: Agent, expected: set[Agent]) -> None:
    assert excluded_agents([tried]) == expected


@pytest.mark.parametrize("criteria_set", CNI_SETS)
@pytest.mark.parametrize("cni", [TAC, CSA, VCS])
def test_failed_line_with_a_cni_offers_no_cni_option(cni: Agent, criteria_set: str) -> None:
    """The reviewer's reproduction (r1.py): MMF + a CNI for 7 months without response; voclosporin (KDIGO, EULAR)
    or tacrolimus/cyclosporine (after voclosporin) used to be offered again."""
    t0 = ago(days_for(7))
    data = story(7, "3.0", "2.8", episodes=[episode(MMF, t0, dose=3000), episode(cni, t0)])
    a = assess(data, criteria_set)
    assert a.therapy is not None, a.verdict
    offered = {p.option.id for p in a.therapy.options}
    assert not offered & CNI_OPTIONS
    assert "switch-to-cyc" in offered
    assert cni in a.therapy.tried


def test_without_a_cni_tried_the_cni_options_stay() -> None:
    data = story(7, "3.0", "2.8")
    a = assess(data, "kdigo-2024")
    assert a.therapy is not None
    assert CNI_OPTIONS <= {p.option.id for p in a.therapy.options}


@pytest.mark.parametrize(
    ("rbc", "urinalysis"),
    [pytest.param(None, True, id="no-sediment-urinalysis"), pytest.param(("20", "2"), False, id="sediment-measured")],
)
def test_missing_sediment_asks_for_a_urinalysis(rbc: tuple[str, str] | None, urinalysis: bool) -> None:
    p = plan(one_agent(MMF, IV, rbc=rbc))
    assert p.urinalysis_due is urinalysis
    assert BiopsyReason.UNCLEAR_RESPONSE not in p.biopsy
