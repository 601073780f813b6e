"""`Store`: the one object the app holds for the database, and `open_store`, which builds it from settings.

The app opens the store at start and refuses to serve when a migration is not applied (`DatabaseNotReady`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, func, select

from hooks.cards import Card
from service.cds_models import FeedbackItem
from service.settings import Settings
from service.store.charts import ChartLimits, DatabaseChartStore
from service.store.engine import check_migrated, default_url, open_engine, writing
from service.store.records import CommentPolicy, record_cards, record_feedback
from service.store.replay import DatabaseReplayStore, purge_expired
from service.store.report import build_report
from service.store.schema import feedback, issued_card, metadata


@dataclass(frozen=True, slots=True)
class Purged:
    """How many rows one purge deleted, per kind."""

    cards: int
    feedback: int
    jtis: int


@dataclass(frozen=True, slots=True)
class Store:
    """The database of issued cards, feedback and jtis, with the comment policy the settings chose."""

    engine: Engine
    comments: CommentPolicy = field(default_factory=CommentPolicy)

    def record_cards(self, service_id: str, hook_instance: str, cards: Sequence[Card], issued_at: datetime) -> None:
        """Stores the cards of one call; see `records.record_cards`."""
        record_cards(self.engine, service_id, hook_instance, cards, issued_at)

    def record_feedback(self, service_id: str, items: Sequence[FeedbackItem], received_at: datetime) -> int:
        """Stores one batch of feedback, all or none; returns how many items were new."""
        return record_feedback(self.engine, service_id, items, received_at, self.comments)

    def replay_store(self) -> DatabaseReplayStore:
        """Returns the jti cache kept in this database."""
        return DatabaseReplayStore(self.engine)

    def chart_store(self, limits: ChartLimits | None = None) -> DatabaseChartStore:
        """Returns the course-chart store kept in this database (issue 15)."""
        return DatabaseChartStore(self.engine, limits)

    def report(self, *, since: timedelta, now: datetime, service_id: str | None = None) -> dict[str, Any]:
        """Returns the acceptance report; see `report.build_report`."""
        return build_report(self.engine, since=since, now=now, service_id=service_id)

    def purge(self, *, before: datetime, now: float | None = None) -> Purged:
        """Deletes cards issued before `before` with their suggestions and feedback, and every expired jti."""
        with writing(self.engine) as connection:
            old = select(issued_card.c.uuid).where(issued_card.c.issued_at < before)
            # Feedback first and explicitly: SQLite enforces ON DELETE CASCADE only with foreign_keys on.
            fb = connection.execute(delete(feedback).where(feedback.c.card_uuid.in_(old))).rowcount
            cards = connection.execute(delete(issued_card).where(issued_card.c.issued_at < before)).rowcount
        jtis = purge_expired(self.engine, time.time() if now is None else now)
        return Purged(cards=cards, feedback=fb, jtis=jtis)

    def count(self, table: str) -> int:
        """Returns the number of rows in one of the store's tables (for tests and the demo's instructions)."""
        with self.engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(metadata.tables[table])).scalar_one())


def database_url(settings: Settings, instance_path: str | Path) -> str:
    """Returns CDS_DATABASE_URL, else the default SQLite file in the instance folder."""
    return settings.database_url or default_url(instance_path)


def open_store(settings: Settings, instance_path: str | Path, *, check: bool = True) -> Store:
    """Returns the store CDS_DATABASE_URL names; raises DatabaseNotReady when `check` finds a migration missing."""
    engine = open_engine(database_url(settings, instance_path))
    if check:
        check_migrated(engine)
    policy = CommentPolicy(keep=settings.feedback_comments, max_chars=settings.feedback_comment_max_chars)
    return Store(engine, policy)
