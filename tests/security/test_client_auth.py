"""CDS client authentication (CDS_AUTH=jwt): every rejection is a 401 OperationOutcome with a Bearer challenge,
made before the body is read or any FHIR call; valid ES384 and RS384 tokens are accepted once each.

Spec: https://cds-hooks.hl7.org/2.0/#trusting-cds-clients. Keys are generated at test time (conftest).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import responses
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from jwt.warnings import InsecureKeyLengthWarning

from service.app import create_app
from service.settings import Settings, SettingsError
from tests.security.conftest import (
    FEEDBACK_URL,
    ISSUER,
    PUBLIC_URL,
    SERVICE_URL,
    JwtApp,
    SigningKey,
    b64,
    bearer,
    build_jwt_app,
    claims,
    jwt_settings,
    unsigned,
)
from tests.service.conftest import SERVICE_ID, TOKEN, hook_request, log_lines, prefetch_without

URL = f"/cds-services/{SERVICE_ID}"
FEEDBACK = {"feedback": [{"card": "c-1", "outcome": "overridden", "outcomeTimestamp": "2026-06-15T09:30:00Z"}]}


@dataclass(frozen=True)
class Keys:
    ec: SigningKey
    rsa: SigningKey
    stranger: SigningKey
    p256: SigningKey


@pytest.fixture
def keys(ec_key: SigningKey, rsa_key: SigningKey, stranger_key: SigningKey, p256_key: SigningKey) -> Keys:
    return Keys(ec_key, rsa_key, stranger_key, p256_key)


def _needs_fhir() -> dict[str, Any]:
    """Returns a request that, once authenticated, would have to fetch Conditions from the FHIR server."""
    return hook_request(prefetch=prefetch_without("conditions"))


def _assert_401(reply: Any, code: str = "security") -> None:
    assert reply.status_code == 401
    assert reply.mimetype == "application/fhir+json"
    body = reply.get_json(force=True)
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == code
    assert body["issue"][0]["diagnostics"] == "a valid bearer JWT signed by a trusted CDS client is required"
    challenge = reply.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="cds-services"')
    assert ('error="invalid_token"' in challenge) is (code == "security")


def _hs256_with_public_key(keys: Keys) -> str:
    """Returns the classic algorithm-confusion forgery: HS256 keyed with the trusted public key's PEM."""
    pem = keys.ec.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    head = unsigned({"alg": "HS256", "typ": "JWT", "kid": keys.ec.kid}, claims()).rsplit(".", 1)[0]
    return f"{head}.{b64(hmac.new(pem, head.encode(), hashlib.sha256).digest())}"


def _tampered(keys: Keys) -> str:
    header, _, signature = keys.ec.sign(claims()).split(".")
    forged = unsigned({}, claims(iss=ISSUER, sub="admin")).split(".")[1]
    return f"{header}.{forged}.{signature}"


def _now() -> int:
    return int(time.time())


