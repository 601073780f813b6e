"""Golden stories for the independent review's kidney and wording findings (issue 10 §7: C7, D9, E11-E14).

The records are written the way the reviewer wrote them (absolute dates against the fixtures' fixed today,
2026-06-15; ICD-10-CM and SNOMED CT; creatinine with and without the lab's reference range; valueString results):
a creatinine rise inside the normal range (adolescent, no birth date or sex, another person's Patient resource),
a flare on maintenance after complete response, a proteinuria string without a unit, long therapy cards, and
the debatable records (steroids alone, azathioprine maintenance in complete response). Synthetic data, ids `rv-`.
"""

from __future__ import annotations

from typing import Any

from fhir_maps import codes
from stories.story import Scenario, Story

Resource = dict[str, Any]
_LOINC_UPCR = "2890-2"
_LOINC_EGFR = "98979-8"
_LOINC_CREAT = "2160-0"
_LOINC_RBC = "13945-1"
_MMF500 = ("200060", "mycophenolate mofetil 500 MG Oral Tablet")
_CYC1G = ("1734919", "cyclophosphamide 1000 MG Injection")
_AZA50 = ("197388", "azathioprine 50 MG Oral Tablet")
_TAC1 = ("198377", "tacrolimus 1 MG Oral Capsule")
_LISI = ("314076", "lisinopril 10 MG Oral Tablet")
_HCQ = ("5521", "hydroxychloroquine")
_PRED = ("312617", "prednisone 5 MG Oral Tablet")
_CLASS_II = ("4676006", "Systemic lupus erythematosus glomerulonephritis syndrome, World Health Organization class II")
_CLASS_IV = ("36402006", "Systemic lupus erythematosus glomerulonephritis syndrome, World Health Organization class IV")


