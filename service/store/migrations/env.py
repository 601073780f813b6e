"""Alembic's entry point: runs the migrations on the engine `service.store.engine.alembic_config` handed over.

No alembic.ini: the URL comes from CDS_DATABASE_URL through `ln-cds db upgrade`, never from a file.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from service.store.schema import metadata


def run_migrations_online() -> None:
    """Runs every pending migration in one transaction (PostgreSQL) or one after another (SQLite)."""
    engine: Engine = context.config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
