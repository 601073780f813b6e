"""Builders shared by the end-to-end tests: the real app with pinned settings and deterministic uuids."""

from __future__ import annotations

import itertools
from datetime import date

from flask import Flask

from service.app import create_app
from service.settings import Settings


def counter_uuids() -> itertools.count[int]:
    return itertools.count(1)


def make_app(today: str = "2026-06-15", criteria_set: str | None = None, **overrides: object) -> Flask:
    """Returns the real app (real registry, mappers and rules) with `today` pinned and numbered uuids."""
    counter = counter_uuids()
    fields: dict[str, object] = {"today": date.fromisoformat(today), **overrides}
    if criteria_set is not None:
        fields["criteria_set"] = criteria_set
    settings = Settings(**fields)  # type: ignore[arg-type]
    return create_app(settings, new_uuid=lambda: f"00000000-0000-4000-8000-{next(counter):012d}")
