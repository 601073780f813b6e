"""Stories for the independent review's safety findings on issue 10 (A1-A5, B6, D8, D10): patient ids `ln-rv-`.

Each story is a class of record the review found mishandled, written the way EHRs send it, with its edges:
cyclophosphamide pulses in pregnancy recorded per infusion or only as given doses (A1); pregnancy coded in
ICD-10-CM Z33/Z34/O09 or SNOMED CT findings other than 77386006 (A2); an active teratogen order with no dates (A3);
a `completed` e-prescription with a supply and no end date (A4); a prefetch key holding only another patient's
resource, sent without a fhirServer (A5); serious infection coded N10, U07.1 or J12.82 (B6); one mycophenolate
dose written as two concurrent orders (D8); two final results of one morning that disagree (D10). Months are
relative to the fixtures' fixed today (REFERENCE_TODAY).
"""

from __future__ import annotations

from typing import Any

from fhir_maps import codes
from stories.fhir import SNOMED_DISPLAY, months_before
from stories.lines_scenarios import CYC_1000, MONTH, administration, pulses
from stories.story import CLASS_IV, HCQ, MMF, PREGNANCY, REFERENCE_TODAY, SLE, Scenario, Story, ln_on_mmf

MMF_250 = ("199058", "mycophenolate mofetil 250 MG Oral Capsule")  # RxNorm SCD (fhir_maps/data product table)
OTHER = "ln-rv-other-patient"  # the patient a misbehaving EHR mixes in

# SNOMED CT pregnancy findings the stories use, displays as VSAC "Pregnancy" states them (fhir_maps.codes.PREGNANCY).
NORMAL_PREGNANCY, TWIN_PREGNANCY = "72892002", "65147003"
SNOMED_DISPLAY.setdefault(NORMAL_PREGNANCY, "Normal pregnancy")
SNOMED_DISPLAY.setdefault(TWIN_PREGNANCY, "Twin pregnancy")


def _pregnant(s: Story, months_ago: float, icd: tuple[str, str] | None = None, snomed: str = PREGNANCY) -> Story:
    """Records a pregnancy `months_ago`, coded in SNOMED CT, or recoded in ICD-10-CM (`icd` = code, display)."""
    s.cond(snomed, months_ago)
    return s.recode(codes.ICD10CM, *icd) if icd else s


def _cyc_in_pregnancy(pid: str, how: str, last_pulse: float, count: int = 4) -> Story:
    """Monthly NIH cyclophosphamide pulses (one completed order per infusion, or administrations), the last one
    `last_pulse` months ago; UPCR 4.0 -> 2.6 g/g (improvement, not yet partial); no RAAS blocker."""
    s = Story(pid).demographics().cond(SLE, 40).cond(CLASS_IV, last_pulse + count)
    s.upcr(4.0, last_pulse + count - 0.8).upcr(2.6, 0.2).egfr(80, last_pulse + count - 0.8).egfr(82, 0.2)
    s.rbc(40, last_pulse + count - 0.8).rbc(10, 0.2)
    pulses(s, CYC_1000, last_pulse + (count - 1) * MONTH, count, MONTH, how=how)
    return s.med(HCQ, last_pulse + count)


def _mmf_responder(pid: str, **kw: Any) -> Story:
    """Class IV on MMF 3 g/day for 7 months, complete response (3.1 -> 0.25 g/g); lisinopril and HCQ."""
    return ln_on_mmf(pid, 7, 3.1, 0.25, egfr_start=92, egfr_now=95, rbc_now=2, **kw)


def _undated_mmf(pid: str, status: str) -> Story:
    """A pregnant complete responder whose only MMF order has no timing start and no authoredOn."""
    s = _pregnant(_mmf_responder(pid), 2.5)
    order = s.data["medications"][0]
    order["status"] = status
    del order["authoredOn"]
    del order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]
    return s


def _supply(order: dict[str, Any], days: int | None, repeats: int | None) -> None:
    """Makes `order` a `completed` e-prescription with no end date and the given supply (None: none recorded)."""
    order["status"] = "completed"
    order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"].pop("end", None)
    dispense: dict[str, Any] = {}
    if days is not None:
        dispense["expectedSupplyDuration"] = {"value": days, "unit": "days", "system": codes.UCUM, "code": "d"}
    if repeats is not None:
        dispense["numberOfRepeatsAllowed"] = repeats
    if dispense:
        order["dispenseRequest"] = dispense


