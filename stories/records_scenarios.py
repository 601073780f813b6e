"""Golden stories for records as EHRs and laboratories send them (issue 10 §1 and §4; synthetic data).

§1 only this patient's data: another patient's resources mixed into the searches (a server that ignored the
patient filter), resources naming no patient, absolute references. §4 results as laboratories send them:
valueString with comparators and ranges, eGFR reported only as "> 60", corrected and amended results, duplicates,
unreadable latest results, mg/mmol and umol/L, a nephrotic-range value that decides without a baseline, and an
older current value. Each story runs on the prefetch path and, through the golden harness, on the FHIR fallback.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fhir_maps import codes
from stories.fhir import Resource, months_before, observation
from stories.story import CLASS_IV, MMF, REFERENCE_TODAY, SLE, Scenario, Story, ln_on_mmf

OTHER = "ln-fx-other-patient"  # the patient a misbehaving server mixes in


def _last(s: Story, key: str) -> Resource:
    return s.data[key][-1]


def _as_string(s: Story, key: str, text: str) -> Story:
    """Rewrites the last result of `key` as a valueString, the way many laboratory interfaces send it."""
    obs = _last(s, key)
    del obs["valueQuantity"]
    obs["valueString"] = text
    return s


def _issued(s: Story, key: str, days_after: int, status: str | None = None, specimen: str | None = None) -> Story:
    """Sets `issued` (days after the effective day) and optionally the status and specimen of the last result."""
    obs = _last(s, key)
    day = obs["effectiveDateTime"][:10]
    obs["issued"] = f"{_plus_days(day, days_after)}T16:00:00Z"
    if status:
        obs["status"] = status
    if specimen:
        obs["specimen"] = {"reference": f"Specimen/{specimen}"}
    return s


def _plus_days(day: str, days: int) -> str:
    return (date.fromisoformat(day) + timedelta(days=days)).isoformat()


def _copy_last(s: Story, key: str, **changes: Any) -> Story:
    """Adds a new version of the last result (a correction or a re-send): same time, a new id."""
    obs = {**_last(s, key), **changes}
    obs["id"] = f"{obs['id']}-v{len(s.data[key])}"
    s.data[key].append(obs)
    return s


def _foreign(s: Story, key: str, loinc: str, value: float, unit: str, months_ago: float, **kw: Any) -> Story:
    """Adds another patient's result to this patient's search (a server that ignored the patient filter)."""
    when = months_before(REFERENCE_TODAY, months_ago)
    s.data[key].append(observation(OTHER, f"{OTHER}-o{len(s.data[key])}", loinc, value, unit, when, **kw))
    return s


# --- §1 only this patient's data ------------------------------------------------------------------------------------


def _foreign_results_mixed_in() -> Story:
    """A responder; the server also returned another patient's nephrotic UPCR, eGFR and active sediment, newer."""
    s = ln_on_mmf("ln-fx-foreign-mixed", 12, 3.2, 0.3, egfr_start=80, egfr_now=84, rbc_now=2)
    _foreign(s, "proteinuria", codes.UPCR_SPOT_MASS, 6.1, "g/g", 0.1)
    _foreign(s, "kidneyFunction", codes.EGFR_CKD_EPI_2021, 31, "mL/min/{1.73_m2}", 0.1)
    return _foreign(s, "sediment", codes.URINE_RBC_HPF, 40, "/[HPF]", 0.1)


def _absolute_references() -> Story:
    """References written absolute (with the EHR's base) and one versioned: still this patient's."""
    s = ln_on_mmf("ln-fx-absolute-refs", 7, 3.1, 2.6)
    for key in ("proteinuria", "kidneyFunction", "sediment", "conditions"):
        for resource in s.data[key]:
            resource["subject"] = {"reference": f"https://ehr.example.org/fhir/Patient/{s.pid}"}
    s.data["medications"][0]["subject"] = {"reference": f"Patient/{s.pid}/_history/4"}
    return s


def _no_subject_dropped() -> Story:
    """A responder; a newer nephrotic-range UPCR with no subject at all is not provably this patient's."""
    s = ln_on_mmf("ln-fx-no-subject", 12, 3.2, 0.3, egfr_start=80, egfr_now=84, rbc_now=2)
    s.upcr(5.8, 0.05)
    del _last(s, "proteinuria")["subject"]
    return s


