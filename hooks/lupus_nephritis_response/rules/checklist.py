"""The review checklist that comes before calling lupus nephritis refractory (response-model.md section 6).

An item is flagged only when the patient's data show it, with the data that triggered it; everything the record
cannot show is listed as a check for the clinician, never as "excluded". The review: true resistance is rare, and
many apparent non-responders are non-adherent, under-dosed, or have chronic damage, TMA or a class V transition.

In pregnancy the checklist never nudges towards a fetotoxic drug: no "dose below target" for mycophenolate or
cyclophosphamide (teratogenic, response-model.md section 7), and no "no RAAS blocker" item: a RAAS blocker is not
suggested while pregnancy is recorded (a safety hold, see `supportive_care.py`). A teratogen or RAAS blocker active in
pregnancy is on the drug-safety card (`safety.py`), shown whatever the verdict, so the checklist does not repeat it.
The pregnancy check is not shown to a man or to a woman past PREGNANCY_CHECK_MAX_AGE_YEARS (issue 10 section 6).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from fhir_maps.domain import Agent, ConditionKind, LabConcept, LnClass, PatientData, Sex
from hooks.lupus_nephritis_response.knowledge.criteria_sets import CriteriaSet
from hooks.lupus_nephritis_response.knowledge.therapy_table import TERATOGENIC_AGENTS
from hooks.lupus_nephritis_response.rules.clinical_response import Measurements
from hooks.lupus_nephritis_response.rules.measures import (
    KidneyState,
    Reading,
    SedimentState,
    surely_at_least,
    surely_below,
)
from hooks.lupus_nephritis_response.rules.safety import pregnancy_drug_risk
from hooks.lupus_nephritis_response.rules.treatment_line import TreatmentLine, agent_active

MMF_TARGET_MIN_MG_PER_DAY = Decimal(2000)  # seed: 2-3 g/day; EULAR 2019 abstract (PRIMARY)
# response-model.md section 6: mycophenolic acid < 1.44 g/day (the enteric-coated salt's dose equivalent to 2 g MMF)
MPA_TARGET_MIN_MG_PER_DAY = Decimal(1440)
DOSE_TARGETS = {
    Agent.MYCOPHENOLATE_MOFETIL: MMF_TARGET_MIN_MG_PER_DAY,
    Agent.MYCOPHENOLIC_ACID: MPA_TARGET_MIN_MG_PER_DAY,
}
# Review finding D9 (decision, documented in the package README): the 2-3 g/day target is the mycophenolate
# monotherapy dose. Multitarget therapy (mycophenolate + tacrolimus + glucocorticoids, Bao 2008, evidence.md
# section 3 row 3) gives mycophenolate at a lower dose by design, and its protocol dose was not read for this
# service: with tacrolimus active on the line, the mycophenolate dose is not flagged below target (the unflagged
# "dose and duration" check stays). Voclosporin is an add-on to standard mycophenolate (AURORA 1, evidence.md
# aurora1-2021), so it does not count.
MULTITARGET_PARTNERS = frozenset({Agent.TACROLIMUS})
# Issue 10 section 6: "pregnancy for a man or a patient over 55" does not apply. A display rule, not a clinical
# threshold: an unknown sex or age keeps the check.
PREGNANCY_CHECK_MAX_AGE_YEARS = 55
CHRONIC_DAMAGE_EGFR = Decimal(30)  # response-model.md section 6: eGFR < 30 -> proteinuria may reflect chronic damage


@dataclass(frozen=True, slots=True)
class Amount:
    """A number for a checklist line, with the decimals it is shown with and, for a censored result, its
    comparator ("< 60")."""

    value: Decimal
    places: int = 0
    comparator: str | None = None

    @classmethod
    def of(cls, reading: Reading, places: int) -> Amount:
        """Returns a result's value as shown: `places` decimals, its comparator kept."""
        return cls(reading.value, places, reading.comparator)


@dataclass(frozen=True, slots=True)
class Percent:
    """A fraction shown as a whole percentage (signed for a change, unsigned for a tolerance)."""

    fraction: Decimal
    signed: bool = True


Param = str | date | Agent | LabConcept | Amount | Percent
Params = tuple[tuple[str, Param], ...]