class _Record:
    """One reviewer-style record: resources built with absolute dates, then handed over as a Story."""

    def __init__(self, pid: str, birth: str | None = "1994-03-02", gender: str | None = "female") -> None:
        self.pid = pid
        self.n = 0
        self.story = Story(pid)
        p: Resource = {"resourceType": "Patient", "id": pid}
        if birth:
            p["birthDate"] = birth
        if gender:
            p["gender"] = gender
        self.story.data["patient"] = [p]

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{self.pid}-{prefix}{self.n}"

    def cond(self, system: str, code: str, display: str, onset: str) -> _Record:
        self.story.data["conditions"].append(
            {
                "resourceType": "Condition",
                "id": self._id("c"),
                "clinicalStatus": {"coding": [{"system": codes.CONDITION_CLINICAL, "code": "active"}]},
                "verificationStatus": {"coding": [{"system": codes.CONDITION_VER_STATUS, "code": "confirmed"}]},
                "code": {"coding": [{"system": system, "code": code, "display": display}]},
                "subject": {"reference": f"Patient/{self.pid}"},
                "onsetDateTime": onset,
            }
        )
        return self

    def sle_ln(self, ln_onset: str = "2025-10-30", ln: tuple[str, str] = _CLASS_IV) -> _Record:
        self.cond(codes.SNOMED, "55464009", "Systemic lupus erythematosus", "2020-01-10")
        return self.cond(codes.SNOMED, ln[0], ln[1], ln_onset)

    def obs(self, key: str, loinc: str, when: str, value: float | str, unit: str | None, **extra: Any) -> _Record:
        r: Resource = {
            "resourceType": "Observation",
            "id": self._id("o"),
            "status": "final",
            "category": [{"coding": [{"system": codes.OBS_CATEGORY, "code": "laboratory"}]}],
            "code": {"coding": [{"system": codes.LOINC, "code": loinc}]},
            "subject": {"reference": f"Patient/{self.pid}"},
            "effectiveDateTime": when,
        }
        if isinstance(value, str):
            r["valueString"] = value
        else:
            r["valueQuantity"] = {"value": value, "unit": unit, "system": codes.UCUM, "code": unit}
        r.update(extra)
        self.story.data[key].append(r)
        return self

    def upcr(self, when: str, value: float | str, unit: str | None = "g/g") -> _Record:
        return self.obs("proteinuria", _LOINC_UPCR, when, value, unit)

    def egfr(self, when: str, value: float | str) -> _Record:
        return self.obs("kidneyFunction", _LOINC_EGFR, when, value, "mL/min/{1.73_m2}")

    def creat(self, when: str, value: float, **extra: Any) -> _Record:
        return self.obs("kidneyFunction", _LOINC_CREAT, when, value, "mg/dL", **extra)

    def rbc(self, when: str, value: float | str) -> _Record:
        return self.obs("sediment", _LOINC_RBC, when, value, "/[HPF]")

    def med(
        self,
        drug: tuple[str, str],
        start: str,
        *,
        dose: float | None = None,
        unit: str = "mg",
        freq: int = 1,
        status: str = "active",
        end: str | None = None,
        route: str | None = None,
    ) -> _Record:
        bounds = {"start": start, **({"end": end} if end else {})}
        dosage: Resource = {
            "timing": {"repeat": {"boundsPeriod": bounds, "frequency": freq, "period": 1, "periodUnit": "d"}}
        }
        if dose is not None:
            dosage["doseAndRate"] = [
                {"doseQuantity": {"value": dose, "unit": unit, "system": codes.UCUM, "code": unit}}
            ]
        if route:
            dosage["route"] = {"text": route}
        self.story.data["medications"].append(
            {
                "resourceType": "MedicationRequest",
                "id": self._id("m"),
                "status": status,
                "intent": "order",
                "medicationCodeableConcept": {
                    "coding": [{"system": codes.RXNORM, "code": drug[0], "display": drug[1]}]
                },
                "subject": {"reference": f"Patient/{self.pid}"},
                "authoredOn": start,
                "dosageInstruction": [dosage],
            }
        )
        return self

    def mmf(self, start: str = "2025-11-14", dose: float = 1500, **kw: Any) -> _Record:
        return self.med(_MMF500, start, dose=dose, freq=2, **kw)

    def support(self, start: str = "2025-11-01") -> _Record:
        return self.med(_LISI, start, dose=1, unit="tablet").med(_HCQ, start, dose=200)

    def responder_labs(self, creat_from: float, creat_to: float, **extra: Any) -> _Record:
        """UPCR 2.5 -> 0.3 g/g, RBC 30 -> 2, kidney function as creatinine only (`extra` on both results)."""
        self.upcr("2025-11-05", 2.5).upcr("2026-06-09", 0.3).rbc("2025-11-05", 30).rbc("2026-06-09", 2)
        return self.creat("2025-11-05", creat_from, **extra).creat("2026-06-09", creat_to, **extra)

    def nonresponder_labs(self) -> _Record:
        """UPCR 3.1 -> 2.8 g/g at 7 months on MMF from 2025-11-14, eGFR 92 -> 90, sediment active."""
        self.upcr("2025-11-05", 3.1).upcr("2026-03-02", 3.0).upcr("2026-06-09", 2.8)
        return self.egfr("2025-11-05", 92).egfr("2026-06-09", 90).rbc("2025-11-05", 30).rbc("2026-06-09", 12)


def _range(low: float, high: float) -> list[Resource]:
    q = {"unit": "mg/dL", "system": codes.UCUM, "code": "mg/dL"}
    return [{"low": {"value": low, **q}, "high": {"value": high, **q}}]


# --- C7: creatinine rises inside the normal range -------------------------------------------------------------
def _teen_boy_rise() -> Story:
    r = _Record("rv-teen-16", birth="2010-02-01", gender="male").sle_ln().mmf().support()
    return r.responder_labs(0.6, 0.95).story


def _teen_boy_rise_with_range() -> Story:
    r = _Record("rv-teen-16-range", birth="2010-02-01", gender="male").sle_ln().mmf().support()
    return r.responder_labs(0.6, 0.95, referenceRange=_range(0.5, 1.1)).story


