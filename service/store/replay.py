"""The JWT `jti` cache in the database, behind `service.replay.ReplayStore`: a token replayed to any worker or
process sharing the database is refused.

One statement claims a key: insert it, or take over a row whose token has expired; a live row makes the claim
fail. The primary key makes the race between two processes safe on SQLite and PostgreSQL alike. Expired rows are
deleted at most once per `purge_every` seconds by whichever call comes along (and by `ln-cds purge`). A database
error fails closed: the token is refused with 503 (as a full in-memory store is), never let through unchecked.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine, Executable, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from service.replay import ReplayStoreFull
from service.store.engine import writing
from service.store.schema import jwt_replay

logger = logging.getLogger(__name__)

PURGE_EVERY_SECONDS = 60.0


class ReplayStoreUnavailable(ReplayStoreFull):
    """The database could not be asked; the caller refuses the token (503) as for a full store."""


class DatabaseReplayStore:
    """A ReplayStore shared by every process that uses the same database."""

    def __init__(self, engine: Engine, purge_every: float = PURGE_EVERY_SECONDS) -> None:
        self._engine = engine
        self._purge_every = purge_every
        self._last_purge = float("-inf")
        self._lock = threading.Lock()

    def _claim_statement(self, key: str, expires_at: float, now: float) -> Executable:
        if self._engine.dialect.name == "postgresql":
            pg = postgresql.insert(jwt_replay).values(key=key, expires_at=expires_at)
            return pg.on_conflict_do_update(
                index_elements=["key"],
                set_={"expires_at": pg.excluded.expires_at},
                where=jwt_replay.c.expires_at <= now,
            ).returning(jwt_replay.c.key)
        statement = sqlite.insert(jwt_replay).values(key=key, expires_at=expires_at)
        return statement.on_conflict_do_update(
            index_elements=["key"],
            set_={"expires_at": statement.excluded.expires_at},
            where=jwt_replay.c.expires_at <= now,  # only a row whose token can no longer be used is taken over
        ).returning(jwt_replay.c.key)  # a row back means claimed (rowcount is not reliable for upserts on psycopg)

    def claim(self, key: str, expires_at: float, now: float) -> bool:
        """Returns True the first time `key` is seen before it expires; see ReplayStore.claim."""
        try:
            with writing(self._engine) as connection:
                result = connection.execute(self._claim_statement(key, expires_at, now))
                claimed = result.first() is not None
            self._maybe_purge(now)
        except SQLAlchemyError as exc:
            logger.error(
                "replay_store_unavailable error=%s",
                type(exc).__name__,
                extra={"cds": {"event": "replay_store_unavailable", "error": type(exc).__name__}},
            )
            raise ReplayStoreUnavailable from None
        return claimed

    def _maybe_purge(self, now: float) -> None:
        with self._lock:
            if now - self._last_purge < self._purge_every:
                return
            self._last_purge = now
        purge_expired(self._engine, now)


def purge_expired(engine: Engine, now: float) -> int:
    """Deletes the jtis whose tokens have expired; returns how many."""
    with writing(engine) as connection:
        return connection.execute(delete(jwt_replay).where(jwt_replay.c.expires_at <= now)).rowcount
