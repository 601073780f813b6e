"""The current treatment line and its clock (T0), walked forward through every change of therapy.

A change (a switch or an add-on of a different agent) starts a new line only when the patient had not reached at
least a partial response by the day of the change, judged with the same criteria set against the earlier line's
own baseline: a change after a response is maintenance, and the clock keeps running (response-model.md section 2;
the seed: "those who do not achieve remission after 6 months with cyclophosphamide are switched to mycophenolate,
or vice versa").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from fhir_maps.codes import LINE_AGENTS
from fhir_maps.domain import Agent, PatientData, TherapyEpisode
from hooks.lupus_nephritis_response.criteria import CriteriaSet
from hooks.lupus_nephritis_response.measures import kidney_function, proteinuria, sediment
from hooks.lupus_nephritis_response.response import Measurements, Response, classify

# Not in response-model.md (judgement call): an agent added within 30 days of a line's start is part of the initial
# combination (KDIGO 2024 and EULAR 2023 start MMF with belimumab or a CNI), not a change for non-response.
INITIAL_COMBINATION_DAYS = 30
# response-model.md section 2 merges orders of one agent when the gap is <= 60 days; the same span separates a
# switch (the next agent follows within 60 days) from a new course after a break in all therapy.
BREAK_DAYS = 60
# Mycophenolate mofetil and mycophenolic acid deliver the same drug: moving between them is not a change of line.
_FAMILY = {Agent.MYCOPHENOLIC_ACID: Agent.MYCOPHENOLATE_MOFETIL}


def family(agent: Agent) -> Agent:
    """Returns the agent that stands for `agent`'s drug family."""
    return _FAMILY.get(agent, agent)


class ChangeKind(StrEnum):
    COMBINATION = "combination"  # added within INITIAL_COMBINATION_DAYS of the line's start
    MAINTENANCE = "maintenance"  # at least a partial response by the change: the clock keeps running
    NO_RESPONSE = "no-response"  # no partial response by the change: a new line, earlier agents failed
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
    failed_agents: tuple[Agent, ...] = ()  # agents of earlier lines that ended without a partial response
    changes: tuple[LineChange, ...] = field(default=())  # every change since the first line, in order

    @property
    def is_combination(self) -> bool:
        """Returns True when more than one line agent is active today."""
        return len(self.current_agents) > 1


def response_on(data: PatientData, cs: CriteriaSet, t0: date, day: date) -> Response | None:
    """Returns the response class on `day` of a line that started on `t0`, or None without both proteinuria values."""
    p = proteinuria(data, t0, day)
    if p.baseline is None or p.current is None or p.current_is_baseline:
        return None
    m = Measurements(p, kidney_function(data, t0, day, cs.kidney_tolerance), sediment(data, day))
    return classify(cs, m)


def _line_episodes(data: PatientData, today: date) -> list[TherapyEpisode]:
    return sorted(
        (e for e in data.episodes if e.agent in LINE_AGENTS and e.start <= today), key=lambda e: (e.start, e.agent)
    )


def _unique(agents: Sequence[Agent]) -> tuple[Agent, ...]:
    return tuple(dict.fromkeys(agents))


@dataclass
class _Walk:
    """The line being followed while walking forward through the changes."""

    t0: date
    agents: list[Agent]
    failed: list[Agent] = field(default_factory=list)
    changes: list[LineChange] = field(default_factory=list)

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
    return ChangeKind.MAINTENANCE if response.reached_partial else ChangeKind.NO_RESPONSE


def current_line(data: PatientData, cs: CriteriaSet, today: date) -> TreatmentLine | None:
    """Returns the line running today, or None when no line agent is active today."""
    episodes = _line_episodes(data, today)
    current = [e for e in episodes if e.active_on(today)]
    if not current:
        return None
    walk = _Walk(episodes[0].start, [e.agent for e in episodes if e.start == episodes[0].start])
    for day in sorted({e.start for e in episodes if e.start > walk.t0}):
        before = [e for e in episodes if e.start < day]
        running = {family(e.agent) for e in before if e.active_on(day - timedelta(days=1))}
        new = [e.agent for e in episodes if e.start == day and family(e.agent) not in running]
        if not new:
            continue  # a re-order of an agent already running
        last_end = max(min(e.end or day, day) for e in before)
        kind = _classify_change(data, cs, walk, day, last_end)
        walk.changes.append(LineChange(day, _unique(new), kind))
        if kind in (ChangeKind.COMBINATION, ChangeKind.MAINTENANCE):
            walk.agents.extend(new)
            continue
        if kind is ChangeKind.NEW_COURSE:
            ended = response_on(data, cs, walk.t0, last_end)
            failed = ended is not None and not ended.reached_partial
        else:
            failed = kind is ChangeKind.NO_RESPONSE
        continuing = [e.agent for e in before if e.active_on(day)]
        walk.restart(day, continuing + new, failed)
    return TreatmentLine(
        t0=walk.t0,
        agents=_unique(walk.agents),
        current_agents=_unique([e.agent for e in current]),
        episodes=tuple(e for e in episodes if e.agent in walk.agents and (e.end is None or e.end >= walk.t0)),
        failed_agents=_unique(walk.failed),
        changes=tuple(walk.changes),
    )
