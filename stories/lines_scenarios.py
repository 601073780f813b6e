"""Treatment lines as EHRs record them (issue 10 section 2): T0 at lupus nephritis induction, pulse regimens sent as
orders per infusion, as a series or only as MedicationAdministration, induction then planned maintenance, relapse,
and orders whose dates are missing or odd. Synthetic data; patient ids `ln-lines-...`.

Product codes are RxNorm rows of fhir_maps/data/rxnorm_products.tsv. Month counts are relative to the fixtures'
fixed today (story.REFERENCE_TODAY). The rules each story exercises are the table in knowledge/THERAPY.md,
"Treatment lines as they are recorded".
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fhir_maps import codes
from stories.fhir import Resource, months_before
from stories.story import CLASS_III, CLASS_IV, MMF, REFERENCE_TODAY, SLE, TAC, Scenario, Story

CYC_500 = ("1734917", "cyclophosphamide 500 MG Injection")  # Euro-Lupus pulse
CYC_1000 = ("1734919", "cyclophosphamide 1000 MG Injection")  # NIH pulse
RTX_TRUXIMA = ("2105826", "10 ML rituximab-abbs 10 MG/ML Injection")
RTX_RUXIENCE = ("2273512", "10 ML rituximab-pvvr 10 MG/ML Injection")
RTX_RITUXAN = ("1657864", "10 ML rituximab 10 MG/ML Injection [Rituxan]")
AZA_100 = ("359228", "azathioprine 100 MG Oral Tablet")
BELIMUMAB = ("1092437", "belimumab")
FORTNIGHT, MONTH, WEEK = 14 / 30.4375, 1.0, 7 / 30.4375


def _day(months_ago: float) -> date:
    return months_before(REFERENCE_TODAY, months_ago)


def administration(s: Story, drug: tuple[str, str], months_ago: float, status: str = "completed", **kw: Any) -> Story:
    """Adds one MedicationAdministration (one infusion given that day), coded or by a contained Medication."""
    rid = s._id("a")
    given: Resource = {
        "resourceType": "MedicationAdministration",
        "id": rid,
        "status": status,
        "subject": {"reference": f"Patient/{s.pid}"},
        "effectiveDateTime": f"{_day(months_ago).isoformat()}T09:00:00Z",
    }
    concept = {"coding": [{"system": codes.RXNORM, "code": drug[0], "display": drug[1]}]}
    if kw.get("contained"):
        given["contained"] = [{"resourceType": "Medication", "id": "med", "code": concept}]
        given["medicationReference"] = {"reference": "#med"}
    else:
        given["medicationCodeableConcept"] = concept
    if kw.get("period"):  # an infusion recorded with a start and end time
        day = _day(months_ago).isoformat()
        del given["effectiveDateTime"]
        given["effectivePeriod"] = {"start": f"{day}T09:00:00Z", "end": f"{day}T13:00:00Z"}
    if "dose_mg" in kw:
        given["dosage"] = {"dose": {"value": kw["dose_mg"], "unit": "mg", "system": codes.UCUM, "code": "mg"}}
    s.data["administrations"].append(given)
    return s


def pulses(s: Story, drug: tuple[str, str], first: float, count: int, every: float, how: str = "orders") -> Story:
    """Adds `count` pulses `every` months apart from `first` months ago: one completed order per infusion
    (ending the same day) or one MedicationAdministration per infusion."""
    for i in range(count):
        when = first - i * every
        if how == "orders":
            s.med(drug, when, when)
        else:
            administration(s, drug, when, contained=(i == 0), period=(i == 1))
    return s


def _base(pid: str, klass: str = CLASS_IV, ln_months: float = 8.0, sle_months: float = 40) -> Story:
    return Story(pid).demographics().cond(SLE, sle_months).cond(klass, ln_months)


def _labs(s: Story, points: list[tuple[float, float]], rbc: tuple[float, float] = (25, 12)) -> Story:
    """UPCR (months ago, g/g) points; eGFR steady; sediment at the first and last point."""
    for months, value in points:
        s.upcr(value, months).egfr(86, months)
    s.rbc(rbc[0], points[0][0]).rbc(rbc[1], points[-1][0])
    return s


# --- T0 at lupus nephritis induction --------------------------------------------------------------------------
def t0_intensified() -> Story:
    """MMF 1 g/day for non-renal lupus from 30 months ago; class IV LN 8 months ago; MMF raised to 3 g/day then."""
    s = _base("ln-lines-t0-intensified", ln_months=8.2)
    s.med(MMF, 30, 7.9, dose=(1, "tablet"), per_day=2).med(MMF, 7.9, dose=(3, "tablet"), per_day=2)
    _labs(s, [(8.0, 3.4), (4.0, 3.1), (0.2, 2.9)])
    return s.supportive(8)


def t0_at_diagnosis() -> Story:
    """MMF 2 g/day for non-renal lupus from 20 months ago, unchanged; LN diagnosed 7 months ago; UPCR 3.0 -> 1.2."""
    s = _base("ln-lines-t0-diagnosis", ln_months=7.0)
    s.med(MMF, 20, dose=(2, "tablet"), per_day=2)
    _labs(s, [(7.1, 3.0), (3.5, 2.0), (0.2, 1.2)], rbc=(25, 3))
    return s.supportive(7)


def t0_dose_unknown_before() -> Story:
    """MMF from 26 months ago with no dose recorded, then 3 g/day from 7.5 months ago (LN 7.6 months ago): a rise
    from an unknown dose is no intensification, so T0 is the diagnosis."""
    s = _base("ln-lines-t0-dose-unknown", ln_months=7.6)
    s.med(MMF, 26, 7.5).med(MMF, 7.5, dose=(3, "tablet"), per_day=2)
    _labs(s, [(7.7, 3.6), (0.2, 3.3)])
    return s.supportive(7.6)


def t0_azathioprine_before() -> Story:
    """Azathioprine for non-renal lupus from 24 months ago, stopped at the LN diagnosis; MMF from then (7 months)."""
    s = _base("ln-lines-t0-aza-before", ln_months=7.1)
    s.med(AZA_100, 24, 7.0, dose=(1, "tablet"), per_day=1).med(MMF, 7.0, dose=(3, "tablet"), per_day=2)
    _labs(s, [(7.1, 3.5), (0.2, 3.2)])
    return s.supportive(7)


def t0_biopsy_recorded_late() -> Story:
    """MMF started 3 weeks before the LN Condition was recorded (the biopsy report came later): T0 is MMF's start."""
    s = _base("ln-lines-t0-late-record", ln_months=6.4)
    s.med(MMF, 7.1, dose=(3, "tablet"), per_day=2)
    _labs(s, [(7.2, 3.5), (0.2, 3.2)])
    return s.supportive(7)