def _teen_boy_rise_above_range() -> Story:
    """The lab's own range ends at 0.9: 0.95 is above it; no adult limit applies, the rise decides nothing."""
    r = _Record("rv-teen-16-above-range", birth="2010-02-01", gender="male").sle_ln().mmf().support()
    return r.responder_labs(0.6, 0.95, referenceRange=_range(0.4, 0.9)).story


def _teen_girl_rise_beyond_bound() -> Story:
    """A 15-year-old girl, creatinine 0.6 -> 1.3 mg/dL: above any adult upper limit, so the rise counts."""
    r = _Record("rv-teen-15-high", birth="2011-01-20", gender="female").sle_ln().mmf().support()
    return r.responder_labs(0.6, 1.3).story


def _no_demographics() -> Story:
    r = _Record("rv-no-demographics", birth=None, gender=None).sle_ln().mmf().support()
    r.upcr("2025-11-05", 3.1).upcr("2026-06-09", 0.25).rbc("2025-11-05", 30).rbc("2026-06-09", 2)
    return r.creat("2025-11-05", 0.7).creat("2026-06-09", 0.9).story


def _no_sex_adult_above_female_limit() -> Story:
    """Born 1990, no sex recorded, creatinine 0.7 -> 1.0 mg/dL: above the female limit (0.93), so the rise counts."""
    r = _Record("rv-no-sex-1-0", birth="1990-04-04", gender=None).sle_ln().mmf().support()
    r.upcr("2025-11-05", 3.1).upcr("2026-06-09", 0.25).rbc("2025-11-05", 30).rbc("2026-06-09", 2)
    return r.creat("2025-11-05", 0.7).creat("2026-06-09", 1.0).story


def _woman_rise_within_normal() -> Story:
    r = _Record("rv-woman-cr").sle_ln().mmf().support()
    r.upcr("2025-11-05", 3.0).upcr("2026-06-09", 0.3).rbc("2025-11-05", 30).rbc("2026-06-09", 2)
    return r.creat("2025-11-05", 0.55).creat("2026-06-09", 0.80).story


def _patient_other_id() -> Story:
    r = _Record("rv-patient-mismatch-cr").sle_ln().mmf().support()
    r.upcr("2025-11-05", 3.1).upcr("2026-06-09", 0.3).rbc("2025-11-05", 30).rbc("2026-06-09", 2)
    r.creat("2025-11-05", 0.8).creat("2026-06-09", 1.0)
    r.story.data["patient"] = [
        {"resourceType": "Patient", "id": "rv-other", "birthDate": "1950-01-01", "gender": "male"}
    ]
    return r.story


def _partial_missed_by_kidney_only() -> Story:
    """Woman 32 at 8 months: UPCR 3.4 -> 0.4 g/g (-88%), creatinine 0.9 -> 1.3 mg/dL (+44%, above the limit)."""
    r = _Record("rv-kidney-only-reason").sle_ln().mmf().support()
    r.upcr("2025-11-05", 3.4).upcr("2026-06-09", 0.4).rbc("2025-11-05", 30).rbc("2026-06-09", 2)
    return r.creat("2025-11-05", 0.9).creat("2026-06-09", 1.3).story


# --- E11: flare on maintenance after complete response ----------------------------------------------------------
def _relapse_on_aza() -> Story:
    r = _Record("rv-relapse-mmf").sle_ln("2022-03-01")
    r.med(_AZA50, "2023-01-10", dose=100, status="stopped", end="2026-05-20").mmf("2026-05-20").support("2022-03-10")
    r.upcr("2025-06-01", 0.2).upcr("2025-12-01", 0.25).upcr("2026-05-12", 2.8).upcr("2026-06-10", 2.6)
    r.egfr("2025-12-01", 95).egfr("2026-06-10", 88)
    return r.rbc("2025-12-01", 1).rbc("2026-05-12", 40).rbc("2026-06-10", 30).story


