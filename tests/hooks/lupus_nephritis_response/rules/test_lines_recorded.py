"""Treatment lines as EHRs record them (issue 10 section 2): table tests for each rule of the THERAPY.md table
"Treatment lines as they are recorded". The golden stories are in stories/lines_scenarios.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from fhir_maps.domain import Agent, LabConcept, MatchedBy, MedicationOrder, OrderStatus, PatientData, UndatedOrder
from fhir_maps.episodes import PLANNED_PULSE_SPACING_DAYS, build_episodes
from hooks.lupus_nephritis_response.knowledge.criteria_sets import Level, get_criteria_set
from hooks.lupus_nephritis_response.knowledge.treatment_lines import ENDED_COURSE_JUDGED_DAYS
from hooks.lupus_nephritis_response.rules.assessment import Missing, Verdict
from hooks.lupus_nephritis_response.rules.treatment_line import ChangeKind, T0Reason, current_line
from tests.hooks.builders import TODAY, ago, assess, cards, days_for, lab, ln_dx, patient, upcr

CYC, MMF, RTX, AZA = Agent.CYCLOPHOSPHAMIDE, Agent.MYCOPHENOLATE_MOFETIL, Agent.RITUXIMAB, Agent.AZATHIOPRINE
SEED = get_criteria_set("seed-eular-era-edta-2012")


def nb(day: date) -> str:
    """Returns the date as cards print it: ISO with non-breaking hyphens (U+2011), so it never wraps."""
    return day.isoformat().replace("-", "\u2011")


def order(agent: Agent, start: date, end: date | None = None, dose: str | None = None, **kw: object) -> MedicationOrder:
    status = kw.pop("status", OrderStatus.COMPLETED if end else OrderStatus.ACTIVE)
    return MedicationOrder(
        agent=agent,
        start=start,
        end=end,
        status=status,  # type: ignore[arg-type]
        matched_by=MatchedBy.PRODUCT_CODE,
        daily_dose_mg=Decimal(dose) if dose else None,
        **kw,  # type: ignore[arg-type]
    )


def pulse_orders(agent: Agent, first: date, count: int, every_days: int) -> list[MedicationOrder]:
    days = [first + timedelta(days=i * every_days) for i in range(count)]
    return [order(agent, d, d) for d in days]


def with_orders(
    orders: list[MedicationOrder], upcrs: list[tuple[date, str]], diagnosed: date | None = None
) -> PatientData:
    """A class IV patient whose episodes are built from `orders` the way fhir_maps builds them; eGFR 90 and RBC
    2/HPF beside every UPCR (kidney function stable, sediment inactive)."""
    labs = [upcr(d, v) for d, v in upcrs]
    labs += [lab(LabConcept.EGFR, d, "90") for d, _ in upcrs] + [lab(LabConcept.URINE_RBC, d, "2") for d, _ in upcrs]
    first = min((o.start for o in orders), default=ago(1200))
    data = patient(diagnoses=[ln_dx(recorded=diagnosed or first)], labs=labs, episodes=list(build_episodes(orders)))
    return replace(data, orders=tuple(orders))


# --- pulse spacing: a course is the set of pulses ------------------------------------------------------------
@pytest.mark.parametrize(
    ("agent", "every", "count", "episodes", "gaps"),
    [
        pytest.param(CYC, 30, 6, 1, 0, id="nih-monthly-one-course-no-gap"),
        pytest.param(CYC, 14, 6, 1, 0, id="euro-lupus-fortnightly-one-course"),
        pytest.param(CYC, 65, 3, 1, 2, id="cyc-pulses-65-days-apart-flag-gaps"),
        pytest.param(CYC, 100, 2, 2, 0, id="cyc-pulses-100-days-apart-two-courses"),
        pytest.param(RTX, 14, 2, 1, 0, id="rituximab-days-1-and-15"),
        pytest.param(RTX, 7, 4, 1, 0, id="rituximab-weekly-x4"),
        pytest.param(RTX, 80, 2, 2, 0, id="rituximab-retreatment-later-is-a-new-course"),
    ],
)
def test_pulses_join_into_courses_by_their_planned_spacing(
    agent: Agent, every: int, count: int, episodes: int, gaps: int
) -> None:
    built = build_episodes(pulse_orders(agent, ago(400), count, every))
    assert len(built) == episodes
    assert sum(len(e.gaps_over_30_days) for e in built) == gaps
    last = built[-1]
    assert last.end is not None
    assert last.covered_until == last.end + timedelta(days=PLANNED_PULSE_SPACING_DAYS[agent])


def test_oral_agents_have_no_pulse_cover() -> None:
    (built,) = build_episodes([order(MMF, ago(100), ago(50), "3000")])
    assert built.covered_until is None


# --- a course that ended is still judged ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("last_pulse_days_ago", "judged"),
    [
        pytest.param(10, True, id="between-pulses"),
        pytest.param(75, True, id="ended-2-5-months-ago"),
        pytest.param(ENDED_COURSE_JUDGED_DAYS, True, id="ended-at-the-window"),
        pytest.param(ENDED_COURSE_JUDGED_DAYS + 1, False, id="ended-past-the-window"),
    ],
)
def test_an_ended_pulse_course_is_judged_for_six_months(last_pulse_days_ago: int, judged: bool) -> None:
    first = ago(last_pulse_days_ago + 150)
    pulses = pulse_orders(CYC, first, 6, 30)
    data = with_orders(pulses, [(first - timedelta(days=3), "4.2"), (ago(5), "3.6")])
    line = current_line(data, SEED, TODAY)
    assert (line is not None) is judged
    if line is not None:
        assert line.t0 == first
        assert line.agents == (CYC,)


def test_an_ended_course_reads_as_ended_on_the_card() -> None:
    first = ago(225)
    data = with_orders(pulse_orders(CYC, first, 6, 30), [(first - timedelta(days=3), "4.2"), (ago(5), "3.6")])
    a = assess(data)
    assert a.verdict is Verdict.REFRACTORY
    assert a.line is not None
    assert a.line.course_ended == first + timedelta(days=150)
    summary = cards(data)[0].summary
    assert "course ended" in summary


# --- T0 at LN induction ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("orders", "diagnosed", "t0", "reason"),
    [
        pytest.param(
            [order(MMF, ago(900), ago(240), "1000"), order(MMF, ago(240), None, "3000")],
            ago(245),
            ago(240),
            T0Reason.INTENSIFIED,
            id="mmf-1g-raised-to-3g-at-diagnosis",
        ),
        pytest.param(
            [order(MMF, ago(900), None, "2000")], ago(215), ago(215), T0Reason.DIAGNOSIS, id="mmf-continued-unchanged"
        ),
        pytest.param(
            [order(MMF, ago(900), ago(240)), order(MMF, ago(240), None, "3000")],
            ago(245),
            ago(245),
            T0Reason.DIAGNOSIS,
            id="rise-from-an-unknown-dose-is-no-intensification",
        ),
        pytest.param(
            [order(MMF, ago(900), ago(500), "3000"), order(MMF, ago(500), None, "1000")],
            ago(245),
            ago(245),
            T0Reason.DIAGNOSIS,
            id="a-dose-decrease-is-no-intensification",
        ),
        pytest.param(
            [order(MMF, ago(230), None, "3000")],
            ago(210),
            ago(230),
            T0Reason.FIRST_ORDER,
            id="started-within-30-days-before-the-record",
        ),
        pytest.param(
            [order(AZA, ago(900), ago(230), "100"), order(MMF, ago(230), None, "3000")],
            ago(232),
            ago(230),
            T0Reason.FIRST_ORDER,
            id="azathioprine-before-is-no-part-of-the-line",
        ),
    ],
)
def test_t0_is_the_start_of_ln_induction(
    orders: list[MedicationOrder], diagnosed: date, t0: date, reason: T0Reason
) -> None:
    data = with_orders(orders, [(t0 - timedelta(days=2), "3.4"), (ago(5), "2.9")], diagnosed)
    line = current_line(data, SEED, TODAY)
    assert line is not None
    assert (line.t0, line.t0_reason) == (t0, reason)


def test_the_card_says_which_t0_was_used_and_why() -> None:
    orders = [order(MMF, ago(900), ago(240), "1000"), order(MMF, ago(240), None, "3000")]
    data = with_orders(orders, [(ago(242), "3.4"), (ago(5), "2.9")], ago(245))
    detail = cards(data)[0].detail or ""
    assert "before lupus nephritis was diagnosed" in detail
    assert f"dose increase on {nb(ago(240))}" in detail


# --- induction then planned maintenance -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("course_days", "maintenance", "upcr_at_change", "kind", "failed"),
    [
        pytest.param(70, AZA, "3.9", ChangeKind.PLANNED_MAINTENANCE, (), id="euro-lupus-then-aza"),
        pytest.param(70, MMF, "3.9", ChangeKind.PLANNED_MAINTENANCE, (), id="euro-lupus-then-mmf"),
        pytest.param(70, MMF, "1.5", ChangeKind.MAINTENANCE, (), id="euro-lupus-then-mmf-after-response"),
        pytest.param(42, MMF, "3.9", ChangeKind.EARLY, (), id="course-stopped-at-6-weeks-is-a-switch"),
        pytest.param(days_for(6) + 30, MMF, "3.9", ChangeKind.NO_RESPONSE, (CYC,), id="full-course-then-switch"),
        pytest.param(days_for(6) + 30, AZA, "3.9", ChangeKind.PLANNED_MAINTENANCE, (), id="full-course-then-aza"),
    ],
)
def test_induction_then_maintenance(
    course_days: int, maintenance: Agent, upcr_at_change: str, kind: ChangeKind, failed: tuple[Agent, ...]
) -> None:
    first = ago(course_days + 200)
    change = first + timedelta(days=course_days + 14)
    every = 14 if course_days <= 70 else 30  # Euro-Lupus fortnightly, else NIH monthly
    pulses = pulse_orders(CYC, first, course_days // every + 1, every)
    orders = [*pulses, order(maintenance, change, None, "3000")]
    upcrs = [(first - timedelta(days=3), "4.0"), (change - timedelta(days=3), upcr_at_change), (ago(5), "3.6")]
    line = current_line(with_orders(orders, upcrs), SEED, TODAY)
    assert line is not None
    assert [c.kind for c in line.changes] == [kind]
    assert line.failed_agents == failed
    if kind in (ChangeKind.PLANNED_MAINTENANCE, ChangeKind.MAINTENANCE):
        assert line.t0 == first  # the clock does not restart
        assert line.agents == (CYC, maintenance)  # the induction agent counts as tried


def test_cyc_is_not_offered_back_after_euro_lupus_then_azathioprine() -> None:
    first = ago(280)
    orders = [*pulse_orders(CYC, first, 6, 14), order(AZA, first + timedelta(days=84), None, "100")]
    a = assess(with_orders(orders, [(first - timedelta(days=3), "4.0"), (ago(5), "3.6")]))
    assert a.verdict is Verdict.REFRACTORY
    assert a.therapy is not None
    assert CYC in a.therapy.tried
    assert all("cyclophosphamide" not in o.option.id for o in a.therapy.options)


# --- relapse ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("values", "relapse_level"),
    [
        pytest.param(["4.0", "0.3", "2.8"], Level.COMPLETE, id="lost-complete-response"),
        pytest.param(["4.0", "1.5", "3.9"], Level.PARTIAL, id="lost-partial-response"),
        pytest.param(["4.0", "1.5", "1.4"], None, id="response-held"),
        pytest.param(["4.0", "3.8", "3.6"], None, id="never-responded-is-no-relapse"),
        pytest.param(["4.0", "0.3", "1.0"], None, id="complete-to-partial-is-no-flare-here"),
    ],
)
def test_relapse_is_a_response_reached_then_lost(values: list[str], relapse_level: Level | None) -> None:
    t0 = ago(600)
    upcrs = list(zip([t0 - timedelta(days=3), ago(300), ago(5)], values, strict=True))
    data = with_orders([order(MMF, t0, None, "3000")], upcrs)
    a = assess(data)
    assert a.line is not None
    relapse = a.line.relapse
    assert (relapse.level if relapse else None) == relapse_level
    if relapse is not None:
        assert a.verdict is Verdict.STATUS  # not refractory
        texts = [c.summary + (c.detail or "") for c in cards(data)]
        assert any("elapse" in t for t in texts)
        assert all("complete response not reached" not in t for t in texts)


def test_a_new_agent_after_a_relapse_fails_nobody() -> None:
    t0 = ago(600)
    orders = [order(MMF, t0, None, "3000"), *pulse_orders(CYC, ago(40), 2, 14)]
    upcrs = [(t0 - timedelta(days=3), "4.0"), (ago(300), "0.3"), (ago(45), "2.8"), (ago(5), "2.5")]
    line = current_line(with_orders(orders, upcrs), SEED, TODAY)
    assert line is not None
    assert [c.kind for c in line.changes] == [ChangeKind.RELAPSE]
    assert line.failed_agents == ()
    assert line.t0 == ago(40)
    assert line.relapse is not None
    assert line.relapse.reinduction == ago(40)


# --- orders whose dates cannot be known ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("undated", "orders", "named"),
    [
        pytest.param([UndatedOrder(MMF, OrderStatus.ACTIVE)], [], (MMF,), id="undated-line-order"),
        pytest.param([UndatedOrder(CYC, OrderStatus.COMPLETED, administered=True)], [], (CYC,), id="undated-pulse"),
        pytest.param([UndatedOrder(Agent.HYDROXYCHLOROQUINE, OrderStatus.ACTIVE)], [], (), id="undated-hcq-ignored"),
        pytest.param(
            [],
            [order(MMF, ago(215), ago(215), "3000", status=OrderStatus.STOPPED, end_known=False)],
            (MMF,),
            id="stopped-without-end",
        ),
        pytest.param(
            [],
            [
                order(MMF, ago(215), ago(215), "3000", status=OrderStatus.STOPPED, end_known=False),
                order(MMF, ago(150), None, "3000"),
            ],
            (),
            id="stopped-then-reordered",
        ),
    ],
)
def test_orders_without_usable_dates_give_cannot_assess_naming_them(
    undated: list[UndatedOrder], orders: list[MedicationOrder], named: tuple[Agent, ...]
) -> None:
    base = with_orders(orders or [order(MMF, ago(215), None, "3000")], [(ago(218), "3.5"), (ago(5), "3.2")])
    data = replace(base, undated_orders=tuple(undated))
    a = assess(data)
    assert a.undatable == named
    if named:
        assert a.verdict is Verdict.CANNOT_ASSESS
        assert a.missing == (Missing.ORDER_DATES,)
        (card,) = [c for c in cards(data) if c.rule_id == "ln-cannot-assess"]
        assert "mycophenolate" in card.summary or "cyclophosphamide" in card.summary


def test_a_re_induction_that_fails_says_relapse_and_re_induction() -> None:
    t0 = ago(900)
    orders = [order(MMF, t0, ago(250), "2000"), order(MMF, ago(250), None, "3000")]  # raised at the flare
    upcrs = [(t0 - timedelta(days=3), "4.0"), (ago(500), "0.3"), (ago(240), "3.0"), (ago(5), "2.8")]
    data = with_orders(orders, upcrs)
    a = assess(data)
    assert a.line is not None
    assert a.line.relapse is not None
    assert a.line.relapse.level is Level.COMPLETE
    assert (a.line.t0, a.line.t0_reason) == (ago(250), T0Reason.REINDUCTION)
    assert a.verdict is Verdict.REFRACTORY  # judged from its own re-induction: no partial response at 8 months
    summary = cards(data)[0].summary
    assert summary.startswith("Lupus nephritis relapse:")
    assert "re-induction" in summary


def test_a_stopped_order_replaced_by_a_new_one_is_no_interruption() -> None:
    orders = [
        order(MMF, ago(215), ago(215), "2000", status=OrderStatus.STOPPED, end_known=False),
        order(MMF, ago(150), None, "3000"),
    ]
    (course,) = build_episodes(orders)
    assert (course.start, course.end, course.interrupted, course.gaps_over_30_days) == (ago(215), None, False, ())
