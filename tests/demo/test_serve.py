"""`python -m demo.serve`: loopback gunicorn over the app factory, today pinned, a ready curl printed."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from demo import serve as demo


def test_demo_today_is_the_demo_scenarios_reference_date() -> None:
    assert demo.demo_today() == "2026-06-15"


def test_instructions_name_discovery_and_a_curl_for_the_demo_request() -> None:
    text = demo.instructions("127.0.0.1", 8123)
    assert "http://127.0.0.1:8123/cds-services" in text
    assert "--data @cards_fixtures/lupus-nephritis-response/demo-refractory-7-months/request.json" in text
    assert "http://127.0.0.1:8123/cds-services/lupus-nephritis-response" in text


def test_gunicorn_runs_the_factory_on_the_given_address_with_an_access_log() -> None:
    # Issue #11: the one gunicorn.conf.py carries the address (from CDS_HOST/CDS_PORT), workers, factory and
    # access log; tests/service/test_serving_config.py checks what that file sets.
    argv = demo.gunicorn_argv()
    assert Path(argv[0]).name == "gunicorn"
    assert Path(argv[0]).parent == Path(sys.executable).parent
    assert argv[1:] == ["-c", str(Path(demo.ROOT) / "gunicorn.conf.py")]


def test_main_pins_today_binds_loopback_and_execs_gunicorn(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for name in ("CDS_HOST", "CDS_TODAY", "CDS_CRITERIA_SET"):
        monkeypatch.setenv(name, "")  # recorded first, so the value main() sets is undone after the test
        monkeypatch.delenv(name)
    monkeypatch.setenv("CDS_PORT", "8124")
    monkeypatch.setenv("CDS_DATABASE_URL", f"sqlite:///{tmp_path / 'demo.sqlite3'}")  # not the checkout's instance/
    execs: list[list[str]] = []
    monkeypatch.setattr(os, "execv", lambda path, argv: execs.append(list(argv)))
    monkeypatch.chdir(Path(demo.ROOT))
    demo.main()
    assert os.environ["CDS_TODAY"] == "2026-06-15"
    assert execs[0][1:3] == ["-c", str(Path(demo.ROOT) / "gunicorn.conf.py")]
    assert os.environ["CDS_PORT"] == "8124"  # gunicorn.conf.py binds CDS_HOST:CDS_PORT (127.0.0.1 by default)
    out = capsys.readouterr().out
    assert "curl" in out
    assert f"stored in sqlite:///{tmp_path / 'demo.sqlite3'}" in out  # migrated before gunicorn, and said where
