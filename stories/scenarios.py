"""The golden scenarios of the lupus-nephritis-response service: one clinical story each (synthetic data).

Run `.venv/bin/python -m scripts.build_fixtures` to rewrite the inputs; expected.json comes from the golden test
(UPDATE_GOLDEN=1). Month counts are relative to the fixtures' fixed today (story.REFERENCE_TODAY). The
next-line therapy stories are in stories/therapy_scenarios.py.
Unless a story says otherwise the patient has class IV LN, eGFR about 88 -> 86 (stable), an active sediment at
baseline that is inactive now, MMF 3 g/day, lisinopril and hydroxychloroquine.
"""

from __future__ import annotations

from fhir_maps import codes
from stories.lines_scenarios import LINES_SCENARIOS
from stories.records_scenarios import RECORDS_SCENARIOS
from stories.review_kidney_scenarios import REVIEW_KIDNEY_SCENARIOS
from stories.review_safety_scenarios import REVIEW_SAFETY_SCENARIOS
from stories.safety_scenarios import SAFETY_SCENARIOS
from stories.story import APS, CLASS_IV, CYC, HCQ, LN, MMF, SLE, Scenario, Story, ln_on_mmf
from stories.therapy_scenarios import THERAPY_SCENARIOS


def _no_ln() -> Story:
    s = Story("ln-fx-no-ln").demographics().cond(SLE, 60)
    return s.med(HCQ, 48).upcr(0.1, 2)


def _responder() -> Story:
    return ln_on_mmf("ln-fx-responder", 12, 3.2, 0.3, egfr_start=80, egfr_now=84, rbc_now=2)


def _partial() -> Story:
    return ln_on_mmf("ln-fx-partial", 6.2, 4.0, 1.6)


def _no_improvement_4m() -> Story:
    return ln_on_mmf("ln-fx-4m", 4, 3.0, 2.7)


def _refractory_7m() -> Story:
    return ln_on_mmf("ln-demo-07", 7, 3.1, 2.6)


def _cyc_partial_then(pid: str, maintenance: tuple[str, str], tablets: int, per_day: int) -> Story:
    """Returns class IV LN: 6 months of IV CYC to a partial response (4.0 -> 1.4 g/g), then `maintenance`;
    25 months after the CYC start, UPCR 1.2 g/g (no complete response)."""
    s = Story(pid).demographics().cond(SLE, 40).cond(CLASS_IV, 25.5)
    s.upcr(4.0, 25.3).upcr(1.4, 19.3).upcr(1.3, 9).upcr(1.2, 0.2)
    s.egfr(75, 25.3).egfr(78, 19.3).egfr(77, 0.2).rbc(30, 25.3).rbc(4, 19.3).rbc(2, 0.2)
    s.med(CYC, 25, 19.5, dose=(500, "mg"), per_day=1)
    s.med(maintenance, 19, dose=(tablets, "tablet"), per_day=per_day)
    return s.supportive(25)


def _pr_no_cr_25m() -> Story:
    return _cyc_partial_then("ln-fx-25m", MMF, 2, 2)


def _missing_baseline() -> Story:
    s = Story("ln-fx-nobase").demographics().cond(SLE, 40).cond(CLASS_IV, 7.5)
    s.upcr(2.9, 13).upcr(2.6, 0.2).egfr(88, 7.3).egfr(86, 0.2).rbc(3, 0.2)
    return s.med(MMF, 7, dose=(3, "tablet"), per_day=2).supportive(7)


def _si_units() -> Story:
    s = Story("ln-fx-si").demographics("1990-05-10", "female").cond(SLE, 30).cond(CLASS_IV, 7.5)
    s.lab("proteinuria", codes.UPCR_SPOT_SI, 350, "mg/mmol", 7.3).lab(
        "proteinuria", codes.UPCR_SPOT_SI, 300, "mg/mmol", 0.2
    )
    s.lab("kidneyFunction", codes.CREATININE_MOLES, 80, "umol/L", 7.3).lab(
        "kidneyFunction", codes.CREATININE_MOLES, 84, "umol/L", 0.2
    )
    s.rbc(20, 7.3).rbc(3, 0.2)
    return s.med(MMF, 7, dose=(3, "tablet"), per_day=2).supportive(7)


