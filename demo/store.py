"""The demo's database: migrations applied before the service starts, and how to look at what it stored.

`make demo` and `make serve` keep cards and feedback in SQLite (CDS_DATABASE_URL, else instance/ln-cds.sqlite3),
so a Sandbox "Dismiss" lands in the `feedback` table; the lines printed here say how to see it.
"""

from __future__ import annotations

import shlex

from service.settings import Settings
from service.store.cli import instance_path
from service.store.engine import open_engine, safe_url, upgrade
from service.store.store import database_url

LOOK_AT_FEEDBACK = "SELECT card_uuid, outcome, override_reason_code, received_at FROM feedback"


def prepare(settings: Settings) -> str:
    """Applies every migration to the demo's database; returns its URL (password masked)."""
    engine = open_engine(database_url(settings, instance_path()))
    try:
        upgrade(engine)
        return safe_url(engine)
    finally:
        engine.dispose()


def how_to_look(url: str) -> str:
    """Returns the lines that say where cards and feedback are stored and how to see them."""
    lines = [
        f"Cards and feedback are stored in {url} (docs/database.md). To see them:",
        "  .venv/bin/ln-cds report --since 1d           (per rule: issued, accepted, overridden; writes a chart)",
    ]
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        lines.append(f"  sqlite3 {shlex.quote(path)} {shlex.quote(LOOK_AT_FEEDBACK)}")
    return "\n".join(lines)
