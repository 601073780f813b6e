"""The next-line therapy stories (issue #4): one refractory patient per branch of the ordering, synthetic data.

Each story has its own patient id (prefix `ln-tx-`); the scenario names are shared with the demo cohort. Month
counts are relative to the fixtures' fixed today (story.REFERENCE_TODAY). Unless a story says otherwise:
IV cyclophosphamide for 6 months without a partial response (UPCR 4.2 -> 3.8 g/g), then mycophenolate mofetil
3 g/day for 10 months (UPCR 3.8 -> 3.4 g/g, no response), eGFR about 84 -> 82, an active sediment, lisinopril and
hydroxychloroquine: refractory after both standard induction agents.
"""

from __future__ import annotations

from stories.story import APS, CLASS_III, CLASS_IV, CLASS_V, CYC, MMF, PREGNANCY, RTX, SEPSIS, SLE, TAC, Scenario, Story


def _base(pid: str, *classes: str, months_since_class: float = 16.5) -> Story:
    s = Story(pid).demographics().cond(SLE, 40)
    for code in classes:
        s.cond(code, months_since_class)
    return s


def cyc_then_mmf(pid: str, *classes: str, supportive: bool = True) -> Story:
    """Returns the usual both-failed patient: CYC 16 -> 10.5 months ago, MMF from 10 months ago."""
    s = _base(pid, *classes)
    s.upcr(4.2, 16.3).upcr(3.8, 10.6).upcr(3.4, 0.2)
    s.egfr(85, 16.3).egfr(84, 10.6).egfr(82, 0.2).rbc(30, 16.3).rbc(12, 10.6).rbc(8, 0.2)
    s.med(CYC, 16, 10.5, dose=(1000, "mg"), per_day=1)
    s.med(MMF, 10, dose=(3, "tablet"), per_day=2)
    return s.supportive(16) if supportive else s


def one_agent(pid: str, drug: tuple[str, str], klass: str, upcr: tuple[float, float], supportive: bool = True) -> Story:
    """Returns a patient 7 months into a first line of `drug`, UPCR baseline -> now, no response."""
    s = _base(pid, klass, months_since_class=7.5)
    s.upcr(upcr[0], 7.3).upcr(upcr[1], 0.2).egfr(88, 7.3).egfr(86, 0.2).rbc(25, 7.3).rbc(9, 0.2)
    dose = (3, "tablet") if drug == MMF else (1000, "mg")
    s.med(drug, 7, dose=dose, per_day=2 if drug == MMF else 1)
    return s.supportive(7) if supportive else s


def post_rituximab() -> Story:
    """CYC, then MMF, then rituximab added 10 months ago: an improvement at 6 months (no partial response), 3.2 now.

    Issue 10: with a partial response at 6 months (it was 1.4 g/g) this would be a relapse, not refractoriness (see
    stories/lines_scenarios.py); the story is about no response within 12 months of rituximab, as its card says.
    """
    s = _base("ln-tx-rtx-relapse", CLASS_III, months_since_class=30.5)
    s.upcr(4.0, 30.3).upcr(3.7, 24.6).upcr(3.5, 10.2).upcr(2.4, 6).upcr(3.2, 0.2)
    s.egfr(86, 30.3).egfr(85, 24.6).egfr(84, 10.2).egfr(83, 0.2)
    s.rbc(30, 30.3).rbc(15, 24.6).rbc(14, 10.2).rbc(3, 6).rbc(25, 0.2)
    s.med(CYC, 30, 24.5, dose=(1000, "mg"), per_day=1)
    s.med(MMF, 24, dose=(3, "tablet"), per_day=2)
    s.med(RTX, 10, 9.5)
    return s.supportive(30)


def pregnancy() -> Story:
    """Class IV on MMF 3 g/day for 8 months without response; pregnancy recorded 6 weeks ago, MMF still ordered."""
    s = _base("ln-tx-pregnancy", CLASS_IV, months_since_class=8.5).cond(PREGNANCY, 1.5)
    s.upcr(3.3, 8.3).upcr(2.9, 0.2).egfr(92, 8.3).egfr(90, 0.2).rbc(20, 8.3).rbc(2, 0.2)
    s.med(MMF, 8, dose=(3, "tablet"), per_day=2)
    return s.supportive(8)