# --- pulse regimens -------------------------------------------------------------------------------------------
def nih_cyc(pid: str, how: str = "orders") -> Story:
    """Class IV; IV cyclophosphamide 1 g monthly x6 from 7.5 months ago (last pulse 2.5 months ago), nothing since;
    UPCR 4.2 -> 3.6 g/g: no partial response after the course."""
    s = _base(pid, ln_months=7.7)
    pulses(s, CYC_1000, 7.5, 6, MONTH, how)
    _labs(s, [(7.6, 4.2), (4.5, 3.9), (0.2, 3.6)])
    return s.supportive(7.5)


def nih_cyc_series() -> Story:
    """The same course sent as one order: every month, 6 doses (timing.repeat.count), no end date."""
    s = _base("ln-lines-cyc-series", ln_months=7.7)
    s.med(CYC_1000, 7.5, status="completed")
    order = s.data["medications"][-1]
    order["dosageInstruction"][0]["timing"]["repeat"].update({"count": 6, "period": 1, "periodUnit": "mo"})
    _labs(s, [(7.6, 4.2), (4.5, 3.9), (0.2, 3.6)])
    return s.supportive(7.5)


def nih_cyc_delayed() -> Story:
    """Monthly pulses, the fourth given 10 weeks after the third: the delay beyond the planned month is a gap."""
    s = _base("ln-lines-cyc-delayed", ln_months=8.2)
    for when in (8.0, 7.0, 6.0, 3.7, 2.7, 1.7):
        s.med(CYC_1000, when, when)
    _labs(s, [(8.1, 4.0), (0.2, 3.7)])
    return s.supportive(8)