def _urine_24h() -> Story:
    s = Story("ln-fx-24h").demographics().cond(SLE, 30).cond(CLASS_IV, 7.5)
    s.lab("proteinuria", codes.PROTEIN_24H_MASS_RATE, 3400, "mg/(24.h)", 7.3).lab(
        "proteinuria", codes.PROTEIN_24H_MASS_RATE, 2900, "mg/(24.h)", 0.2
    )
    s.egfr(90, 7.3).egfr(88, 0.2).rbc(15, 7.3).rbc(2, 0.2)
    return s.med(MMF, 7, dose=(3, "tablet"), per_day=2).supportive(7)


def _entered_in_error() -> Story:
    return ln_on_mmf("ln-fx-eie", 7, 3.1, 2.6).upcr(0.3, 0.1, status="entered-in-error")


def _preliminary() -> Story:
    return ln_on_mmf("ln-fx-prelim", 7, 3.1, 2.6).upcr(0.4, 0.1, status="preliminary")


def _aps() -> Story:
    return ln_on_mmf("ln-fx-aps", 7, 3.1, 2.6).cond(APS, 20)


def _uncoded_medication() -> Story:
    s = ln_on_mmf("ln-fx-uncoded", 7, 3.1, 2.6)
    s.data["medications"].append(
        {
            "resourceType": "MedicationRequest",
            "id": "ln-fx-uncoded-m99",
            "status": "active",
            "intent": "order",
            "medicationCodeableConcept": {"text": "Blinded study medication (clinical trial)"},
            "subject": {"reference": "Patient/ln-fx-uncoded"},
            "authoredOn": "2026-03-01",
        }
    )
    return s


AZA = ("359228", "azathioprine 100 MG Oral Tablet")


def _aza_maintenance() -> Story:
    return _cyc_partial_then("ln-fx-aza", AZA, 1, 1)


def _short_cyc_course() -> Story:
    s = Story("ln-fx-shortcyc").demographics().cond(SLE, 30).cond(CLASS_IV, 9)
    s.upcr(3.2, 8.8).upcr(3.0, 7.2).upcr(2.7, 0.2).egfr(88, 8.8).egfr(86, 0.2).rbc(20, 8.8).rbc(3, 0.2)
    s.med(CYC, 8.5, 7.2, dose=(500, "mg"), per_day=1, status="stopped")
    s.med(MMF, 7, dose=(3, "tablet"), per_day=2)
    return s.supportive(8.5)


def _censored_responder() -> Story:
    s = Story("ln-fx-censored").demographics().cond(SLE, 30).cond(CLASS_IV, 12.5)
    s.upcr(3.2, 12.3).upcr(0.1, 0.2, comparator="<").egfr(80, 12.3).egfr(84, 0.2).rbc(20, 12.3).rbc(2, 0.2)
    return s.med(MMF, 12, dose=(3, "tablet"), per_day=2).supportive(12)


def _eular25_met() -> Story:
    return ln_on_mmf("ln-fx-eular25", 13, 0.80, 0.65)


def _low_dose() -> Story:
    return ln_on_mmf("ln-fx-lowdose", 7, 3.1, 2.6, dose=(1, "tablet"))


def _unknown_unit() -> Story:
    s = Story("ln-fx-unit").demographics().cond(SLE, 30).cond(CLASS_IV, 7.5)
    s.upcr(310, 7.3, unit="mg/dL").upcr(260, 0.2, unit="mg/dL").egfr(88, 7.3).egfr(86, 0.2).rbc(3, 0.2)
    return s.med(MMF, 7, dose=(3, "tablet"), per_day=2).supportive(7)


def _inactive_ln() -> Story:
    s = Story("ln-fx-inactive").demographics().cond(SLE, 90).cond(LN, 80, clinical="inactive")
    return s.upcr(0.1, 3).med(HCQ, 70)


def _exactly_half() -> Story:
    return ln_on_mmf("ln-fx-half", 7, 3.0, 1.5)


def _improvement(pid: str, now: float) -> Story:
    return ln_on_mmf(pid, 3.5, 3.2, now)