def _foreign_ln_condition() -> Story:
    """This patient has SLE only; another patient's LN class IV and MMF order are mixed in: no card."""
    s = Story("ln-fx-foreign-ln").demographics().cond(SLE, 60).upcr(0.1, 2)
    s.cond(CLASS_IV, 8)
    _last(s, "conditions")["subject"] = {"reference": f"Patient/{OTHER}"}
    s.med(MMF, 7, dose=(3, "tablet"), per_day=2)
    _last(s, "medications")["subject"] = {"reference": f"Patient/{OTHER}"}
    return s


def _foreign_medication_order() -> Story:
    """Refractory at 7 months on MMF; another patient's rituximab order is mixed in and must not change the line."""
    s = ln_on_mmf("ln-fx-foreign-order", 7, 3.1, 2.6)
    s.med(("1657862", "10 ML rituximab 10 MG/ML Injection"), 1, 1)
    _last(s, "medications")["subject"] = {"reference": f"Patient/{OTHER}"}
    return s


# --- §4 results as laboratories send them ---------------------------------------------------------------------------


def _string_comparators_complete() -> Story:
    """A complete response sent as text: UPCR '< 0.2 g/g', eGFR '>60' at both ends with creatinine exact and
    stable (umol/L), RBC '0-2'."""
    s = Story("ln-fx-strings-cr").demographics().cond(SLE, 30).cond(CLASS_IV, 12.5)
    s.upcr(3.4, 12.3).upcr(0.2, 0.2)
    _as_string(s, "proteinuria", "< 0.2 g/g")
    s.egfr(60, 12.3)
    _as_string(s, "kidneyFunction", ">60")
    s.egfr(60, 0.2)
    _as_string(s, "kidneyFunction", ">60")
    s.lab("kidneyFunction", codes.CREATININE_MOLES, 72, "umol/L", 12.3)
    s.lab("kidneyFunction", codes.CREATININE_MOLES, 74, "umol/L", 0.2)
    s.rbc(20, 12.3)
    _as_string(s, "sediment", "10-20")
    s.rbc(2, 0.2)
    _as_string(s, "sediment", "0-2")
    return s.med(MMF, 12, dose=(3, "tablet"), per_day=2).supportive(12)


def _egfr_above_60_creatinine_rose() -> Story:
    """eGFR '>60' at both ends hides a creatinine rise of 61% (62 -> 100 umol/L, above the normal range): the
    exact creatinine decides."""
    s = Story("ln-fx-egfr-gt60-creat-rose").demographics().cond(SLE, 30).cond(CLASS_IV, 7.5)
    s.upcr(4.0, 7.3).upcr(1.2, 0.2)
    for months in (7.3, 0.2):
        s.egfr(60, months)
        _as_string(s, "kidneyFunction", "> 60")
    s.lab("kidneyFunction", codes.CREATININE_MOLES, 62, "umol/L", 7.3)
    s.lab("kidneyFunction", codes.CREATININE_MOLES, 100, "umol/L", 0.2)
    s.rbc(20, 7.3).rbc(2, 0.2)
    return s.med(MMF, 7, dose=(3, "tablet"), per_day=2).supportive(7)


def _sediment_range_active() -> Story:
    """Proteinuria in partial response, but the latest sediment is reported '10-20 /HPF': active, so no response
    class that needs an inactive sediment."""
    s = ln_on_mmf("ln-fx-rbc-range-active", 7, 4.0, 1.4)
    _as_string(s, "sediment", "10-20 /HPF")
    return s


def _sediment_range_undecided() -> Story:
    """The latest sediment is '3-10 /HPF': either side of 5/HPF, so the sediment is not assessed."""
    s = ln_on_mmf("ln-fx-rbc-range-open", 7, 4.0, 1.4)
    _as_string(s, "sediment", "3-10")
    return s


def _si_strings() -> Story:
    """An SI laboratory: UPCR '< 20 mg/mmol' (< 0.18 g/g) from 350 mg/mmol, creatinine in umol/L."""
    s = Story("ln-fx-si-strings").demographics("1990-05-10", "female").cond(SLE, 30).cond(CLASS_IV, 12.5)
    s.lab("proteinuria", codes.UPCR_SPOT_SI, 350, "mg/mmol", 12.3).lab(
        "proteinuria", codes.UPCR_SPOT_SI, 20, "mg/mmol", 0.2
    )
    _as_string(s, "proteinuria", "< 20 mg/mmol")
    s.lab("kidneyFunction", codes.CREATININE_MOLES, 80, "umol/L", 12.3)
    s.lab("kidneyFunction", codes.CREATININE_MOLES, 78, "umol/L", 0.2)
    s.rbc(20, 12.3).rbc(1, 0.2)
    return s.med(MMF, 12, dose=(3, "tablet"), per_day=2).supportive(12)