def _relapse_on_aza_with_induction() -> Story:
    """As above with the MMF induction that reached CR recorded (2022-03 to 2023-01, 3.6 -> 0.3 g/g)."""
    r = _Record("rv-relapse-mmf-induction").sle_ln("2022-03-01")
    r.mmf("2022-03-10", status="completed", end="2023-01-10")
    r.med(_AZA50, "2023-01-10", dose=100, status="stopped", end="2026-05-20").mmf("2026-05-20").support("2022-03-10")
    r.upcr("2022-03-05", 3.6).upcr("2022-12-20", 0.3)
    r.upcr("2025-06-01", 0.2).upcr("2025-12-01", 0.25).upcr("2026-05-12", 2.8).upcr("2026-06-10", 2.6)
    r.egfr("2022-03-05", 90).egfr("2025-12-01", 95).egfr("2026-06-10", 88)
    return r.rbc("2022-03-05", 35).rbc("2025-12-01", 1).rbc("2026-05-12", 40).rbc("2026-06-10", 30).story


# --- E12: a proteinuria string without a unit ----------------------------------------------------------------
def _upcr_string_no_unit() -> Story:
    r = _Record("rv-upcr-string").sle_ln().mmf().support()
    r.upcr("2025-11-05", 3.4, "mg/mg{creat}").upcr("2026-06-09", "<0.2", None)
    r.egfr("2025-11-05", ">60").egfr("2026-06-09", ">60").creat("2025-11-05", 0.7).creat("2026-06-09", 0.8)
    return r.rbc("2025-11-05", ">50").rbc("2026-06-09", "0-2").story


def _upcr_string_no_unit_only_result() -> Story:
    """The only recent UPCR is the string "1.8" with no unit: the latest result is unreadable (unit unknown)."""
    r = _Record("rv-upcr-string-only").sle_ln().mmf().support()
    r.upcr("2025-11-05", 3.4).upcr("2026-06-09", "1.8", None)
    r.egfr("2025-11-05", 92).egfr("2026-06-09", 90)
    return r.rbc("2025-11-05", 30).rbc("2026-06-09", 12).story


# --- E13/E14 and D9: long cards, tacrolimus, class II, pregnancy ----------------------------------------------
def _sepsis_cyc_pulses() -> Story:
    r = _Record("rv-inf-sepsis-cyc").sle_ln().support()
    r.cond(codes.SNOMED, "91302008", "Sepsis", "2026-06-11")
    for day in ("2025-11-14", "2025-12-14", "2026-01-14", "2026-02-14", "2026-03-14", "2026-04-14"):
        r.med(_CYC1G, day, dose=1000, status="completed", end=day, route="intravenous")
    return r.nonresponder_labs().story


def _tma_on_tacrolimus() -> Story:
    r = _Record("rv-tma-tac").sle_ln().mmf(dose=500).med(_TAC1, "2025-11-14", dose=2, freq=2).support()
    r.cond(codes.ICD10CM, "M31.19", "Other thrombotic microangiopathy", "2026-05-20")
    return r.nonresponder_labs().story


def _class_ii_on_mmf() -> Story:
    r = _Record("rv-class-ii").sle_ln(ln=_CLASS_II).mmf().support()
    return r.nonresponder_labs().story


def _pregnant_refractory_on_mmf() -> Story:
    r = _Record("rv-preg-refractory").sle_ln().mmf().support()
    r.cond(codes.SNOMED, "77386006", "Pregnancy", "2026-04-02")
    return r.nonresponder_labs().story


# --- Debatable records ------------------------------------------------------------------------------------------
def _steroids_only() -> Story:
    r = _Record("rv-steroid-only").sle_ln().med(_PRED, "2025-10-15", dose=40).support()
    r.upcr("2025-10-10", 5.5).upcr("2026-06-09", 5.0).egfr("2025-10-10", 70).egfr("2026-06-09", 62)
    return r.rbc("2025-10-10", 30).rbc("2026-06-09", 25).story