def _completed_prescriptions(pid: str, pregnant: bool, days: int | None, repeats: int | None) -> Story:
    """MMF 3 g/day as outpatient prescriptions: one ended 1.5 months ago, then one `completed` (sent to the
    pharmacy) 1.5 months ago with no end date and the given supply. UPCR 3.1 -> 2.8 (`pregnant`: -> 0.25)."""
    now = 0.25 if pregnant else 2.8
    s = ln_on_mmf(pid, 7, 3.1, now, egfr_start=92, egfr_now=90, rbc_now=2 if pregnant else 12)
    s.data["medications"][0]["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] = months_before(
        REFERENCE_TODAY, 1.5
    ).isoformat()
    s.data["medications"][0]["status"] = "completed"
    s.med(MMF, 1.5, 1.5, dose=(3, "tablet"), per_day=2)
    _supply(s.data["medications"][-1], days, repeats)
    return _pregnant(s, 2.5) if pregnant else s


def _single_completed_prescription(pid: str, days: int | None, repeats: int | None) -> Story:
    """Not pregnant; the only MMF order is a `completed` e-prescription written 7 months ago, no end date, with the
    given supply; UPCR 3.1 -> 2.8 g/g at 7 months."""
    s = ln_on_mmf(pid, 7, 3.1, 2.8, egfr_start=92, egfr_now=90, rbc_now=12)
    _supply(s.data["medications"][0], days, repeats)
    return s


def _foreign_administration(pid: str, pregnant: bool) -> Story:
    """A complete responder on MMF; the administrations key holds only another patient's rituximab infusion."""
    s = _mmf_responder(pid)
    administration(s, ("1657862", "10 ML rituximab 10 MG/ML Injection"), 0.5)
    s.data["administrations"][-1]["subject"] = {"reference": f"Patient/{OTHER}"}
    return _pregnant(s, 2.5) if pregnant else s


def _infection(pid: str, *icd: tuple[str, str]) -> Story:
    """Class IV on MMF 3 g/day for 7 months without a partial response (3.4 -> 2.9), with a serious infection
    recorded this week, coded in ICD-10-CM as hospitals send it."""
    s = ln_on_mmf(pid, 7, 3.4, 2.9, rbc_now=12)
    for code in icd:
        s.cond(codes.SEPSIS_DISORDER, 0.1).recode(codes.ICD10CM, *code)
    return s


def _split_dose(pid: str, tablets: float, capsules: float) -> Story:
    """Class IV on MMF for 7 months written as two orders started together: `tablets` x 500 mg twice daily and
    `capsules` x 250 mg twice daily; UPCR 3.4 -> 2.9 (no partial response)."""
    s = ln_on_mmf(pid, 7, 3.4, 2.9, dose=(tablets, "tablet"), rbc_now=12)
    return s.med(MMF_250, 7, dose=(capsules, "capsule"), per_day=2)


def _renewed_dose(pid: str) -> Story:
    """MMF 1 g twice daily (2 tablets) from 7 months ago, left active, renewed at 1.5 g twice daily 3 months ago
    (a new order, the old one never closed); UPCR 3.4 -> 2.9."""
    s = ln_on_mmf(pid, 7, 3.4, 2.9, dose=(2, "tablet"), rbc_now=12)
    return s.med(MMF, 3, dose=(3, "tablet"), per_day=2)


def _same_day(pid: str, later: float, status: str = "final") -> Story:
    """A complete responder (UPCR 3.1 -> 0.25 g/g at 08:30) with a second UPCR the same morning at 09:10 (`later`
    g/g, with its own `status`), under another accession number."""
    s = _mmf_responder(pid).upcr(later, 0.2, status=status)
    s.data["proteinuria"][-1]["effectiveDateTime"] = s.data["proteinuria"][-1]["effectiveDateTime"].replace(
        "T08:30", "T09:10"
    )
    return s


def _sc(name: str, story: str, expect: str, build: Any, **kw: Any) -> Scenario:
    return Scenario(name, story, expect, build, **kw)


