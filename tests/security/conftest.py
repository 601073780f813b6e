"""Shared pieces of the security tests: client signing keys made at test time, token builders, the app in jwt mode.

No private key is ever committed: the EC P-384 and RSA keys are generated once per test session in memory.
The app under test uses the HTTP-layer fakes of tests/service (a fake spec over the real prefetch templates and a
spy mapper), so a request that got past authentication would either answer from prefetch or try the FHIR mock.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
import responses
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from flask import Flask
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from service.app import create_app
from service.settings import Settings
from service.trust import IssuerTrust
from tests.service.conftest import (
    FIXED_NOW,
    SERVICE_ID,
    Rules,
    SpyMapper,
    counter_uuids,
    fake_spec,
    public_resolver,
    service_settings,
)

ISSUER = "https://ehr.example.org"
PUBLIC_URL = "https://cds.example.org"
SERVICE_URL = f"{PUBLIC_URL}/cds-services/{SERVICE_ID}"
FEEDBACK_URL = f"{SERVICE_URL}/feedback"
JKU = "https://ehr.example.org/.well-known/jwks.json"


@dataclass
class FuzzStats:
    """Responses the fuzz tests produced, by status: reported at the end of the run."""

    by_status: dict[int, int] = field(default_factory=dict)

    def record(self, status: int) -> None:
        self.by_status[status] = self.by_status.get(status, 0) + 1

    @property
    def requests(self) -> int:
        return sum(self.by_status.values())

    @property
    def server_errors(self) -> int:
        return sum(n for status, n in self.by_status.items() if status >= 500)


FUZZ_STATS = FuzzStats()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Prints how many fuzzed requests were sent and how many got a 5xx."""
    if FUZZ_STATS.requests:
        statuses = ", ".join(f"{s}: {n}" for s, n in sorted(FUZZ_STATS.by_status.items()))
        terminalreporter.write_line(
            f"security fuzz: {FUZZ_STATS.requests} requests, {FUZZ_STATS.server_errors} with a 5xx ({statuses})"
        )


@dataclass(frozen=True)
class SigningKey:
    """A client's key pair: signs tokens; `jwk` is the public half as a JWK Set entry."""

    kid: str
    alg: str
    private: Any
    jwk: dict[str, Any]

    def sign(self, claims: dict[str, Any], **header: Any) -> str:
        """Returns a compact JWS of `claims` with this key; `header` adds, replaces or (None) drops members."""
        alg = header.pop("alg", self.alg)
        headers = {k: v for k, v in {"kid": self.kid, "typ": "JWT", **header}.items() if v is not None}
        return jwt.encode(claims, self.private, algorithm=alg, headers=headers)


def _ec_key(kid: str, curve: ec.EllipticCurve, alg: str) -> SigningKey:
    private = ec.generate_private_key(curve)
    public = ECAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return SigningKey(kid, alg, private, {**public, "kid": kid, "alg": alg, "use": "sig"})


def _rsa_key(kid: str) -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = RSAAlgorithm.to_jwk(private.public_key(), as_dict=True)
    return SigningKey(kid, "RS384", private, {**public, "kid": kid, "alg": "RS384", "use": "sig"})


@pytest.fixture(scope="session")
def ec_key() -> SigningKey:
    return _ec_key("ec-384", ec.SECP384R1(), "ES384")


@pytest.fixture(scope="session")
def rsa_key() -> SigningKey:
    return _rsa_key("rsa-2048")


@pytest.fixture(scope="session")
def jku_key() -> SigningKey:
    """A key published only at the issuer's jku URL, not configured locally."""
    return _ec_key("rotated-1", ec.SECP384R1(), "ES384")


@pytest.fixture(scope="session")
def stranger_key() -> SigningKey:
    """An untrusted key that reuses the trusted EC key's kid (a forger's)."""
    return _ec_key("ec-384", ec.SECP384R1(), "ES384")


@pytest.fixture(scope="session")
def p256_key() -> SigningKey:
    return _ec_key("ec-256", ec.SECP256R1(), "ES256")


def claims(**over: Any) -> dict[str, Any]:
    """Returns valid claims for a call to the fake service, issued now for 5 minutes; `over` replaces (None drops)."""
    now = int(time.time())
    out: dict[str, Any] = {"iss": ISSUER, "aud": SERVICE_URL, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    out.update(over)
    return {k: v for k, v in out.items() if v is not None}


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    """Returns a hand-built compact JWS (for `alg: none` and other forgeries)."""
    return ".".join([b64(json.dumps(header).encode()), b64(json.dumps(payload).encode()), b64(signature)])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def jwt_settings(*keys: SigningKey, **over: Any) -> Settings:
    """Returns jwt-mode settings trusting ISSUER with `keys` (and JKU on its jku allowlist)."""
    trust = IssuerTrust(ISSUER, keys=tuple(k.jwk for k in keys), jku_allowlist=(JKU,))
    fields: dict[str, Any] = {"auth": "jwt", "public_url": PUBLIC_URL, "trusted_issuers": (trust,)}
    fields.update(over)
    return service_settings(**fields)


@dataclass
class JwtApp:
    """The app in jwt mode over the fakes, and the spies to check that nothing ran after a refusal."""

    app: Flask
    rules: Rules
    mapper: SpyMapper


def build_jwt_app(settings: Settings) -> JwtApp:
    rules, mapper = Rules(), SpyMapper()
    app = create_app(
        settings,
        [fake_spec(rules)],
        mapper=mapper,
        clock=lambda: FIXED_NOW,
        new_uuid=counter_uuids(),
        resolver=public_resolver,
    )
    return JwtApp(app, rules, mapper)


@pytest.fixture
def fhir() -> Iterator[responses.RequestsMock]:
    """The FHIR (and JWKS) mock: any unregistered call fails, and so does a registered one that never fired."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def jwt_app(ec_key: SigningKey, rsa_key: SigningKey, fhir: responses.RequestsMock) -> JwtApp:
    return build_jwt_app(jwt_settings(ec_key, rsa_key))