class Check(StrEnum):
    """A checklist item; its words are `check.<value>` in the catalogue."""

    ADHERENCE_GAP = "adherence-gap"
    ADHERENCE_INTERRUPTED = "adherence-interrupted"
    ADHERENCE = "adherence"
    DOSE_BELOW_TARGET = "dose-below-target"
    DOSE_NOT_RECORDED = "dose-not-recorded"
    DOSE = "dose"
    CHRONIC_DAMAGE_LOW_EGFR = "chronic-damage-low-egfr"
    CHRONIC_DAMAGE_FALLING = "chronic-damage-falling"
    CHRONIC_DAMAGE = "chronic-damage"
    TMA = "tma"
    TMA_CHECK = "tma-check"
    APS = "aps"
    APS_CHECK = "aps-check"
    PREGNANCY = "pregnancy"
    PREGNANCY_CHECK = "pregnancy-check"
    INFECTION = "infection"
    INFECTION_CHECK = "infection-check"
    CLASS_V = "class-v"
    CLASS_V_CHECK = "class-v-check"
    MATCHED_BY_NAME = "matched-by-name"
    NO_RAAS = "no-raas"
    RAAS_HELD_IN_PREGNANCY = "raas-held-in-pregnancy"
    NO_HCQ = "no-hcq"
    SUPPORTIVE = "supportive"


class ItemState(StrEnum):
    FLAGGED = "flagged"  # the data show it
    NOT_RECORDED = "not-recorded"  # the data needed to judge it are missing (e.g. the dose)
    CHECK = "check"  # the record cannot show it: the clinician checks


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    key: Check
    state: ItemState
    params: Params = ()


def _adherence(line: TreatmentLine) -> Iterator[ChecklistItem]:
    found = False
    for e in line.episodes:
        for start, end in e.gaps_over_30_days:
            if end >= line.t0:
                found = True
                yield ChecklistItem(
                    Check.ADHERENCE_GAP, ItemState.FLAGGED, (("agent", e.agent), ("start", start), ("end", end))
                )
        if e.interrupted:
            found = True
            yield ChecklistItem(Check.ADHERENCE_INTERRUPTED, ItemState.FLAGGED, (("agent", e.agent),))
    if not found:
        yield ChecklistItem(Check.ADHERENCE, ItemState.CHECK)


def _dose(line: TreatmentLine, today: date, pregnant: bool) -> Iterator[ChecklistItem]:
    found = False
    multitarget = any(e.agent in MULTITARGET_PARTNERS and e.active_on(today) for e in line.episodes)
    for e in line.episodes:
        target = DOSE_TARGETS.get(e.agent)
        if target is None or not e.active_on(today):
            continue
        if multitarget and e.daily_dose_mg is not None:
            continue  # D9: a multitarget mycophenolate dose is below the monotherapy target by design
        if pregnant and e.agent in TERATOGENIC_AGENTS:
            found = True  # no dose advice for a teratogenic agent in pregnancy: the drug-safety card flags it
            continue
        if e.daily_dose_mg is None:
            found = True
            yield ChecklistItem(Check.DOSE_NOT_RECORDED, ItemState.NOT_RECORDED, (("agent", e.agent),))
        elif e.daily_dose_mg < target:
            found = True
            params: Params = (("agent", e.agent), ("dose", Amount(e.daily_dose_mg)), ("target", Amount(target)))
            yield ChecklistItem(Check.DOSE_BELOW_TARGET, ItemState.FLAGGED, params)
    if not found:
        yield ChecklistItem(Check.DOSE, ItemState.CHECK)


def _chronic_damage(m: Measurements | None, cs: CriteriaSet) -> Iterator[ChecklistItem]:
    egfr = m.kidney.latest_egfr if m else None
    if m and egfr is not None and surely_below(egfr, CHRONIC_DAMAGE_EGFR):  # "> 15" is not flagged
        params: Params = (("egfr", Amount.of(egfr, 0)), ("day", egfr.day))
        yield ChecklistItem(Check.CHRONIC_DAMAGE_LOW_EGFR, ItemState.FLAGGED, params)
    elif m and m.kidney.state is KidneyState.WORSE and m.sediment.state is SedimentState.INACTIVE:
        params = (
            ("change", Percent(m.kidney.change or Decimal(0))),
            ("tolerance", Percent(cs.kidney_tolerance, signed=False)),
        )
        yield ChecklistItem(Check.CHRONIC_DAMAGE_FALLING, ItemState.FLAGGED, params)
    else:
        yield ChecklistItem(Check.CHRONIC_DAMAGE, ItemState.CHECK)


