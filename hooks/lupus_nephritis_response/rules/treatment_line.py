"""The current treatment line and its clock (T0), walked forward through every change of therapy.

A change (a switch or an add-on of a different agent) starts a new line only when the patient had not reached at
least a partial response by the day of the change, judged with the same criteria set against the earlier line's
own baseline: a change after a response is maintenance, and the clock keeps running (response-model.md section 2;
Santacruz 2023: "those who do not achieve remission after 6 months with cyclophosphamide are switched to mycophenolate,
or vice versa"). The earlier agents count as failed only when their line had run at least to the set's
partial-response time point: a shorter course stopped without a response starts a new line and fails nobody.

A maintenance-only agent (azathioprine, leflunomide) never starts a line: it joins the current line when the change
to it is maintenance (after at least a partial response, as in "CYC induction followed by MMF or azathioprine
maintenance", response-model.md section 2), so the original T0 and the 24-month criterion still hold; otherwise
it is not part of any line.

How lines are recorded (issue 10 section 2; the rules table is in knowledge/THERAPY.md):
- T0 is the start of lupus nephritis induction: a line agent already given before nephritis was diagnosed (for
  non-renal lupus) starts its line at its first intensification (a higher daily dose) from the diagnosis on, else
  at the diagnosis date (`T0Reason`).
- A pulse course (fhir_maps.episodes.PLANNED_PULSE_SPACING_DAYS) is in force until its next planned pulse was due;
  once ended it is still judged for ENDED_COURSE_JUDGED_DAYS while no other line agent follows.
- Planned maintenance after a completed induction pulse course (Euro-Lupus: six fortnightly pulses, then
  azathioprine or mycophenolate) is one line: the clock keeps running and the induction agent stays in the line.
  Azathioprine that follows an induction pulse course without a break joins its line whatever the response: it
  never starts a line of its own and never hides the course that came before.
- A relapse (a response reached since T0, then lost) is not refractoriness: a change after it starts a new line
  that fails nobody, and without a re-induction the line is not judged (`Relapse`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from fhir_maps.domain import Agent, ConditionKind, PatientData, TherapyEpisode
from hooks.lupus_nephritis_response.knowledge.criteria_sets import CriteriaSet, Level
from hooks.lupus_nephritis_response.knowledge.treatment_lines import (
    COMPLETED_COURSE_DAYS,
    ENDED_COURSE_JUDGED_DAYS,
    INDUCTION_PULSE_AGENTS,
    LINE_AGENTS,
    MAINTENANCE_AGENTS,
    MAINTENANCE_ONLY,
    PRE_DIAGNOSIS_TOLERANCE_DAYS,
    REINDUCTION_LOOKBACK_DAYS,
)
from hooks.lupus_nephritis_response.rules.clinical_response import Measurements, Response, classify, months_between
from hooks.lupus_nephritis_response.rules.measures import (
    BASELINE_DAYS_AFTER_T0,
    PROTEINURIA_CONCEPTS,
    Decision,
    Reading,
    judge_one,
    kidney_function,
    proteinuria,
    sediment,
)

# Not in response-model.md (judgement call): an agent added within 30 days of a line's start is part of the initial
# combination (KDIGO 2024 and EULAR 2023 start MMF with belimumab or a CNI), not a change for non-response.
INITIAL_COMBINATION_DAYS = 30
# response-model.md section 2 merges orders of one agent when the gap is <= 60 days; the same span separates a
# switch (the next agent follows within 60 days) from a new course after a break in all therapy.
BREAK_DAYS = 60
# Mycophenolate mofetil and mycophenolic acid deliver the same drug: moving between them is not a change of line.
_FAMILY = {Agent.MYCOPHENOLIC_ACID: Agent.MYCOPHENOLATE_MOFETIL}
# response-model.md section 2: an agent counts as failed when its line "ended without partial response by 6
# months". Used only for a criteria set with no checkpoint on its partial-response test (every set has one today:
# `partial_response_months`).
FAILED_WITHOUT_PR_BY_MONTHS = Decimal(6)
# A flare on maintenance (issue 10 §2 "Relapse is not refractoriness"; review finding E11): azathioprine after a
# complete response is maintenance-only and belongs to no line, so a re-induction after a flare on it would start a
# first line that never saw the response. Looked back this far before a line's first order (this service's
# choice, not a guideline figure: one year of follow-up on maintenance), a proteinuria below the set's
# complete-response ceiling while an immunosuppressant was in force, then one at or above it by the re-induction
# (up to the baseline window after T0), is a relapse: the line is its re-induction, judged from its own start.
RELAPSE_BEFORE_LINE_LOOKBACK_DAYS = 365


def family(agent: Agent) -> Agent:
    """Returns the agent that stands for `agent`'s drug family."""
    return _FAMILY.get(agent, agent)


