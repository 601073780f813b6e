"""Where client keys come from (trusted-issuers file, pinned keys, jku and jwks_url fetches) and the jti store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
import responses
from cryptography.hazmat.primitives.asymmetric import ec

from service.app import create_app
from service.auth import KeySource
from service.errors import Unauthenticated
from service.replay import InMemoryReplayStore, ReplayStoreFull
from service.settings import Settings, SettingsError
from service.trust import IssuerTrust
from tests.security.conftest import (
    ISSUER,
    JKU,
    PUBLIC_URL,
    SigningKey,
    _ec_key,
    bearer,
    build_jwt_app,
    claims,
    jwt_settings,
)
from tests.service.conftest import SERVICE_ID, hook_request

URL = f"/cds-services/{SERVICE_ID}"
SANDBOX_ISSUER = "https://sandbox.cds-hooks.org"
SANDBOX_KID = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"
SANDBOX_JKU = "https://sandbox.cds-hooks.org/.well-known/jwks.json"


def _post(app: Any, token: str) -> int:
    status: int = app.test_client().post(URL, json=hook_request(), headers=bearer(token)).status_code
    return status


# --- jku and jwks_url fetches -------------------------------------------------------------------------------------


def test_a_key_published_at_an_allowlisted_jku_is_fetched_once_and_cached(
    jku_key: SigningKey, ec_key: SigningKey, fhir: responses.RequestsMock
) -> None:
    fhir.get(JKU, json={"keys": [jku_key.jwk]})
    app = build_jwt_app(jwt_settings(ec_key)).app
    assert _post(app, jku_key.sign(claims(), jku=JKU)) == 200
    assert _post(app, jku_key.sign(claims(), jku=JKU)) == 200
    assert len(fhir.calls) == 1
    sent = fhir.calls[0].request
    assert "Authorization" not in sent.headers
    assert sent.req_kwargs["timeout"] == (3.05, 5.0)  # type: ignore[attr-defined]  # set by responses


def test_a_pinned_key_wins_over_any_jku_so_the_offline_sandbox_works(
    ec_key: SigningKey, fhir: responses.RequestsMock
) -> None:
    app = build_jwt_app(jwt_settings(ec_key)).app
    assert _post(app, ec_key.sign(claims(), jku="https://unreachable.example.org/jwks.json")) == 200
    assert len(fhir.calls) == 0


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        pytest.param({"status": 302, "headers": {"Location": "https://evil.example.org/jwks"}}, "redirect", id="302"),
        pytest.param({"status": 500, "json": {}}, "5xx", id="500"),
        pytest.param({"body": requests.ConnectionError("down")}, "down", id="connection-error"),
        pytest.param({"body": "{not json"}, "not-json", id="not-json"),
        pytest.param({"json": {"keys": "nope"}}, "not-a-jwk-set", id="not-a-jwk-set"),
        pytest.param({"body": json.dumps({"keys": [], "pad": "x" * 70_000})}, "over-64-kib", id="oversized"),
    ],
)
def test_a_jku_that_cannot_supply_the_key_is_401(
    jku_key: SigningKey, ec_key: SigningKey, fhir: responses.RequestsMock, reply: dict[str, Any], why: str
) -> None:
    fhir.get(JKU, **reply)
    app = build_jwt_app(jwt_settings(ec_key)).app
    assert _post(app, jku_key.sign(claims(), jku=JKU)) == 401
    assert _post(app, jku_key.sign(claims(), jku=JKU)) == 401  # the failure is remembered: no second fetch
    assert len(fhir.calls) == 1  # and a redirect was not followed (responses records that call too)


def test_a_jwk_set_with_private_key_material_is_refused(
    jku_key: SigningKey, ec_key: SigningKey, fhir: responses.RequestsMock
) -> None:
    leaked = {**jku_key.jwk, "d": "c2VjcmV0"}
    fhir.get(JKU, json={"keys": [leaked]})
    assert _post(build_jwt_app(jwt_settings(ec_key)).app, jku_key.sign(claims(), jku=JKU)) == 401


def test_an_issuer_with_a_jwks_url_is_fetched_without_jku(jku_key: SigningKey, fhir: responses.RequestsMock) -> None:
    trust = IssuerTrust(ISSUER, jwks_url="https://ehr.example.org/keys")
    fhir.get("https://ehr.example.org/keys", json={"keys": [jku_key.jwk]})
    app = build_jwt_app(jwt_settings(trusted_issuers=(trust,))).app
    assert _post(app, jku_key.sign(claims())) == 200


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_unknown_kid_refetches_at_most_every_30_seconds(jku_key: SigningKey, fhir: responses.RequestsMock) -> None:
    fhir.get(JKU, json={"keys": [jku_key.jwk]})
    clock = _Clock()
    source = KeySource(requests.Session(), cache_seconds=300, clock=clock)
    trust = IssuerTrust(ISSUER, jku_allowlist=(JKU,))
    assert source.find(trust, jku_key.kid, JKU) == jku_key.jwk
    clock.now += 10
    with pytest.raises(Unauthenticated) as caught:
        source.find(trust, "rotated-2", JKU)
    assert caught.value.reason == "unknown-kid"
    assert len(fhir.calls) == 1
    clock.now += 30
    with pytest.raises(Unauthenticated):
        source.find(trust, "rotated-2", JKU)
    assert len(fhir.calls) == 2
    clock.now += 301
    assert source.find(trust, jku_key.kid, JKU) == jku_key.jwk  # expired cache: fetched again
    assert len(fhir.calls) == 3


# --- the trusted-issuers file ---------------------------------------------------------------------------------------


def _trust_file(tmp_path: Path, document: Any, jwks: Any = None) -> dict[str, str]:
    if jwks is not None:
        (tmp_path / "keys.json").write_text(json.dumps(jwks))
    path = tmp_path / "trusted-issuers.json"
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return {"CDS_TRUSTED_ISSUERS": str(path), "CDS_PUBLIC_URL": PUBLIC_URL}


def _load(env: dict[str, str]) -> Settings:
    return Settings.from_env(env)


def test_the_sandbox_can_be_trusted_offline_from_local_files(tmp_path: Path, fhir: responses.RequestsMock) -> None:
    # The README's steps with a stand-in key: the real Sandbox key is its public JWK under this kid.
    sandbox = _ec_key(SANDBOX_KID, ec.SECP384R1(), "ES384")
    env = _trust_file(
        tmp_path,
        {SANDBOX_ISSUER: {"jwks_file": "keys.json", "jku_allowlist": [SANDBOX_JKU]}},
        jwks={"keys": [sandbox.jwk]},
    )
    settings = _load({**env, "CDS_FHIR_ALLOWLIST": "https://fhir.example.org/r4"})
    assert settings.trusted_issuers[0].jku_allowlist == (SANDBOX_JKU,)
    app = build_jwt_app(settings).app
    token = sandbox.sign(claims(iss=SANDBOX_ISSUER), jku=SANDBOX_JKU)
    assert _post(app, token) == 200
    assert len(fhir.calls) == 0  # the jku is never fetched: the key is pinned locally


def test_inline_jwks_and_jwks_url_are_read(tmp_path: Path, ec_key: SigningKey) -> None:
    env = _trust_file(
        tmp_path,
        {ISSUER: {"jwks": {"keys": [ec_key.jwk]}}, "https://other.example.org": {"jwks_url": "https://o.example/k"}},
    )
    first, second = _load(env).trusted_issuers
    assert first == IssuerTrust(ISSUER, keys=(ec_key.jwk,))
    assert second == IssuerTrust("https://other.example.org", jwks_url="https://o.example/k")


def test_keys_without_kid_or_for_encryption_are_left_out(tmp_path: Path, ec_key: SigningKey) -> None:
    no_kid = {k: v for k, v in ec_key.jwk.items() if k != "kid"}
    encryption = {**ec_key.jwk, "kid": "enc", "use": "enc"}
    env = _trust_file(tmp_path, {ISSUER: {"jwks": {"keys": [no_kid, encryption, ec_key.jwk]}}})
    assert _load(env).trusted_issuers[0].keys == (ec_key.jwk,)


@pytest.mark.parametrize(
    ("document", "jwks", "message"),
    [
        pytest.param("{nope", None, "not valid JSON", id="not-json"),
        pytest.param([], None, "non-empty object", id="not-an-object"),
        pytest.param({}, None, "non-empty object", id="empty"),
        pytest.param({ISSUER: "keys.json"}, None, "expected an object", id="entry-not-object"),
        pytest.param({ISSUER: {}}, None, "at least one of", id="no-key-source"),
        pytest.param({ISSUER: {"jwks_fle": "keys.json"}}, None, "unknown member(s) jwks_fle", id="typo"),
        pytest.param({ISSUER: {"jwks_file": "missing.json"}}, None, "cannot read JWK Set file", id="missing-jwks"),
        pytest.param({ISSUER: {"jwks_file": 7}}, None, "jwks_file must be a path", id="jwks-file-not-string"),
        pytest.param({ISSUER: {"jwks_file": "keys.json"}}, {"kty": "EC"}, "not a JWK Set", id="not-a-jwk-set"),
        pytest.param(
            {ISSUER: {"jwks_file": "keys.json"}},
            {"keys": [{"kty": "EC", "kid": "k", "d": "secret"}]},
            "private or symmetric",
            id="private-key",
        ),
        pytest.param(
            {ISSUER: {"jwks_file": "keys.json"}},
            {"keys": [{"kty": "oct", "kid": "k", "alg": "HS256"}]},
            "no usable public key",
            id="hmac-only",
        ),
        pytest.param({ISSUER: {"jku_allowlist": ["http://ehr.example.org/jwks"]}}, None, "https", id="http-jku"),
        pytest.param({ISSUER: {"jku_allowlist": "https://e.example/j"}}, None, "array", id="jku-not-array"),
        pytest.param({ISSUER: {"jwks_url": "ftp://ehr.example.org/jwks"}}, None, "https", id="ftp-jwks-url"),
    ],
)
def test_a_bad_trust_file_stops_startup_naming_the_variable(
    tmp_path: Path, document: Any, jwks: Any, message: str
) -> None:
    raw = document if isinstance(document, str) else json.dumps(document)
    env = _trust_file(tmp_path, raw, jwks=jwks)
    with pytest.raises(SettingsError) as caught:
        _load(env)
    assert str(caught.value).startswith("CDS_TRUSTED_ISSUERS: ")
    assert message in str(caught.value)


def test_a_missing_trust_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read trusted issuers file"):
        _load({"CDS_TRUSTED_ISSUERS": str(tmp_path / "nowhere.json")})


def test_a_full_trust_file_configures_a_jwt_app(tmp_path: Path, ec_key: SigningKey) -> None:
    env = _trust_file(tmp_path, {ISSUER: {"jwks_file": "keys.json"}}, jwks={"keys": [ec_key.jwk]})
    app = create_app(_load(env))
    assert app.test_client().post(URL, json={}).status_code == 401


# --- the jti store ---------------------------------------------------------------------------------------------------


def test_replay_store_remembers_until_expiry() -> None:
    store = InMemoryReplayStore(max_entries=10)
    assert store.claim("a", expires_at=100, now=0) is True
    assert store.claim("a", expires_at=100, now=50) is False
    assert store.claim("a", expires_at=200, now=100) is True  # expired, forgotten, seen afresh


def test_replay_store_is_bounded_and_fails_closed() -> None:
    store = InMemoryReplayStore(max_entries=2)
    store.claim("a", expires_at=10, now=0)
    store.claim("b", expires_at=20, now=0)
    with pytest.raises(ReplayStoreFull):
        store.claim("c", expires_at=30, now=5)
    assert store.claim("c", expires_at=30, now=10) is True  # "a" expired and made room
    assert len(store) == 2


def test_a_full_replay_store_is_503_with_retry_after(ec_key: SigningKey, fhir: responses.RequestsMock) -> None:
    app = build_jwt_app(jwt_settings(ec_key, jwt_replay_cache_size=1)).app
    assert _post(app, ec_key.sign(claims())) == 200
    reply = app.test_client().post(URL, json=hook_request(), headers=bearer(ec_key.sign(claims())))
    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "5"
    assert reply.get_json(force=True)["issue"][0]["code"] == "throttled"
