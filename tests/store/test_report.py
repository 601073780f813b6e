"""The report: per rule and criteria set, issued / accepted / overridden / no feedback, top override reasons and
median time to feedback; as JSON behind the client JWT, and from `ln-cds report` with its chart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from service.store import cli
from service.store.report import acceptance_by_day, format_report, parse_since
from service.store.store import Store
from tests.store.support import SERVICE_ID, accept, issue, override, post_feedback, store_app, with_suggestion

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)


def _iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def _seed(store: Store) -> None:
    """Three calls (six cards): therapy card accepted once, overridden once; one response card overridden twice
    (latest counts), the others without feedback; and one call 40 days ago, outside a 30-day window."""
    times = iter([NOW - timedelta(days=40), NOW - timedelta(days=2), NOW - timedelta(days=1), NOW - timedelta(hours=1)])
    clock_value = [NOW]

    def clock() -> datetime:
        return clock_value[0]

    client = store_app(store, clock=clock).test_client()
    calls = []
    for _ in range(3):
        clock_value[0] = next(times)
        calls.append((clock_value[0], issue(client)))
    old_at, _old = calls[0]
    (day2, cards2), (day1, cards1) = calls[1], calls[2]
    clock_value[0] = NOW
    therapy2, therapy1 = with_suggestion(cards2), with_suggestion(cards1)
    response2 = next(c for c in cards2 if c is not therapy2)
    trough = therapy2["suggestions"][1]["uuid"]
    items: list[dict[str, Any]] = [
        accept(therapy2["uuid"], trough, at=_iso(day2 + timedelta(minutes=2))),
        override(therapy1["uuid"], "specialist-review", at=_iso(day1 + timedelta(minutes=4))),
        override(response2["uuid"], "not-refractory", at=_iso(day2 + timedelta(minutes=1))),
        override(response2["uuid"], "specialist-review", at=_iso(day2 + timedelta(minutes=3))),
    ]
    assert post_feedback(client, *items).status_code == 200
    assert old_at < NOW - timedelta(days=30)


def _groups(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {g["rule_id"]: g for g in report["groups"]}


def test_the_report_counts_per_rule_and_criteria_set(store: Store) -> None:
    _seed(store)
    groups = _groups(store.report(since=timedelta(days=30), now=NOW))
    therapy, response = groups["ln-next-line-therapy"], groups["ln-refractory"]
    assert therapy["criteria_set"] == response["criteria_set"] == "seed-eular-era-edta-2012"
    assert (therapy["cards_issued"], therapy["accepted"], therapy["overridden"], therapy["no_feedback"]) == (2, 1, 1, 0)
    assert therapy["top_override_reasons"] == [{"reason": "specialist-review", "count": 1}]
    assert therapy["median_seconds_to_feedback"] == 180.0  # 2 and 4 minutes
    assert (response["cards_issued"], response["accepted"], response["overridden"], response["no_feedback"]) == (
        2,
        0,
        1,
        1,
    )
    assert sorted(r["reason"] for r in response["top_override_reasons"]) == ["not-refractory", "specialist-review"]
    assert response["median_seconds_to_feedback"] == 60.0  # from issue to the first item


def test_the_window_leaves_older_cards_out(store: Store) -> None:
    _seed(store)
    assert sum(g["cards_issued"] for g in store.report(since=timedelta(days=60), now=NOW)["groups"]) == 6
    assert sum(g["cards_issued"] for g in store.report(since=timedelta(days=30), now=NOW)["groups"]) == 4


def test_acceptance_by_day_is_the_share_accepted_per_rule(store: Store) -> None:
    _seed(store)
    series = acceptance_by_day(store.engine, since=timedelta(days=30), now=NOW)
    assert [share for _, share in series["ln-next-line-therapy"]] == [1.0, 0.0]
    assert [share for _, share in series["ln-refractory"]] == [0.0, 0.0]


def test_the_text_report_names_each_group(store: Store) -> None:
    _seed(store)
    text = "\n".join(format_report(store.report(since=timedelta(days=30), now=NOW)))
    assert "ln-next-line-therapy / seed-eular-era-edta-2012: issued 2, accepted 1, overridden 1" in text
    assert "override reason specialist-review: 1" in text


@pytest.mark.parametrize(("raw", "days"), [("30d", 30), ("12w", 84), ("48h", 2)])
def test_since_takes_days_weeks_and_hours(raw: str, days: int) -> None:
    assert parse_since(raw) == timedelta(days=days)


@pytest.mark.parametrize("raw", ["30", "0d", "d", "30y", "-3d"])
def test_since_refuses_what_it_cannot_read(raw: str) -> None:
    with pytest.raises(ValueError, match="30d, 12w or 48h"):
        parse_since(raw)


def test_the_report_endpoint_answers_json(store: Store) -> None:
    _seed(store)
    client = store_app(store, clock=lambda: NOW).test_client()
    reply = client.get(f"/cds-services/{SERVICE_ID}/report?since=30d")
    assert reply.status_code == 200
    assert _groups(reply.get_json())["ln-next-line-therapy"]["accepted"] == 1


def test_the_report_endpoint_refuses_a_bad_window_and_an_unknown_service(store: Store) -> None:
    client = store_app(store).test_client()
    assert client.get(f"/cds-services/{SERVICE_ID}/report?since=forever").status_code == 400
    assert client.get("/cds-services/no-such-service/report").status_code == 404


def test_the_report_endpoint_needs_a_store() -> None:
    reply = store_app(None).test_client().get(f"/cds-services/{SERVICE_ID}/report")
    assert reply.status_code == 404
    assert reply.get_json(force=True)["resourceType"] == "OperationOutcome"


def test_the_report_endpoint_needs_the_client_jwt(store: Store, tmp_path: Path) -> None:
    from service.trust import IssuerTrust

    trust = IssuerTrust("https://ehr.example.org", keys=({"kty": "EC", "kid": "k", "crv": "P-384"},))
    client = store_app(store, auth="jwt", trusted_issuers=(trust,)).test_client()
    reply = client.get(f"/cds-services/{SERVICE_ID}/report")
    assert reply.status_code == 401
    assert reply.headers["WWW-Authenticate"].startswith("Bearer")


def _cli(monkeypatch: pytest.MonkeyPatch, engine: Engine, *argv: str) -> int:
    monkeypatch.setenv("CDS_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return cli.main(list(argv))


def test_the_report_command_prints_the_figures_and_writes_the_chart(
    store: Store, engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed(store)
    chart = tmp_path / "acceptance.svg"
    assert _cli(monkeypatch, engine, "report", "--since", "3650d", "--chart", str(chart)) == 0
    out = capsys.readouterr().out
    assert "ln-next-line-therapy / seed-eular-era-edta-2012" in out
    assert chart.read_text().lstrip().startswith("<?xml")
    assert _cli(monkeypatch, engine, "report", "--json", "--no-chart") == 0
    assert '"groups"' in capsys.readouterr().out


def test_the_purge_command_deletes_what_is_past_retention(
    store: Store, engine: Engine, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    client = store_app(store, clock=lambda: datetime.now(UTC) - timedelta(days=400)).test_client()
    cards = issue(client)
    assert post_feedback(client, override(cards[0]["uuid"])).status_code == 200
    issue(store_app(store).test_client())
    monkeypatch.setenv("CDS_RETENTION_DAYS", "365")
    assert _cli(monkeypatch, engine, "purge") == 0
    assert "purged 2 cards older than 365 days, 1 feedback items" in capsys.readouterr().out
    assert store.count("issued_card") == 2
    assert store.count("issued_suggestion") == 2  # the recent call's; the old call's went with their card
    assert store.count("feedback") == 0


def test_the_commands_apply_and_show_migrations(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CDS_DATABASE_URL", database_url)
    assert cli.main(["report", "--no-chart"]) == 1
    assert "ln-cds db upgrade" in capsys.readouterr().err
    assert cli.main(["db", "current"]) == 0
    assert "at none; code head 0003" in capsys.readouterr().out
    assert cli.main(["db", "upgrade"]) == 0
    assert cli.main(["db", "current"]) == 0
    assert "at 0003; code head 0003" in capsys.readouterr().out
    assert cli.main(["report", "--since", "forever", "--no-chart"]) == 2