class ChangeKind(StrEnum):
    COMBINATION = "combination"  # added within INITIAL_COMBINATION_DAYS of the line's start
    MAINTENANCE = "maintenance"  # at least a partial response by the change: the clock keeps running
    NO_RESPONSE = "no-response"  # no partial response by the change: a new line, earlier agents failed
    EARLY = "early"  # no partial response, but before the set's partial-response time point: a new line, none failed
    UNJUDGED = "unjudged"  # no baseline or recent proteinuria at the change: a new line, nobody counted as failed
    NEW_COURSE = "new-course"  # after a break of more than BREAK_DAYS in all line therapy
    PLANNED_MAINTENANCE = "planned-maintenance"  # maintenance after a completed induction pulse course: same line
    RELAPSE = "relapse"  # a response was reached on the line, then lost: re-induction, a new line failing nobody


class T0Reason(StrEnum):
    """Why the line's T0 is the date it is (the card says which date was used and why)."""

    FIRST_ORDER = "first-order"  # the first order of the line's agents (the usual case)
    INTENSIFIED = "intensified"  # agent given before the LN diagnosis; T0 at its intensification
    DIAGNOSIS = "diagnosis"  # agent given before the LN diagnosis, no intensification seen; T0 at the diagnosis
    REINDUCTION = "reinduction"  # re-induction after a relapse (a new agent, a higher dose or a restart)


@dataclass(frozen=True, slots=True)
class Relapse:
    """A nephritic flare seen in the data: a response reached on the line, then lost."""

    reached_on: date  # the last result showing at least a partial response
    level: Level  # the response reached then (partial or complete)
    lost_on: date  # the first later result without one
    reinduction: date | None = None  # the re-induction the new episode is judged from; None: none recorded
    reached_value: Reading | None = None  # the proteinuria showing the response, and the one that lost it
    lost_value: Reading | None = None


@dataclass(frozen=True, slots=True)
class LineChange:
    day: date
    agents: tuple[Agent, ...]  # agents started that day
    kind: ChangeKind


@dataclass(frozen=True, slots=True)
class TreatmentLine:
    t0: date
    agents: tuple[Agent, ...]  # every line agent given since T0, in order of start
    current_agents: tuple[Agent, ...]  # those active today
    episodes: tuple[TherapyEpisode, ...]  # line-agent episodes that ran on or after T0
    failed_agents: tuple[Agent, ...] = ()  # agents of earlier lines that ran to the PR time point without one
    changes: tuple[LineChange, ...] = field(default=())  # every change since the first line, in order
    t0_reason: T0Reason = T0Reason.FIRST_ORDER
    first_given: date | None = None  # for INTENSIFIED / DIAGNOSIS: when the agent was first given
    diagnosed: date | None = None  # for INTENSIFIED / DIAGNOSIS: the lupus nephritis diagnosis date
    course_ended: date | None = None  # a pulse course judged after its end: the day of its last pulse
    relapse: Relapse | None = None

    @property
    def is_combination(self) -> bool:
        """Returns True when more than one line agent is active today."""
        return len(self.current_agents) > 1