# id -> (Authorization header builder, logged reason)
REJECTIONS: dict[str, tuple[Callable[[Keys], str], str]] = {
    "not-bearer-scheme": (lambda k: "Basic dXNlcjpwYXNz", "not-bearer"),
    "bearer-without-token": (lambda k: "Bearer ", "not-bearer"),
    "not-a-jws": (lambda k: "Bearer not-a-token", "malformed"),
    "four-parts": (lambda k: "Bearer " + k.ec.sign(claims()) + ".x", "malformed"),
    "header-not-json": (lambda k: "Bearer " + b64(b"{nope") + "." + b64(b"{}") + ".", "malformed"),
    "payload-not-json": (lambda k: "Bearer " + b64(b'{"alg":"ES384","kid":"ec-384"}') + ".bm9wZQ.", "malformed"),
    "oversized-token": (lambda k: "Bearer " + "a" * 9000 + ".b.c", "malformed"),
    "alg-none-unsigned": (
        lambda k: "Bearer " + unsigned({"alg": "none", "typ": "JWT", "kid": "ec-384"}, claims()),
        "alg",
    ),
    "alg-None-case": (lambda k: "Bearer " + unsigned({"alg": "None", "kid": "ec-384"}, claims()), "alg"),
    "hs256-with-public-key": (lambda k: "Bearer " + _hs256_with_public_key(k), "alg"),
    "es256-not-allowed": (lambda k: "Bearer " + k.p256.sign(claims()), "alg"),
    "rs384-header-on-ec-kid": (
        lambda k: "Bearer " + unsigned({"alg": "RS384", "kid": "ec-384"}, claims(), b"x" * 256),
        "alg",
    ),
    "es384-header-on-rsa-kid": (lambda k: "Bearer " + k.ec.sign(claims(), kid="rsa-2048"), "alg"),
    "kid-missing": (lambda k: "Bearer " + k.ec.sign(claims(), kid=None), "kid-missing"),
    "typ-not-jwt": (lambda k: "Bearer " + k.ec.sign(claims(), typ="at+jwt"), "typ"),
    "unknown-issuer": (lambda k: "Bearer " + k.ec.sign(claims(iss="https://evil.example.org")), "unknown-issuer"),
    "issuer-missing": (lambda k: "Bearer " + k.ec.sign(claims(iss=None)), "unknown-issuer"),
    "issuer-not-a-string": (
        lambda k: "Bearer " + unsigned({"alg": "ES384", "kid": "ec-384"}, claims(iss=[ISSUER]), b"x" * 96),
        "unknown-issuer",
    ),
    "unknown-kid": (lambda k: "Bearer " + k.ec.sign(claims(), kid="no-such-kid"), "unknown-kid"),
    "jku-not-on-allowlist": (
        lambda k: "Bearer " + k.ec.sign(claims(), kid="elsewhere", jku="https://evil.example.org/jwks.json"),
        "jku-not-allowed",
    ),
    "forged-with-trusted-kid": (lambda k: "Bearer " + k.stranger.sign(claims()), "signature"),
    "tampered-payload": (lambda k: "Bearer " + _tampered(k), "signature"),
    "signature-stripped": (lambda k: "Bearer " + k.ec.sign(claims()).rsplit(".", 1)[0] + ".", "signature"),
    "expired": (lambda k: "Bearer " + k.ec.sign(claims(iat=_now() - 400, exp=_now() - 100)), "expired"),
    "iat-in-the-future": (lambda k: "Bearer " + k.ec.sign(claims(iat=_now() + 300, exp=_now() + 500)), "not-yet-valid"),
    "nbf-in-the-future": (lambda k: "Bearer " + k.ec.sign(claims(nbf=_now() + 300)), "not-yet-valid"),
    "exp-missing": (lambda k: "Bearer " + k.ec.sign(claims(exp=None)), "missing-claim"),
    "iat-missing": (lambda k: "Bearer " + k.ec.sign(claims(iat=None)), "missing-claim"),
    "jti-missing": (lambda k: "Bearer " + k.ec.sign(claims(jti=None)), "missing-claim"),
    "aud-missing": (lambda k: "Bearer " + k.ec.sign(claims(aud=None)), "missing-claim"),
    "exp-not-a-number": (lambda k: "Bearer " + k.ec.sign(claims(exp="tomorrow")), "malformed"),
    "jti-not-a-string": (lambda k: "Bearer " + k.ec.sign(claims(jti=12345)), "jti"),
    "jti-blank": (lambda k: "Bearer " + k.ec.sign(claims(jti="  ")), "jti"),
    "aud-other-service": (lambda k: "Bearer " + k.ec.sign(claims(aud=f"{PUBLIC_URL}/cds-services/other")), "audience"),
    "aud-other-host": (
        lambda k: "Bearer " + k.ec.sign(claims(aud=f"https://evil.example.org/cds-services/{SERVICE_ID}")),
        "audience",
    ),
    "aud-bare-host": (lambda k: "Bearer " + k.ec.sign(claims(aud=PUBLIC_URL)), "audience"),
    "aud-feedback-url-on-invoke": (lambda k: "Bearer " + k.ec.sign(claims(aud=FEEDBACK_URL)), "audience"),
    "lifetime-over-max": (lambda k: "Bearer " + k.ec.sign(claims(exp=_now() + 3600)), "lifetime"),
}


