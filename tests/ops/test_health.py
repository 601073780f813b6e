"""GET /healthz and GET /readyz: no authentication, no patient data, and each readiness check failing on its own."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from service.app import create_app
from service.health import CheckFailed, DrainFlag, Readiness, not_draining
from service.ops import OPS_KEY, database_check, settings_check, trusted_keys_check
from service.settings import Settings
from service.store.engine import open_engine, upgrade
from service.store.store import Store
from service.trust import IssuerTrust
from tests.security.conftest import ISSUER, SigningKey, jwt_settings
from tests.service.conftest import service_settings
from tests.support import make_app


def test_healthz_answers_ok_without_authentication_in_jwt_mode(ec_key: SigningKey) -> None:
    reply = create_app(jwt_settings(ec_key)).test_client().get("/healthz")
    assert reply.status_code == 200
    assert reply.get_json() == {"status": "ok"}


def test_readyz_lists_every_check_when_ready(ec_key: SigningKey) -> None:
    reply = create_app(jwt_settings(ec_key)).test_client().get("/readyz")
    assert reply.status_code == 200
    assert reply.get_json() == {
        "status": "ready",
        "checks": {"settings": "ok", "trusted_keys": "ok", "not_draining": "ok"},
    }


def test_readyz_is_503_with_an_operation_outcome_naming_the_failed_check() -> None:
    app = make_app()
    app.extensions[OPS_KEY].readiness.add("database", _raises(CheckFailed("not migrated")))
    reply = app.test_client().get("/readyz")
    assert reply.status_code == 503
    assert reply.mimetype == "application/fhir+json"
    body = reply.get_json(force=True)
    assert body["resourceType"] == "OperationOutcome"
    assert [issue["diagnostics"] for issue in body["issue"]] == ["not ready: database: not migrated"]


def test_readiness_turns_false_when_the_drain_starts() -> None:
    flag = DrainFlag()
    app = make_app()
    app.extensions[OPS_KEY].readiness.add("drain_test", not_draining(flag))
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    flag.start()
    reply = client.get("/readyz")
    assert reply.status_code == 503
    assert "drain_test: draining" in reply.get_data(as_text=True)
    assert client.get("/healthz").status_code == 200  # still alive: in-flight calls finish


def test_a_failing_check_shows_its_error_class_never_its_message() -> None:
    readiness = Readiness()
    readiness.add("database", _raises(OSError("connect to db.internal:5432 as admin:hunter2 failed")))
    [result] = readiness.run()
    assert (result.ok, result.detail) == (False, "error: OSError")


def test_a_hung_check_fails_as_timeout_within_the_limit() -> None:
    release = threading.Event()
    readiness = Readiness(timeout_seconds=0.2)

    def hangs() -> None:
        release.wait(5)

    readiness.add("database", hangs)
    readiness.add("settings", lambda: None)
    started = time.monotonic()
    try:
        results = {r.name: r.detail for r in readiness.run()}
    finally:
        release.set()
    assert time.monotonic() - started < 2
    assert results == {"database": "timeout", "settings": "ok"}


@pytest.mark.parametrize("name", ["", "Database", "has space", "x" * 60])
def test_a_check_name_must_be_short_lowercase(name: str) -> None:
    with pytest.raises(ValueError, match="lowercase"):
        Readiness().add(name, lambda: None)


def test_a_check_name_is_registered_once() -> None:
    readiness = Readiness()
    readiness.add("database", lambda: None)
    with pytest.raises(ValueError, match="already registered"):
        readiness.add("database", lambda: None)


def test_settings_check_fails_naming_the_variable_when_the_issuers_file_breaks(
    tmp_path: Path, ec_key: SigningKey
) -> None:
    issuers = tmp_path / "trusted-issuers.json"
    issuers.write_text(json.dumps({ISSUER: {"jwks": {"keys": [ec_key.jwk]}}}))
    check = settings_check({"CDS_AUTH": "jwt", "CDS_TRUSTED_ISSUERS": str(issuers)})
    check()
    issuers.write_text("{not json, and a secret-looking value")
    with pytest.raises(CheckFailed) as failed:
        check()
    assert failed.value.reason == "invalid CDS_TRUSTED_ISSUERS"


def test_settings_check_has_nothing_to_reread_for_settings_built_in_code() -> None:
    settings_check(None)()


def test_trusted_keys_check_fails_in_jwt_mode_without_any_key_source() -> None:
    settings = Settings(auth="jwt", trusted_issuers=(IssuerTrust(ISSUER),))
    with pytest.raises(CheckFailed, match="no trusted client keys"):
        trusted_keys_check(settings)()
    trusted_keys_check(Settings(auth="jwt", trusted_issuers=(IssuerTrust(ISSUER, jwks_url=f"{ISSUER}/jwks"),)))()
    trusted_keys_check(Settings(auth="open"))()


def _raises(error: Exception) -> Callable[[], None]:
    def check() -> None:
        raise error

    return check


def test_database_check_fails_until_the_store_is_migrated(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    check = database_check(engine)
    with pytest.raises(CheckFailed, match="migration head"):
        check()
    upgrade(engine)
    check()


def test_readyz_checks_the_database_when_the_app_has_a_store(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    upgrade(engine)
    client = create_app(service_settings(), store=Store(engine)).test_client()
    reply = client.get("/readyz")
    assert reply.status_code == 200
    assert reply.get_json()["checks"]["database"] == "ok"
    (tmp_path / "store.sqlite3").unlink()  # the file gone: a new connection finds an empty database
    engine.dispose()
    reply = client.get("/readyz")
    assert reply.status_code == 503
    assert "database: unreachable or not at the migration head" in reply.get_data(as_text=True)
