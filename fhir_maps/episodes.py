"""MedicationOrders -> TherapyEpisodes: one agent's continuous course, with its gaps and interruptions.

Orders of the same agent merge into one episode while the gap between the end of what is covered so far and the
next order's start is at most 60 days. Gaps over 30 days inside an episode are recorded for the adherence check.
Only systemic orders form episodes (an eye-drop cyclosporine is not a calcineurin-inhibitor line).

Pulse regimens (course-joining rule): an intravenous cyclophosphamide or rituximab infusion is recorded as one
order or administration that starts and ends on the day it is given. Each pulse covers the time until the next
planned pulse (`PLANNED_PULSE_SPACING_DAYS`), so the planned spacing of a course is never an uncovered gap or an
adherence flag; only time beyond it counts, under the same 30- and 60-day rules as any other agent. The pulses
joined this way are one course (one episode); `covered_until` says until when the last pulse was in force.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from fhir_maps.domain import Agent, MatchedBy, MedicationOrder, OrderStatus, TherapyEpisode

EPISODE_MERGE_GAP_DAYS = 60  # response-model.md §2: requests whose gap is <= 60 days are one episode
ADHERENCE_GAP_DAYS = 30  # response-model.md §6: a gap of > 30 days without an active request flags adherence
_PAUSED = frozenset({OrderStatus.STOPPED, OrderStatus.ON_HOLD})
# The widest planned spacing between two pulses of one course, per agent (knowledge/THERAPY.md, "Treatment lines
# as they are recorded"):
# - cyclophosphamide: monthly in the high-dose NIH schedule (0.5-1 g/m2 every month x 6), fortnightly in the
#   low-dose Euro-Lupus schedule (500 mg every 2 weeks x 6); the monthly one is the widest, one mean month;
# - rituximab: 1 g on days 1 and 15 (14 days), or 375 mg/m2 weekly x 4 (7 days), as Santacruz et al. 2023 (the
#   review) gives both schedules; the widest is 14 days.
PLANNED_PULSE_SPACING_DAYS: dict[Agent, int] = {Agent.CYCLOPHOSPHAMIDE: 31, Agent.RITUXIMAB: 14}


def build_episodes(orders: Iterable[MedicationOrder]) -> tuple[TherapyEpisode, ...]:
    """Returns the therapy episodes of the systemic `orders`, by start date then agent."""
    by_agent: dict[Agent, list[MedicationOrder]] = {}
    for order in orders:
        if order.route_systemic:
            by_agent.setdefault(order.agent, []).append(order)
    by_agent = {agent: _superseded(group) for agent, group in by_agent.items()}
    episodes = [
        _episode(group)
        for agent_orders in by_agent.values()
        for group in _merge(sorted(agent_orders, key=lambda o: (o.start, o.end or date.max)))
    ]
    return tuple(sorted(episodes, key=lambda e: (e.start, e.agent.value)))


def covered_until(order: MedicationOrder) -> date | None:
    """Returns the last day `order` covers: its end, plus the planned spacing to the next pulse for a pulse agent."""
    if order.end is None:
        return None
    return order.end + timedelta(days=PLANNED_PULSE_SPACING_DAYS.get(order.agent, 0))


def _superseded(orders: list[MedicationOrder]) -> list[MedicationOrder]:
    """A `stopped` order with no end date that a later order of the same agent follows was replaced by it (EHRs
    stop the old order when a dose is changed or a prescription renewed): it runs until the next one starts, and
    counts as completed, not as an interruption (no stop date says the drug was ever paused)."""
    ordered = sorted(orders, key=lambda o: (o.start, o.end or date.max))
    out = []
    for i, order in enumerate(ordered):
        later = [o.start for o in ordered[i + 1 :] if o.start > order.start]
        if not order.end_known and later:
            order = replace(order, end=min(later), end_known=True, status=OrderStatus.COMPLETED)
        out.append(order)
    return out


def _merge(orders: list[MedicationOrder]) -> list[list[MedicationOrder]]:
    """Splits one agent's orders (sorted by start) where the uncovered gap exceeds EPISODE_MERGE_GAP_DAYS."""
    groups: list[list[MedicationOrder]] = []
    covered: date | None = None  # end of what the current group covers; None = open-ended
    for order in orders:
        if groups and (covered is None or (order.start - covered).days <= EPISODE_MERGE_GAP_DAYS):
            groups[-1].append(order)
            until = covered_until(order)
            covered = None if covered is None or until is None else max(covered, until)
        else:
            groups.append([order])
            covered = covered_until(order)
    return groups


def _episode(orders: list[MedicationOrder]) -> TherapyEpisode:
    end = None if any(o.end is None for o in orders) else max(o.end for o in orders if o.end is not None)
    last = max(orders, key=lambda o: (o.end or date.max, o.start))
    pulses = orders[0].agent in PLANNED_PULSE_SPACING_DAYS
    return TherapyEpisode(
        agent=orders[0].agent,
        start=orders[0].start,
        end=end,
        orders=tuple(orders),
        daily_dose_mg=current_daily_dose(orders),
        gaps_over_30_days=_gaps(orders),
        interrupted=any(o.status in _PAUSED for o in orders[:-1]) or (end is None and _any_paused(orders)),
        matched_by_name=any(o.matched_by is MatchedBy.NAME for o in orders),
        covered_until=covered_until(last) if pulses and end is not None else None,
        end_known=end is None or last.end_known,
    )


def current_daily_dose(orders: list[MedicationOrder]) -> Decimal | None:
    """Returns the episode's most recent daily dose: the orders with a computable dose that start on the latest
    such start day, summed when more than one is in force after that day (knowledge/THERAPY.md, "Treatment lines
    as they are recorded").

    - Concurrent orders: one dose is often prescribed as two products written together (mycophenolate 1,000 mg
      twice daily as 500-mg tablets plus 250 mg twice daily as 250-mg capsules): orders of the agent that start
      on the same day and run beyond it are one dose, and their daily doses add up.
    - Renewals and dose changes: an order that starts on a later day replaces the earlier ones, even when the EHR
      left them active (a renewal is written as a new order; the old one is seldom closed the same day), so the
      latest start day alone is counted: summing overlapping orders of different start days would double a
      renewed dose. Judgement call: an add-on strength ordered on a later day is read as a new dose, not summed.
    """
    dosed = [o for o in orders if o.daily_dose_mg is not None]
    if not dosed:
        return None
    latest = max(o.start for o in dosed)
    same_day = [o for o in dosed if o.start == latest]
    running = [o for o in same_day if o.end is None or o.end > latest]
    if len(running) < 2:
        return same_day[-1].daily_dose_mg
    return sum((o.daily_dose_mg for o in running if o.daily_dose_mg is not None), Decimal(0))


def _any_paused(orders: list[MedicationOrder]) -> bool:
    return any(o.status in _PAUSED for o in orders)


def _gaps(orders: list[MedicationOrder]) -> tuple[tuple[date, date], ...]:
    """(from, to) spans longer than ADHERENCE_GAP_DAYS that no order of the episode covers."""
    gaps: list[tuple[date, date]] = []
    covered = covered_until(orders[0])
    for order in orders[1:]:
        if covered is None:
            break  # an open-ended order covers everything after it
        if (order.start - covered).days > ADHERENCE_GAP_DAYS:
            gaps.append((covered, order.start))
        until = covered_until(order)
        covered = None if until is None else max(covered, until)
    return tuple(gaps)
