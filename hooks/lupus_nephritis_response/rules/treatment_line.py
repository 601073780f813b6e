"""The current treatment line and its clock (T0), walked forward through every change of therapy.

A change (a switch or an add-on of a different agent) starts a new line only when the patient had not reached at
least a partial response by the day of the change, judged with the same criteria set against the earlier line's
own baseline: a change after a response is maintenance, and the clock keeps running (response-model.md section 2;
the seed: "those who do not achieve remission after 6 months with cyclophosphamide are switched to mycophenolate,
or vice versa"). The earlier agents count as failed only when their line had run at least to the set's
partial-response time point: a shorter course stopped without a response starts a new line and fails nobody.

A maintenance-only agent (azathioprine, leflunomide) never starts a line: it joins the current line when the change
to it is maintenance (after at least a partial response, as in "CYC induction followed by MMF or azathioprine
maintenance", response-model.md section 2), so the original T0 and the 24-month criterion still hold; otherwise
it is not part of any line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from fhir_maps.domain import Agent, PatientData, TherapyEpisode
from hooks.lupus_nephritis_response.knowledge.criteria_sets import CriteriaSet
from hooks.lupus_nephritis_response.knowledge.treatment_lines import LINE_AGENTS, MAINTENANCE_ONLY
from hooks.lupus_nephritis_response.rules.clinical_response import Measurements, Response, classify, months_between
from hooks.lupus_nephritis_response.rules.measures import kidney_function, proteinuria, sediment

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

    def has(self, agent: Agent) -> bool:
        """Returns True when `agent`'s drug family is part of the line being followed."""
        return family(agent) in {family(a) for a in self.agents}

    def restart(self, day: date, agents: list[Agent], failed: bool) -> None:
        if failed:
            self.failed.extend(self.agents)
        self.t0, self.agents = day, agents


def _classify_change(data: PatientData, cs: CriteriaSet, walk: _Walk, day: date, last_end: date) -> ChangeKind:
    if (day - walk.t0).days <= INITIAL_COMBINATION_DAYS:
        return ChangeKind.COMBINATION
    if (day - last_end).days > BREAK_DAYS:
        return ChangeKind.NEW_COURSE
    response = response_on(data, cs, walk.t0, day)
    if response is None:
        return ChangeKind.UNJUDGED
    if response.reached_partial:
        return ChangeKind.MAINTENANCE
    return ChangeKind.NO_RESPONSE if _ran_to_pr_time_point(cs, walk.t0, day) else ChangeKind.EARLY


def _ran_to_pr_time_point(cs: CriteriaSet, t0: date, day: date) -> bool:
    return months_between((day - t0).days) >= partial_response_months(cs)


def _failed_at_break(data: PatientData, cs: CriteriaSet, walk: _Walk, last_end: date) -> bool:
    """Returns True when the line that ended before a break ran to the PR time point without a partial response."""
    ended = response_on(data, cs, walk.t0, last_end)
    return ended is not None and not ended.reached_partial and _ran_to_pr_time_point(cs, walk.t0, last_end)


def current_line(data: PatientData, cs: CriteriaSet, today: date) -> TreatmentLine | None:
    """Returns the line running today, or None when no agent of a line is active today."""
    episodes = _line_episodes(data, today)
    if not any(e.active_on(today) for e in episodes):
        return None
    walk = _Walk(episodes[0].start, [e.agent for e in episodes if e.start == episodes[0].start])
    for day in sorted({e.start for e in episodes if e.start > walk.t0}):
        # Maintenance-only episodes that never joined the line are left out: their end must not hide a break.
        before = [e for e in episodes if e.start < day and (e.agent in LINE_AGENTS or walk.has(e.agent))]
        running = {family(e.agent) for e in before if e.active_on(day - timedelta(days=1))}
        new = [e.agent for e in episodes if e.start == day and family(e.agent) not in running]
        if not new:
            continue  # a re-order of an agent already running
        last_end = max(min(e.end or day, day) for e in before)
        kind = _classify_change(data, cs, walk, day, last_end)
        if kind in (ChangeKind.COMBINATION, ChangeKind.MAINTENANCE):
            walk.changes.append(LineChange(day, _unique(new), kind))
            walk.agents.extend(new)
            continue
        starting = [a for a in new if a in LINE_AGENTS]
        if not starting:
            continue  # a maintenance-only agent without a response: it never starts a line
        walk.changes.append(LineChange(day, _unique(starting), kind))
        if kind is ChangeKind.NEW_COURSE:
            failed = _failed_at_break(data, cs, walk, last_end)
        else:
            failed = kind is ChangeKind.NO_RESPONSE
        continuing = [e.agent for e in before if e.active_on(day) and (e.agent in LINE_AGENTS or walk.has(e.agent))]
        walk.restart(day, continuing + starting, failed)
    current = [e for e in episodes if e.active_on(today) and (e.agent in LINE_AGENTS or walk.has(e.agent))]
    if not current:
        return None  # only a maintenance-only agent that joined no line is active today
    lineage = {family(a) for a in walk.agents}
    return TreatmentLine(
        t0=walk.t0,
        agents=_unique(walk.agents),
        current_agents=_unique([e.agent for e in current]),
        # By drug family: mycophenolic acid that follows mycophenolate mofetil is the same line, and its episode
        # must be here for the dose check (1.44 g/day) to see it.
        episodes=tuple(e for e in episodes if family(e.agent) in lineage and (e.end is None or e.end >= walk.t0)),
        failed_agents=_unique(walk.failed),
        changes=tuple(walk.changes),
    )