@pytest.mark.parametrize("case", list(REJECTIONS), ids=list(REJECTIONS))
def test_every_rejection_is_401_before_any_fhir_call(
    jwt_app: JwtApp,
    keys: Keys,
    fhir: responses.RequestsMock,
    caplog: pytest.LogCaptureFixture,
    case: str,
) -> None:
    build, reason = REJECTIONS[case]
    caplog.set_level(logging.INFO)
    reply = jwt_app.app.test_client().post(URL, json=_needs_fhir(), headers={"Authorization": build(keys)})
    _assert_401(reply)
    assert len(fhir.calls) == 0
    assert jwt_app.mapper.batches == []
    [line] = log_lines(caplog.records, "auth_rejected")
    assert line["reason"] == reason
    [call] = log_lines(caplog.records, "hook_call")
    assert (call["status"], call["error"], call["client"]) == (401, "Unauthenticated", None)


def test_missing_header_is_401_login(jwt_app: JwtApp, fhir: responses.RequestsMock) -> None:
    reply = jwt_app.app.test_client().post(URL, json=_needs_fhir())
    _assert_401(reply, code="login")
    assert len(fhir.calls) == 0


def test_auth_is_checked_before_the_body_is_read(jwt_app: JwtApp) -> None:
    client = jwt_app.app.test_client()
    _assert_401(client.post(URL, data=b"{not json", content_type="text/plain"), code="login")
    _assert_401(client.post("/cds-services/no-such-service", json={}), code="login")


@pytest.mark.parametrize("signer", ["ec", "rsa"])
def test_valid_es384_and_rs384_tokens_are_accepted(jwt_app: JwtApp, keys: Keys, signer: str) -> None:
    key: SigningKey = getattr(keys, signer)
    reply = jwt_app.app.test_client().post(URL, json=hook_request(), headers=bearer(key.sign(claims())))
    assert reply.status_code == 200
    assert len(reply.get_json()["cards"]) == 1


@pytest.mark.parametrize(
    "aud",
    [
        pytest.param(SERVICE_URL, id="service-url"),
        pytest.param([SERVICE_URL], id="service-url-in-array"),
        pytest.param(["https://other.example.org", SERVICE_URL], id="one-of-several"),
        pytest.param(SERVICE_URL + "/", id="trailing-slash"),
    ],
)
def test_accepted_audiences(jwt_app: JwtApp, keys: Keys, aud: Any) -> None:
    reply = jwt_app.app.test_client().post(URL, json=hook_request(), headers=bearer(keys.ec.sign(claims(aud=aud))))
    assert reply.status_code == 200


def test_clock_skew_within_the_leeway_is_accepted(jwt_app: JwtApp, keys: Keys) -> None:
    token = keys.ec.sign(claims(iat=_now() - 300, exp=_now() - 10))  # expired 10 s ago; leeway is 30 s
    assert jwt_app.app.test_client().post(URL, json=hook_request(), headers=bearer(token)).status_code == 200
    token = keys.ec.sign(claims(iat=_now() + 10, exp=_now() + 300))  # issued 10 s "in the future"
    assert jwt_app.app.test_client().post(URL, json=hook_request(), headers=bearer(token)).status_code == 200


def test_a_replayed_token_is_refused(jwt_app: JwtApp, keys: Keys, caplog: pytest.LogCaptureFixture) -> None:
    client = jwt_app.app.test_client()
    token = keys.ec.sign(claims())
    assert client.post(URL, json=hook_request(), headers=bearer(token)).status_code == 200
    caplog.set_level(logging.INFO)
    _assert_401(client.post(URL, json=hook_request(), headers=bearer(token)))
    assert [line["reason"] for line in log_lines(caplog.records, "auth_rejected")] == ["replayed"]


def test_a_jti_is_single_use_across_endpoints_but_per_issuer(jwt_app: JwtApp, keys: Keys) -> None:
    client = jwt_app.app.test_client()
    same = claims(aud=[SERVICE_URL, FEEDBACK_URL])
    assert client.post(URL, json=hook_request(), headers=bearer(keys.ec.sign(same))).status_code == 200
    _assert_401(client.post(f"{URL}/feedback", json=FEEDBACK, headers=bearer(keys.rsa.sign(same))))