REVIEW_SAFETY_SCENARIOS: list[Scenario] = [
    # --- A1: pulse courses in pregnancy ---------------------------------------------------------------------------
    _sc(
        "review-preg-cyc-pulse-orders",
        "Pregnancy (ICD-10-CM Z33.1) 0.3 months ago; NIH cyclophosphamide as one completed same-day order per "
        "infusion, the last 0.6 months ago (the next pulse is due).",
        "Critical teratogen card naming cyclophosphamide, ahead of the response card.",
        lambda: _pregnant(
            _cyc_in_pregnancy("ln-rv-preg-cyc-orders", "orders", 0.6), 0.3, ("Z33.1", "Pregnant state, incidental")
        ),
    ),
    _sc(
        "review-preg-cyc-administrations",
        "Pregnancy (SNOMED 77386006) 0.2 months ago; NIH cyclophosphamide recorded only as MedicationAdministration, "
        "the last 0.7 months ago.",
        "Critical teratogen card naming cyclophosphamide.",
        lambda: _pregnant(_cyc_in_pregnancy("ln-rv-preg-cyc-admin", "administrations", 0.7), 0.2),
    ),
    _sc(
        "review-preg-cyc-course-over",
        "Pregnancy 0.2 months ago; the last of four monthly cyclophosphamide pulses was 2.5 months ago (no pulse "
        "due since: the course is over).",
        "No teratogen card (no exposure in force); the response card only.",
        lambda: _pregnant(_cyc_in_pregnancy("ln-rv-preg-cyc-over", "orders", 2.5), 0.2),
    ),
    # --- A2: pregnancy as EHRs code it ----------------------------------------------------------------------------
    _sc(
        "review-preg-z3490-mmf-responder",
        "Complete responder on MMF; pregnancy coded ICD-10-CM Z34.90 (supervision of normal pregnancy).",
        "Critical teratogen card naming mycophenolate mofetil.",
        lambda: _pregnant(
            _mmf_responder("ln-rv-preg-z3490"),
            2.5,
            ("Z34.90", "Encounter for supervision of normal pregnancy, unspecified, unspecified trimester"),
        ),
    ),
    _sc(
        "review-preg-o0992-mmf-responder",
        "Complete responder on MMF; pregnancy coded ICD-10-CM O09.92 (high-risk pregnancy, second trimester).",
        "Critical teratogen card naming mycophenolate mofetil.",
        lambda: _pregnant(
            _mmf_responder("ln-rv-preg-o0992"),
            4,
            ("O09.92", "Supervision of high risk pregnancy, unspecified, second trimester"),
        ),
    ),
    _sc(
        "review-preg-normal-pregnancy-sct",
        "Complete responder on MMF; pregnancy coded SNOMED CT 72892002 (normal pregnancy).",
        "Critical teratogen card naming mycophenolate mofetil.",
        lambda: _pregnant(_mmf_responder("ln-rv-preg-72892002"), 2.5, snomed=NORMAL_PREGNANCY),
    ),
    _sc(
        "review-preg-twin-resolved",
        "Complete responder on MMF; a twin pregnancy (SNOMED CT 65147003) recorded 14 months ago, now resolved.",
        "No teratogen card (the pregnancy is not active); the response card only.",
        lambda: _mmf_responder("ln-rv-preg-twin-resolved").cond(TWIN_PREGNANCY, 14, clinical="resolved"),
    ),
    # --- A3: undated teratogen orders ---------------------------------------------------------------------------
    _sc(
        "review-preg-mmf-undated-active",
        "Pregnant complete responder; the only MMF order is active with no dates at all (an EHR import).",
        "Critical teratogen card naming mycophenolate mofetil; the response card says cannot assess, naming it.",
        lambda: _undated_mmf("ln-rv-preg-mmf-undated", "active"),
    ),
    _sc(
        "review-preg-mmf-undated-completed",
        "Pregnant; the only MMF order is completed with no dates at all.",
        "No teratogen card (the order is over; the RAAS-blocker pregnancy warning shows); cannot assess naming "
        "mycophenolate mofetil (never silence).",
        lambda: _undated_mmf("ln-rv-preg-mmf-undated-done", "completed"),
    ),
    # --- A4: completed prescriptions with a supply ----------------------------------------------------------------
    _sc(
        "review-preg-mmf-completed-in-supply",
        "Pregnant complete responder; MMF renewed 1.5 months ago as a completed e-prescription with a 90-day supply "
        "and 3 repeats, no end date.",
        "Critical teratogen card: the supply runs beyond today.",
        lambda: _completed_prescriptions("ln-rv-preg-mmf-supply", True, 90, 3),
    ),
    _sc(
        "review-mmf-completed-supply-nonresponder",
        "Not pregnant; the only MMF order is a completed e-prescription written 7 months ago, 90-day supply x 4 "
        "fills, no end date; UPCR 3.1 -> 2.8 g/g.",
        "Partial response not reached at 7 months (the supply covers today): review and therapy cards.",
        lambda: _single_completed_prescription("ln-rv-mmf-supply-nonresponder", 90, 3),
    ),
    _sc(
        "review-mmf-completed-supply-ran-out",
        "Not pregnant; the only MMF order is a completed e-prescription written 7 months ago, one 90-day supply, no "
        "repeats, no end date.",
        "No current line (the supply ended 4 months ago): no response card.",
        lambda: _single_completed_prescription("ln-rv-mmf-supply-out", 90, 0),
    ),
    _sc(
        "review-mmf-completed-no-end-no-supply",
        "Not pregnant; the only MMF order is completed, written 7 months ago, with neither an end date nor a supply.",
        "Cannot assess, naming mycophenolate mofetil (when it ended is unknown): never silence.",
        lambda: _single_completed_prescription("ln-rv-mmf-no-end", None, None),
    ),
    # --- A5: a key holding only another patient's resource, no fhirServer ------------------------------------------
    _sc(
        "review-preg-mmf-foreign-administration-only",
        "Pregnant complete responder on MMF; the administrations key holds only another patient's rituximab "
        "infusion; no fhirServer.",
        "The foreign entry is dropped (an empty key, not a 412): critical teratogen card, and the response card "
        "says once that another patient's resources were ignored.",
        lambda: _foreign_administration("ln-rv-preg-foreign-admin", True),
        prefetch="full-no-server",
    ),
    _sc(
        "review-foreign-administration-only-responder",
        "Complete responder on MMF; the administrations key holds only another patient's rituximab infusion; no "
        "fhirServer.",
        "Complete response status card with a note that another patient's resources were ignored.",
        lambda: _foreign_administration("ln-rv-foreign-admin", False),
        prefetch="full-no-server",
    ),
    # --- B6: serious infection in ICD-10-CM --------------------------------------------------------------------------
    _sc(
        "review-infection-pyelonephritis-n10",
        "Refractory on MMF at 7 months; acute pyelonephritis coded ICD-10-CM N10 this week.",
        "Infection recognised: extracorporeal therapy first, cyclophosphamide not first.",
        lambda: _infection("ln-rv-inf-n10", ("N10", "Acute pyelonephritis")),
    ),
    _sc(
        "review-infection-covid-pneumonia",
        "Refractory on MMF at 7 months; COVID-19 pneumonia coded U07.1 and J12.82 this week.",
        "Infection recognised: extracorporeal therapy first.",
        lambda: _infection(
            "ln-rv-inf-covid", ("U07.1", "COVID-19"), ("J12.82", "Pneumonia due to coronavirus disease 2019")
        ),
    ),
    _sc(
        "review-infection-covid-u071-only",
        "Refractory on MMF at 7 months; COVID-19 coded U07.1 alone this week.",
        "Infection recognised: extracorporeal therapy first.",
        lambda: _infection("ln-rv-inf-u071", ("U07.1", "COVID-19")),
    ),
    # --- D8: one dose, two orders -----------------------------------------------------------------------------------
    _sc(
        "review-mmf-split-strengths-on-target",
        "MMF 1,250 mg twice daily written as 1,000 mg (500-mg tablets) + 250 mg (capsules) twice daily, started "
        "together 7 months ago; no partial response.",
        "Dose 2,500 mg/day: no dose-below-target flag.",
        lambda: _split_dose("ln-rv-mmf-split-on-target", 2, 1),
    ),
    _sc(
        "review-mmf-split-strengths-below-target",
        "MMF 750 mg twice daily written as 500 mg (tablet) + 250 mg (capsule) twice daily, started together.",
        "Dose 1,500 mg/day: flagged below the 2-3 g/day target.",
        lambda: _split_dose("ln-rv-mmf-split-below", 1, 1),
    ),
    _sc(
        "review-mmf-renewal-not-summed",
        "MMF 2 g/day from 7 months ago left active; renewed at 3 g/day 3 months ago as a new order.",
        "Dose 3,000 mg/day (the renewal replaces the old order, not added to it): no dose flag.",
        lambda: _renewed_dose("ln-rv-mmf-renewal"),
    ),
    # --- D10: conflicting results of one morning --------------------------------------------------------------------
    _sc(
        "review-upcr-same-day-conflict",
        "Complete responder on MMF; two final UPCRs the same morning, 0.25 g/g at 08:30 and 3.5 g/g at 09:10, "
        "neither a correction.",
        "The later result is used, and the card says the day's results conflict (never a silent decision).",
        lambda: _same_day("ln-rv-upcr-conflict", 3.5),
    ),
    _sc(
        "review-upcr-same-day-resend",
        "Complete responder on MMF; the 0.25 g/g UPCR re-sent by the interface 40 minutes later (same value).",
        "Complete response, no conflict note (a re-send is one result).",
        lambda: _same_day("ln-rv-upcr-resend", 0.25),
    ),
    _sc(
        "review-upcr-same-day-corrected",
        "Complete responder on MMF; the 08:30 UPCR 0.25 g/g corrected at 09:10 to 0.28 g/g (status corrected).",
        "Complete response on the corrected value, no conflict note.",
        lambda: _same_day("ln-rv-upcr-corrected", 0.28, status="corrected"),
    ),
]
