"""The safety and kidney-function stories of issue 10 (sections 3, 5 and 6): synthetic data, patient ids `ln-sf-`.

Pregnancy with a teratogen or RAAS blocker active whatever the response status; creatinine within the normal range
for sex and age after a rise beyond the stability margin; adolescents (no adult eGFR equation); serious infection
coded as EHRs send it (SNOMED CT and ICD-10-CM); calcineurin inhibitors at a low eGFR or with TMA; a missing
sediment. Months are relative to the fixtures' fixed today (story.REFERENCE_TODAY).
"""

from __future__ import annotations

from fhir_maps import codes
from stories.fhir import SNOMED_DISPLAY
from stories.story import (
    CLASS_III,
    CLASS_IV,
    LISINOPRIL,
    MMF,
    PREGNANCY,
    SLE,
    Scenario,
    Story,
    ln_on_mmf,
)
from stories.therapy_scenarios import cyc_then_mmf, one_agent

# Mycophenolic acid as pharmacies record it (RxNorm SCD; fhir_maps/products.py maps it to the ingredient).
MPA = ("485023", "mycophenolic acid 360 MG Delayed Release Oral Tablet")
PNEUMONIA = codes.PNEUMONIA_DISORDER
# Displays for the stories' Condition resources (each code is in fhir_maps.codes.ACTIVE_INFECTION, cited there).
SNOMED_DISPLAY.setdefault(PNEUMONIA, "Pneumonia")


def _icd10(s: Story, code: str, display: str) -> Story:
    """Recodes the story's last Condition in ICD-10-CM, as many EHR problem lists send it."""
    return s.recode(codes.ICD10CM, code, display)


def pregnant_responder(pid: str = "ln-sf-pregnant-responder") -> Story:
    """Class IV, MMF 3 g/day for 12 months, complete response (3.2 -> 0.3 g/g); pregnancy recorded 5 weeks ago."""
    s = ln_on_mmf(pid, 12, 3.2, 0.3, egfr_start=80, egfr_now=84, rbc_now=2)
    return s.cond(PREGNANCY, 1.2)


def _pregnant_mpa_no_baseline() -> Story:
    """Mycophenolic acid 720 mg twice daily for 7 months, no baseline proteinuria in the window, pregnant."""
    s = Story("ln-sf-pregnant-mpa").demographics().cond(SLE, 40).cond(CLASS_IV, 7.5).cond(PREGNANCY, 1)
    s.upcr(3.1, 12).upcr(2.4, 0.2).egfr(90, 7.3).egfr(88, 0.2).rbc(3, 0.2)
    return s.med(MPA, 7, dose=(2, "tablet"), per_day=2).supportive(7)


def _pregnant_raas_untreated() -> Story:
    """Class III LN, no immunosuppressant yet; lisinopril and hydroxychloroquine; pregnancy recorded 2 months ago."""
    s = Story("ln-sf-pregnant-raas").demographics().cond(SLE, 30).cond(CLASS_III, 2).cond(PREGNANCY, 2)
    s.upcr(1.2, 0.3).egfr(96, 0.3)
    return s.supportive(10)


def _pregnancy_resolved_on_mmf() -> Story:
    """The pregnant responder, but the pregnancy Condition is resolved: no safety card."""
    s = ln_on_mmf("ln-sf-pregnancy-resolved", 12, 3.2, 0.3, egfr_start=80, egfr_now=84, rbc_now=2)
    return s.cond(PREGNANCY, 14, clinical="resolved")


def adolescent_responder(pid: str = "ln-sf-adolescent-cr") -> Story:
    """A 15-year-old girl, class IV, MMF 12 months: UPCR 2.6 -> 0.2 g/g, creatinine only (0.60 -> 0.62 mg/dL)."""
    s = Story(pid).demographics(birth="2011-01-20").cond(SLE, 20).cond(CLASS_IV, 12.5)
    s.upcr(2.6, 12.3).upcr(0.2, 0.2).rbc(30, 12.3).rbc(1, 0.2)
    s.lab("kidneyFunction", codes.CREATININE_MASS, 0.60, "mg/dL", 12.3)
    s.lab("kidneyFunction", codes.CREATININE_MASS, 0.62, "mg/dL", 0.2)
    return s.med(MMF, 12, dose=(3, "tablet"), per_day=2).supportive(12)


