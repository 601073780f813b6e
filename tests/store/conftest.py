"""The store tests run twice: on a SQLite file and on a real PostgreSQL server started for the session.

`scripts/pg-test-server.sh` installs PostgreSQL from Debian packages when absent (as root) and starts a throwaway
cluster on a free loopback port; it is stopped after the session. Outside CI (no CI=true) a machine that cannot
start one skips the PostgreSQL runs with a message saying why; in CI that is a failure, never a skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine

from service.store.engine import open_engine, upgrade
from service.store.records import CommentPolicy
from service.store.store import Store

ROOT = Path(__file__).resolve().parents[2]
PG_SCRIPT = ROOT / "scripts" / "pg-test-server.sh"
DIALECTS = ["sqlite", "postgresql"]
BASH = shutil.which("bash") or "/bin/bash"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("true", "1")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """Yields the URL of a throwaway PostgreSQL database on loopback (the server lives for the session)."""
    folder = tempfile.mkdtemp(prefix="ln-cds-pg-")  # under /tmp: the postgres user must reach it
    started = subprocess.run(  # noqa: S603 -- our own script, fixed arguments
        [BASH, str(PG_SCRIPT), "start", folder], capture_output=True, text=True, timeout=600, check=False
    )
    if started.returncode != 0:
        subprocess.run([BASH, str(PG_SCRIPT), "stop", folder], capture_output=True, check=False)  # noqa: S603
        message = f"PostgreSQL could not be started by scripts/pg-test-server.sh: {started.stderr.strip()[-800:]}"
        if _in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(f"{message} (skipped outside CI only; CI=true makes this a failure)")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([BASH, str(PG_SCRIPT), "stop", folder], capture_output=True, check=False)  # noqa: S603


def fresh_database(pg_url: str) -> str:
    """Returns the URL of a new, empty database on the session's server."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(pg_url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")  # a generated name, never input
    return pg_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=DIALECTS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Returns an empty database's URL: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    pg_url: str = request.getfixturevalue("pg_server")
    return fresh_database(pg_url)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """Yields an engine on the migrated database."""
    engine = open_engine(database_url)
    upgrade(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def store(engine: Engine) -> Store:
    return Store(engine, CommentPolicy())
