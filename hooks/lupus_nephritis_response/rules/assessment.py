"""The treatment-response model for lupus nephritis: `assess(data, ctx) -> Assessment`, pure (the spec's evaluate).

Steps (response-model.md): scope (an active LN diagnosis), class, the current line and its T0, the measurements,
the response class, the refractory checkpoints of the chosen criteria set, and the review checklist; then, for a
refractory line, the ordered next-line options (`next_line`), and for every LN patient the supportive care the
record lacks (`supportive_care`). Nothing here reads a clock, a setting or the network: today, the criteria set
and the uuid source come in through RuleContext.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from fhir_maps.domain import Agent, ConditionKind, LnClass, PatientData
from hooks.lupus_nephritis_response.knowledge.criteria_sets import Checkpoint, CriteriaSet, get_criteria_set
from hooks.lupus_nephritis_response.knowledge.treatment_lines import LINE_AGENTS
from hooks.lupus_nephritis_response.rules.checklist import ChecklistItem, review_checklist
from hooks.lupus_nephritis_response.rules.clinical_response import (
    CheckpointResult,
    CheckpointStatus,
    Measurements,
    Outcome,
    Response,
    apply,
    classify,
    judge_checkpoints,
    months_between,
)
from hooks.lupus_nephritis_response.rules.measures import (
    PROTEINURIA_CONCEPTS,
    Proteinuria,
    kidney_function,
    proteinuria,
    sediment,
)
from hooks.lupus_nephritis_response.rules.next_line import TherapyPlan, plan_therapy
from hooks.lupus_nephritis_response.rules.safety import PregnancyDrugRisk, pregnancy_drug_risk
from hooks.lupus_nephritis_response.rules.supportive_care import SupportiveGaps, supportive_gaps
from hooks.lupus_nephritis_response.rules.treatment_line import TreatmentLine, current_line
from hooks.spec import RuleContext

# response-model.md section 1: classes I, II and VI are out of scope for refractoriness.
REFRACTORY_CLASSES = frozenset({LnClass.III, LnClass.IV, LnClass.V})


class Verdict(StrEnum):
    REFRACTORY = "refractory"  # a refractory criterion of the set is met: review card
    WATCH = "watch"  # only a watch-only checkpoint was missed (ACR 2012 at 3 months): status card with a note
    STATUS = "status"  # on track, too early, or met only by proteinuria: status card
    CANNOT_ASSESS = "cannot-assess"  # baseline or current proteinuria missing


class Missing(StrEnum):
    BASELINE = "baseline"  # no decisive proteinuria in [T0 - 90 d, T0 + 14 d]
    CURRENT = "current"  # no decisive proteinuria in the last 90 days
    SINCE_BASELINE = "since-baseline"  # the only recent value is the baseline itself, and a checkpoint is due
    TREATMENT_LINE = "treatment-line"  # no line agent recognised today, but some open medication orders not identified
    ORDER_DATES = "order-dates"  # a line agent's order cannot be placed in time (no date, or stopped on an unknown day)


@dataclass(frozen=True, slots=True)
class Assessment:
    """Everything the cards say, as data. `verdict` is None when there is no card to give."""

    in_scope: bool
    criteria: CriteriaSet | None = None
    today: date | None = None
    classes: tuple[LnClass, ...] = ()
    line: TreatmentLine | None = None
    months: Decimal = Decimal(0)
    verdict: Verdict | None = None
    proteinuria: Proteinuria | None = None
    measurements: Measurements | None = None  # present unless proteinuria is missing
    response: Response | None = None  # None when no result was taken after the baseline yet
    checkpoints: tuple[CheckpointResult, ...] = ()  # the checkpoints due today
    next_checkpoint: Checkpoint | None = None
    missing: tuple[Missing, ...] = ()
    proteinuria_unit_skipped: bool = False  # some proteinuria results were skipped for an unknown unit
    unresolved_medications: int = 0  # open orders whose drug could not be identified: the line may be incomplete
    class_not_applicable: bool = False  # only class I, II or VI recorded: no refractory call
    checklist: tuple[ChecklistItem, ...] = ()
    therapy: TherapyPlan | None = None  # next-line options: only for a refractory verdict
    supportive: SupportiveGaps | None = None  # supportive care the record lacks (None: nothing missing)
    # teratogen or RAAS blocker active while pregnancy is recorded: shown whatever the verdict, ahead of every card
    pregnancy_risk: PregnancyDrugRisk | None = None
    undatable: tuple[Agent, ...] = ()  # line agents whose orders cannot be placed in time (Missing.ORDER_DATES)
    other_patient_ignored: bool = False  # resources of another patient were dropped: the cards say so once
    conflicting_days: tuple[date, ...] = ()  # a baseline or current proteinuria day with disagreeing final results
    # the record the assessment was made from, for the course chart (cards/chart.py, issue 15); set by the spec's
    # evaluate step (`hooks.lupus_nephritis_response.evaluate`), never compared or shown
    data: PatientData | None = field(default=None, repr=False, compare=False)

    def with_status(self, status: CheckpointStatus) -> tuple[Checkpoint, ...]:
        """Returns the due checkpoints with `status`, in time order."""
        return tuple(r.checkpoint for r in self.checkpoints if r.status is status)


def in_scope(data: PatientData) -> bool:
    """Returns True when an active lupus nephritis diagnosis is recorded (SLE alone is not in scope)."""
    return data.has(ConditionKind.LUPUS_NEPHRITIS)


def ln_classes(data: PatientData) -> tuple[LnClass, ...]:
    """Returns the ISN/RPS classes recorded on the most recent date (III and V together give III+V)."""
    coded = [d for d in data.diagnoses if d.kind is ConditionKind.LUPUS_NEPHRITIS and d.active and d.ln_class]
    if not coded:
        return ()
    latest = max(d.recorded or date.min for d in coded)
    order = list(LnClass)
    found = {d.ln_class for d in coded if (d.recorded or date.min) == latest and d.ln_class is not None}
    return tuple(sorted(found, key=order.index))


def _missing(p: Proteinuria, months: Decimal, cs: CriteriaSet) -> tuple[Missing, ...]:
    out = []
    if p.baseline is None:
        out.append(Missing.BASELINE)
    if p.current is None:
        out.append(Missing.CURRENT)
    first_due = min(c.months for c in cs.checkpoints)
    if not out and p.current_is_baseline and months >= first_due:
        out.append(Missing.SINCE_BASELINE)
    return tuple(out)


def _verdict(checkpoints: tuple[CheckpointResult, ...], class_not_applicable: bool) -> Verdict:
    missed = [r.checkpoint for r in checkpoints if r.status is CheckpointStatus.MISSED]
    if class_not_applicable or not missed:
        return Verdict.STATUS
    return Verdict.WATCH if all(c.watch_only for c in missed) else Verdict.REFRACTORY


def _settled_without_baseline(cs: CriteriaSet, m: Measurements, verdict: Verdict) -> bool:
    """Returns True when the current values decide without a baseline (issue 10 §4): a checkpoint soundly missed
    because the current proteinuria is at or above an absolute ceiling of the set (the partial-response 3.5 g/day,
    KDIGO's 3 g/g, EULAR's 0.7 g/g at 12 months), or a complete response met outright. Relative falls and kidney
    stability stay undecided (`judge_proteinuria`), so nothing else is claimed; the card says the baseline is
    missing either way."""
    return verdict is Verdict.REFRACTORY or apply(cs.complete, m).outcome is Outcome.MET


def _next_checkpoint(cs: CriteriaSet, m: Measurements, months: Decimal) -> Checkpoint | None:
    """Returns the next time point whose target is not already met (None once in complete response)."""
    if apply(cs.complete, m).outcome is Outcome.MET:
        return None
    return next((c for c in cs.checkpoints if c.months > months and apply(c.test, m).outcome is not Outcome.MET), None)


def assess(data: PatientData, ctx: RuleContext) -> Assessment:
    """Returns the response assessment of the current line (`_assess`), noting whether another patient's
    resources were dropped before mapping (issue 10 section 1: said once, never their content)."""
    a = _assess(data, ctx)
    if data.report.resources_other_patient:
        a = replace(a, other_patient_ignored=True)
    p = a.proteinuria
    used = {r.day for r in (p.baseline, p.current) if r is not None} if p is not None else set()
    doubt = sorted({d for c in PROTEINURIA_CONCEPTS for d in data.series(c).conflicting_days if d in used})
    return replace(a, conflicting_days=tuple(doubt)) if doubt else a


def _assess(data: PatientData, ctx: RuleContext) -> Assessment:
    """Returns the response assessment of the current line; raises ValueError for an unknown criteria set.

    LN active but no line agent active today gives no response card (an Assessment without a verdict): the issue
    asks for no card "when LN is inactive and no induction therapy is recorded"; only the supportive-care card can
    show for untreated LN. When some open medication orders could not be identified at all (no RxNorm code and no
    known ingredient name: `MappingReport.medication_requests_unresolved`), the line cannot be ruled out: the
    verdict is "cannot assess" (Missing.TREATMENT_LINE), never a silent empty response. Orders coded in RxNorm for a
    drug we do not track (amlodipine) are not such orders.
    """
    cs = get_criteria_set(ctx.config.criteria_set)
    unresolved = data.report.medication_requests_unresolved
    if not in_scope(data):
        return Assessment(in_scope=False, unresolved_medications=unresolved)
    classes = ln_classes(data)
    line = current_line(data, cs, ctx.today)
    gaps = supportive_gaps(data, cs, ctx.today)
    risk = pregnancy_drug_risk(data, ctx.today)
    undatable = undatable_agents(data, ctx.today)
    if undatable:  # issue 10: an order whose dates cannot be known gives "cannot assess" naming it, never silence
        return Assessment(
            in_scope=True,
            criteria=cs,
            today=ctx.today,
            classes=classes,
            line=line,
            months=months_between((ctx.today - line.t0).days) if line else Decimal(0),
            verdict=Verdict.CANNOT_ASSESS,
            missing=(Missing.ORDER_DATES,),
            unresolved_medications=unresolved,
            supportive=gaps,
            undatable=undatable,
            pregnancy_risk=risk,  # the safety card shows whatever the verdict
        )
    if line is None:
        no_line = Assessment(
            in_scope=True,
            criteria=cs,
            today=ctx.today,
            classes=classes,
            unresolved_medications=unresolved,
            supportive=gaps,
            pregnancy_risk=risk,
        )
        if unresolved:
            return replace(no_line, verdict=Verdict.CANNOT_ASSESS, missing=(Missing.TREATMENT_LINE,))
        return no_line
    a = replace(_assess_line(data, ctx.today, cs, classes, line), supportive=gaps, pregnancy_risk=risk)
    if line.relapse is not None and line.relapse.reinduction is None and a.verdict is not Verdict.CANNOT_ASSESS:
        # A relapse is not refractoriness: no time point is judged until a re-induction is recorded (issue 10).
        a = replace(a, verdict=Verdict.STATUS, checkpoints=(), next_checkpoint=None)
    if a.verdict is Verdict.REFRACTORY and a.measurements is not None:
        a = replace(a, therapy=plan_therapy(data, cs, line, a.measurements, classes, a.checklist, ctx.today))
    return a


def undatable_agents(data: PatientData, today: date) -> tuple[Agent, ...]:
    """Returns the line agents whose orders cannot be placed in time (knowledge/THERAPY.md rules table):
    - an order or administration with no date at all (it may be the current line, or before or after T0);
    - the latest course of a line agent (no line agent started after it) ended by a `stopped` order with no end
      date: whether it still runs, and so which line is current, cannot be known.
    """
    agents = [u.agent for u in data.undated_orders if u.agent in LINE_AGENTS]
    line = [e for e in data.episodes if e.agent in LINE_AGENTS and e.start <= today]
    if line:
        latest = max(e.start for e in line)
        agents += [e.agent for e in line if not e.end_known and e.start == latest]
    return tuple(dict.fromkeys(agents))


def _assess_line(
    data: PatientData, today: date, cs: CriteriaSet, classes: tuple[LnClass, ...], line: TreatmentLine
) -> Assessment:
    months = months_between((today - line.t0).days)
    p = proteinuria(data, line.t0, today)
    base = Assessment(
        in_scope=True,
        criteria=cs,
        today=today,
        classes=classes,
        line=line,
        months=months,
        verdict=Verdict.CANNOT_ASSESS,
        proteinuria=p,
        proteinuria_unit_skipped=any(c in PROTEINURIA_CONCEPTS for c in data.report.unknown_unit_concepts),
        unresolved_medications=data.report.medication_requests_unresolved,
    )
    missing = _missing(p, months, cs)
    if missing and missing != (Missing.BASELINE,):
        return replace(base, missing=missing)
    m = Measurements(p, kidney_function(data, line.t0, today, cs.kidney_tolerance), sediment(data, today))
    not_applicable = bool(classes) and not REFRACTORY_CLASSES.intersection(classes)
    no_result_yet = p.current_is_baseline  # too early for any time point (else _missing said so)
    checkpoints = () if no_result_yet else judge_checkpoints(cs, m, months)
    verdict = _verdict(checkpoints, not_applicable)
    if missing and not _settled_without_baseline(cs, m, verdict):
        return replace(base, missing=missing)
    return replace(
        base,
        missing=missing,
        verdict=verdict,
        measurements=m,
        response=None if no_result_yet else classify(cs, m),
        checkpoints=checkpoints,
        next_checkpoint=_next_checkpoint(cs, m, months),
        class_not_applicable=not_applicable,
        checklist=review_checklist(data, cs, line, m, classes, today),
    )
