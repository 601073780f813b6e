"""MedicationOrders -> TherapyEpisodes: one agent's continuous course, with its gaps and interruptions.

Orders of the same agent merge into one episode while the gap between the end of what is covered so far and the
next order's start is at most 60 days. Gaps over 30 days inside an episode are recorded for the adherence check.
Only systemic orders form episodes (an eye-drop cyclosporine is not a calcineurin-inhibitor line).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from fhir_maps.domain import Agent, MatchedBy, MedicationOrder, OrderStatus, TherapyEpisode

EPISODE_MERGE_GAP_DAYS = 60  # response-model.md §2: requests whose gap is <= 60 days are one episode
ADHERENCE_GAP_DAYS = 30  # response-model.md §6: a gap of > 30 days without an active request flags adherence
_PAUSED = frozenset({OrderStatus.STOPPED, OrderStatus.ON_HOLD})


def build_episodes(orders: Iterable[MedicationOrder]) -> tuple[TherapyEpisode, ...]:
    """Returns the therapy episodes of the systemic `orders`, by start date then agent."""
    by_agent: dict[Agent, list[MedicationOrder]] = {}
    for order in orders:
        if order.route_systemic:
            by_agent.setdefault(order.agent, []).append(order)
    episodes = [
        _episode(group)
        for agent_orders in by_agent.values()
        for group in _merge(sorted(agent_orders, key=lambda o: (o.start, o.end or date.max)))
    ]
    return tuple(sorted(episodes, key=lambda e: (e.start, e.agent.value)))


def _merge(orders: list[MedicationOrder]) -> list[list[MedicationOrder]]:
    """Splits one agent's orders (sorted by start) where the uncovered gap exceeds EPISODE_MERGE_GAP_DAYS."""
    groups: list[list[MedicationOrder]] = []
    covered: date | None = None  # end of what the current group covers; None = open-ended
    for order in orders:
        if groups and (covered is None or (order.start - covered).days <= EPISODE_MERGE_GAP_DAYS):
            groups[-1].append(order)
            covered = None if covered is None or order.end is None else max(covered, order.end)
        else:
            groups.append([order])
            covered = order.end
    return groups


def _episode(orders: list[MedicationOrder]) -> TherapyEpisode:
    end = None if any(o.end is None for o in orders) else max(o.end for o in orders if o.end is not None)
    doses = [o for o in orders if o.daily_dose_mg is not None]
    return TherapyEpisode(
        agent=orders[0].agent,
        start=orders[0].start,
        end=end,
        orders=tuple(orders),
        daily_dose_mg=doses[-1].daily_dose_mg if doses else None,
        gaps_over_30_days=_gaps(orders),
        interrupted=any(o.status in _PAUSED for o in orders[:-1]) or (end is None and _any_paused(orders)),
        matched_by_name=any(o.matched_by is MatchedBy.NAME for o in orders),
    )


def _any_paused(orders: list[MedicationOrder]) -> bool:
    return any(o.status in _PAUSED for o in orders)


def _gaps(orders: list[MedicationOrder]) -> tuple[tuple[date, date], ...]:
    """(from, to) spans longer than ADHERENCE_GAP_DAYS that no order of the episode covers."""
    gaps: list[tuple[date, date]] = []
    covered = orders[0].end
    for order in orders[1:]:
        if covered is None:
            break  # an open-ended order covers everything after it
        if (order.start - covered).days > ADHERENCE_GAP_DAYS:
            gaps.append((covered, order.start))
        covered = None if order.end is None else max(covered, order.end)
    return tuple(gaps)
