"""Service configuration: one frozen `Settings`, read once from `CDS_*` environment variables and validated.

Only what every service shares lives here (HTTP, FHIR, logging, security); each CDS service reads its own
variables through its spec's `config_from_env` (`hooks.spec`), so this module imports nothing from `hooks/`.
A bad value stops the app before it serves, with a message naming the variable and what it accepts (STYLE #20).
Every variable is listed in `.env.example`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from service.outbound import LOOPBACK_NETWORKS, AllowedBase, IpNetwork, loopback_bases, parse_networks
from service.trust import IssuerTrust, load_trusted_issuers

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
AUTH_MODES = ("jwt", "open")
# Asymmetric algorithms only: the spec forbids `none` and every symmetric (HMAC) algorithm, and recommends ES384
# and RS384 ("JWT Signing Algorithm", https://cds-hooks.hl7.org/2.0/#jwt-signing-algorithm).
JWT_ALGORITHMS = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
DEFAULT_JWT_ALGORITHMS = ("ES384", "RS384")
MIB = 1024 * 1024
_TRUE = frozenset({"on", "true", "1"})
_FALSE = frozenset({"off", "false", "0"})
_T = TypeVar("_T")


class SettingsError(ValueError):
    """A `CDS_*` variable has a value the service cannot run with; raised at startup."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything configurable. Defaults are safe for a local run: loopback bind, card/feedback logging off."""

    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = "http://127.0.0.1:8000"
    cors_origins: tuple[str, ...] = ("*",)
    max_body_bytes: int = 1024 * 1024
    fhir_connect_timeout: float = 3.05  # just over a multiple of 3 s, the TCP retransmission window
    fhir_read_timeout: float = 10.0
    fhir_page_cap: int = 10
    fhir_workers: int = 4
    today: date | None = None  # pins "today" for demos and golden fixtures; None = the UTC date of each call
    log_level: str = "INFO"
    feedback_log: bool = False  # card content in logs is clinical content: off unless asked for (STYLE #22)
    # Client authentication (spec "Trusting CDS Clients"): `jwt` verifies the client's signed JWT on every hook
    # call and feedback post; `open` skips it, for the demo and tests only (a warning is logged at startup).
    auth: str = "jwt"
    trusted_issuers: tuple[IssuerTrust, ...] = ()
    jwt_algorithms: tuple[str, ...] = DEFAULT_JWT_ALGORITHMS
    jwt_leeway_seconds: int = 30  # clock skew allowed on exp/iat/nbf
    jwt_max_lifetime_seconds: int = 600  # exp - iat; bounds how long a jti must be remembered
    jwt_replay_cache_size: int = 100_000  # remembered jtis per worker
    jwks_cache_seconds: int = 300
    # Outbound guard: None means the mode's default (jwt: nothing allowed; open: loopback only).
    fhir_allowlist: tuple[AllowedBase, ...] | None = None
    fhir_private_networks: tuple[IpNetwork, ...] | None = None
    fhir_max_bytes: int = 20 * MIB
    fhir_max_entries: int = 2000  # resources per search, all pages together
    call_budget_seconds: float = 8.0
    max_json_depth: int = 64
    trusted_issuers_file: Path | None = field(default=None, compare=False)

    @property
    def open_mode(self) -> bool:
        """Returns True when client authentication is off (CDS_AUTH=open)."""
        return self.auth == "open"

    def effective_fhir_allowlist(self) -> tuple[AllowedBase, ...]:
        """Returns the FHIR base URLs the service may call: as configured, else loopback in open mode only."""
        if self.fhir_allowlist is not None:
            return self.fhir_allowlist
        return loopback_bases() if self.open_mode else ()

    def effective_private_networks(self) -> tuple[IpNetwork, ...]:
        """Returns the non-public networks a FHIR host name may resolve to: as configured, else loopback if open."""
        if self.fhir_private_networks is not None:
            return self.fhir_private_networks
        return LOOPBACK_NETWORKS if self.open_mode else ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Returns settings read from `environ` (default `os.environ`); raises SettingsError on a bad value."""
        env = os.environ if environ is None else environ
        port = _read(env, "CDS_PORT", 8000, _int_in(1, 65535))
        auth = _read(env, "CDS_AUTH", "jwt", _choice(AUTH_MODES, "an authentication mode"))
        issuers_file = _read(env, "CDS_TRUSTED_ISSUERS", None, Path)
        return cls(
            host=_read(env, "CDS_HOST", "127.0.0.1", _non_empty),
            port=port,
            public_url=_read(env, "CDS_PUBLIC_URL", f"http://127.0.0.1:{port}", _http_url),
            cors_origins=_read(env, "CDS_CORS_ORIGINS", ("*",), _origins),
            max_body_bytes=_read(env, "CDS_MAX_BODY_BYTES", 1024 * 1024, _int_in(1024, 64 * 1024 * 1024)),
            fhir_connect_timeout=_read(env, "CDS_FHIR_CONNECT_TIMEOUT", 3.05, _seconds),
            fhir_read_timeout=_read(env, "CDS_FHIR_READ_TIMEOUT", 10.0, _seconds),
            fhir_page_cap=_read(env, "CDS_FHIR_PAGE_CAP", 10, _int_in(1, 100)),
            fhir_workers=_read(env, "CDS_FHIR_WORKERS", 4, _int_in(1, 32)),
            today=_read(env, "CDS_TODAY", None, _iso_date),
            log_level=_read(env, "CDS_LOG_LEVEL", "INFO", _log_level),
            feedback_log=_read(env, "CDS_FEEDBACK_LOG", False, _bool),
            auth=auth,
            trusted_issuers=_read(env, "CDS_TRUSTED_ISSUERS", (), load_trusted_issuers),
            trusted_issuers_file=issuers_file,
            jwt_algorithms=_read(env, "CDS_JWT_ALGORITHMS", DEFAULT_JWT_ALGORITHMS, _algorithms),
            jwt_leeway_seconds=_read(env, "CDS_JWT_LEEWAY_SECONDS", 30, _int_in(0, 300)),
            jwt_max_lifetime_seconds=_read(env, "CDS_JWT_MAX_LIFETIME_SECONDS", 600, _int_in(10, 86400)),
            jwt_replay_cache_size=_read(env, "CDS_JWT_REPLAY_CACHE_SIZE", 100_000, _int_in(100, 10_000_000)),
            jwks_cache_seconds=_read(env, "CDS_JWKS_CACHE_SECONDS", 300, _int_in(10, 86400)),
            fhir_allowlist=_read(env, "CDS_FHIR_ALLOWLIST", None, _allowlist(https_only=auth != "open")),
            fhir_private_networks=_read(env, "CDS_FHIR_PRIVATE_NETWORKS", None, parse_networks),
            fhir_max_bytes=_read(env, "CDS_FHIR_MAX_BYTES", 20 * MIB, _int_in(1024, 1024 * MIB)),
            fhir_max_entries=_read(env, "CDS_FHIR_MAX_ENTRIES", 2000, _int_in(1, 100_000)),
            call_budget_seconds=_read(env, "CDS_CALL_BUDGET_SECONDS", 8.0, _seconds),
            max_json_depth=_read(env, "CDS_MAX_JSON_DEPTH", 64, _int_in(8, 512)),
        )


def _read(env: Mapping[str, str], name: str, default: _T, parse: Callable[[str], _T]) -> _T:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return parse(raw.strip())
    except (ValueError, TypeError) as exc:
        raise SettingsError(f"{name}: {exc}") from None


def _non_empty(raw: str) -> str:
    return raw


def _bool(raw: str) -> bool:
    value = raw.lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{raw!r} is not a switch; use one of on, off, true, false, 1, 0")


def _int_in(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not an integer; use a whole number from {low} to {high}") from None
        if not low <= value <= high:
            raise ValueError(f"{value} is out of range; use a whole number from {low} to {high}")
        return value

    return parse


def _seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a number of seconds; use a number from 0.1 to 120") from None
    if not 0.1 <= value <= 120:
        raise ValueError(f"{value} is out of range; use a number of seconds from 0.1 to 120")
    return value


def _choice(allowed: Collection[str], what: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.lower()
        if value not in allowed:
            raise ValueError(f"{raw!r} is not {what}; use one of {', '.join(allowed)}")
        return value

    return parse


def _algorithms(raw: str) -> tuple[str, ...]:
    names = tuple(name.strip().upper() for name in raw.split(",") if name.strip())
    bad = [name for name in names if name not in JWT_ALGORITHMS]
    if bad or not names:
        raise ValueError(
            f"{raw!r} is not a list of asymmetric JWS algorithms; use a comma list of {', '.join(JWT_ALGORITHMS)}"
        )
    return names


def _allowlist(*, https_only: bool) -> Callable[[str], tuple[AllowedBase, ...]]:
    def parse(raw: str) -> tuple[AllowedBase, ...]:
        bases = tuple(AllowedBase.parse(item) for item in raw.split(",") if item.strip())
        if https_only and any(base.scheme != "https" for base in bases):
            raise ValueError("only https base URLs are allowed unless CDS_AUTH=open")
        return bases

    return parse


def _http_url(raw: str) -> str:
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{raw!r} is not an absolute http(s) URL such as http://127.0.0.1:8000")
    return raw.rstrip("/")


def _origins(raw: str) -> tuple[str, ...]:
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    if origins == ("*",):
        return origins
    for origin in origins:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
            raise ValueError(f"{origin!r} is not an origin; use * or a comma list like https://ehr.example.org")
    if not origins:
        raise ValueError("no origin given; use * or a comma list like https://ehr.example.org")
    return origins


def _iso_date(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not an ISO date; use YYYY-MM-DD") from None


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in LOG_LEVELS:
        raise ValueError(f"{raw!r} is not a log level; use one of {', '.join(LOG_LEVELS)}")
    return level