def _corrected_supersedes() -> Story:
    """At 7 months the UPCR was first released as 4.20 g/g (a transcription error), then corrected to 1.20 g/g
    for the same specimen two days later: the corrected value counts (partial response, not refractory)."""
    s = ln_on_mmf("ln-fx-corrected", 7, 4.0, 4.2)
    _issued(s, "proteinuria", 0, specimen="ln-fx-corrected-sp1")
    corrected = {**_last(s, "proteinuria")["valueQuantity"], "value": 1.2}
    _copy_last(s, "proteinuria", status="corrected", valueQuantity=corrected)
    return _issued(s, "proteinuria", 2)


def _amended_then_resent() -> Story:
    """The latest UPCR was amended from 1.20 to 3.00 g/g; the interface later re-sent the original final 1.20
    with a newer `issued`. The amendment stands: no partial response at 7 months."""
    s = ln_on_mmf("ln-fx-amended-resent", 7, 4.0, 1.2)
    _issued(s, "proteinuria", 1)
    original = dict(_last(s, "proteinuria"))
    _copy_last(s, "proteinuria", status="amended", valueQuantity={**original["valueQuantity"], "value": 3.0})
    _issued(s, "proteinuria", 2)
    _copy_last(s, "proteinuria", status="final", valueQuantity=original["valueQuantity"])
    return _issued(s, "proteinuria", 5, status="final")


def _duplicates_one_day() -> Story:
    """Every result of the refractory 7-month story sent twice by the interface (same day, same value)."""
    s = ln_on_mmf("ln-fx-duplicates", 7, 3.1, 2.6)
    for key in ("proteinuria", "kidneyFunction", "sediment"):
        for resource in list(s.data[key]):
            s.data[key].append({**resource, "id": f"{resource['id']}-dup"})
    return s


def _unreadable_latest() -> Story:
    """Refractory at 7 months on the value of 6 weeks ago; the UPCR of last week came back as text ('see comment').
    The card says the latest result could not be read and how old the value used is."""
    s = ln_on_mmf("ln-fx-unreadable-latest", 7, 3.1, 2.6)
    _last(s, "proteinuria")["effectiveDateTime"] = f"{months_before(REFERENCE_TODAY, 1.4).isoformat()}T08:30:00Z"
    s.upcr(2.0, 0.2)
    return _as_string(s, "proteinuria", "see comment")


def _unreadable_only_recent() -> Story:
    """The only UPCR of the last 90 days is unreadable ('TNTC' typed in the wrong field): cannot assess, and the
    card says the latest result could not be read."""
    s = ln_on_mmf("ln-fx-unreadable-only", 7, 3.1, 2.6)
    _as_string(s, "proteinuria", "hemolysed, repeat")
    return s


def _current_value_old() -> Story:
    """Refractory at 8 months; the latest UPCR is 2 months old: the card gives its age."""
    s = ln_on_mmf("ln-fx-current-old", 8, 3.1, 2.7)
    _last(s, "proteinuria")["effectiveDateTime"] = f"{months_before(REFERENCE_TODAY, 2).isoformat()}T08:30:00Z"
    return s


def _nephrotic_without_baseline(pid: str, now: float, months: float = 7, rbc: float = 2) -> Story:
    """Class IV LN on MMF for `months`; the only UPCR is the current one (no baseline in the window)."""
    s = Story(pid).demographics().cond(SLE, 40).cond(CLASS_IV, months + 0.5)
    s.upcr(now, 0.2).egfr(88, months + 0.3).egfr(86, 0.2).rbc(rbc, 0.2)
    return s.med(MMF, months, dose=(3, "tablet"), per_day=2).supportive(months)


def _rbc_too_numerous() -> Story:
    """UPCR 3.2 -> 0.3 g/g at 12 months, but the latest RBC count came back 'TNTC': an active sediment, no CR."""
    s = ln_on_mmf("ln-fx-rbc-tntc", 12, 3.2, 0.3, egfr_start=80, egfr_now=84)
    return _as_string(s, "sediment", "TNTC")


def _unreadable_egfr() -> Story:
    """A complete responder whose eGFR of last week came back as text; the one used is from 6 weeks ago."""
    s = ln_on_mmf("ln-fx-unreadable-egfr", 12, 3.2, 0.3, egfr_start=80, egfr_now=84, rbc_now=2)
    _last(s, "kidneyFunction")["effectiveDateTime"] = f"{months_before(REFERENCE_TODAY, 1.4).isoformat()}T08:30:00Z"
    s.egfr(60, 0.2)
    return _as_string(s, "kidneyFunction", "specimen haemolysed")