def agent_active(data: PatientData, agent: Agent, today: date) -> bool:
    """Returns True when an episode of `agent` covers today (any agent, line-defining or not)."""
    return any(e.agent is agent and e.active_on(today) for e in data.episodes)


def response_on(data: PatientData, cs: CriteriaSet, t0: date, day: date) -> Response | None:
    """Returns the response class on `day` of a line that started on `t0`, or None without both proteinuria values."""
    p = proteinuria(data, t0, day)
    if p.baseline is None or p.current is None or p.current_is_baseline:
        return None
    m = Measurements(p, kidney_function(data, t0, day, cs.kidney_tolerance), sediment(data, day))
    return classify(cs, m)


def partial_response_months(cs: CriteriaSet) -> Decimal:
    """Returns the months by which the set expects a partial response: its earliest checkpoint on the PR test."""
    return min((c.months for c in cs.checkpoints if c.test == cs.partial), default=FAILED_WITHOUT_PR_BY_MONTHS)


def in_force(e: TherapyEpisode, day: date) -> bool:
    """Returns True when `e` covers `day`, a pulse course until its next planned pulse was due."""
    return e.active_on(day) or (e.covered_until is not None and e.start <= day <= e.covered_until)


def _ended_course(episodes: Sequence[TherapyEpisode], today: date) -> TherapyEpisode | None:
    """Returns the latest line episode when it is an induction pulse course that ended less than
    ENDED_COURSE_JUDGED_DAYS ago (no line agent started after it): a course judged after its end."""
    line = [e for e in episodes if e.agent in LINE_AGENTS]
    if not line:
        return None
    last = max(line, key=lambda e: (e.start, e.end or date.max))
    if last.agent not in INDUCTION_PULSE_AGENTS or last.end is None or any(e.start > last.start for e in line):
        return None
    return last if (today - last.end).days <= ENDED_COURSE_JUDGED_DAYS else None


def _line_episodes(data: PatientData, today: date) -> list[TherapyEpisode]:
    """Returns the line and maintenance-only episodes started by today; maintenance before the first line agent
    is left out (it belongs to no line)."""
    started = [e for e in data.episodes if e.agent in LINE_AGENTS | MAINTENANCE_ONLY and e.start <= today]
    first = min((e.start for e in started if e.agent in LINE_AGENTS), default=None)
    if first is None:
        return []
    return sorted((e for e in started if e.start >= first or e.agent in LINE_AGENTS), key=lambda e: (e.start, e.agent))


def _unique(agents: Sequence[Agent]) -> tuple[Agent, ...]:
    return tuple(dict.fromkeys(agents))


@dataclass
class _Walk:
    """The line being followed while walking forward through the changes."""

    t0: date
    agents: list[Agent]
    failed: list[Agent] = field(default_factory=list)
    changes: list[LineChange] = field(default_factory=list)
    t0_reason: T0Reason = T0Reason.FIRST_ORDER
    relapse: Relapse | None = None
    first_given: date | None = None
    diagnosed: date | None = None

    def has(self, agent: Agent) -> bool:
        """Returns True when `agent`'s drug family is part of the line being followed."""
        return family(agent) in {family(a) for a in self.agents}

    def restart(self, day: date, agents: list[Agent], failed: bool) -> None:
        if failed:
            self.failed.extend(self.agents)
        self.t0, self.agents = day, agents