def _cr_then_aza_30_months() -> Story:
    r = _Record("rv-cr-aza-30m").sle_ln("2023-11-20")
    r.mmf("2023-12-01", status="completed", end="2025-01-10").med(_AZA50, "2025-01-10", dose=100).support("2023-12-01")
    for day, v in (("2023-11-25", 4.5), ("2024-03-01", 1.8), ("2024-09-01", 0.35), ("2025-06-01", 0.2)):
        r.upcr(day, v)
    r.upcr("2026-06-01", 0.25).egfr("2023-11-25", 85).egfr("2026-06-01", 90)
    return r.rbc("2023-11-25", 30).rbc("2024-09-01", 2).rbc("2026-06-01", 1).story


def _pregnancy_unconfirmed() -> Story:
    r = _Record("rv-preg-unconfirmed").sle_ln().mmf().support()
    r.upcr("2025-11-05", 3.1).upcr("2026-06-09", 0.25).egfr("2025-11-05", 92).egfr("2026-06-09", 95)
    r.rbc("2025-11-05", 30).rbc("2026-06-09", 2)
    preg = {
        "resourceType": "Condition",
        "id": "rv-preg-unconfirmed-c99",
        "verificationStatus": {"coding": [{"system": codes.CONDITION_VER_STATUS, "code": "unconfirmed"}]},
        "code": {"coding": [{"system": codes.SNOMED, "code": "77386006", "display": "Pregnancy"}]},
        "subject": {"reference": "Patient/rv-preg-unconfirmed"},
        "onsetDateTime": "2026-05-01",
    }
    r.story.data["conditions"].append(preg)
    return r.story