def cyc_not_done() -> Story:
    """Pulses as administrations; two more recorded as not-done and entered-in-error (never given, left out)."""
    s = nih_cyc("ln-lines-cyc-not-done", how="administrations")
    administration(s, CYC_1000, 1.5, status="not-done")
    administration(s, CYC_1000, 0.5, status="entered-in-error")
    return s


def cyc_course_long_ago() -> Story:
    """A cyclophosphamide course that ended 14 months ago, nothing since: no current line, no response card."""
    s = _base("ln-lines-cyc-long-ago", ln_months=20)
    pulses(s, CYC_1000, 19, 6, MONTH)
    _labs(s, [(19.1, 4.0), (0.2, 0.4)], rbc=(20, 2))
    return s.supportive(19)


def rtx_after_mmf(pid: str, drug: tuple[str, str], weekly: bool, how: str) -> Story:
    """MMF 3 g/day from 17 months ago without response; rituximab added 7 months ago (1 g days 1 and 15, or
    375 mg/m2 weekly x4), MMF continued; UPCR 3.9 -> 3.6 -> 3.4 g/g."""
    s = _base(pid, CLASS_III, ln_months=17.2)
    s.med(MMF, 17, dose=(3, "tablet"), per_day=2)
    pulses(s, drug, 7, 4 if weekly else 2, WEEK if weekly else FORTNIGHT, how)
    _labs(s, [(17.1, 3.9), (7.2, 3.6), (0.2, 3.4)])
    return s.supportive(17)


# --- induction then planned maintenance -----------------------------------------------------------------------
def euro_lupus_then(pid: str, maintenance: tuple[str, str], now: float, months: float = 9) -> Story:
    """Euro-Lupus: cyclophosphamide 500 mg every 2 weeks x6 from `months` ago, then `maintenance` 2 weeks after
    the last pulse; UPCR 4.1 -> `now` g/g."""
    s = _base(pid, ln_months=months + 0.2)
    pulses(s, CYC_500, months, 6, FORTNIGHT)
    start = months - 5 * FORTNIGHT - FORTNIGHT
    if maintenance == AZA_100:
        s.med(AZA_100, start, dose=(1, "tablet"), per_day=1)
    else:
        s.med(maintenance, start, dose=(3, "tablet"), per_day=2)
    rbc = (25, 2) if now < 0.5 else (25, 12)
    _labs(s, [(months + 0.1, 4.1), (start + 0.1, 3.8), (0.2, now)], rbc=rbc)
    return s.supportive(months)


def nih_then_mmf_switch() -> Story:
    """NIH cyclophosphamide x6 monthly from 14 months ago without a partial response at 6 months (4.0 -> 3.8), then
    MMF 3 g/day from 8 months ago (a switch, as the review prescribes), 3.8 -> 3.5: both failed."""
    s = _base("ln-lines-nih-then-mmf", ln_months=14.2)
    pulses(s, CYC_1000, 14, 6, MONTH)
    s.med(MMF, 7.8, dose=(3, "tablet"), per_day=2)
    _labs(s, [(14.1, 4.0), (7.9, 3.8), (0.2, 3.5)])
    return s.supportive(14)


