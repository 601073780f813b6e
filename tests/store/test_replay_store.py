"""The jti cache in the database: one claim per live key across engines (processes), takeover after expiry,
periodic purge, and fail-closed on a database error."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, text

from service.replay import ReplayStoreFull
from service.store.engine import open_engine
from service.store.replay import DatabaseReplayStore, ReplayStoreUnavailable, purge_expired


def test_a_key_is_claimed_once_while_live(engine: Engine) -> None:
    replay = DatabaseReplayStore(engine)
    assert replay.claim("iss\njti-1", expires_at=200.0, now=100.0)
    assert not replay.claim("iss\njti-1", expires_at=200.0, now=150.0)
    assert replay.claim("iss\njti-2", expires_at=200.0, now=150.0)


def test_a_second_engine_on_the_same_database_sees_the_claim(engine: Engine) -> None:
    other = open_engine(engine.url.render_as_string(hide_password=False))
    try:
        assert DatabaseReplayStore(engine).claim("k", expires_at=200.0, now=100.0)
        assert not DatabaseReplayStore(other).claim("k", expires_at=200.0, now=100.0)
    finally:
        other.dispose()


def test_an_expired_key_may_be_claimed_again(engine: Engine) -> None:
    replay = DatabaseReplayStore(engine)
    assert replay.claim("k", expires_at=110.0, now=100.0)
    assert replay.claim("k", expires_at=300.0, now=200.0)
    assert not replay.claim("k", expires_at=300.0, now=250.0)


def test_racing_claims_of_one_key_let_exactly_one_through(engine: Engine) -> None:
    replay = DatabaseReplayStore(engine)
    wins: list[bool] = []
    start = threading.Barrier(8)

    def claim() -> None:
        start.wait()
        wins.append(replay.claim("raced", expires_at=200.0, now=100.0))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins) == [False] * 7 + [True]


def test_expired_keys_are_purged_periodically(engine: Engine) -> None:
    replay = DatabaseReplayStore(engine, purge_every=60.0)
    replay.claim("old", expires_at=50.0, now=10.0)  # purges at 10 (nothing expired yet)
    replay.claim("new", expires_at=500.0, now=40.0)  # within 60 s of the last purge: none
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM jwt_replay")).scalar_one() == 2
    replay.claim("later", expires_at=500.0, now=100.0)  # 90 s on: "old" (expired at 50) goes
    with engine.connect() as connection:
        keys = set(connection.execute(text("SELECT key FROM jwt_replay")).scalars())
    assert keys == {"new", "later"}
    assert purge_expired(engine, now=1000.0) == 2


def test_a_database_error_refuses_the_token(engine: Engine) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE jwt_replay"))
    with pytest.raises(ReplayStoreFull) as caught:
        DatabaseReplayStore(engine).claim("k", expires_at=200.0, now=100.0)
    assert isinstance(caught.value, ReplayStoreUnavailable)


def _replay_of(engine: Engine, choice: str) -> object:
    from service.app import create_app
    from service.auth import JwtAuthenticator
    from service.routes import EXTENSION_KEY
    from service.settings import Settings
    from service.store.store import Store
    from service.trust import IssuerTrust

    trust = IssuerTrust("https://ehr.example.org", keys=({"kty": "EC", "kid": "k", "crv": "P-384"},))
    settings = Settings(auth="jwt", trusted_issuers=(trust,), replay_store=choice)
    authenticator = create_app(settings, store=Store(engine)).extensions[EXTENSION_KEY].authenticator
    assert isinstance(authenticator, JwtAuthenticator)
    return authenticator._replay


def test_with_a_store_the_jti_cache_is_the_database_unless_memory_is_chosen(engine: Engine) -> None:
    from service.replay import InMemoryReplayStore

    assert isinstance(_replay_of(engine, "database"), DatabaseReplayStore)
    assert isinstance(_replay_of(engine, "memory"), InMemoryReplayStore)
