"""Seeds a store with synthetic traffic for trying `ln-cds report`: hook calls spread over the last 30 days, and
feedback the way clinicians might give it (some accepted, some dismissed with a reason, some ignored).

The calls go through the real app in process (the therapy fixture: a response card and a next-line card with a
biopsy and a trough-level suggestion), so every stored row is one the service itself wrote. Seeded by a fixed
random seed: the same command gives the same figures.

Run: CDS_DATABASE_URL=sqlite:///seeded.sqlite3 .venv/bin/ln-cds db upgrade
     CDS_DATABASE_URL=sqlite:///seeded.sqlite3 .venv/bin/python -m scripts.seed_store --calls 200
     CDS_DATABASE_URL=sqlite:///seeded.sqlite3 .venv/bin/ln-cds report --since 30d
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from service.app import create_app
from service.settings import Settings
from service.store.cli import instance_path
from service.store.engine import check_migrated, open_engine
from service.store.store import Store, database_url

ROOT = Path(__file__).resolve().parent.parent
SERVICE_ID = "lupus-nephritis-response"
REQUEST = ROOT / "cards_fixtures" / SERVICE_ID / "therapy-low-egfr-on-tacrolimus" / "request.json"


def _feedback(card: dict[str, Any], issued: datetime, rng: random.Random) -> dict[str, Any] | None:
    roll = rng.random()
    if roll < 0.25:
        return None  # never acted on
    at = (issued + timedelta(seconds=rng.lognormvariate(4.5, 1.0))).isoformat().replace("+00:00", "Z")
    suggestions = card.get("suggestions", [])
    if suggestions and roll < 0.65:
        chosen = rng.sample(suggestions, k=rng.randint(1, len(suggestions)))
        accepted = [{"id": s["uuid"]} for s in chosen]
        return {"card": card["uuid"], "outcome": "accepted", "outcomeTimestamp": at, "acceptedSuggestions": accepted}
    item: dict[str, Any] = {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": at}
    reasons = card.get("overrideReasons", [])
    if reasons and rng.random() < 0.7:  # the Sandbox's plain Dismiss sends no reason
        reason = rng.choice(reasons)
        item["overrideReason"] = {"reason": {"system": reason["system"], "code": reason["code"]}}
    return item


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="seed a store with synthetic calls and feedback")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    engine = open_engine(database_url(settings, instance_path()))
    check_migrated(engine)
    rng, now = random.Random(args.seed), datetime.now(UTC)
    moments = sorted(now - timedelta(seconds=rng.uniform(0, args.days * 86400)) for _ in range(args.calls))
    clock = {"now": now}
    app = create_app(
        Settings(today=date(2026, 6, 15), auth="open", log_level="WARNING"),
        store=Store(engine),
        clock=lambda: clock["now"],
    )
    client, request = app.test_client(), json.loads(REQUEST.read_text())
    items = 0
    for issued in moments:
        clock["now"] = issued
        cards = client.post(f"/cds-services/{SERVICE_ID}", json=request).get_json()["cards"]
        for card in cards:
            item = _feedback(card, issued, rng)
            if item is not None:
                clock["now"] = issued + timedelta(minutes=5)
                reply = client.post(f"/cds-services/{SERVICE_ID}/feedback", json={"feedback": [item]})
                items += reply.status_code == 200
    engine.dispose()
    print(f"seeded {args.calls} hook calls over {args.days} days and {items} feedback items")


if __name__ == "__main__":
    main()
