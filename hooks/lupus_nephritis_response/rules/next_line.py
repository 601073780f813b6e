"""Orders the therapy table for one refractory patient: `plan_therapy(...) -> TherapyPlan`, pure.

The table (`knowledge/therapy_table.py`) says what fits and what moves ahead; this module computes the patient's facts,
filters and sorts the rows, and adds what the card must say beside the list: agents already tried, options withheld in
pregnancy, cautions, why a repeat biopsy is due, and which calcineurin-inhibitor levels to draw.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from fhir_maps.codes import CNI_LEVEL_TESTS
from fhir_maps.domain import Agent, ConditionKind, LnClass, PatientData
from hooks.lupus_nephritis_response.knowledge.criteria_sets import CriteriaSet
from hooks.lupus_nephritis_response.knowledge.therapy_table import (
    CALCINEURIN_INHIBITORS,
    CNI_EGFR_CAUTION_AT_OR_BELOW,
    RITUXIMAB_EARLY_RELAPSE_MONTHS,
    TERATOGENIC_AGENTS,
    THERAPY_GUIDELINES,
    THERAPY_TABLE,
    Fact,
    TherapyOption,
    Tier,
    excluded_after,
)
from hooks.lupus_nephritis_response.rules.checklist import Amount, Check, ChecklistItem, Param, Percent
from hooks.lupus_nephritis_response.rules.clinical_response import Measurements, months_between
from hooks.lupus_nephritis_response.rules.measures import KidneyState, SedimentState, surely_above, surely_at_most
from hooks.lupus_nephritis_response.rules.treatment_line import TreatmentLine, family

_CONDITION_FACTS = (
    (ConditionKind.PREGNANCY, Fact.PREGNANCY),
    (ConditionKind.APS, Fact.APS),
    (ConditionKind.ACTIVE_INFECTION, Fact.ACTIVE_INFECTION),
)
_TRIED_FACTS = (
    (Agent.CYCLOPHOSPHAMIDE, Fact.CYC_TRIED),
    (Agent.MYCOPHENOLATE_MOFETIL, Fact.MMF_TRIED),
    (Agent.RITUXIMAB, Fact.RITUXIMAB_TRIED),
)
# checklist items that mean "proteinuria may reflect chronic damage; consider repeat biopsy"
CHRONIC_DAMAGE_ITEMS = frozenset({Check.CHRONIC_DAMAGE_LOW_EGFR, Check.CHRONIC_DAMAGE_FALLING})


class BiopsyReason(StrEnum):
    """Why a repeat kidney biopsy is proposed (seed, Definitions para 3: when the response is not clear and the
    result would change therapy; chronic damage; seed, special considerations: progression to membranous)."""

    CHRONIC_DAMAGE = "chronic-damage"
    UNCLEAR_RESPONSE = "unclear-response"  # sediment or kidney function not assessable
    CLASS_CHANGE = "class-change"  # the recorded ISN/RPS class changed


class CautionKey(StrEnum):
    """A caution beside the next-line options; its words are `caution.<value>` in the catalogue."""

    INFECTION = "infection"
    PREGNANCY_TERATOGEN_ACTIVE = "pregnancy-teratogen-active"
    PREGNANCY_OTHER = "pregnancy-other"
    CNI_ACTIVE = "cni-active"
    CNI_OPTIONS = "cni-options"
    CNI_EGFR_LOW = "cni-egfr-low"
    CNI_EGFR_LOW_UNDECIDED = "cni-egfr-low-undecided"
    CNI_EGFR_FALLING = "cni-egfr-falling"
    CNI_TMA = "cni-tma"  # TMA recorded: calcineurin inhibitors can cause it; not favoured


@dataclass(frozen=True, slots=True)
class Caution:
    key: CautionKey
    params: tuple[tuple[str, Param | tuple[int, ...] | tuple[Agent, ...]], ...] = ()


@dataclass(frozen=True, slots=True)
class PlannedOption:
    option: TherapyOption
    number: int  # 1-based position on the card
    tier: Tier
    reason_key: str  # the `why.*` text for this patient


@dataclass(frozen=True, slots=True)
class TherapyPlan:
    """What the next-line card says, as data."""

    options: tuple[PlannedOption, ...]
    tried: tuple[Agent, ...]  # agent families given without response, earliest first
    withheld_in_pregnancy: tuple[TherapyOption, ...]  # would fit, but include a teratogenic agent
    cautions: tuple[Caution, ...]
    guidelines: tuple[str, ...]  # evidence ids behind the order (the criteria set's therapy guidelines)
    biopsy: tuple[BiopsyReason, ...]  # empty: no repeat biopsy proposed
    level_tests: tuple[Agent, ...]  # active calcineurin inhibitors with a blood-level test to propose
    facts: frozenset[Fact]
    urinalysis_due: bool = False  # no sediment in the window: a urinalysis, not a biopsy, settles it
    biopsy_order: bool = True  # False in pregnancy: the biopsy advice stands, but no draft order is attached


def tried_agents(line: TreatmentLine) -> tuple[Agent, ...]:
    """Returns the agent families given without response: earlier lines' failures, then the refractory line's."""
    return tuple(dict.fromkeys(family(a) for a in (*line.failed_agents, *line.agents)))


def active_agents(data: PatientData, today: date) -> frozenset[Agent]:
    """Returns every agent with an episode covering today."""
    return frozenset(e.agent for e in data.episodes if e.active_on(today))


def early_relapse_after_rituximab(data: PatientData, today: date) -> bool:
    """Returns True when the latest rituximab course ended at most RITUXIMAB_EARLY_RELAPSE_MONTHS before today."""
    courses = [e for e in data.episodes if e.agent is Agent.RITUXIMAB and e.start <= today]
    if not courses:
        return False
    last = max(courses, key=lambda e: e.start)
    ended = min(last.end or today, today)
    return months_between((today - ended).days) <= RITUXIMAB_EARLY_RELAPSE_MONTHS


def patient_facts(
    data: PatientData, tried: Iterable[Agent], classes: tuple[LnClass, ...], today: date
) -> frozenset[Fact]:
    """Returns the facts the table's conditions are written in."""
    tried_set = set(tried)
    facts = {fact for agent, fact in _TRIED_FACTS if agent in tried_set}
    facts |= {fact for kind, fact in _CONDITION_FACTS if data.has(kind)}
    if Agent.RITUXIMAB in tried_set and early_relapse_after_rituximab(data, today):
        facts.add(Fact.EARLY_RELAPSE_AFTER_RITUXIMAB)
    if LnClass.III in classes:
        facts.add(Fact.CLASS_III)
    if LnClass.IV in classes or LnClass.V in classes:
        facts.add(Fact.CLASS_IV_OR_V)
    return frozenset(facts)