def _duplicate_day_times() -> Story:
    """Two UPCRs the same day at different times (morning 2.9, afternoon 2.6, sent separately): one value a day,
    the later one; the story otherwise is the 7-month refractory one."""
    s = ln_on_mmf("ln-fx-same-day-two-times", 7, 3.1, 2.6)
    morning = dict(_last(s, "proteinuria"))
    s.data["proteinuria"].insert(
        len(s.data["proteinuria"]) - 1,
        {
            **morning,
            "id": f"{morning['id']}-am",
            "effectiveDateTime": morning["effectiveDateTime"].replace("T08:30", "T07:00"),
            "valueQuantity": {**morning["valueQuantity"], "value": 2.9},
        },
    )
    return s


RECORDS_SCENARIOS: list[Scenario] = [
    Scenario(
        "records-foreign-results-mixed-in",
        "Complete responder at 12 months; the server ignored the patient filter and returned another patient's newer "
        "nephrotic UPCR, low eGFR and active sediment with this patient's results.",
        "the same complete-response card as without them; the foreign results are dropped and counted in the log.",
        _foreign_results_mixed_in,
    ),
    Scenario(
        "records-absolute-references",
        "Refractory at 7 months; the EHR writes subject references absolute (its own base) and one versioned.",
        "the refractory review card: absolute and versioned references to this patient are this patient's.",
        _absolute_references,
    ),
    Scenario(
        "records-observation-without-subject",
        "Complete responder; a newer nephrotic UPCR (5.8 g/g) came without any subject.",
        "complete response: a result naming no patient is not provably this patient's and is dropped (counted).",
        _no_subject_dropped,
    ),
    Scenario(
        "records-foreign-ln-condition",
        "SLE without nephritis; another patient's LN class IV and MMF order were mixed into the searches.",
        "no card: another patient's diagnosis never brings this patient into scope.",
        _foreign_ln_condition,
    ),
    Scenario(
        "records-foreign-medication-order",
        "Refractory at 7 months on MMF; another patient's rituximab order was mixed into the search.",
        "the refractory review card for MMF; rituximab is neither in the line nor in the tried agents.",
        _foreign_medication_order,
    ),
    Scenario(
        "records-string-comparators-complete",
        "12 months of MMF; the lab sends text: UPCR '< 0.2 g/g', eGFR '>60' at both ends (creatinine 72 -> 74 "
        "umol/L), RBC '10-20' then '0-2'.",
        "complete response: '< 0.2' is below 0.5, '0-2 /HPF' is inactive, creatinine decides kidney function.",
        _string_comparators_complete,
    ),
    Scenario(
        "records-egfr-above-60-creatinine-rose",
        "7 months of MMF, UPCR 4.0 -> 1.2 g/g; eGFR reported '> 60' at both ends while creatinine rose 62 -> 100 "
        "umol/L.",
        "'> 60' twice is no measured change: the eGFR computed from creatinine fell > 10%, so no partial response.",
        _egfr_above_60_creatinine_rose,
    ),
    Scenario(
        "records-sediment-range-active",
        "7 months of MMF, UPCR 4.0 -> 1.4 g/g, eGFR stable; the latest RBC is reported '10-20 /HPF'.",
        "no partial response by the default set: a range wholly above 5/HPF is an active sediment.",
        _sediment_range_active,
    ),
    Scenario(
        "records-sediment-range-undecided",
        "7 months of MMF, UPCR 4.0 -> 1.4 g/g, eGFR stable; the latest RBC is reported '3-10'.",
        "partial response by proteinuria and kidney function; sediment not assessed (the range spans 5/HPF).",
        _sediment_range_undecided,
    ),
    Scenario(
        "records-si-strings",
        "An SI laboratory: UPCR 350 mg/mmol, now sent as '< 20 mg/mmol'; creatinine 80 -> 78 umol/L.",
        "complete response: '< 20 mg/mmol' is below 0.18 g/g.",
        _si_strings,
    ),
    Scenario(
        "records-corrected-result-supersedes",
        "7 months of MMF, UPCR 4.0 g/g at baseline; the latest was released as 4.20 g/g and corrected to 1.20 g/g "
        "for the same specimen two days later.",
        "the corrected value counts: partial response, no refractory card.",
        _corrected_supersedes,
    ),
    Scenario(
        "records-amended-then-original-resent",
        "7 months of MMF; the latest UPCR was amended from 1.20 to 3.00 g/g, then the interface re-sent the "
        "original final 1.20 with a later issued time.",
        "the amendment stands: 3.00 g/g, partial response not reached at 7 months (refractory card).",
        _amended_then_resent,
    ),
    Scenario(
        "records-duplicates-one-day",
        "The 7-month refractory story with every result sent twice by the interface.",
        "the same refractory card as without the duplicates.",
        _duplicates_one_day,
    ),
    Scenario(
        "records-same-day-two-times",
        "The 7-month refractory story with a second UPCR the same morning (2.9 g/g before the 2.6 g/g).",
        "one value a day, the later one: the same refractory card.",
        _duplicate_day_times,
    ),
    Scenario(
        "records-unreadable-latest-result",
        "7 months of MMF; UPCR 2.60 g/g six weeks ago; last week's UPCR came back as text ('see comment').",
        "the refractory card on 2.60 g/g, with a note that the latest result could not be read and how much older "
        "the value used is.",
        _unreadable_latest,
    ),
    Scenario(
        "records-unreadable-only-recent-result",
        "7 months of MMF; the only UPCR of the last 90 days is text ('hemolysed, repeat').",
        "cannot assess: no recent result, and the latest could not be read.",
        _unreadable_only_recent,
    ),
    Scenario(
        "records-rbc-too-numerous-to-count",
        "12 months of MMF, UPCR 3.20 -> 0.30 g/g, eGFR stable; the latest urine RBC is reported 'TNTC'.",
        "'too numerous to count' is an active sediment (read as > 50/HPF): the default set's partial and complete "
        "responses need an inactive one, so the review card, not a complete response on a stale count.",
        _rbc_too_numerous,
    ),
    Scenario(
        "records-unreadable-latest-egfr",
        "Complete responder at 12 months; last week's eGFR came back as text ('specimen haemolysed').",
        "complete response on the eGFR of six weeks ago, with a note that the latest could not be read.",
        _unreadable_egfr,
    ),
    Scenario(
        "records-current-value-two-months-old",
        "8 months of MMF; the latest UPCR (2.70 g/g) is two months old.",
        "the refractory card, with the age of the current value.",
        _current_value_old,
    ),
    Scenario(
        "records-nephrotic-no-baseline",
        "7 months of MMF; no UPCR near the start; the current UPCR is 4.80 g/g.",
        "refractory: partial response not reached whatever the baseline (4.80 is not below 3.5); the card says the "
        "baseline is missing.",
        lambda: _nephrotic_without_baseline("ln-fx-nephrotic-no-base", 4.8),
    ),
    Scenario(
        "records-below-ceiling-no-baseline",
        "7 months of MMF; no UPCR near the start; the current UPCR is 3.20 g/g (below 3.5).",
        "cannot assess: the baseline is missing and the current value alone does not decide.",
        lambda: _nephrotic_without_baseline("ln-fx-below-ceiling-no-base", 3.2),
    ),
    Scenario(
        "records-active-sediment-no-baseline",
        "7 months of MMF; no UPCR near the start; the current UPCR is 3.20 g/g and the sediment is active (12/HPF).",
        "refractory: the default set's partial response needs an inactive sediment, so it is not reached whatever "
        "the baseline; the card says the baseline is missing.",
        lambda: _nephrotic_without_baseline("ln-fx-active-sed-no-base", 3.2, rbc=12),
    ),
    Scenario(
        "records-kdigo-ceiling-no-baseline",
        "KDIGO 2024 criteria; 8 months of MMF; no UPCR near the start; the current UPCR is 3.20 g/g.",
        "refractory by KDIGO's own partial-response ceiling (< 3 g/g), whatever the baseline; baseline missing said.",
        lambda: _nephrotic_without_baseline("ln-fx-kdigo-no-base", 3.2, months=8),
        settings={"criteria_set": "kdigo-2024"},
    ),
    Scenario(
        "records-complete-no-baseline",
        "12 months of MMF; no UPCR near the start; UPCR now 0.30 g/g, eGFR stable, sediment inactive.",
        "complete response: the absolute target decides without a baseline; the card says the baseline is missing.",
        lambda: _complete_without_baseline("ln-fx-complete-no-base"),
    ),
]


def _complete_without_baseline(pid: str) -> Story:
    s = Story(pid).demographics().cond(SLE, 40).cond(CLASS_IV, 12.5)
    s.upcr(0.3, 0.2).egfr(88, 12.3).egfr(90, 0.2).rbc(2, 0.2)
    return s.med(MMF, 12, dose=(3, "tablet"), per_day=2).supportive(12)