def pregnancy_possible(data: PatientData, today: date) -> bool:
    """Returns False for a man or a patient past PREGNANCY_CHECK_MAX_AGE_YEARS; True when sex or age is unknown."""
    if data.demographics.sex is Sex.MALE:
        return False
    birth = data.demographics.birth_date
    if birth is None:
        return True
    age = today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))
    return age <= PREGNANCY_CHECK_MAX_AGE_YEARS


def _conditions(data: PatientData, classes: tuple[LnClass, ...], today: date) -> Iterator[ChecklistItem]:
    for kind, flagged, check in (
        (ConditionKind.TMA, Check.TMA, Check.TMA_CHECK),
        (ConditionKind.APS, Check.APS, Check.APS_CHECK),
        (ConditionKind.PREGNANCY, Check.PREGNANCY, Check.PREGNANCY_CHECK),
        (ConditionKind.ACTIVE_INFECTION, Check.INFECTION, Check.INFECTION_CHECK),
    ):
        if data.has(kind):
            if kind is ConditionKind.PREGNANCY and pregnancy_drug_risk(data, today) is not None:
                continue  # the drug-safety card says it, ahead of this card: pregnancy is said once (review E14)
            yield ChecklistItem(flagged, ItemState.FLAGGED)
        elif check is not Check.PREGNANCY_CHECK or pregnancy_possible(data, today):
            yield ChecklistItem(check, ItemState.CHECK)
    if LnClass.V in classes:
        yield ChecklistItem(Check.CLASS_V, ItemState.FLAGGED, (("ln_class", "+".join(classes)),))
    else:
        yield ChecklistItem(Check.CLASS_V_CHECK, ItemState.CHECK)


def _supportive(data: PatientData, m: Measurements | None, cs: CriteriaSet, today: date) -> Iterator[ChecklistItem]:
    current = m.proteinuria.current if m else None
    # "While proteinuric" (response-model.md section 6) read as: not below the set's complete-response ceiling.
    # "< 2.0 g/g" may or may not be proteinuric: only a value surely at or above the ceiling is flagged.
    threshold = cs.complete.max_proteinuria
    proteinuric = current is not None and threshold is not None and surely_at_least(current, threshold)
    raas_active = agent_active(data, Agent.RAAS_BLOCKER, today)
    pregnant = data.has(ConditionKind.PREGNANCY)
    if proteinuric and current is not None and not raas_active:
        params = (("value", Amount.of(current, 2)), ("unit", current.concept), ("day", current.day))
        yield ChecklistItem(Check.RAAS_HELD_IN_PREGNANCY if pregnant else Check.NO_RAAS, ItemState.FLAGGED, params)
    if not agent_active(data, Agent.HYDROXYCHLOROQUINE, today):
        yield ChecklistItem(Check.NO_HCQ, ItemState.FLAGGED)
    yield ChecklistItem(Check.SUPPORTIVE, ItemState.CHECK)


def _matched_by_name(line: TreatmentLine) -> Iterator[ChecklistItem]:
    for agent in dict.fromkeys(e.agent for e in line.episodes if e.matched_by_name):
        yield ChecklistItem(Check.MATCHED_BY_NAME, ItemState.FLAGGED, (("agent", agent),))


_ORDER = {ItemState.FLAGGED: 0, ItemState.NOT_RECORDED: 1, ItemState.CHECK: 2}


def review_checklist(
    data: PatientData,
    cs: CriteriaSet,
    line: TreatmentLine,
    m: Measurements | None,
    classes: tuple[LnClass, ...],
    today: date,
) -> tuple[ChecklistItem, ...]:
    """Returns the checklist, flagged items first, then data not recorded, then manual checks."""
    items = [
        *_adherence(line),
        *_dose(line, today, data.has(ConditionKind.PREGNANCY)),
        *_chronic_damage(m, cs),
        *_conditions(data, classes, today),
        *_matched_by_name(line),
        *_supportive(data, m, cs, today),
    ]
    return tuple(sorted(items, key=lambda i: _ORDER[i.state]))