def fits(option: TherapyOption, facts: frozenset[Fact], guidelines: tuple[str, ...]) -> bool:
    """Returns True when the row's conditions hold for the patient and the guidelines in use."""
    if option.fits_when and not option.fits_when & facts:
        return False
    return not option.needs_guideline or bool(option.needs_guideline.intersection(guidelines))


def tier(option: TherapyOption, facts: frozenset[Fact]) -> Tier:
    """Returns the option's tier: first, favoured, later (weak evidence) or default."""
    if option.first_when & facts:
        return Tier.FIRST
    if option.favoured_when & facts:
        return Tier.FAVOURED
    return Tier.LATER if option.later else Tier.DEFAULT


def reason_key(option: TherapyOption, facts: frozenset[Fact]) -> str:
    """Returns the `why.*` key of the first reason whose fact holds (the table ends each list with a default)."""
    return next(key for fact, key in option.reasons if fact is None or fact in facts)


def excluded_agents(tried: Iterable[Agent]) -> frozenset[Agent]:
    """Returns every agent not offered as new: those tried, with their drug family or class (all calcineurin
    inhibitors once one was tried, both mycophenolate forms once one was)."""
    return frozenset(a for agent in tried for a in excluded_after(agent))


def _rows(facts: frozenset[Fact], tried: tuple[Agent, ...], guidelines: tuple[str, ...]) -> list[TherapyOption]:
    """Returns the rows that fit and add nothing already tried (class-wide), in table order."""
    excluded = excluded_agents(tried)
    return [o for o in THERAPY_TABLE if fits(o, facts, guidelines) and not excluded.intersection(o.adds)]


