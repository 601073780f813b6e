"""A covering index for the chart store's bounds (issue 14): storing a chart counts and sums the kept charts and
evicts the oldest; with `svg` stored before `size`, SQLite read every kept SVG (overflow pages) to sum the sizes,
which held the write lock long enough to serialise every worker's card writes under load.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Replaces the created_at index by one on (created_at, size, id): count, sum and the oldest-first scan are
    answered from the index alone."""
    op.drop_index("ix_chart_created_at", table_name="chart")
    op.create_index("ix_chart_created_at_size", "chart", ["created_at", "size", "id"])


def downgrade() -> None:
    """Restores the created_at index."""
    op.drop_index("ix_chart_created_at_size", table_name="chart")
    op.create_index("ix_chart_created_at", "chart", ["created_at"])