REVIEW_KIDNEY_SCENARIOS: list[Scenario] = [
    Scenario(
        "review-teen-boy-creatinine-rise",
        "Boy aged 16 on MMF: UPCR 2.5 -> 0.3 g/g, creatinine 0.6 -> 0.95 mg/dL (+58%), no reference range or flag.",
        "no refractory call: kidney function cannot be judged against age norms (no verified paediatric limit, "
        "below the adult limit); complete response by proteinuria, kidney function unassessed.",
        _teen_boy_rise,
    ),
    Scenario(
        "review-teen-boy-creatinine-reference-range",
        "The same boy; the lab sends referenceRange 0.5-1.1 mg/dL on each creatinine.",
        "complete response: 0.95 is within the lab's own range, so kidney function is normal.",
        _teen_boy_rise_with_range,
    ),
    Scenario(
        "review-teen-boy-creatinine-above-lab-range",
        "The same boy; the lab's range is 0.4-0.9 mg/dL and 0.95 is above it.",
        "no refractory call: above the lab's range, the rise is judged against the baseline (kidney function worse).",
        _teen_boy_rise_above_range,
    ),
    Scenario(
        "review-teen-girl-creatinine-beyond-adult-limit",
        "Girl aged 15 on MMF: UPCR 2.5 -> 0.3 g/g, creatinine 0.6 -> 1.3 mg/dL, above every adult upper limit.",
        "the rise counts: kidney function beyond the tolerance; the card says kidney function is the reason.",
        _teen_girl_rise_beyond_bound,
    ),
    Scenario(
        "review-no-birthdate-no-sex-creatinine-normal",
        "Patient without birthDate or gender; creatinine 0.7 -> 0.9 mg/dL, UPCR 3.1 -> 0.25 g/g.",
        "complete response: 0.9 is within the female (lower) adult limit used when sex is not recorded.",
        _no_demographics,
    ),
    Scenario(
        "review-no-sex-creatinine-above-female-limit",
        "Adult without gender; creatinine 0.7 -> 1.0 mg/dL (+43%), UPCR 3.1 -> 0.25 g/g.",
        "no complete response: 1.0 is above the female limit used without sex; kidney function is named the reason.",
        _no_sex_adult_above_female_limit,
    ),
    Scenario(
        "review-woman-creatinine-rise-within-normal",
        "Woman 32: creatinine 0.55 -> 0.80 mg/dL (+45%), UPCR 3.0 -> 0.3 g/g.",
        "complete response: creatinine within the adult female limit.",
        _woman_rise_within_normal,
    ),
    Scenario(
        "review-response-missed-only-by-kidney-function",
        "Woman at 7 months: UPCR 3.4 -> 0.4 g/g (-88%), creatinine 0.9 -> 1.3 mg/dL (+44%, above the limit).",
        "the summary and detail say kidney function is why the response class was missed, not 'no improvement'.",
        _partial_missed_by_kidney_only,
    ),
    Scenario(
        "review-relapse-on-azathioprine-after-cr",
        "CR on azathioprine maintenance; nephritic flare 2026-05 (UPCR 2.8, RBC 40); MMF re-induction 2026-05-20.",
        "a relapse: the new episode is judged from its re-induction; the kidney row says only the baseline is missing.",
        _relapse_on_aza,
    ),
    Scenario(
        "review-relapse-on-azathioprine-induction-recorded",
        "As the relapse on azathioprine, with the MMF induction that reached CR recorded.",
        "a relapse, judged from the MMF re-induction.",
        _relapse_on_aza_with_induction,
    ),
    Scenario(
        "review-upcr-string-without-unit",
        "UPCR baseline 3.4 mg/mg{creat}; the latest UPCR is the valueString '<0.2' with no unit.",
        "the card says the latest proteinuria result could not be read (no readable unit).",
        _upcr_string_no_unit,
    ),
    Scenario(
        "review-upcr-string-without-unit-only-recent",
        "The only recent UPCR is the valueString '1.8' with no unit.",
        "cannot assess: the latest result, on its date, could not be read (no readable unit).",
        _upcr_string_no_unit_only_result,
    ),
    Scenario(
        "review-sepsis-cyc-pulse-orders-refractory",
        "Refractory after six monthly cyclophosphamide pulse orders; sepsis coded in SNOMED CT.",
        "refractory review and therapy cards within their budgets; 'course ended' said once.",
        _sepsis_cyc_pulses,
    ),
    Scenario(
        "review-tma-multitarget-tacrolimus",
        "Refractory on multitarget MMF 1 g/day + tacrolimus 2 mg twice daily; TMA coded ICD-10-CM M31.19.",
        "refractory review; the MMF dose is not flagged below target in a multitarget line (decision D9).",
        _tma_on_tacrolimus,
    ),
    Scenario(
        "review-class-ii-on-mmf",
        "Only class II LN coded, on MMF, proteinuria not falling.",
        "a status card without a next time point: class II is out of scope for refractoriness.",
        _class_ii_on_mmf,
    ),
    Scenario(
        "review-pregnant-refractory-on-mmf",
        "Refractory on MMF at 7 months with pregnancy recorded.",
        "the teratogen safety card says pregnancy; the other cards do not repeat it.",
        _pregnant_refractory_on_mmf,
    ),
    Scenario(
        "review-steroids-only-nephrotic",
        "Class IV, nephrotic, on prednisone alone for 8 months (no immunosuppressant).",
        "documented decision: see the package README (steroids alone start no line).",
        _steroids_only,
    ),
    Scenario(
        "review-cr-then-azathioprine-30-months",
        "MMF induction, complete response, azathioprine maintenance since 2025-01; still in CR at 30 months.",
        "documented decision: see the package README (no card while in CR on maintenance).",
        _cr_then_aza_30_months,
    ),
    Scenario(
        "review-pregnancy-unconfirmed-no-clinical-status",
        "Complete responder on MMF; pregnancy Condition with no clinicalStatus and verification 'unconfirmed'.",
        "the teratogen warning still shows (documented: the right side to err).",
        _pregnancy_unconfirmed,
    ),
]