def _classify_change(
    data: PatientData, cs: CriteriaSet, walk: _Walk, day: date, last_end: date, new: Sequence[Agent], ended: bool
) -> ChangeKind:
    """`ended`: the line so far is a completed induction course that ended by `day` (`_completed_induction`)."""
    if (day - walk.t0).days <= INITIAL_COMBINATION_DAYS:
        return ChangeKind.COMBINATION
    if (day - last_end).days > BREAK_DAYS:
        return ChangeKind.NEW_COURSE
    response = response_on(data, cs, walk.t0, day)
    if response is not None and response.reached_partial:
        return ChangeKind.MAINTENANCE
    if relapse_between(data, cs, walk.t0, day) is not None:
        return ChangeKind.RELAPSE
    after_course = ended and all(a in COMPLETED_COURSE_DAYS for a in walk.agents)
    if after_course and all(a in MAINTENANCE_ONLY for a in new):
        return ChangeKind.PLANNED_MAINTENANCE  # azathioprine after an induction course is its maintenance
    planned = after_course and all(a in MAINTENANCE_AGENTS for a in new)
    if response is None:
        return ChangeKind.PLANNED_MAINTENANCE if planned else ChangeKind.UNJUDGED
    if _ran_to_pr_time_point(cs, walk.t0, day):
        return ChangeKind.NO_RESPONSE  # the review: no remission after 6 months of cyclophosphamide -> switch
    return ChangeKind.PLANNED_MAINTENANCE if planned else ChangeKind.EARLY


def relapse_between(data: PatientData, cs: CriteriaSet, t0: date, day: date) -> Relapse | None:
    """Returns the relapse seen by `day` on a line started on `t0`: at least a partial response reached on some
    proteinuria result after T0, and lost on a later one and still on `day`. None when no response was reached,
    or when the response holds on `day` (response-model.md section 4 classes; issue 10: relapse is not
    refractoriness)."""
    now = response_on(data, cs, t0, day)
    if now is None or now.reached_partial:
        return None
    days = sorted(
        {
            r.when.date()
            for c in PROTEINURIA_CONCEPTS
            for r in data.series(c).results
            if r.decides and t0 < r.when.date() <= day
        }
    )
    reached: tuple[date, Level] | None = None
    lost: date | None = None
    for d in days:
        response = response_on(data, cs, t0, d)
        if response is None:
            continue
        if response.reached_partial:
            reached, lost = (d, max(response.level, response.provisional or Level.NONE, Level.PARTIAL)), None
        elif reached is not None and lost is None:
            lost = d
    if reached is None or lost is None:
        return None
    return Relapse(
        reached_on=reached[0],
        level=reached[1],
        lost_on=lost,
        reached_value=proteinuria(data, t0, reached[0]).current,
        lost_value=proteinuria(data, t0, lost).current,
    )


def _completed_induction(before: Sequence[TherapyEpisode], day: date) -> bool:
    """Returns True when every line episode before `day` has ended by it and was a complete induction course
    (an agent of COMPLETED_COURSE_DAYS given for at least that many days): what planned maintenance follows."""
    line = [e for e in before if e.agent in LINE_AGENTS]
    return bool(line) and all(
        e.end is not None
        and e.end < day
        and e.agent in COMPLETED_COURSE_DAYS
        and (e.end - e.start).days >= COMPLETED_COURSE_DAYS[e.agent]
        for e in line
    )


def _ran_to_pr_time_point(cs: CriteriaSet, t0: date, day: date) -> bool:
    return months_between((day - t0).days) >= partial_response_months(cs)


def _failed_at_break(data: PatientData, cs: CriteriaSet, walk: _Walk, last_end: date) -> bool:
    """Returns True when the line that ended before a break ran to the PR time point without a partial response."""
    ended = response_on(data, cs, walk.t0, last_end)
    return ended is not None and not ended.reached_partial and _ran_to_pr_time_point(cs, walk.t0, last_end)


def ln_diagnosed(data: PatientData) -> date | None:
    """Returns the earliest recorded date of an active lupus nephritis diagnosis (onset, else recordedDate)."""
    days = [d.recorded for d in data.diagnoses if d.kind is ConditionKind.LUPUS_NEPHRITIS and d.active and d.recorded]
    return min(days, default=None)