def _adolescent_creatinine_rise() -> Story:
    """A 16-year-old boy, creatinine 0.55 -> 0.75 mg/dL (+36%) with a good proteinuria fall: no adult limit applies."""
    s = Story("ln-sf-adolescent-rise").demographics(birth="2010-02-01", gender="male").cond(SLE, 20)
    s.cond(CLASS_IV, 8.5).upcr(3.0, 8.3).upcr(0.3, 0.2).rbc(20, 8.3).rbc(2, 0.2)
    s.lab("kidneyFunction", codes.CREATININE_MASS, 0.55, "mg/dL", 8.3)
    s.lab("kidneyFunction", codes.CREATININE_MASS, 0.75, "mg/dL", 0.2)
    return s.med(MMF, 8, dose=(3, "tablet"), per_day=2).supportive(8)


def _normal_creatinine_egfr_fall() -> Story:
    """Woman, 32: eGFR 124 -> 98 (-21%) with creatinine 0.56 -> 0.78 mg/dL (umol/L as sent: 50 -> 69)."""
    s = Story("ln-sf-normal-creatinine").demographics().cond(SLE, 30).cond(CLASS_IV, 12.5)
    s.upcr(3.4, 12.3).upcr(0.3, 0.2).rbc(25, 12.3).rbc(2, 0.2).egfr(124, 12.3).egfr(98, 0.2)
    s.lab("kidneyFunction", codes.CREATININE_MOLES, 50, "umol/L", 12.3)
    s.lab("kidneyFunction", codes.CREATININE_MOLES, 69, "umol/L", 0.2)
    return s.med(MMF, 12, dose=(3, "tablet"), per_day=2).supportive(12)


def _creatinine_above_limit() -> Story:
    """Man, 32: creatinine 0.90 -> 1.25 mg/dL (+39%, above the men's 1.16 limit): kidney function worse."""
    s = Story("ln-sf-creatinine-above").demographics(gender="male").cond(SLE, 30).cond(CLASS_IV, 12.5)
    s.upcr(3.4, 12.3).upcr(0.3, 0.2).rbc(25, 12.3).rbc(2, 0.2)
    s.lab("kidneyFunction", codes.CREATININE_MASS, 0.90, "mg/dL", 12.3)
    s.lab("kidneyFunction", codes.CREATININE_MASS, 1.25, "mg/dL", 0.2)
    return s.med(MMF, 12, dose=(3, "tablet"), per_day=2).supportive(12)


def _pneumonia_mmf_failed() -> Story:
    return one_agent("ln-sf-pneumonia", MMF, CLASS_IV, (3.0, 2.7)).cond(PNEUMONIA, 0.3)


def _tb_icd10_both_failed() -> Story:
    s = cyc_then_mmf("ln-sf-tb-icd10", CLASS_IV).cond(PNEUMONIA, 0.5)
    return _icd10(s, "A15.0", "Tuberculosis of lung")


def _low_egfr_class_iv() -> Story:
    s = cyc_then_mmf("ln-sf-low-egfr", CLASS_IV)
    return s.egfr(42, 0.1)


def _tma_class_iv() -> Story:
    return cyc_then_mmf("ln-sf-tma", CLASS_IV).cond(codes.TMA_DISORDER, 1)


def _no_sediment() -> Story:
    s = one_agent("ln-sf-no-sediment", MMF, CLASS_IV, (3.0, 2.7))
    s.data["sediment"] = []
    return s


def _man_refractory() -> Story:
    s = ln_on_mmf("ln-sf-man", 7, 3.1, 2.6)
    s.data["patient"][0]["gender"] = "male"
    return s


def _woman_over_55_refractory() -> Story:
    s = ln_on_mmf("ln-sf-over-55", 7, 3.1, 2.6)
    s.data["patient"][0]["birthDate"] = "1962-04-01"
    return s


def _pregnant_on_raas_and_mmf() -> Story:
    s = ln_on_mmf("ln-sf-pregnant-both", 8, 3.3, 2.9).cond(PREGNANCY, 1.5)
    return s.med(LISINOPRIL, 6, dose=(1, "tablet"), per_day=1)