# --- relapse --------------------------------------------------------------------------------------------------
def relapse_after_cr(pid: str, reinduction: str | None = None) -> Story:
    """MMF 3 g/day from 30 months ago: UPCR 4.0 -> 0.3 g/g with an inactive sediment at 12 months (complete
    response), then 2.8 g/g with an active sediment 1 month ago: a relapse. `reinduction`: none, a Euro-Lupus
    course from 2 weeks after the flare result, or an MMF dose increase."""
    s = _base(pid, ln_months=30.2)
    s.upcr(4.0, 30.1).upcr(0.3, 18).upcr(0.25, 8).upcr(2.8, 1.0)
    s.egfr(88, 30.1).egfr(90, 18).egfr(89, 8).egfr(86, 1.0)
    s.rbc(25, 30.1).rbc(1, 18).rbc(2, 8).rbc(20, 1.0)
    if reinduction == "mmf-dose":
        s.med(MMF, 30, 1.1, dose=(2, "tablet"), per_day=2).med(MMF, 1.1, dose=(3, "tablet"), per_day=2)
        s.upcr(2.6, 0.2).egfr(87, 0.2).rbc(15, 0.2)
    else:
        s.med(MMF, 30, dose=(2, "tablet"), per_day=2)
    if reinduction == "cyc":
        pulses(s, CYC_500, 0.5, 1, FORTNIGHT)
        s.upcr(2.5, 0.1).egfr(87, 0.1)
    return s.supportive(30)


def relapse_after_pr() -> Story:
    """MMF from 20 months ago: UPCR 4.0 -> 1.5 g/g at 8 months (partial), then 3.9 g/g twice (2 and 0.2 months)."""
    s = _base("ln-lines-relapse-after-pr", ln_months=20.2)
    s.med(MMF, 20, dose=(3, "tablet"), per_day=2)
    _labs(s, [(20.1, 4.0), (12, 1.5), (2, 3.9), (0.2, 3.9)], rbc=(25, 15))
    return s.supportive(20)


# --- dates, stops, add-ons, restarts --------------------------------------------------------------------------
def undated_order() -> Story:
    """A mycophenolate order with neither a timing start nor authoredOn: it cannot be placed in time."""
    s = _base("ln-lines-undated", ln_months=7.5)
    s.med(MMF, 7, dose=(3, "tablet"), per_day=2)
    order = s.data["medications"][-1]
    del order["authoredOn"]
    del order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]
    _labs(s, [(7.2, 3.5), (0.2, 3.2)])
    return s.supportive(7)


def undated_administration() -> Story:
    """Cyclophosphamide pulses as administrations, one charted with no effective time at all."""
    s = nih_cyc("ln-lines-undated-admin", how="administrations")
    del s.data["administrations"][2]["effectiveDateTime"]
    return s


def stopped_no_end(reordered: bool) -> Story:
    """MMF ordered 7 months ago, now `stopped` with no end date; `reordered`: a new MMF order 5 months ago."""
    pid = "ln-lines-stopped-reordered" if reordered else "ln-lines-stopped-no-end"
    s = _base(pid, ln_months=7.5)
    s.med(MMF, 7, dose=(3, "tablet"), per_day=2, status="stopped")
    if reordered:
        s.med(MMF, 5, dose=(3, "tablet"), per_day=2)
    _labs(s, [(7.2, 3.5), (0.2, 3.2)])
    return s.supportive(7)


def cancelled_cyc() -> Story:
    """A cyclophosphamide order cancelled before it was given, next to an MMF line at 7 months: left out."""
    s = _base("ln-lines-cancelled", ln_months=7.5)
    s.med(CYC_1000, 6, 6, status="cancelled").med(MMF, 7, dose=(3, "tablet"), per_day=2)
    _labs(s, [(7.2, 3.5), (0.2, 3.2)])
    return s.supportive(7)