def _higher_dose_from(data: PatientData, agents: Sequence[Agent], since: date, until: date) -> date | None:
    """Returns the start of the first order of `agents` (by drug family) in [since, until] whose daily dose is
    higher than that of the order before it, or None (unknown doses never count as an intensification)."""
    families = {family(a) for a in agents}
    orders = sorted((o for o in data.orders if family(o.agent) in families and o.route_systemic), key=lambda o: o.start)
    for before, order in itertools.pairwise(orders):
        if not since <= order.start <= until:
            continue
        if before.daily_dose_mg is not None and order.daily_dose_mg is not None:
            if order.daily_dose_mg > before.daily_dose_mg:
                return order.start
    return None


def _induction_start(data: PatientData, first: date, agents: Sequence[Agent], today: date) -> tuple[date, T0Reason]:
    """Returns T0 and its reason for a line whose first order was on `first` (an agent given before the LN
    diagnosis starts its induction line at its intensification, else at the diagnosis)."""
    diagnosed = ln_diagnosed(data)
    if diagnosed is None or (diagnosed - first).days <= PRE_DIAGNOSIS_TOLERANCE_DAYS or diagnosed > today:
        return first, T0Reason.FIRST_ORDER
    since = diagnosed - timedelta(days=PRE_DIAGNOSIS_TOLERANCE_DAYS)
    intensified = _higher_dose_from(data, agents, since, today)
    if intensified is not None:
        return intensified, T0Reason.INTENSIFIED
    return diagnosed, T0Reason.DIAGNOSIS


def current_line(data: PatientData, cs: CriteriaSet, today: date) -> TreatmentLine | None:
    """Returns the line running today (or a pulse course judged after its end), else None."""
    episodes = _line_episodes(data, today)
    ended_course = _ended_course(episodes, today)
    if not any(in_force(e, today) for e in episodes) and ended_course is None:
        return None
    first = episodes[0].start
    walk = _Walk(first, [e.agent for e in episodes if e.start == first])
    walk.t0, walk.t0_reason = _induction_start(data, first, walk.agents, today)
    walk.first_given, walk.diagnosed = first, ln_diagnosed(data)
    for day in sorted({e.start for e in episodes if e.start > first}):
        # Maintenance-only episodes that never joined the line are left out: their end must not hide a break.
        before = [e for e in episodes if e.start < day and (e.agent in LINE_AGENTS or walk.has(e.agent))]
        running = {family(e.agent) for e in before if e.active_on(day - timedelta(days=1))}
        new = [e.agent for e in episodes if e.start == day and family(e.agent) not in running]
        if not new:
            continue  # a re-order of an agent already running
        last_end = max(min(e.end or day, day) for e in before)
        ended = _completed_induction(before, day)
        kind = _classify_change(data, cs, walk, day, last_end, new, ended=ended)
        if kind in (ChangeKind.COMBINATION, ChangeKind.MAINTENANCE, ChangeKind.PLANNED_MAINTENANCE):
            walk.changes.append(LineChange(day, _unique(new), kind))
            walk.agents.extend(new)
            continue
        starting = [a for a in new if a in LINE_AGENTS]
        if not starting:
            continue  # a maintenance-only agent after a break: it never starts a line
        walk.changes.append(LineChange(day, _unique(starting), kind))
        if kind is ChangeKind.NEW_COURSE:
            failed = _failed_at_break(data, cs, walk, last_end)
        else:
            failed = kind is ChangeKind.NO_RESPONSE
        relapse = relapse_between(data, cs, walk.t0, day) if kind is ChangeKind.RELAPSE else None
        continuing = [e.agent for e in before if e.active_on(day) and (e.agent in LINE_AGENTS or walk.has(e.agent))]
        walk.restart(day, continuing + starting, failed)
        walk.t0_reason, walk.relapse = T0Reason.FIRST_ORDER, None
        if relapse is not None:
            walk.t0_reason, walk.relapse = T0Reason.REINDUCTION, replace(relapse, reinduction=day)
    _relapse_on_line(data, cs, walk, today)
    if walk.relapse is None and walk.t0 == first and not walk.changes:
        walk.relapse = _relapse_before_line(data, cs, first)
        if walk.relapse is not None:
            walk.t0_reason = T0Reason.REINDUCTION
    return _line_today(walk, episodes, ended_course, today)


