"""Migrations: applied by a command, checked at start; the schema they build is the one the code describes."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text

from service.app import create_app
from service.store.engine import (
    DatabaseNotReady,
    check_migrated,
    default_url,
    head_revisions,
    normalise_url,
    open_engine,
    upgrade,
)
from service.store.schema import metadata


def test_the_migrations_build_exactly_the_schema_the_code_describes(engine: Engine) -> None:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []


def test_a_migrated_database_passes_the_start_check(engine: Engine) -> None:
    check_migrated(engine)


def test_an_unmigrated_database_is_refused_with_what_to_run(database_url: str) -> None:
    engine = open_engine(database_url)
    try:
        with pytest.raises(DatabaseNotReady, match=r"no migration applied.*run `ln-cds db upgrade`"):
            check_migrated(engine)
    finally:
        engine.dispose()


def test_the_app_refuses_to_serve_on_an_unapplied_migration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CDS_DATABASE_URL", f"sqlite:///{tmp_path / 'new.sqlite3'}")
    monkeypatch.setenv("CDS_AUTH", "open")
    with pytest.raises(DatabaseNotReady, match="ln-cds db upgrade"):
        create_app()


def test_the_app_from_the_environment_serves_once_migrated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'ready.sqlite3'}"
    engine = open_engine(url)
    upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("CDS_DATABASE_URL", url)
    monkeypatch.setenv("CDS_AUTH", "open")
    app = create_app()
    assert app.test_client().get("/cds-services").status_code == 200


def test_an_unreachable_database_is_refused_without_its_password() -> None:
    engine = open_engine("postgresql://user:s3cret@127.0.0.1:1/none")
    try:
        with pytest.raises(DatabaseNotReady) as caught:
            check_migrated(engine)
    finally:
        engine.dispose()
    assert "s3cret" not in str(caught.value)
    assert "cannot open" in str(caught.value)


def test_the_default_database_is_a_wal_sqlite_file_in_the_instance_folder(tmp_path: Path) -> None:
    url = default_url(tmp_path / "instance")
    assert url == f"sqlite:///{tmp_path / 'instance' / 'ln-cds.sqlite3'}"
    engine = open_engine(url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert (tmp_path / "instance").is_dir()
    finally:
        engine.dispose()


def test_postgresql_urls_are_driven_by_psycopg_3() -> None:
    assert normalise_url("postgresql://u@h/db").startswith("postgresql+psycopg://")
    assert normalise_url("sqlite:///x.sqlite3") == "sqlite:///x.sqlite3"


def test_there_is_one_migration_head() -> None:
    engine = open_engine("sqlite://")
    try:
        assert len(head_revisions(engine)) == 1
    finally:
        engine.dispose()
