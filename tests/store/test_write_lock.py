"""Writers to a SQLite file take turns on a lock before BEGIN (service/store/engine.py `writing`): a thread lock
within a process, an flock on `<database>-writelock` across processes. PostgreSQL writes are left to the server."""

from __future__ import annotations

import fcntl
import logging
import multiprocessing
import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from service.store import engine as engine_module
from service.store.engine import WRITE_LOCK_SUFFIX, open_engine, writing


def _try_flock(path: str, answer: multiprocessing.queues.Queue[str]) -> None:
    """In another process: is the database's write lock free right now?"""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        answer.put("free")
    except BlockingIOError:
        answer.put("taken")
    finally:
        os.close(fd)


def test_a_write_holds_the_file_lock_other_processes_wait_on(tmp_path: Path) -> None:
    database = tmp_path / "store.sqlite3"
    engine = open_engine(f"sqlite:///{database}")
    lock_file = f"{database}{WRITE_LOCK_SUFFIX}"
    context = multiprocessing.get_context("spawn")
    answers = context.Queue()
    with writing(engine) as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
        child = context.Process(target=_try_flock, args=(lock_file, answers))
        child.start()
        child.join(30)
        assert answers.get(timeout=5) == "taken"
    child = context.Process(target=_try_flock, args=(lock_file, answers))
    child.start()
    child.join(30)
    assert answers.get(timeout=5) == "free"  # let go at the end of the transaction
    engine.dispose()


def test_threads_of_one_process_write_one_at_a_time(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    with writing(engine) as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    inside = 0
    most = 0
    guard = threading.Lock()

    def write(n: int) -> None:
        nonlocal inside, most
        with writing(engine) as connection:
            with guard:
                inside += 1
                most = max(most, inside)
            connection.execute(text("INSERT INTO t VALUES (:x)"), {"x": n})
            time.sleep(0.002)
            with guard:
                inside -= 1

    threads = [threading.Thread(target=write, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar_one() == 8
    engine.dispose()


def test_a_failed_write_lets_go_of_the_lock(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    with pytest.raises(OperationalError, match="no_such_table"), writing(engine) as connection:
        connection.execute(text("SELECT * FROM no_such_table"))
    done = threading.Event()

    def write_again() -> None:
        with writing(engine) as connection:
            connection.execute(text("SELECT 1"))
        done.set()

    threading.Thread(target=write_again, daemon=True).start()
    assert done.wait(5)
    engine.dispose()


def test_an_in_memory_database_takes_the_thread_lock_only(tmp_path: Path) -> None:
    engine = open_engine("sqlite://")
    with writing(engine) as connection:
        assert connection.execute(text("SELECT 1")).scalar_one() == 1
    assert not list(tmp_path.iterdir())
    engine.dispose()


def _hold_flock(path: str, held: Any, release: Any) -> None:
    """In another process: holds the database's write lock until told to let go."""
    fd = os.open(path, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    held.set()
    release.wait(30)
    os.close(fd)


def test_a_lock_held_too_long_elsewhere_ends_as_sqlite_busy_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    database = tmp_path / "store.sqlite3"
    engine = open_engine(f"sqlite:///{database}")
    with writing(engine) as connection:  # creates the lock file
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    context = multiprocessing.get_context("spawn")
    held, release = context.Event(), context.Event()
    child = context.Process(target=_hold_flock, args=(f"{database}{WRITE_LOCK_SUFFIX}", held, release))
    child.start()
    try:
        assert held.wait(30)
        monkeypatch.setattr(engine_module, "SQLITE_BUSY_MS", 300)
        started = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"), writing(engine):
            pass
        assert 0.25 < time.monotonic() - started < 5
    finally:
        release.set()
        child.join(30)
    with writing(engine) as connection:  # the thread lock was let go too
        connection.execute(text("INSERT INTO t VALUES (1)"))
    engine.dispose()


def test_without_a_usable_lock_file_writes_fall_back_to_sqlites_own_wait(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    lock = engine_module._WRITE_LOCKS[engine]
    lock._path = tmp_path / "gone" / "store.sqlite3-writelock"  # a folder that does not exist: open fails
    with caplog.at_level(logging.WARNING, logger="service.store.engine"), writing(engine) as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    assert [r.cds["event"] for r in caplog.records] == ["write_lock_unavailable"]  # type: ignore[attr-defined]
    engine.dispose()