def _relapse_before_line(data: PatientData, cs: CriteriaSet, t0: date) -> Relapse | None:
    """Returns the relapse that a line starting on `t0` re-induces: a complete response by proteinuria on
    earlier therapy, lost by the re-induction (RELAPSE_BEFORE_LINE_LOOKBACK_DAYS), else None."""
    ceiling = cs.complete.max_proteinuria
    if ceiling is None:
        return None
    since, until = t0 - timedelta(days=RELAPSE_BEFORE_LINE_LOOKBACK_DAYS), t0 + timedelta(days=BASELINE_DAYS_AFTER_T0)
    results = sorted(
        (
            r
            for c in PROTEINURIA_CONCEPTS
            for r in data.series(c).results
            if r.decides and since <= r.when.date() <= until
        ),
        key=lambda r: r.when,
    )
    treated = [e for e in data.episodes if e.agent in LINE_AGENTS | MAINTENANCE_ONLY and e.start < t0]
    reached: Reading | None = None
    for r in results:
        reading = Reading(r.concept, r.value, r.when.date(), r.comparator, r.low)
        below = judge_one(reading, lambda v: v < ceiling, higher_passes=False)
        on_therapy = any(e.start <= reading.day and (e.end is None or e.end >= reading.day) for e in treated)
        if below is Decision.HOLDS and reading.day < t0 and on_therapy:
            reached = reading
        elif below is Decision.FAILS and reached is not None:
            return Relapse(reached.day, Level.COMPLETE, reading.day, t0, reached, reading)
    return None


def _relapse_on_line(data: PatientData, cs: CriteriaSet, walk: _Walk, today: date) -> None:
    """A relapse on the current line: judged from a re-induction by a higher dose of a line agent, if any."""
    relapse = relapse_between(data, cs, walk.t0, today)
    if relapse is None:
        return
    since = relapse.lost_on - timedelta(days=REINDUCTION_LOOKBACK_DAYS)
    intensified = _higher_dose_from(data, walk.agents, max(since, walk.t0 + timedelta(days=1)), today)
    walk.relapse = replace(relapse, reinduction=intensified)
    if intensified is not None:
        walk.t0, walk.t0_reason = intensified, T0Reason.REINDUCTION


def _line_today(
    walk: _Walk, episodes: Sequence[TherapyEpisode], ended_course: TherapyEpisode | None, today: date
) -> TreatmentLine | None:
    current = [e for e in episodes if in_force(e, today) and (e.agent in LINE_AGENTS or walk.has(e.agent))]
    if not current and ended_course is None:
        return None  # only a maintenance-only agent that joined no line is active today
    lineage = {family(a) for a in walk.agents}
    pre_diagnosis = walk.t0_reason in (T0Reason.INTENSIFIED, T0Reason.DIAGNOSIS)
    return TreatmentLine(
        t0=walk.t0,
        agents=_unique(walk.agents),
        current_agents=_unique([e.agent for e in current]),
        # By drug family: mycophenolic acid that follows mycophenolate mofetil is the same line, and its episode
        # must be here for the dose check (1.44 g/day) to see it.
        episodes=tuple(e for e in episodes if family(e.agent) in lineage and (e.end is None or e.end >= walk.t0)),
        failed_agents=_unique(walk.failed),
        changes=tuple(walk.changes),
        t0_reason=walk.t0_reason,
        first_given=walk.first_given if pre_diagnosis else None,
        diagnosed=walk.diagnosed if pre_diagnosis else None,
        course_ended=ended_course.end if ended_course is not None and not current else None,
        relapse=walk.relapse,
    )
