"""Writing what the service did and heard: issued cards (with their suggestions) and feedback items.

Feedback is checked against the cards this service issued, in one transaction per batch (all or nothing): a card
uuid never issued by this service is a 404 naming the item; an accepted suggestion that is not on the card is a 400
naming the item. The same item posted twice, to any worker or process, is stored once (`feedback.item_key` is
unique and inserts skip a conflict), so concurrent posts lose nothing and double nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, Insert, Table, select
from sqlalchemy.dialects import postgresql, sqlite

from hooks.cards import Card
from service.cds_models import FeedbackItem
from service.errors import BadHookRequest, CdsError
from service.store.engine import writing
from service.store.schema import UUID_CHARS, feedback, issued_card, issued_suggestion


class UnknownCard(CdsError):
    """Feedback names a card uuid this service never issued (or one purged since): 404 with an OperationOutcome."""

    status = 404
    issue_code = "not-found"


@dataclass(frozen=True, slots=True)
class CommentPolicy:
    """Whether the user's free-text override comment is kept, and at most how many characters of it."""

    keep: bool = False
    max_chars: int = 500

    def apply(self, comment: str | None) -> str | None:
        """Returns what is stored of `comment`: nothing unless kept, else at most `max_chars` characters."""
        if not self.keep or comment is None:
            return None
        return comment[: self.max_chars]


def item_key(service_id: str, item: FeedbackItem) -> str:
    """Returns the identity of one feedback item: a sha256 of its canonical form (the comment is not part of it)."""
    reason = item.override_reason
    canonical = {
        "service": service_id,
        "card": item.card,
        "outcome": item.outcome,
        "at": item.outcome_timestamp.astimezone(UTC).isoformat(),
        "accepted": sorted(item.accepted_suggestions),
        "reason": None if reason is None else [reason.system, reason.code],
    }
    return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()


def insert_or_skip(connection: Connection, table: Table, key: str) -> Insert:
    """Returns an INSERT into `table` that skips a row whose `key` column is already there (both dialects)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=[key])
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=[key])


def record_cards(
    engine: Engine, service_id: str, hook_instance: str, cards: Sequence[Card], issued_at: datetime
) -> None:
    """Stores the cards of one call and their suggestions, with no patient data."""
    with writing(engine) as connection:
        record_cards_on(connection, service_id, hook_instance, cards, issued_at)


def record_cards_on(
    connection: Connection, service_id: str, hook_instance: str, cards: Sequence[Card], issued_at: datetime
) -> None:
    """`record_cards` inside a transaction the caller holds (the store writer batches several calls in one)."""
    card_rows = [
        {
            "uuid": card.uuid,
            "service_id": service_id,
            "rule_id": card.rule_id or "unknown",
            "criteria_set": card.criteria_set or "none",
            "indicator": card.indicator.value,
            "hook_instance": hook_instance,
            "issued_at": issued_at,
        }
        for card in cards
    ]
    suggestion_rows = [
        {"uuid": s.uuid, "card_uuid": card.uuid, "kind": s.kind or "unspecified"}
        for card in cards
        for s in card.suggestions
    ]
    # A uuid seen before (only a test's numbered uuids repeat) keeps its first row rather than failing the call.
    connection.execute(insert_or_skip(connection, issued_card, "uuid"), card_rows)
    if suggestion_rows:
        connection.execute(insert_or_skip(connection, issued_suggestion, "uuid"), suggestion_rows)


def _check_items(connection: Connection, service_id: str, items: Sequence[FeedbackItem]) -> None:
    uuids = {item.card for item in items if len(item.card) <= UUID_CHARS}
    issued = set(
        connection.execute(
            select(issued_card.c.uuid).where(issued_card.c.uuid.in_(uuids), issued_card.c.service_id == service_id)
        ).scalars()
    )
    wanted = {s for item in items for s in item.accepted_suggestions if len(s) <= UUID_CHARS}
    on_card: dict[str, str] = {}
    if wanted:
        rows = connection.execute(
            select(issued_suggestion.c.uuid, issued_suggestion.c.card_uuid).where(issued_suggestion.c.uuid.in_(wanted))
        )
        on_card = {row.uuid: row.card_uuid for row in rows}
    for index, item in enumerate(items):
        if item.card not in issued:
            raise UnknownCard(f"feedback[{index}].card: this service issued no card with this uuid")
        for suggestion in item.accepted_suggestions:
            if on_card.get(suggestion) != item.card:
                raise BadHookRequest(
                    f"feedback[{index}].acceptedSuggestions: an id is not a suggestion of the card this item names"
                )


def record_feedback(
    engine: Engine,
    service_id: str,
    items: Sequence[FeedbackItem],
    received_at: datetime,
    comments: CommentPolicy,
) -> int:
    """Stores a batch of feedback items, all or none; returns how many were new (a repeated item is skipped).

    Raises UnknownCard (404) or BadHookRequest (400), naming the item's index, before anything is written.
    """
    rows = []
    for item in items:
        reason = item.override_reason
        rows.append(
            {
                "item_key": item_key(service_id, item),
                "card_uuid": item.card,
                "outcome": item.outcome,
                "override_reason_system": None if reason is None else reason.system,
                "override_reason_code": None if reason is None else reason.code,
                "accepted_suggestions": list(item.accepted_suggestions),
                "user_comment": comments.apply(None if reason is None else reason.user_comment),
                "outcome_at": item.outcome_timestamp.astimezone(UTC),
                "received_at": received_at,
            }
        )
    with writing(engine) as connection:
        _check_items(connection, service_id, items)
        statement = insert_or_skip(connection, feedback, "item_key")
        new = 0
        for row in rows:  # one by one: a returned id says the item was new, on both dialects
            new += connection.execute(statement.returning(feedback.c.id), row).first() is not None
        return new