def test_accepted_call_logs_the_client_issuer(jwt_app: JwtApp, keys: Keys, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    token = keys.ec.sign(claims())
    jwt_app.app.test_client().post(URL, json=hook_request(), headers=bearer(token))
    [line] = log_lines(caplog.records, "hook_call")
    assert line["client"] == ISSUER
    assert token not in caplog.text
    assert TOKEN not in caplog.text


def test_feedback_is_authenticated_with_its_own_audience(jwt_app: JwtApp, keys: Keys) -> None:
    client = jwt_app.app.test_client()
    _assert_401(client.post(f"{URL}/feedback", json=FEEDBACK), code="login")
    ok = client.post(f"{URL}/feedback", json=FEEDBACK, headers=bearer(keys.ec.sign(claims(aud=FEEDBACK_URL))))
    assert ok.status_code == 200
    as_service = client.post(f"{URL}/feedback", json=FEEDBACK, headers=bearer(keys.ec.sign(claims())))
    assert as_service.status_code == 200  # the service URL is accepted for its feedback too
    other = keys.ec.sign(claims(aud=f"{PUBLIC_URL}/cds-services/other/feedback"))
    _assert_401(client.post(f"{URL}/feedback", json=FEEDBACK, headers=bearer(other)))


def test_discovery_needs_no_token_and_ignores_a_bad_one(jwt_app: JwtApp) -> None:
    client = jwt_app.app.test_client()
    assert client.get("/cds-services").status_code == 200
    assert client.get("/cds-services", headers={"Authorization": "Bearer garbage"}).status_code == 200


@pytest.mark.parametrize("path", ["/cds-services", URL, f"{URL}/feedback"])
def test_preflight_is_never_authenticated(jwt_app: JwtApp, path: str) -> None:
    headers = {"Origin": "https://sandbox.cds-hooks.org", "Access-Control-Request-Method": "POST"}
    assert jwt_app.app.test_client().options(path, headers=headers).status_code == 204


def test_a_browser_client_can_read_the_challenge(jwt_app: JwtApp) -> None:
    reply = jwt_app.app.test_client().post(URL, json={}, headers={"Origin": "https://sandbox.cds-hooks.org"})
    assert reply.status_code == 401
    assert reply.headers["Access-Control-Expose-Headers"] == "WWW-Authenticate"


def test_a_token_passes_with_the_configured_leeway_only(keys: Keys, fhir: responses.RequestsMock) -> None:
    strict = build_jwt_app(jwt_settings(keys.ec, jwt_leeway_seconds=0))
    token = keys.ec.sign(claims(iat=_now() - 300, exp=_now() - 5))
    _assert_401(strict.app.test_client().post(URL, json=hook_request(), headers=bearer(token)))


def test_allowed_algorithms_are_configurable(keys: Keys, fhir: responses.RequestsMock) -> None:
    app = build_jwt_app(jwt_settings(keys.p256, keys.ec, jwt_algorithms=("ES256",)))
    client = app.app.test_client()
    assert client.post(URL, json=hook_request(), headers=bearer(keys.p256.sign(claims()))).status_code == 200
    _assert_401(client.post(URL, json=hook_request(), headers=bearer(keys.ec.sign(claims()))))


def test_jwt_mode_without_trusted_issuers_fails_at_startup() -> None:
    with pytest.raises(SettingsError, match="CDS_TRUSTED_ISSUERS"):
        create_app(Settings())


def test_open_mode_warns_at_startup(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    create_app(Settings(auth="open"))
    assert [r for r in caplog.records if "CDS_AUTH=open" in r.getMessage()]


def test_an_rsa_key_under_2048_bits_is_refused(fhir: responses.RequestsMock) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 -- the weak key under test
    jwk = {**RSAAlgorithm.to_jwk(private.public_key(), as_dict=True), "kid": "weak", "alg": "RS384"}
    weak = SigningKey("weak", "RS384", private, jwk)
    app = build_jwt_app(jwt_settings(weak))
    with pytest.warns(InsecureKeyLengthWarning):  # PyJWT warns the signer; the service refuses the key
        token = weak.sign(claims())
    _assert_401(app.app.test_client().post(URL, json=hook_request(), headers=bearer(token)))
