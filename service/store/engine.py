"""Opening the database: the URL rules, SQLite's WAL set-up, and the migration check the app runs at start.

SQLite (the default, a file under the Flask instance folder) runs in WAL mode so readers never block the writer,
waits up to 10 s for the write lock instead of failing, and starts every transaction with BEGIN IMMEDIATE: a
transaction that reads then writes takes the write lock first, so two workers cannot both read a stale snapshot
and then fail to upgrade (SQLITE_BUSY). PostgreSQL URLs are driven by psycopg 3.

Writers to a SQLite file queue on a lock before BEGIN (`writing`): a thread lock within a process and an flock on a
file beside the database across processes. SQLite's own busy handler polls with sleeps that grow to 100 ms, so
under load a waiting writer slept long after the lock was free (`make bench`: p90 of an LN call at concurrency 8
near 1 s); the flock is tried again after at most 5 ms (issue 14, docs/performance.md).
"""

from __future__ import annotations

import fcntl
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

logger = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
DEFAULT_FILE_NAME = "ln-cds.sqlite3"
SQLITE_BUSY_MS = 10_000
WRITE_LOCK_SUFFIX = "-writelock"  # the file beside a SQLite database that its writers flock in turn


class DatabaseNotReady(RuntimeError):
    """The database is not at the schema this code needs (or cannot be reached); the app refuses to serve."""


def default_url(instance_path: str | Path) -> str:
    """Returns the SQLite URL of the default database file in `instance_path` (the Flask instance folder)."""
    return f"sqlite:///{Path(instance_path) / DEFAULT_FILE_NAME}"


def normalise_url(url: str) -> str:
    """Returns `url` with PostgreSQL routed to psycopg 3 (`postgresql://` alone would mean psycopg2)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def safe_url(engine_or_url: Engine | str) -> str:
    """Returns the URL with any password masked, for messages and logs."""
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.render_as_string(hide_password=True)


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" event below issues BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL's recommended level: durable at each checkpoint
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


WRITE_LOCK_POLL_SECONDS = (0.0005, 0.005)  # first and longest pause between tries for another process's flock
_SETUP = threading.Lock()  # one thread sets up a process's descriptor


def _locked() -> OperationalError:
    """What SQLite's own busy timeout raises, so callers treat a lock held too long as they always did."""
    return OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))


class _WriteLock:
    """One writer at a time on a SQLite database: a thread lock here, then an exclusive flock on `path` (when the
    database is a file) through this process's own read-only descriptor; both are remade in a forked child. Both
    waits end after SQLITE_BUSY_MS with SQLite's own "database is locked", as the busy timeout did. When the lock
    file cannot be opened (permissions, descriptors), the process logs it once and relies on SQLite's busy wait."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._pid = -1
        self._thread_lock = threading.Lock()
        self._fd: int | None = None

    def _for_this_process(self) -> tuple[threading.Lock, int | None]:
        if self._pid == os.getpid():
            return self._thread_lock, self._fd
        with _SETUP:  # a fork shares the parent's descriptor (and its flock): open our own, once
            if self._pid != os.getpid():
                fd = None
                if self._path is not None:
                    try:  # read-only is enough for flock, and works whoever created the file (0644)
                        fd = os.open(self._path, os.O_RDONLY | os.O_CREAT, 0o644)
                    except OSError as exc:
                        logger.warning(
                            "write_lock_unavailable error=%s",
                            type(exc).__name__,
                            extra={"cds": {"event": "write_lock_unavailable", "error": type(exc).__name__}},
                        )
                    else:
                        weakref.finalize(self, os.close, fd)  # closed with the engine's lock, not leaked
                self._thread_lock, self._fd = threading.Lock(), fd
                self._pid = os.getpid()  # last: a failed setup is not mistaken for a finished one
        return self._thread_lock, self._fd

    @contextmanager
    def held(self) -> Iterator[None]:
        thread_lock, fd = self._for_this_process()
        limit = SQLITE_BUSY_MS / 1000
        deadline = time.monotonic() + limit
        if not thread_lock.acquire(timeout=limit):
            raise _locked()
        try:
            if fd is not None:
                pause = WRITE_LOCK_POLL_SECONDS[0]
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() >= deadline:
                            raise _locked() from None
                        time.sleep(pause)
                        pause = min(2 * pause, WRITE_LOCK_POLL_SECONDS[1])
            try:
                yield
            finally:
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            thread_lock.release()


_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, _WriteLock] = weakref.WeakKeyDictionary()


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """`engine.begin()` for a write: on SQLite, after taking the database's write lock (see the module text);
    on PostgreSQL, as is (its row locks wake waiters promptly)."""
    lock = _WRITE_LOCKS.get(engine)
    if lock is None:
        with engine.begin() as connection:
            yield connection
        return
    with lock.held(), engine.begin() as connection:
        yield connection


def open_engine(url: str) -> Engine:
    """Returns an engine for `url`; a SQLite file's folder is created when missing."""
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Pooled (SQLAlchemy's default for a file): closing the last connection to a WAL database checkpoints
        # and syncs it, which costs tens of milliseconds if done after every transaction.
        engine = create_engine(url)
        _sqlite_setup(engine)
        on_disk = bool(parsed.database) and parsed.database != ":memory:"
        _WRITE_LOCKS[engine] = _WriteLock(Path(f"{parsed.database}{WRITE_LOCK_SUFFIX}") if on_disk else None)
    else:
        # pre_ping: a worker that sat idle past the server's timeout reconnects instead of failing one call.
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    # A process forked after the engine was made (gunicorn --preload) must not use its parent's connections.
    # Held weakly, so an engine that is dropped is not kept alive by the hook.
    held = weakref.ref(engine)
    os.register_at_fork(after_in_child=lambda: _forget_connections(held()))
    return engine


def _forget_connections(engine: Engine | None) -> None:
    if engine is not None:
        engine.dispose(close=False)


def alembic_config(engine: Engine) -> Config:
    """Returns the Alembic config for the packaged migrations, bound to `engine`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revisions(engine: Engine) -> set[str]:
    """Returns the revisions the code's migrations end at."""
    return set(ScriptDirectory.from_config(alembic_config(engine)).get_heads())


def current_revisions(engine: Engine) -> set[str]:
    """Returns the revisions the database is at (empty for a database no migration has touched)."""
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Applies the migrations up to `revision`."""
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


def check_migrated(engine: Engine) -> None:
    """Raises DatabaseNotReady, saying what to run, unless the database is at the code's migration head."""
    try:
        current = current_revisions(engine)
    except Exception as exc:  # any driver error: the message names the database, never the password
        raise DatabaseNotReady(
            f"CDS_DATABASE_URL: cannot open {safe_url(engine)} ({type(exc).__name__}); check the URL and the server"
        ) from None
    heads = head_revisions(engine)
    if current != heads:
        at = ", ".join(sorted(current)) or "no migration applied"
        raise DatabaseNotReady(
            f"the database {safe_url(engine)} is at {at} but this code needs {', '.join(sorted(heads))}: "
            "run `ln-cds db upgrade` (same CDS_DATABASE_URL) before starting the service"
        )