SAFETY_SCENARIOS: list[Scenario] = [
    Scenario(
        "safety-pregnant-responder-mmf",
        "Class IV LN in complete response after 12 months of mycophenolate mofetil; pregnancy recorded 5 weeks ago, "
        "mycophenolate still ordered.",
        "a critical safety card first naming mycophenolate mofetil, then the complete-response status card.",
        pregnant_responder,
    ),
    Scenario(
        "safety-pregnant-mpa-cannot-assess",
        "Mycophenolic acid (the enteric-coated salt) for 7 months, no baseline proteinuria; pregnancy recorded.",
        "the safety card names mycophenolic acid (not mycophenolate mofetil), then 'cannot assess'.",
        _pregnant_mpa_no_baseline,
    ),
    Scenario(
        "safety-pregnant-raas-no-line",
        "Class III LN not yet on an immunosuppressant; lisinopril and hydroxychloroquine; pregnancy recorded.",
        "a warning safety card for the RAAS blocker alone; no response card (no line).",
        _pregnant_raas_untreated,
    ),
    Scenario(
        "safety-pregnant-mmf-and-raas",
        "Refractory on mycophenolate mofetil at 8 months with lisinopril; pregnancy recorded 6 weeks ago.",
        "one critical safety card naming mycophenolate mofetil and the RAAS blocker, ahead of the review cards.",
        _pregnant_on_raas_and_mmf,
    ),
    Scenario(
        "safety-pregnancy-resolved",
        "The responder on mycophenolate, with a pregnancy Condition resolved 14 months ago.",
        "no safety card: the complete-response status card only.",
        _pregnancy_resolved_on_mmf,
    ),
    Scenario(
        "kidney-adolescent-complete-responder",
        "A 15-year-old girl on mycophenolate for 12 months: UPCR 2.6 -> 0.2 g/g, inactive sediment, creatinine "
        "0.60 -> 0.62 mg/dL (no eGFR reported).",
        "complete response; the card says the adult eGFR equation and limits are not used under 18.",
        adolescent_responder,
    ),
    Scenario(
        "kidney-adolescent-creatinine-rise",
        "A 16-year-old boy: UPCR 3.0 -> 0.3 g/g, creatinine 0.55 -> 0.75 mg/dL (+36%), no lab flag.",
        "kidney function not normal or stable (no adult limit under 18): no complete response claimed.",
        _adolescent_creatinine_rise,
    ),
    Scenario(
        "kidney-normal-creatinine-egfr-fall",
        "A 32-year-old woman: UPCR 3.4 -> 0.3 g/g; eGFR 124 -> 98 (-21%) while creatinine 50 -> 69 umol/L.",
        "complete response: a creatinine within the women's limit is normal whatever the eGFR change.",
        _normal_creatinine_egfr_fall,
    ),
    Scenario(
        "kidney-creatinine-above-limit",
        "A 32-year-old man: UPCR 3.4 -> 0.3 g/g; creatinine 0.90 -> 1.25 mg/dL, above the men's 1.16 limit.",
        "no complete response: kidney function fell beyond the stability margin and creatinine is not normal.",
        _creatinine_above_limit,
    ),
    Scenario(
        "safety-infection-pneumonia-switch-due",
        "Class IV, 7 months of mycophenolate without response (a switch is due); pneumonia recorded 10 days ago.",
        "extracorporeal therapy first; the switch to cyclophosphamide follows with the infection caution.",
        _pneumonia_mmf_failed,
    ),
    Scenario(
        "safety-infection-tb-icd10",
        "Both standard agents failed; pulmonary tuberculosis on the problem list as ICD-10-CM A15.0.",
        "active infection recognised: extracorporeal therapy first, intensifying options after it.",
        _tb_icd10_both_failed,
    ),
    Scenario(
        "safety-cni-low-egfr",
        "Class IV, both standard agents failed; latest eGFR 42.",
        "calcineurin inhibitors lose the class IV favour (KDIGO 2024: only above 45): rituximab first; the caution "
        "names eGFR 42.",
        _low_egfr_class_iv,
    ),
    Scenario(
        "safety-cni-tma",
        "Class IV, both standard agents failed; thrombotic microangiopathy recorded a month ago.",
        "calcineurin inhibitors not favoured, with the caution that they can cause TMA.",
        _tma_class_iv,
    ),
    Scenario(
        "safety-no-sediment-urinalysis",
        "Class IV, 7 months of mycophenolate without response; no urine sediment result at all.",
        "the next-line card asks for a urinalysis with sediment, and proposes no biopsy.",
        _no_sediment,
    ),
    Scenario(
        "text-man-refractory-no-pregnancy-check",
        "A man refractory on mycophenolate at 7 months.",
        "the checklist does not list pregnancy.",
        _man_refractory,
    ),
    Scenario(
        "text-woman-over-55-no-pregnancy-check",
        "A woman of 64 refractory on mycophenolate at 7 months.",
        "the checklist does not list pregnancy.",
        _woman_over_55_refractory,
    ),
]