def low_egfr_on_tacrolimus() -> Story:
    """CYC failed; multitarget MMF + tacrolimus 2 mg/day for 10 months; eGFR 58 -> 38, quiet sediment."""
    s = _base("ln-tx-low-egfr", CLASS_IV)
    s.upcr(4.0, 16.3).upcr(3.7, 10.6).upcr(3.3, 0.2)
    s.egfr(62, 16.3).egfr(58, 10.6).egfr(38, 0.2).rbc(20, 16.3).rbc(10, 10.6).rbc(3, 0.2)
    s.med(CYC, 16, 10.5, dose=(1000, "mg"), per_day=1)
    s.med(MMF, 10, dose=(3, "tablet"), per_day=2).med(TAC, 10, dose=(1, "tablet"), per_day=2)
    return s.supportive(16)


def _iv_v() -> Story:
    return cyc_then_mmf("ln-tx-class-iv-v", CLASS_IV, CLASS_V)


THERAPY_SCENARIOS: list[Scenario] = [
    Scenario(
        "therapy-class-iii-both-failed",
        "Class III LN. IV cyclophosphamide for 6 months (UPCR 4.2 -> 3.8 g/g), then mycophenolate 3 g/day for 10 "
        "months (3.8 -> 3.4 g/g): no response to either standard induction agent.",
        "refractoriness review, then next-line options 1. rituximab (class III favours it), 2. multitarget therapy, "
        "3. a calcineurin inhibitor, 4. MSC transplantation, 5. IV immunoglobulin; no draft orders.",
        lambda: cyc_then_mmf("ln-tx-class-iii", CLASS_III),
    ),
    Scenario(
        "therapy-class-iv-v-both-failed",
        "Class IV+V LN, both standard induction agents failed as in the class III story.",
        "next-line options 1. multitarget therapy, 2. a calcineurin inhibitor (classes IV/V favour calcineurin "
        "inhibitors), 3. rituximab, 4. MSC transplantation, 5. IV immunoglobulin, with the calcineurin-inhibitor "
        "monitoring caution.",
        _iv_v,
    ),
    Scenario(
        "therapy-class-iv-v-kdigo-2024",
        "The class IV+V patient, at a site that chose the KDIGO 2024 criteria set.",
        "no partial or complete response by KDIGO 2024; the same order with voclosporin added after rituximab "
        "(KDIGO 2024 names it): 1. multitarget, 2. calcineurin inhibitor, 3. rituximab, 4. voclosporin, 5. MSC, "
        "6. IV immunoglobulin.",
        _iv_v,
        settings={"criteria_set": "kdigo-2024"},
    ),
    Scenario(
        "therapy-cyc-only-failed",
        "Class IV LN, 7 months of IV cyclophosphamide: UPCR 3.6 -> 3.2 g/g. Mycophenolate never given.",
        "next-line options 1. switch to mycophenolate, 2. multitarget therapy, 3. a calcineurin inhibitor, "
        "4. rituximab, 5. MSC transplantation, 6. IV immunoglobulin (used after cyclophosphamide failure).",
        lambda: one_agent("ln-tx-cyc-only", CYC, CLASS_IV, (3.6, 3.2)),
    ),
    Scenario(
        "therapy-mmf-only-failed",
        "Class III LN, 7 months of mycophenolate 3 g/day: UPCR 3.0 -> 2.7 g/g. Cyclophosphamide never given.",
        "next-line options 1. switch to cyclophosphamide, 2. rituximab (class III), 3. multitarget therapy, "
        "4. a calcineurin inhibitor, 5. MSC transplantation; no IV immunoglobulin (cyclophosphamide not tried).",
        lambda: one_agent("ln-tx-mmf-only", MMF, CLASS_III, (3.0, 2.7)),
    ),
    Scenario(
        "therapy-post-rituximab-early-relapse",
        "Class III LN. Cyclophosphamide, then mycophenolate, failed; rituximab 1000 mg days 1 and 15 was added 10 "
        "months ago. UPCR fell to 2.4 g/g at 6 months (no partial response) and is 3.2 g/g now with an active "
        "sediment: no response within 12 months of rituximab (early relapse in the review's sense).",
        "next-line options 1. belimumab after rituximab (early relapse), 2. obinutuzumab or ofatumumab, "
        "3. multitarget therapy, 4. a calcineurin inhibitor, 5. MSC transplantation, 6. IV immunoglobulin; "
        "rituximab itself is not offered again.",
        post_rituximab,
    ),
    Scenario(
        "therapy-pregnancy",
        "Class IV LN, 8 months of mycophenolate 3 g/day (UPCR 3.3 -> 2.9 g/g); pregnancy recorded 6 weeks ago and "
        "the mycophenolate order is still active.",
        "next-line options 1. extracorporeal therapy (pregnancy), 2. a calcineurin inhibitor, 3. rituximab, "
        "4. MSC transplantation; switch to cyclophosphamide and multitarget therapy withheld as teratogenic, and a "
        "caution that mycophenolate is active in pregnancy.",
        pregnancy,
    ),
    Scenario(
        "therapy-aps",
        "Class IV LN, both standard induction agents failed; antiphospholipid syndrome recorded.",
        "next-line options 1. multitarget therapy, 2. a calcineurin inhibitor, 3. rituximab, 4. extracorporeal "
        "therapy (APS), 5. MSC transplantation, 6. IV immunoglobulin; APS flagged in the review checklist.",
        lambda: cyc_then_mmf("ln-tx-aps", CLASS_IV).cond(APS, 20),
    ),
    Scenario(
        "therapy-active-infection",
        "Class IV LN, both standard induction agents failed; sepsis recorded 2 weeks ago.",
        "next-line options 1. extracorporeal therapy (active infection), 2. multitarget therapy, 3. a calcineurin "
        "inhibitor, 4. rituximab, 5. MSC transplantation, 6. IV immunoglobulin; a caution that options 2-4 would "
        "intensify immunosuppression.",
        lambda: cyc_then_mmf("ln-tx-infection", CLASS_IV).cond(SEPSIS, 0.5),
    ),
    Scenario(
        "therapy-low-egfr-on-tacrolimus",
        "Class IV LN. Cyclophosphamide failed; multitarget mycophenolate + tacrolimus 2 mg/day for 10 months "
        "(UPCR 3.7 -> 3.3 g/g) while eGFR fell 58 -> 38 with a quiet sediment.",
        "next-line options 1. rituximab, 2. MSC transplantation, 3. IV immunoglobulin (calcineurin inhibitors "
        "already tried); cautions for the active tacrolimus, eGFR at or below 45 and falling; draft orders for a "
        "repeat kidney biopsy (chronic damage) and a tacrolimus trough level.",
        low_egfr_on_tacrolimus,
    ),
    Scenario(
        "therapy-supportive-missing",
        "Class IV LN, 7 months of mycophenolate 3 g/day (UPCR 3.1 -> 2.6 g/g); no RAAS blocker and no "
        "hydroxychloroquine in the record.",
        "refractoriness review, next-line options (1. switch to cyclophosphamide, 2. multitarget therapy, "
        "3. a calcineurin inhibitor, 4. rituximab, 5. MSC transplantation) and the supportive-care card naming the "
        "RAAS blocker and hydroxychloroquine.",
        lambda: one_agent("ln-tx-supportive-missing", MMF, CLASS_IV, (3.1, 2.6), supportive=False),
    ),
    Scenario(
        "therapy-supportive-present",
        "Class IV LN, 7 months of mycophenolate 3 g/day (UPCR 3.1 -> 2.6 g/g), as in therapy-supportive-missing, "
        "but with lisinopril and hydroxychloroquine active.",
        "refractoriness review and next-line options 1. switch to cyclophosphamide, 2. multitarget therapy, 3. a "
        "calcineurin inhibitor, 4. rituximab, 5. MSC transplantation; no supportive-care card.",
        lambda: one_agent("ln-tx-supportive-present", MMF, CLASS_IV, (3.1, 2.6)),
    ),
]
