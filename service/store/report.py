"""The committee's report: per rule and criteria set, how often cards were accepted or overridden, and why.

A card's outcome is its latest feedback item (by outcome time): accepted, overridden, or no feedback. Override
reasons are counted over overridden items, by code ("(no code)" when only a comment came). The median time to
feedback runs from issue to the card's first feedback item. Everything is computed from the cards issued since
the cut-off, so one query per table serves SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from service.store.schema import feedback, issued_card

TOP_REASONS = 5
_SINCE = re.compile(r"^\s*(\d{1,5})\s*([dwh])\s*$")
_UNITS = {"d": "days", "w": "weeks", "h": "hours"}


def parse_since(raw: str) -> timedelta:
    """Returns the window `raw` names: `30d`, `12w` or `48h`; raises ValueError saying what is accepted."""
    match = _SINCE.match(raw)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"{raw!r} is not a window; use a number and a unit, like 30d, 12w or 48h")
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@dataclass
class Group:
    """The figures of one (service, rule, criteria set)."""

    service_id: str
    rule_id: str
    criteria_set: str
    issued: int = 0
    accepted: int = 0
    overridden: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    waits: list[float] = field(default_factory=list)  # seconds from issue to first feedback

    def to_json(self) -> dict[str, Any]:
        """Returns the group as the report's JSON shows it."""
        return {
            "service_id": self.service_id,
            "rule_id": self.rule_id,
            "criteria_set": self.criteria_set,
            "cards_issued": self.issued,
            "accepted": self.accepted,
            "overridden": self.overridden,
            "no_feedback": self.issued - self.accepted - self.overridden,
            "top_override_reasons": [{"reason": r, "count": n} for r, n in self.reasons.most_common(TOP_REASONS)],
            "median_seconds_to_feedback": round(statistics.median(self.waits), 1) if self.waits else None,
        }


@dataclass(frozen=True, slots=True)
class _Card:
    uuid: str
    service_id: str
    rule_id: str
    criteria_set: str
    issued_at: datetime


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)  # SQLite drops the offset


def _read(engine: Engine, since: datetime, service_id: str | None) -> tuple[list[_Card], dict[str, list[Any]]]:
    cards_q = select(
        issued_card.c.uuid,
        issued_card.c.service_id,
        issued_card.c.rule_id,
        issued_card.c.criteria_set,
        issued_card.c.issued_at,
    ).where(issued_card.c.issued_at >= since)
    if service_id is not None:
        cards_q = cards_q.where(issued_card.c.service_id == service_id)
    items_q = (
        select(
            feedback.c.card_uuid,
            feedback.c.outcome,
            feedback.c.override_reason_code,
            feedback.c.outcome_at,
            feedback.c.received_at,
        )
        .join(issued_card, issued_card.c.uuid == feedback.c.card_uuid)
        .where(issued_card.c.issued_at >= since)
        .order_by(feedback.c.outcome_at, feedback.c.id)
    )
    with engine.connect() as connection:
        cards = [
            _Card(r.uuid, r.service_id, r.rule_id, r.criteria_set, _utc(r.issued_at))
            for r in connection.execute(cards_q)
        ]
        items: dict[str, list[Any]] = defaultdict(list)
        for row in connection.execute(items_q):
            items[row.card_uuid].append(row)
    return cards, items


def build_report(engine: Engine, *, since: timedelta, now: datetime, service_id: str | None = None) -> dict[str, Any]:
    """Returns the report over cards issued in the window `since` before `now` (optionally one service's)."""
    start = now - since
    cards, items = _read(engine, start, service_id)
    groups: dict[tuple[str, str, str], Group] = {}
    for card in cards:
        key = (card.service_id, card.rule_id, card.criteria_set)
        group = groups.setdefault(key, Group(*key))
        group.issued += 1
        card_items = items.get(card.uuid, [])
        if not card_items:
            continue
        latest = card_items[-1]
        if latest.outcome == "accepted":
            group.accepted += 1
        else:
            group.overridden += 1
        group.reasons.update(i.override_reason_code or "(no code)" for i in card_items if i.outcome == "overridden")
        group.waits.append(max(0.0, (_utc(card_items[0].outcome_at) - card.issued_at).total_seconds()))
    return {
        "since": start.isoformat(),
        "until": now.isoformat(),
        "groups": [groups[k].to_json() for k in sorted(groups)],
    }


def acceptance_by_day(engine: Engine, *, since: timedelta, now: datetime) -> dict[str, list[tuple[date, float]]]:
    """Returns, per rule id, the share of each day's cards whose latest feedback is acceptance (days with cards)."""
    cards, items = _read(engine, now - since, None)
    issued: dict[tuple[str, date], int] = Counter()
    accepted: dict[tuple[str, date], int] = Counter()
    for card in cards:
        key = (card.rule_id, card.issued_at.date())
        issued[key] += 1
        card_items = items.get(card.uuid)
        if card_items and card_items[-1].outcome == "accepted":
            accepted[key] += 1
    series: dict[str, list[tuple[date, float]]] = defaultdict(list)
    for rule, day in sorted(issued):
        series[rule].append((day, accepted[(rule, day)] / issued[(rule, day)]))
    return dict(series)


def format_report(report: dict[str, Any]) -> Iterable[str]:
    """Yields the report as text lines for the terminal."""
    yield f"Cards issued from {report['since'][:19]}Z to {report['until'][:19]}Z"
    if not report["groups"]:
        yield "  no cards issued in this window"
    for g in report["groups"]:
        median = g["median_seconds_to_feedback"]
        wait = "-" if median is None else _duration(median)
        yield (
            f"  {g['service_id']} / {g['rule_id']} / {g['criteria_set']}: issued {g['cards_issued']}, "
            f"accepted {g['accepted']}, overridden {g['overridden']}, no feedback {g['no_feedback']}, "
            f"median time to feedback {wait}"
        )
        for reason in g["top_override_reasons"]:
            yield f"      override reason {reason['reason']}: {reason['count']}"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
