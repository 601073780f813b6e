"""The store's tables, as SQLAlchemy Core metadata: the one description Alembic's migrations are checked against.

Nothing here can hold PHI: no patient id, name, lab value or card text. A card is known by its uuid, the service,
rule and criteria set that issued it, its indicator and the call's hookInstance; a suggestion by its uuid and a
kind such as `repeat-biopsy`. Feedback keeps the outcome, the override reason's code, the accepted suggestion
uuids and two timestamps; the user's free-text comment only when CDS_FEEDBACK_COMMENTS allows it (capped).
Times are stored as timezone-aware UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

# Constraint names are fixed so that migrations can refer to them on both SQLite and PostgreSQL.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

UUID_CHARS = 64  # a uuid is 36; feedback may name anything, and what is longer is no uuid we issued
ID_CHARS = 128

issued_card = Table(
    "issued_card",
    metadata,
    Column("uuid", String(UUID_CHARS), primary_key=True),
    Column("service_id", String(ID_CHARS), nullable=False),
    Column("rule_id", String(ID_CHARS), nullable=False),
    Column("criteria_set", String(ID_CHARS), nullable=False),
    Column("indicator", String(16), nullable=False),
    Column("hook_instance", String(UUID_CHARS), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Index("ix_issued_card_issued_at", "issued_at"),
)

issued_suggestion = Table(
    "issued_suggestion",
    metadata,
    Column("uuid", String(UUID_CHARS), primary_key=True),
    Column(
        "card_uuid",
        String(UUID_CHARS),
        ForeignKey("issued_card.uuid", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("kind", String(ID_CHARS), nullable=False),  # e.g. repeat-biopsy, tacrolimus-trough
)

feedback = Table(
    "feedback",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # sha256 of the item's canonical form (card, outcome, timestamp, suggestions, reason): the same item twice is
    # stored once, whichever worker or process receives it.
    Column("item_key", String(64), nullable=False, unique=True),
    Column(
        "card_uuid",
        String(UUID_CHARS),
        ForeignKey("issued_card.uuid", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("outcome", String(16), nullable=False),
    Column("override_reason_system", String(255)),
    Column("override_reason_code", String(ID_CHARS)),
    Column("accepted_suggestions", JSON, nullable=False),  # list of suggestion uuids
    Column("user_comment", Text),  # only with CDS_FEEDBACK_COMMENTS=on, capped
    Column("outcome_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Index("ix_feedback_received_at", "received_at"),
)

jwt_replay = Table(
    "jwt_replay",
    metadata,
    Column("key", String(1024), primary_key=True),  # issuer + "\n" + jti
    Column("expires_at", Float, nullable=False),  # seconds since the epoch, as the ReplayStore interface has it
    Index("ix_jwt_replay_expires_at", "expires_at"),
)

# Course charts (issue 15): an SVG kept for a short time under a 128-bit random id, for the card's chart link. The
# SVG draws lab values, so it is patient data: unguessable id, short TTL, served with no-store (docs/chart.md).
chart = Table(
    "chart",
    metadata,
    Column("id", String(ID_CHARS), primary_key=True),
    Column("svg", Text, nullable=False),
    Column("size", Integer, nullable=False),  # bytes of `svg` as UTF-8, for the store's byte bound
    Column("created_at", Float, nullable=False),  # seconds since the epoch
    Column("expires_at", Float, nullable=False),
    Index("ix_chart_expires_at", "expires_at"),
    # Covering (migration 0003): the bounds' count, sum and oldest-first scan never read an SVG.
    Index("ix_chart_created_at_size", "created_at", "size", "id"),
)
