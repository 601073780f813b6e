"""The course-chart table (issue 15): SVGs kept for a short time under 128-bit random ids.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Creates the chart table (see service/store/schema.py)."""
    op.create_table(
        "chart",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("svg", sa.Text(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_chart"),
    )
    op.create_index("ix_chart_expires_at", "chart", ["expires_at"])
    op.create_index("ix_chart_created_at", "chart", ["created_at"])


def downgrade() -> None:
    """Drops the chart table."""
    op.drop_table("chart")
