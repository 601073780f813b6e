"""CDS client authentication: the signed JWT every hook call and feedback post carries (CDS_AUTH=jwt).

Spec "Trusting CDS Clients" (https://cds-hooks.hl7.org/2.0/#trusting-cds-clients). Checked, in this order, before
the body is read and before any FHIR call: an `Authorization: Bearer` header; a compact JWS of sane size; `alg`
in CDS_JWT_ALGORITHMS (asymmetric only, so `none` and HMAC never verify); a `kid`; `typ` JWT when present; an `iss`
in the trusted-issuers file; the key (see `KeySource`); the signature; `aud`, `exp`, `iat`, `jti` present; `aud`
naming this endpoint; `exp` not passed and `iat`/`nbf` not in the future (CDS_JWT_LEEWAY_SECONDS of skew);
`exp - iat` within CDS_JWT_MAX_LIFETIME_SECONDS; and the `jti` not seen before from that issuer.

Audience: the spec says `aud` is "the URL of the CDS Service endpoint being invoked". Accepted: that exact URL under
CDS_PUBLIC_URL (`{public}/cds-services/{id}`, or `.../{id}/feedback` for feedback) and the service URL for its
feedback too; each with or without a trailing slash. The discovery base `{public}/cds-services` is not accepted:
a token for discovery must not open every service. The CDS Hooks Sandbox does not need it: it signs the service
URL (`{discovery}/{id}`) for a hook call, `{service}/feedback` for feedback, and the discovery URL only for
discovery itself, which is not authenticated here (cds-hooks/sandbox, src/retrieve-data-helpers/
service-exchange.js, discovery-services-retrieval.js, components/CardList/card-list.jsx).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import jwt
import requests
from jwt import exceptions as jwt_errors

from service.errors import ServiceBusy, Unauthenticated
from service.outbound import Deadline, OutboundRefused, read_capped
from service.replay import InMemoryReplayStore, ReplayStore, ReplayStoreFull
from service.settings import Settings
from service.trust import IssuerTrust, Jwk, public_keys

logger = logging.getLogger(__name__)

MAX_TOKEN_CHARS = 8192
MAX_JTI_CHARS = 256
MAX_JWKS_BYTES = 64 * 1024
JWKS_TIMEOUT = (3.05, 5.0)  # (connect, read) seconds for a JWK Set fetch
JWKS_MIN_REFETCH_SECONDS = 30.0  # an unknown kid triggers a refetch at most this often per URL
_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}
_REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti"]

# PyJWT exception -> log reason; the first match wins, so subclasses come before their bases.
_JWT_REASONS: tuple[tuple[type[Exception], str], ...] = (
    (jwt_errors.ExpiredSignatureError, "expired"),
    (jwt_errors.ImmatureSignatureError, "not-yet-valid"),
    (jwt_errors.InvalidAudienceError, "audience"),
    (jwt_errors.InvalidIssuerError, "issuer"),
    (jwt_errors.MissingRequiredClaimError, "missing-claim"),
    (jwt_errors.InvalidIssuedAtError, "iat"),
    (jwt_errors.InvalidJTIError, "jti"),
    (jwt_errors.InvalidSignatureError, "signature"),
    (jwt_errors.InvalidAlgorithmError, "alg"),
    (jwt_errors.InvalidKeyError, "key"),
    (jwt_errors.PyJWKError, "key"),
    (jwt_errors.DecodeError, "malformed"),
    (jwt_errors.InvalidTokenError, "invalid"),
)


@dataclass(frozen=True, slots=True)
class ClientIdentity:
    """Who made a verified call: the issuer (a configured URL, safe to log) and the key id."""

    issuer: str
    kid: str


class Authenticator(Protocol):
    """Checks the Authorization header of one call against the accepted audiences."""

    def authenticate(self, authorization: str | None, audiences: Sequence[str]) -> ClientIdentity | None:
        """Returns the verified client (None in open mode); raises Unauthenticated (401)."""
        ...


class OpenAccess:
    """CDS_AUTH=open: no client authentication (demo and tests only)."""

    def authenticate(self, authorization: str | None, audiences: Sequence[str]) -> ClientIdentity | None:
        """Returns None: every caller is let through."""
        return None


def audiences(public_url: str, service_id: str, *, feedback: bool = False) -> list[str]:
    """Returns every `aud` value accepted for a call to `service_id` (or its feedback endpoint)."""
    service = f"{public_url.rstrip('/')}/cds-services/{service_id}"
    names = [service]
    if feedback:
        names.append(f"{service}/feedback")
    return names + [f"{name}/" for name in names]


@dataclass
class _CachedSet:
    keys: dict[str, Jwk]
    fetched_at: float


class KeySource:
    """Finds the public key for (issuer, kid, jku); JWK Sets fetched from URLs are cached per URL.

    A kid found among the issuer's configured keys (jwks_file or jwks) is used whatever `jku` says: a pinned key is
    at least as strong as a fetched one, and it lets the offline Sandbox set-up work although its tokens name an
    unreachable `jku`. Otherwise a `jku` must be on the issuer's jku_allowlist (exact match) and is fetched; with
    no `jku`, the issuer's `jwks_url` is. Fetches use the app's one requests session: https as configured, no
    redirects, timeouts, a 64 KiB cap; an unknown kid refetches at most every 30 s; a failed refetch keeps the
    last good set.
    """

    def __init__(
        self, session: requests.Session, cache_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._session = session
        self._ttl = cache_seconds
        self._clock = clock
        self._cache: dict[str, _CachedSet] = {}
        self._lock = threading.Lock()

    def find(self, trust: IssuerTrust, kid: str, jku: str | None) -> Jwk:
        """Returns the JWK for `kid`; raises Unauthenticated when it cannot be found or fetched."""
        for key in trust.keys:
            if key["kid"] == kid:
                return key
        if jku is not None:
            if jku not in trust.jku_allowlist:
                raise Unauthenticated("jku-not-allowed")
            return self._from_url(jku, kid)
        if trust.jwks_url is not None:
            return self._from_url(trust.jwks_url, kid)
        raise Unauthenticated("unknown-kid")

    def _from_url(self, url: str, kid: str) -> Jwk:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(url)
        if cached is not None:
            age = now - cached.fetched_at
            if kid in cached.keys and age < self._ttl:
                return cached.keys[kid]
            if age < min(JWKS_MIN_REFETCH_SECONDS, self._ttl):
                raise Unauthenticated("unknown-kid")
        keys = self._fetch(url)
        with self._lock:
            if keys is None:  # keep the last good set, but do not refetch on every call while the host is down
                keys = cached.keys if cached is not None else {}
                self._cache[url] = _CachedSet(keys, now)
                if kid not in keys:
                    raise Unauthenticated("jwks-unavailable")
            else:
                self._cache[url] = _CachedSet(keys, now)
        if kid not in keys:
            raise Unauthenticated("unknown-kid")
        return keys[kid]

    def _fetch(self, url: str) -> dict[str, Jwk] | None:
        headers = {"Accept": "application/jwk-set+json, application/json"}
        try:
            reply = self._session.get(url, headers=headers, timeout=JWKS_TIMEOUT, allow_redirects=False, stream=True)
            if reply.status_code != 200:
                reply.close()
                raise OutboundRefused(f"http-{reply.status_code}")
            raw = read_capped(reply, MAX_JWKS_BYTES, Deadline.after(sum(JWKS_TIMEOUT)), JWKS_TIMEOUT[1])
            keys = public_keys(json.loads(raw))
        except (requests.RequestException, OutboundRefused, ValueError, RecursionError) as exc:
            reason = exc.reason if isinstance(exc, OutboundRefused) else type(exc).__name__
            logger.warning(
                "jwks_unavailable reason=%s", reason, extra={"cds": {"event": "jwks_unavailable", "reason": reason}}
            )
            return None
        return {key["kid"]: key for key in keys}


def _bearer(authorization: str | None) -> str:
    if authorization is None or not authorization.strip():
        raise Unauthenticated("missing", presented=False)
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated("not-bearer")
    if len(token) > MAX_TOKEN_CHARS or not _COMPACT_JWS.match(token):
        raise Unauthenticated("malformed")
    return token


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except (jwt_errors.InvalidTokenError, ValueError, TypeError, RecursionError):
        raise Unauthenticated("malformed") from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise Unauthenticated("malformed")
    return header, claims


def _check_key_fits(key: Jwk, alg: str) -> None:
    family = "EC" if alg.startswith("ES") else "RSA"
    if key.get("kty") != family or key.get("alg", alg) != alg:
        raise Unauthenticated("alg")
    if family == "EC" and key.get("crv") != _CURVES[alg]:
        raise Unauthenticated("alg")


def _reason(exc: Exception) -> str:
    for kind, reason in _JWT_REASONS:
        if isinstance(exc, kind):
            return reason
    return "invalid"


class JwtAuthenticator:
    """CDS_AUTH=jwt: verifies the client's JWT as the module docstring lists."""

    def __init__(
        self,
        settings: Settings,
        session: requests.Session,
        replay: ReplayStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._issuers: Mapping[str, IssuerTrust] = {t.issuer: t for t in settings.trusted_issuers}
        self._algorithms = frozenset(settings.jwt_algorithms)
        self._leeway = settings.jwt_leeway_seconds
        self._max_lifetime = settings.jwt_max_lifetime_seconds
        self._keys = KeySource(session, settings.jwks_cache_seconds)
        self._replay = replay or InMemoryReplayStore(settings.jwt_replay_cache_size)
        self._clock = clock

    def authenticate(self, authorization: str | None, audiences: Sequence[str]) -> ClientIdentity:
        """Returns the verified client; raises Unauthenticated (401) or ServiceBusy (503, jti store full)."""
        token = _bearer(authorization)
        header, unverified = _unverified(token)
        alg, kid, typ = header.get("alg"), header.get("kid"), header.get("typ")
        if not isinstance(alg, str) or alg not in self._algorithms:
            raise Unauthenticated("alg")
        if not isinstance(kid, str) or not kid or len(kid) > MAX_JTI_CHARS:
            raise Unauthenticated("kid-missing")
        if typ is not None and (not isinstance(typ, str) or typ.upper() != "JWT"):
            raise Unauthenticated("typ")
        jku = header.get("jku")
        if jku is not None and not isinstance(jku, str):
            raise Unauthenticated("jku-not-allowed")
        issuer = unverified.get("iss")
        trust = self._issuers.get(issuer) if isinstance(issuer, str) else None
        if trust is None:
            raise Unauthenticated("unknown-issuer")
        key = self._keys.find(trust, kid, jku)
        _check_key_fits(key, alg)
        claims = self._verify(token, key, alg, trust.issuer, audiences)
        self._check_lifetime_and_replay(trust.issuer, claims)
        return ClientIdentity(issuer=trust.issuer, kid=kid)

    def _verify(self, token: str, key: Jwk, alg: str, issuer: str, accepted: Sequence[str]) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                jwt.PyJWK(key, algorithm=alg),
                algorithms=[alg],
                audience=list(accepted),
                issuer=issuer,
                leeway=self._leeway,
                options={"require": _REQUIRED_CLAIMS, "enforce_minimum_key_length": True},
            )
        except (jwt_errors.PyJWTError, ValueError, TypeError) as exc:
            raise Unauthenticated(_reason(exc)) from None
        return claims

    def _check_lifetime_and_replay(self, issuer: str, claims: Mapping[str, Any]) -> None:
        exp, iat, jti = claims["exp"], claims["iat"], claims["jti"]
        if not isinstance(exp, int | float) or not isinstance(iat, int | float) or isinstance(exp, bool):
            raise Unauthenticated("malformed")
        if exp - iat > self._max_lifetime or exp < iat:
            raise Unauthenticated("lifetime")
        if not isinstance(jti, str) or not jti.strip() or len(jti) > MAX_JTI_CHARS:
            raise Unauthenticated("jti")
        try:
            first = self._replay.claim(f"{issuer}\n{jti}", float(exp) + self._leeway, self._clock())
        except ReplayStoreFull:
            logger.warning("replay_store_full", extra={"cds": {"event": "replay_store_full"}})
            raise ServiceBusy("too many recent client tokens to check for replay; retry shortly") from None
        if not first:
            raise Unauthenticated("replayed")


def build_authenticator(
    settings: Settings, session: requests.Session, replay: ReplayStore | None = None
) -> Authenticator:
    """Returns the authenticator CDS_AUTH selects; `replay` is the jti store (default: this process's memory)."""
    if settings.open_mode:
        return OpenAccess()
    return JwtAuthenticator(settings, session, replay)