def plan_therapy(
    data: PatientData,
    cs: CriteriaSet,
    line: TreatmentLine,
    m: Measurements,
    classes: tuple[LnClass, ...],
    checklist: tuple[ChecklistItem, ...],
    today: date,
) -> TherapyPlan:
    """Returns the ordered next-line options for a patient whose current line is refractory."""
    tried = tried_agents(line)
    guidelines = THERAPY_GUIDELINES[cs.id]
    facts = patient_facts(data, tried, classes, today)
    rows = _rows(facts, tried, guidelines)
    pregnant = Fact.PREGNANCY in facts
    cni_disfavoured = cni_not_favoured(data, m)
    offered = sorted(
        (o for o in rows if not (pregnant and o.teratogenic)),
        key=lambda o: safety_rank(o, facts, cni_disfavoured),
    )
    planned = tuple(PlannedOption(o, n, tier(o, facts), reason_key(o, facts)) for n, o in enumerate(offered, start=1))
    active = active_agents(data, today)
    return TherapyPlan(
        options=planned,
        tried=tried,
        withheld_in_pregnancy=tuple(o for o in rows if pregnant and o.teratogenic),
        cautions=cautions(planned, facts, active, m, tma=data.has(ConditionKind.TMA)),
        guidelines=guidelines,
        biopsy=biopsy_reasons(data, m, checklist),
        level_tests=tuple(a for a in CNI_LEVEL_TESTS if a in active),
        facts=facts,
        urinalysis_due=m.sediment.state is SedimentState.UNKNOWN,
        biopsy_order=not pregnant,
    )


def cni_not_favoured(data: PatientData, m: Measurements) -> bool:
    """Returns True when calcineurin inhibitors are not favoured (no class boost): TMA recorded (they can cause
    it; seed, CNI section), or the latest eGFR is not surely above CNI_EGFR_CAUTION_AT_OR_BELOW (KDIGO 2024 adds a
    CNI only above 45; evidence.md 3b.1, 2nd tier). An eGFR censored across the limit ("< 60") counts as possibly
    at or below."""
    egfr = m.kidney.latest_egfr
    low = egfr is not None and not surely_above(egfr, CNI_EGFR_CAUTION_AT_OR_BELOW)
    return low or data.has(ConditionKind.TMA)


def safety_rank(option: TherapyOption, facts: frozenset[Fact], cni_disfavoured: bool) -> tuple[Tier, bool]:
    """Returns the sort key: the tier, where a disfavoured CNI loses any "first" or "favoured" standing; then, in
    active infection, an option that intensifies immunosuppression after one of the same tier that does not (seed:
    extracorporeal therapy, first in infection, leads even when a switch is also due); then (stable sort) the table.
    """
    rank = tier(option, facts)
    if cni_disfavoured and option.calcineurin_inhibitor:
        rank = max(rank, Tier.DEFAULT)
    return rank, Fact.ACTIVE_INFECTION in facts and option.intensifies_immunosuppression


