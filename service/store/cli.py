"""`ln-cds`, the console script the package installs: the store's housekeeping and the report.

    ln-cds db upgrade            apply every migration (run before starting the service, and after each upgrade)
    ln-cds db current            print the database's revision and the code's
    ln-cds purge [--days N]      delete cards older than CDS_RETENTION_DAYS (or N days) with their feedback,
                                 and expired token ids
    ln-cds report [--since 30d] [--service ID] [--json] [--chart PATH]
                                 per rule and criteria set: cards issued, accepted, overridden, no feedback, top
                                 override reasons, median time to feedback; writes the acceptance chart (SVG/PNG)

The database is the service's own: CDS_DATABASE_URL, else SQLite in the instance folder. Exit codes: 0 done,
1 the database is not ready or cannot be reached, 2 bad arguments or settings.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask
from sqlalchemy import Engine

from service.settings import Settings, SettingsError
from service.store.engine import (
    DatabaseNotReady,
    check_migrated,
    current_revisions,
    head_revisions,
    open_engine,
    safe_url,
    upgrade,
)
from service.store.report import acceptance_by_day, format_report, parse_since
from service.store.store import Store, database_url

DEFAULT_CHART = Path("ln-cds-acceptance.svg")


def instance_path() -> str:
    """Returns the Flask instance folder the app uses (where the default SQLite file lives)."""
    return Flask("service.app", static_folder=None).instance_path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ln-cds", description="ln-cds store: migrations, purge and report")
    commands = parser.add_subparsers(dest="command", required=True)
    db = commands.add_parser("db", help="schema migrations")
    db.add_argument("action", choices=("upgrade", "current"))
    purge = commands.add_parser("purge", help="delete what is older than the retention period")
    purge.add_argument("--days", type=int, help="retention in days (default CDS_RETENTION_DAYS)")
    report = commands.add_parser("report", help="acceptance per rule and criteria set")
    report.add_argument("--since", default="30d", help="window: 30d, 12w, 48h (default 30d)")
    report.add_argument("--service", help="one service id (default all)")
    report.add_argument("--json", action="store_true", help="print JSON instead of text")
    report.add_argument("--chart", type=Path, default=DEFAULT_CHART, help=f"chart file (default {DEFAULT_CHART})")
    report.add_argument("--no-chart", action="store_true", help="do not draw the chart")
    return parser


def _out(line: str) -> None:
    sys.stdout.write(line + "\n")


def _db(action: str, engine: Engine) -> int:
    if action == "upgrade":
        upgrade(engine)
        _out(f"{safe_url(engine)}: at {', '.join(sorted(current_revisions(engine)))} (head)")
        return 0
    current = ", ".join(sorted(current_revisions(engine))) or "none"
    _out(f"{safe_url(engine)}: at {current}; code head {', '.join(sorted(head_revisions(engine)))}")
    return 0


def _store(engine: Engine) -> Store:
    check_migrated(engine)
    return Store(engine)


def _purge(days: int | None, settings: Settings, engine: Engine) -> int:
    if days is not None and days < 1:
        raise SettingsError("--days: use a whole number of days from 1")
    keep = days or settings.retention_days
    purged = _store(engine).purge(before=datetime.now(UTC) - timedelta(days=keep))
    _out(f"purged {purged.cards} cards older than {keep} days, {purged.feedback} feedback items, {purged.jtis} jtis")
    return 0


def _report(args: argparse.Namespace, engine: Engine) -> int:
    try:
        since = parse_since(args.since)
    except ValueError as exc:
        raise SettingsError(f"--since: {exc}") from None
    store, now = _store(engine), datetime.now(UTC)
    report = store.report(since=since, now=now, service_id=args.service)
    if args.json:
        _out(json.dumps(report, indent=2))
    else:
        for line in format_report(report):
            _out(line)
    if not args.no_chart:
        try:
            from service.store.chart import write_chart
        except ImportError:
            _out("chart skipped: install the report extra (pip install 'ln-cds[report]') for matplotlib")
            return 0
        series = acceptance_by_day(store.engine, since=since, now=now)
        _out(f"chart: {write_chart(series, args.chart, f'Cards accepted, last {args.since}')}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Runs one `ln-cds` command; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        engine = open_engine(database_url(settings, instance_path()))
        try:
            if args.command == "db":
                return _db(args.action, engine)
            if args.command == "purge":
                return _purge(args.days, settings, engine)
            return _report(args, engine)
        finally:
            engine.dispose()
    except SettingsError as exc:
        sys.stderr.write(f"ln-cds: {exc}\n")
        return 2
    except DatabaseNotReady as exc:
        sys.stderr.write(f"ln-cds: {exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
