"""Builders for the store tests: the real app over a store, and requests that issue cards."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from service.app import create_app
from service.settings import Settings
from service.store.charts import MemoryChartStore
from service.store.store import Store

ROOT = Path(__file__).resolve().parents[2]
SERVICE_ID = "lupus-nephritis-response"
# A refractory patient on tacrolimus: a response card and a therapy card with a trough-level suggestion, all from
# prefetch (no FHIR server needed).
THERAPY = ROOT / "cards_fixtures" / SERVICE_ID / "therapy-low-egfr-on-tacrolimus" / "request.json"
TODAY = date(2026, 6, 15)
AT = "2026-06-15T10:00:00Z"


def hook_request() -> dict[str, Any]:
    request: dict[str, Any] = json.loads(THERAPY.read_text())
    return request


def store_app(
    store: Store | None, clock: Callable[[], datetime] | None = None, *, charts_in_store: bool = False, **over: Any
) -> Flask:
    """Returns the real app (open auth, today pinned, real uuids) writing to `store`.

    Charts are kept in memory unless `charts_in_store`: the database writes them on a background thread, which
    must not still hold a connection when a test's fixture disposes the engine.
    """
    settings = Settings(**{"today": TODAY, "auth": "open", **over})
    charts = None if charts_in_store else MemoryChartStore()
    return create_app(settings, store=store, clock=clock or (lambda: datetime.now(UTC)), charts=charts)


def settle(client: FlaskClient) -> None:
    """Waits until the app's store writer has written what its calls queued: a test must not end (and its fixture
    dispose the engine) while the writer still holds a connection."""
    writer = client.application.extensions["cds_hooks"].invoker.writer
    if writer is not None:
        assert writer.flush(10.0)


def issue(client: FlaskClient) -> list[dict[str, Any]]:
    """Returns the cards of one hook call (which the app has stored)."""
    reply = client.post(f"/cds-services/{SERVICE_ID}", json=hook_request())
    assert reply.status_code == 200, reply.get_data(as_text=True)
    cards: list[dict[str, Any]] = reply.get_json()["cards"]
    assert cards
    return cards


def with_suggestion(cards: list[dict[str, Any]]) -> dict[str, Any]:
    return next(card for card in cards if card.get("suggestions"))


def override(card_uuid: str, code: str = "not-applicable", at: str = AT, **extra: Any) -> dict[str, Any]:
    item: dict[str, Any] = {
        "card": card_uuid,
        "outcome": "overridden",
        "outcomeTimestamp": at,
        "overrideReason": {"reason": {"system": "https://example.org/override", "code": code}},
    }
    item["overrideReason"].update(extra)
    return item


def accept(card_uuid: str, suggestion_uuid: str, at: str = AT) -> dict[str, Any]:
    accepted = [{"id": suggestion_uuid}]
    return {"card": card_uuid, "outcome": "accepted", "outcomeTimestamp": at, "acceptedSuggestions": accepted}


def post_feedback(client: FlaskClient, *items: dict[str, Any]) -> Any:
    return client.post(f"/cds-services/{SERVICE_ID}/feedback", json={"feedback": list(items)})