def late_add_on(drug: tuple[str, str], upcr_at_add: float, pid: str) -> Story:
    """MMF 3 g/day from 11 months ago; `drug` added 4 months ago to the running line; UPCR 4.0 -> at the add-on
    -> 1.6 g/g now."""
    s = _base(pid, ln_months=11.2)
    s.med(MMF, 11, dose=(3, "tablet"), per_day=2)
    if drug == TAC:
        s.med(TAC, 4, dose=(1, "tablet"), per_day=2)
    else:
        s.med(drug, 4)
    _labs(s, [(11.1, 4.0), (4.1, upcr_at_add), (0.2, 1.6)], rbc=(25, 3))
    return s.supportive(11)


def restart_after_gap() -> Story:
    """MMF 3 g/day 20 -> 13 months ago without a partial response (4.0 -> 3.7), stopped; restarted 5 months ago
    after a 8-month gap: a new course judged from the restart."""
    s = _base("ln-lines-restart", ln_months=20.2)
    s.med(MMF, 20, 13, dose=(3, "tablet"), per_day=2).med(MMF, 5, dose=(3, "tablet"), per_day=2)
    _labs(s, [(20.1, 4.0), (13.1, 3.7), (5.1, 3.8), (0.2, 3.0)])
    return s.supportive(20)


def _sc(name: str, story: str, expect: str, build: Any, **kw: Any) -> Scenario:
    return Scenario(name, story, expect, build, **kw)


