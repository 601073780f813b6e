"""Small builders of domain data for the lupus-nephritis-response rule tests (no FHIR, no Flask).

`story(...)` is the usual patient: class IV LN on one line agent since T0, UPCR and eGFR at baseline (5 days before
T0) and now (5 days ago), an RBC count at both, a RAAS blocker and hydroxychloroquine. Each test changes only what
its scenario is about.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from fhir_maps.domain import (
    CANONICAL_UNIT,
    Agent,
    ConditionKind,
    Demographics,
    Diagnosis,
    Interpretation,
    LabConcept,
    LabResult,
    LabSeries,
    LnClass,
    MappingReport,
    MatchedBy,
    MedicationOrder,
    OrderStatus,
    PatientData,
    ResultStatus,
    Sex,
    TherapyEpisode,
)
from hooks.cards import Card
from hooks.lupus_nephritis_response import Assessment, evaluate, render
from hooks.lupus_nephritis_response.config import LupusNephritisConfig
from hooks.lupus_nephritis_response.rules.clinical_response import DAYS_PER_MONTH
from hooks.spec import RuleContext

TODAY = date(2025, 6, 30)
PATIENT_ID = "ln-test-patient-4711"


def days_for(months: float) -> int:
    """Returns the smallest whole number of days that is at least `months` mean months."""
    return math.ceil(months * float(DAYS_PER_MONTH) - 1e-9)


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def lab(
    concept: LabConcept,
    day: date,
    value: str | int,
    *,
    status: ResultStatus = ResultStatus.FINAL,
    flag: Interpretation = Interpretation.UNKNOWN,
    comparator: str | None = None,
) -> LabResult:
    return LabResult(
        concept=concept,
        when=datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC),
        value=Decimal(value),
        unit=CANONICAL_UNIT[concept],
        status=status,
        source_unit=CANONICAL_UNIT[concept],
        interpretation=flag,
        comparator=comparator,
    )


def upcr(day: date, value: str, **kw: object) -> LabResult:
    return lab(LabConcept.UPCR, day, value, **kw)  # type: ignore[arg-type]


def episode(
    agent: Agent,
    start: date,
    end: date | None = None,
    *,
    dose: int | None = None,
    gaps: tuple[tuple[date, date], ...] = (),
    interrupted: bool = False,
    by_name: bool = False,
) -> TherapyEpisode:
    order = MedicationOrder(
        agent=agent,
        start=start,
        end=end,
        status=OrderStatus.ACTIVE if end is None else OrderStatus.COMPLETED,
        matched_by=MatchedBy.NAME if by_name else MatchedBy.INGREDIENT_CODE,
        daily_dose_mg=Decimal(dose) if dose is not None else None,
    )
    return TherapyEpisode(
        agent=agent,
        start=start,
        end=end,
        orders=(order,),
        daily_dose_mg=order.daily_dose_mg,
        gaps_over_30_days=gaps,
        interrupted=interrupted,
        matched_by_name=by_name,
    )


def dx(
    kind: ConditionKind, recorded: date | None = None, ln_class: LnClass | None = None, active: bool = True
) -> Diagnosis:
    return Diagnosis(kind=kind, recorded=recorded, ln_class=ln_class, active=active)


def patient(
    *,
    diagnoses: Iterable[Diagnosis] = (),
    labs: Iterable[LabResult] = (),
    episodes: Iterable[TherapyEpisode] = (),
    demographics: Demographics | None = None,
    report: MappingReport | None = None,
) -> PatientData:
    results = sorted(labs, key=lambda r: (r.concept.value, r.when))
    series = {
        concept: LabSeries(concept, tuple(group))
        for concept, group in itertools.groupby(results, key=lambda r: r.concept)
    }
    return PatientData(
        demographics=demographics or Demographics(date(1990, 5, 10), Sex.FEMALE),
        diagnoses=tuple(diagnoses),
        labs=series,
        episodes=tuple(sorted(episodes, key=lambda e: (e.start, e.agent.value))),
        report=report or MappingReport(),
    )


def ln_dx(ln_class: LnClass | None = LnClass.IV, recorded: date | None = None) -> Diagnosis:
    return dx(ConditionKind.LUPUS_NEPHRITIS, recorded or ago(1200), ln_class)  # before every story's first line


def story(
    months: float,
    baseline: str,
    current: str | None,
    *,
    kind: LabConcept | None = LabConcept.UPCR,
    agent: Agent = Agent.MYCOPHENOLATE_MOFETIL,
    dose: int | None = 3000,
    egfr: tuple[str, str] | None = ("90", "88"),
    rbc: tuple[str, str] | None = ("20", "2"),
    classes: tuple[LnClass, ...] = (LnClass.IV,),
    labs: Iterable[LabResult] = (),
    diagnoses: Iterable[Diagnosis] = (),
    episodes: Iterable[TherapyEpisode] | None = None,
    supportive: bool = True,
    baseline_offset: int = -5,
    current_days_ago: int = 5,
    **kw: object,
) -> PatientData:
    """Returns the usual patient `months` into a line of `agent`, proteinuria `baseline` -> `current` (g/g).

    `kind` None leaves proteinuria out; `current` None leaves out the current value only.
    """
    t0 = ago(days_for(months))
    base_day, now_day = t0 + timedelta(days=baseline_offset), ago(current_days_ago)
    results = list(labs)
    if kind is not None:
        results.append(lab(kind, base_day, baseline))
        if current is not None:
            results.append(lab(kind, now_day, current))
    if egfr:
        results += [lab(LabConcept.EGFR, base_day, egfr[0]), lab(LabConcept.EGFR, now_day, egfr[1])]
    if rbc:
        results += [lab(LabConcept.URINE_RBC, base_day, rbc[0]), lab(LabConcept.URINE_RBC, now_day, rbc[1])]
    eps = list(episodes) if episodes is not None else [episode(agent, t0, dose=dose)]
    if supportive:
        eps += [episode(Agent.RAAS_BLOCKER, ago(900)), episode(Agent.HYDROXYCHLOROQUINE, ago(900))]
    # Diagnosed no later than the first treatment: an agent given before the diagnosis would be for non-renal lupus
    # and move T0 to the diagnosis (issue 10); stories about that pass their own LN diagnosis.
    diagnosed = min([ago(1200), *(e.start for e in eps)])
    dxs = [ln_dx(c, diagnosed) for c in classes] or [ln_dx(None, diagnosed)]
    return patient(diagnoses=[*dxs, *diagnoses], labs=results, episodes=eps, **kw)  # type: ignore[arg-type]


def context(
    criteria_set: str = "seed-eular-era-edta-2012", *, show_status_card: bool = True, show_supportive_card: bool = True
) -> RuleContext:
    counter = itertools.count(1)
    return RuleContext(
        today=TODAY,
        new_uuid=lambda: f"00000000-0000-4000-8000-{next(counter):012d}",
        patient_ref=f"Patient/{PATIENT_ID}",
        # Not validated here: a rule test may hand an unknown set to `evaluate`, which must refuse it itself.
        config=LupusNephritisConfig.model_construct(
            criteria_set=criteria_set, show_status_card=show_status_card, show_supportive_card=show_supportive_card
        ),
    )


def assess(data: PatientData, criteria_set: str = "seed-eular-era-edta-2012") -> Assessment:
    """Returns the assessment of `data` today with `criteria_set`."""
    return evaluate(data, context(criteria_set))


def cards(data: PatientData, criteria_set: str = "seed-eular-era-edta-2012", **kw: bool) -> list[Card]:
    """Returns the cards for `data` today with `criteria_set`."""
    ctx = context(criteria_set, **kw)
    return render(evaluate(data, ctx), ctx)


RESPONSE_RULES = frozenset({"ln-refractory", "ln-status", "ln-cannot-assess"})


def response_cards(data: PatientData, criteria_set: str = "seed-eular-era-edta-2012", **kw: bool) -> list[Card]:
    """Returns only the response cards (review, status, cannot assess): the next-line and supportive cards have
    their own tests."""
    return [c for c in cards(data, criteria_set, **kw) if c.rule_id in RESPONSE_RULES]


def refractory_demo(**kw: object) -> PatientData:
    """Class IV LN, 7 months of MMF 3 g/day, UPCR 3.10 -> 2.60 g/g: refractory."""
    return story(7, "3.10", "2.60", **kw)  # type: ignore[arg-type]