def cautions(
    planned: tuple[PlannedOption, ...],
    facts: frozenset[Fact],
    active: frozenset[Agent],
    m: Measurements,
    *,
    tma: bool = False,
) -> tuple[Caution, ...]:
    """Returns the cautions beside the list, in a fixed order: infection, pregnancy, calcineurin inhibitors."""
    out: list[Caution] = []
    intensifying = tuple(p.number for p in planned if p.option.intensifies_immunosuppression)
    if Fact.ACTIVE_INFECTION in facts and intensifying:
        out.append(Caution(CautionKey.INFECTION, (("options", intensifying),)))
    if Fact.PREGNANCY in facts:
        teratogens = tuple(sorted(TERATOGENIC_AGENTS & active))
        if teratogens:
            out.append(Caution(CautionKey.PREGNANCY_TERATOGEN_ACTIVE, (("agents", teratogens),)))
        out.append(Caution(CautionKey.PREGNANCY_OTHER))
    cni_options = tuple(p.number for p in planned if p.option.calcineurin_inhibitor)
    cni_active = tuple(sorted(CALCINEURIN_INHIBITORS & active))
    if cni_active:
        out.append(Caution(CautionKey.CNI_ACTIVE, (("agents", cni_active),)))
    if cni_options:
        out.append(Caution(CautionKey.CNI_OPTIONS, (("options", cni_options),)))
    if (cni_options or cni_active) and tma:
        out.append(Caution(CautionKey.CNI_TMA))
    if cni_options or cni_active:
        out.extend(_kidney_cautions(m))
    return tuple(out)


def _kidney_cautions(m: Measurements) -> list[Caution]:
    out = []
    egfr = m.kidney.latest_egfr
    # A caution errs towards showing: only an eGFR surely above the limit ("> 60") leaves it out; one the censored
    # bound does not decide ("< 60") is shown as one that may be at or below the limit.
    if egfr is not None and not surely_above(egfr, CNI_EGFR_CAUTION_AT_OR_BELOW):
        limit = Amount(CNI_EGFR_CAUTION_AT_OR_BELOW)
        key = (
            CautionKey.CNI_EGFR_LOW
            if surely_at_most(egfr, CNI_EGFR_CAUTION_AT_OR_BELOW)
            else CautionKey.CNI_EGFR_LOW_UNDECIDED
        )
        out.append(Caution(key, (("egfr", Amount.of(egfr, 0)), ("day", egfr.day), ("limit", limit))))
    if m.kidney.state is KidneyState.WORSE and m.kidney.change is not None:
        out.append(Caution(CautionKey.CNI_EGFR_FALLING, (("change", Percent(m.kidney.change)),)))
    return out


def class_changed(data: PatientData) -> bool:
    """Returns True when the LN classes recorded on the latest date differ from those of an earlier date."""
    by_day: dict[date, set[LnClass]] = {}
    for d in data.diagnoses:
        if d.kind is ConditionKind.LUPUS_NEPHRITIS and d.ln_class is not None:
            by_day.setdefault(d.recorded or date.min, set()).add(d.ln_class)
    if len(by_day) < 2:
        return False
    days = sorted(by_day)
    return any(by_day[day] != by_day[days[-1]] for day in days[:-1])


def biopsy_reasons(
    data: PatientData, m: Measurements, checklist: tuple[ChecklistItem, ...]
) -> tuple[BiopsyReason, ...]:
    """Returns why a repeat biopsy is due, only where its result would change management (seed, Definitions para 3):
    chronic damage flagged, a response left unclear by results that were taken (casts not typed, a censored value),
    or a class change. A sediment never measured asks for a urinalysis instead (`TherapyPlan.urinalysis_due`)."""
    out = []
    if any(item.key in CHRONIC_DAMAGE_ITEMS for item in checklist):
        out.append(BiopsyReason.CHRONIC_DAMAGE)
    unclear_sediment = m.sediment.state in (SedimentState.UNTYPED_CASTS, SedimentState.CENSORED)
    unclear_kidney = m.kidney.state in (KidneyState.UNKNOWN, KidneyState.CENSORED, KidneyState.UNJUDGED)
    if unclear_sediment or unclear_kidney:
        out.append(BiopsyReason.UNCLEAR_RESPONSE)
    if class_changed(data):
        out.append(BiopsyReason.CLASS_CHANGE)
    return tuple(out)