LINES_SCENARIOS: list[Scenario] = [
    _sc(
        "lines-t0-intensified",
        "MMF 1 g/day for non-renal lupus from 30 months ago; class IV LN 8 months ago; MMF raised to 3 g/day then; "
        "UPCR 3.4 -> 2.9 g/g.",
        "T0 at the dose increase (the card says so): partial response not reached at 8 months.",
        t0_intensified,
    ),
    _sc(
        "lines-t0-at-diagnosis",
        "MMF 2 g/day for non-renal lupus from 20 months ago, unchanged; LN diagnosed 7 months ago; UPCR 3.0 -> 1.2.",
        "T0 at the LN diagnosis (no dose increase recorded): partial response at 7 months.",
        t0_at_diagnosis,
    ),
    _sc(
        "lines-t0-dose-unknown-before",
        "MMF with no dose from 26 months ago, then 3 g/day from the LN diagnosis 7.5 months ago; UPCR 3.6 -> 3.3.",
        "T0 at the diagnosis (a rise from an unknown dose is no intensification); partial response not reached.",
        t0_dose_unknown_before,
    ),
    _sc(
        "lines-t0-azathioprine-before",
        "Azathioprine for non-renal lupus for 17 months, stopped at the LN diagnosis; MMF from then, 7 months.",
        "T0 at MMF's start; azathioprine is no part of the line: partial response not reached.",
        t0_azathioprine_before,
    ),
    _sc(
        "lines-t0-biopsy-recorded-late",
        "MMF started 3 weeks before the LN Condition was recorded (the biopsy report came later); 7 months on MMF.",
        "T0 at MMF's start (within 30 days of the diagnosis): partial response not reached at 7 months.",
        t0_biopsy_recorded_late,
    ),
    _sc(
        "lines-cyc-nih-orders-no-response",
        "IV cyclophosphamide 1 g monthly x6 from 7.5 months ago, one completed order per infusion; last pulse 2.5 "
        "months ago, nothing since; UPCR 4.2 -> 3.6 g/g.",
        "The ended course is still judged: partial response not reached at 7 months; next-line options.",
        lambda: nih_cyc("ln-lines-cyc-nih-orders"),
    ),
    _sc(
        "lines-cyc-nih-administrations-only",
        "The same course recorded only as MedicationAdministration (one by a contained Medication, one with an "
        "effectivePeriod); no MedicationRequest at all.",
        "Same answer as with orders: partial response not reached at 7 months.",
        lambda: nih_cyc("ln-lines-cyc-nih-admin", how="administrations"),
    ),
    _sc(
        "lines-cyc-nih-administrations-fallback",
        "The administrations-only course, with no prefetch: the service searches MedicationAdministration itself.",
        "Same answer as with prefetch.",
        lambda: nih_cyc("ln-lines-cyc-nih-admin", how="administrations"),
        prefetch="omitted",
    ),
    _sc(
        "lines-cyc-series-order",
        "The course sent as one order: every month, 6 doses (timing.repeat.count), no end date.",
        "The series ends at its sixth dose; the course is judged: partial response not reached at 7 months.",
        nih_cyc_series,
    ),
    _sc(
        "lines-cyc-delayed-pulse",
        "Monthly cyclophosphamide pulses; the fourth came 10 weeks after the third; UPCR 4.0 -> 3.7 at 8 months.",
        "One course; the 5 weeks beyond the planned month are flagged as a possible interruption.",
        nih_cyc_delayed,
    ),
    _sc(
        "lines-cyc-not-done-ignored",
        "Pulses as administrations, plus a not-done and an entered-in-error administration after the course.",
        "The two never given are left out: the course ended 2.5 months ago and is judged.",
        cyc_not_done,
    ),
    _sc(
        "lines-cyc-course-long-ago",
        "A cyclophosphamide course that ended 14 months ago (UPCR 4.0 -> 0.4); nothing since.",
        "No current line: no response card.",
        cyc_course_long_ago,
    ),
    _sc(
        "lines-rtx-days-1-15-administrations",
        "MMF 3 g/day from 17 months ago without response; rituximab 1 g days 1 and 15 (Truxima) 7 months ago, given "
        "as administrations; MMF continued; UPCR 3.9 -> 3.4.",
        "Rituximab's two infusions are one course; partial response not reached at 7 months of rituximab + MMF.",
        lambda: rtx_after_mmf("ln-lines-rtx-d1-d15", RTX_TRUXIMA, weekly=False, how="administrations"),
    ),
    _sc(
        "lines-rtx-weekly-x4-orders",
        "As above with rituximab 375 mg/m2 weekly x4 (Ruxience), one completed order per infusion.",
        "One course of four infusions; partial response not reached at 7 months.",
        lambda: rtx_after_mmf("ln-lines-rtx-weekly", RTX_RUXIENCE, weekly=True, how="orders"),
    ),
    _sc(
        "lines-euro-lupus-then-azathioprine",
        "Euro-Lupus cyclophosphamide 500 mg every 2 weeks x6 from 9 months ago, then azathioprine 100 mg/day as "
        "planned; UPCR 4.1 -> 3.6 g/g.",
        "One line, clock from the first pulse: partial response not reached at 9 months of cyclophosphamide then "
        "azathioprine; cyclophosphamide not offered again.",
        lambda: euro_lupus_then("ln-lines-eurolupus-aza", AZA_100, 3.6),
    ),
    _sc(
        "lines-euro-lupus-then-mmf",
        "Euro-Lupus cyclophosphamide x6 from 9 months ago, then MMF 3 g/day as planned; UPCR 4.1 -> 3.5 g/g.",
        "One line from the first pulse: partial response not reached at 9 months; neither agent offered again.",
        lambda: euro_lupus_then("ln-lines-eurolupus-mmf", MMF, 3.5),
    ),
    _sc(
        "lines-euro-lupus-then-mmf-responder",
        "Euro-Lupus cyclophosphamide x6 from 12 months ago, then MMF; UPCR 4.1 -> 0.4 g/g, inactive sediment.",
        "Complete response after 12 months of cyclophosphamide then MMF (the clock did not restart).",
        lambda: euro_lupus_then("ln-lines-eurolupus-cr", MMF, 0.4, months=12),
    ),
    _sc(
        "lines-nih-then-mmf-switch",
        "NIH cyclophosphamide x6 from 14 months ago without a partial response at 6 months, then MMF (a switch) for "
        "8 months; UPCR 4.0 -> 3.8 -> 3.5.",
        "A new line at the switch; cyclophosphamide failed: partial response not reached at 8 months of MMF.",
        nih_then_mmf_switch,
    ),
    _sc(
        "lines-relapse-after-cr-no-reinduction",
        "MMF from 30 months ago; complete response at 12 months (UPCR 0.3 g/g, inactive sediment); UPCR 2.8 with "
        "an active sediment 1 month ago; no change of therapy.",
        "A relapse card (not refractory, never 'complete response not reached'): no re-induction recorded.",
        lambda: relapse_after_cr("ln-lines-relapse-cr"),
    ),
    _sc(
        "lines-relapse-after-cr-cyc-reinduction",
        "The same relapse, re-induced with Euro-Lupus cyclophosphamide 2 weeks ago.",
        "Judged from the re-induction (too early): the line block says relapse and gives the dates.",
        lambda: relapse_after_cr("ln-lines-relapse-cr-cyc", "cyc"),
    ),
    _sc(
        "lines-relapse-after-cr-mmf-increase",
        "The same relapse, re-induced by raising MMF from 2 to 3 g/day at the flare.",
        "Judged from the dose increase: the line block says relapse; no refractory call.",
        lambda: relapse_after_cr("ln-lines-relapse-cr-mmf", "mmf-dose"),
    ),
    _sc(
        "lines-relapse-after-partial",
        "MMF from 20 months ago; partial response at 8 months (UPCR 4.0 -> 1.5); 3.9 g/g twice since.",
        "A relapse card after a partial response, not a refractory card.",
        relapse_after_pr,
    ),
    _sc(
        "lines-order-undated",
        "A mycophenolate order with neither a timing start nor authoredOn.",
        "Cannot assess, naming mycophenolate mofetil: its order has no usable dates.",
        undated_order,
    ),
    _sc(
        "lines-administration-undated",
        "Cyclophosphamide pulses as MedicationAdministration; one has no effective time (effective[x] missing).",
        "Cannot assess, naming cyclophosphamide: a dose that cannot be placed in time is never dropped silently.",
        undated_administration,
    ),
    _sc(
        "lines-order-stopped-no-end-date",
        "MMF ordered 7 months ago, now status stopped with no end date; no later order.",
        "Cannot assess, naming mycophenolate mofetil: when it stopped is unknown.",
        lambda: stopped_no_end(False),
    ),
    _sc(
        "lines-order-stopped-then-reordered",
        "MMF stopped without an end date, then ordered again 5 months ago (active).",
        "The re-order continues the course: partial response not reached at 7 months.",
        lambda: stopped_no_end(True),
    ),
    _sc(
        "lines-order-cancelled-ignored",
        "A cyclophosphamide order cancelled before it was given, beside an MMF line of 7 months.",
        "The cancelled order is left out: partial response not reached at 7 months of MMF.",
        cancelled_cyc,
    ),
    _sc(
        "lines-add-on-tacrolimus-no-response",
        "MMF 3 g/day for 11 months; tacrolimus added 4 months ago with UPCR 3.9 (no partial response by 7 months).",
        "A new line at the add-on (MMF + tacrolimus), MMF failed: status of the new line at 4 months.",
        lambda: late_add_on(TAC, 3.9, "ln-lines-add-on-tac"),
    ),
    _sc(
        "lines-add-on-belimumab-after-response",
        "MMF 3 g/day for 11 months; belimumab added 4 months ago after a partial response (UPCR 1.8).",
        "Maintenance: the clock keeps running from MMF's start; partial response after 11 months.",
        lambda: late_add_on(BELIMUMAB, 1.8, "ln-lines-add-on-bel"),
    ),
    _sc(
        "lines-restart-after-gap",
        "MMF 20 -> 13 months ago without a partial response, an 8-month gap, MMF restarted 5 months ago.",
        "A new course judged from the restart; the first course counts as failed.",
        restart_after_gap,
    ),
]