SCENARIOS: list[Scenario] = [
    Scenario("no-ln-sle-only", "SLE without kidney involvement, on hydroxychloroquine.", "no card.", _no_ln),
    Scenario(
        "inactive-ln-no-induction",
        "Lupus nephritis recorded as inactive years ago; no induction therapy in the record.",
        "no card.",
        _inactive_ln,
    ),
    Scenario(
        "responder-complete-12-months",
        "Class IV LN, 12 months of MMF 3 g/day: UPCR 3.20 -> 0.30 g/g, eGFR 80 -> 84, sediment now inactive.",
        "one info status card: complete response.",
        _responder,
    ),
    Scenario(
        "partial-on-track-6-months",
        "Class IV LN, 6 months of MMF: UPCR 4.00 -> 1.60 g/g (-60%), kidney function stable, sediment inactive.",
        "one info status card: partial response, complete response still to come.",
        _partial,
    ),
    Scenario(
        "no-improvement-4-months",
        "Class IV LN, 4 months of MMF: UPCR 3.00 -> 2.70 g/g (-10%).",
        "refractoriness review (warning): no improvement by 3-4 months (criterion 1).",
        _no_improvement_4m,
    ),
    Scenario(
        "demo-refractory-7-months",
        "The demo patient. Class IV LN, 7 months of MMF 3 g/day: UPCR 3.10 -> 2.60 g/g (-16%).",
        "refractoriness review (warning): partial response not reached at 7 months (criterion 2).",
        _refractory_7m,
    ),
    Scenario(
        "partial-no-complete-25-months",
        "Class IV LN: IV cyclophosphamide for 6 months reached a partial response (UPCR 4.0 -> 1.4), then MMF "
        "maintenance; 25 months on, UPCR 1.2 g/g.",
        "refractoriness review: complete response not reached after 24 months (criterion 3); the clock runs from "
        "the cyclophosphamide start because the switch came after a partial response.",
        _pr_no_cr_25m,
    ),
    Scenario(
        "missing-baseline",
        "Class IV LN, 7 months of MMF; no UPCR within 90 days before or 14 days after the start.",
        "cannot-assess card (info) naming the missing baseline; no response class.",
        _missing_baseline,
    ),
    Scenario(
        "si-units-mg-mmol-umol",
        "UPCR in mg/mmol (350 -> 300) and creatinine in umol/L (80 -> 84) with no eGFR reported.",
        "refractoriness review: UPCR converted to g/g; eGFR computed with CKD-EPI 2021 and said so.",
        _si_units,
    ),
    Scenario(
        "urine-24h-protein",
        "24-hour urine protein instead of UPCR: 3400 -> 2900 mg/day after 7 months of MMF.",
        "refractoriness review using g/day.",
        _urine_24h,
    ),
    Scenario(
        "entered-in-error-result-ignored",
        "As the demo patient, plus a UPCR of 0.30 g/g marked entered-in-error yesterday.",
        "the entered-in-error result is ignored: refractoriness review as for the demo patient.",
        _entered_in_error,
    ),
    Scenario(
        "preliminary-result-not-used",
        "As the demo patient, plus a preliminary UPCR of 0.40 g/g yesterday.",
        "refractoriness review on the final result; the card says the preliminary result was not used.",
        _preliminary,
    ),
    Scenario(
        "aps-condition-flagged",
        "As the demo patient, with antiphospholipid syndrome recorded.",
        "refractoriness review with APS flagged in the checklist.",
        _aps,
    ),
    Scenario(
        "uncoded-medication-reported",
        "As the demo patient, plus an active order for a blinded study medication with no code and no known name.",
        "refractoriness review whose data notes say one medication order could not be recognised.",
        _uncoded_medication,
    ),
    Scenario(
        "azathioprine-maintenance-25-months",
        "Class IV LN: IV cyclophosphamide for 6 months reached a partial response, then azathioprine maintenance; "
        "25 months on, UPCR 1.2 g/g.",
        "refractoriness review (no complete response after 24 months): azathioprine maintenance keeps the clock "
        "running from the cyclophosphamide start.",
        _aza_maintenance,
    ),
    Scenario(
        "short-cyclophosphamide-course-not-failed",
        "Cyclophosphamide stopped after 6 weeks (no response judged yet), then 7 months of MMF: UPCR 3.0 -> 2.7.",
        "refractoriness review on MMF; cyclophosphamide is not counted as failed, so switching to it is offered.",
        _short_cyc_course,
    ),
    Scenario(
        "censored-upcr-complete-response",
        "12 months of MMF: UPCR 3.20 g/g at baseline, now reported as < 0.10 g/g.",
        "status card: complete response, the censored value shown as '< 0.10'.",
        _censored_responder,
    ),
    Scenario(
        "eular-2025-latest-milestone-met",
        "13 months of MMF, UPCR 0.80 -> 0.65 g/g, judged with EULAR 2025: the 12-month target (< 0.7) is met "
        "although the 6-month 50% fall was not.",
        "status card, no refractory call: the latest milestone met supersedes the earlier ones.",
        _eular25_met,
        settings={"criteria_set": "eular-2025"},
    ),
    Scenario(
        "mmf-dose-below-target",
        "As the demo patient but MMF 500 mg twice daily (1 g/day).",
        "refractoriness review with the dose below the 2-3 g/day target flagged.",
        _low_dose,
    ),
    Scenario(
        "unknown-unit-skipped",
        "UPCR reported in mg/dL, a concentration unit that is not a ratio: cannot be converted.",
        "cannot-assess card saying results were skipped for their unit; nothing converted silently.",
        _unknown_unit,
    ),
    Scenario(
        "threshold-exactly-50-percent-seed",
        "7 months of MMF, UPCR 3.00 -> 1.50 g/g: exactly 50%. The seed set needs a fall of more than 50%.",
        "refractoriness review (criterion 2).",
        _exactly_half,
    ),
    Scenario(
        "threshold-exactly-50-percent-kdigo",
        "The same patient judged with KDIGO 2024 (partial response: at least 50% and < 3 g/g).",
        "status card: partial response.",
        _exactly_half,
        settings={"criteria_set": "kdigo-2024"},
    ),
    Scenario(
        "threshold-improvement-25-percent",
        "3.5 months of MMF, UPCR 3.20 -> 2.40 g/g: exactly the 25% improvement target.",
        "status card (improving); no refractory call.",
        lambda: _improvement("ln-fx-imp25", 2.4),
    ),
    Scenario(
        "threshold-improvement-24-percent",
        "3.5 months of MMF, UPCR 3.20 -> 2.44 g/g: a 24% fall, just short of the 25% target.",
        "refractoriness review (criterion 1).",
        lambda: _improvement("ln-fx-imp24", 2.44),
    ),
    Scenario(
        "acr-2012-watch-at-4-months",
        "The 4-month non-improver judged with the ACR 2012 set, which waits 6 months before a change.",
        "status card with a watch note; no refractoriness review yet.",
        _no_improvement_4m,
        settings={"criteria_set": "acr-2012"},
    ),
    Scenario(
        "null-prefetch",
        "The EHR had no data for any prefetch key and sent null for each.",
        "no card, and no FHIR call (null means no data).",
        _refractory_7m,
        prefetch="null",
    ),
    Scenario(
        "omitted-prefetch-fhir-fallback",
        "The demo patient, with no prefetch: the service queries the FHIR server with the bearer token.",
        "the same refractoriness review as with prefetch.",
        _refractory_7m,
        prefetch="omitted",
    ),
    Scenario(
        "operation-outcome-in-prefetch",
        "The demo patient; the EHR's proteinuria prefetch failed and it sent an OperationOutcome in that key.",
        "the service fetches proteinuria itself: the same refractoriness review.",
        _refractory_7m,
        prefetch="outcome-in:proteinuria",
    ),
    Scenario(
        "omitted-prefetch-no-fhir-server",
        "No prefetch and no fhirServer: the data cannot be had.",
        "HTTP 412 with an OperationOutcome.",
        _refractory_7m,
        prefetch="omitted-no-server",
    ),
    Scenario(
        "fhir-server-500",
        "No prefetch; the FHIR server answers the Condition search with HTTP 500.",
        "HTTP 412 with an OperationOutcome; no stack trace.",
        _refractory_7m,
        prefetch="omitted",
        fhir_failure="http-500",
    ),
    Scenario(
        "fhir-server-timeout",
        "No prefetch; the FHIR server does not answer the Condition search in time.",
        "HTTP 412 with an OperationOutcome.",
        _refractory_7m,
        prefetch="omitted",
        fhir_failure="timeout",
    ),
    *THERAPY_SCENARIOS,
    *RECORDS_SCENARIOS,
    *SAFETY_SCENARIOS,
    *LINES_SCENARIOS,
    *REVIEW_KIDNEY_SCENARIOS,
    *REVIEW_SAFETY_SCENARIOS,
]
