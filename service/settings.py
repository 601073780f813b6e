"""Service configuration: one frozen `Settings`, read once from `CDS_*` environment variables and validated.

Only what every service shares lives here (HTTP, FHIR, logging, security); each CDS service reads its own
variables through its spec's `config_from_env` (`hooks.spec`), so this module imports nothing from `hooks/`.
`Settings` is a pydantic-settings class: one line per setting (type, parser, variable, default). The parsers
below keep the project's messages: a bad value stops the app before it serves, with a message naming the
variable and what it accepts (STYLE #20). Every variable is listed in `.env.example`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticUseDefault
from pydantic_settings import BaseSettings, EnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from service.outbound import LOOPBACK_NETWORKS, AllowedBase, IpNetwork, loopback_bases, parse_networks
from service.trust import IssuerTrust, load_trusted_issuers

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# The languages the cards and error answers are written in (hooks.i18n.SUPPORTED_LOCALES; a test keeps the two
# equal, since this module imports nothing from hooks/).
LANGUAGES = ("en", "es")
AUTH_MODES = ("jwt", "open")
REPLAY_STORES = ("database", "memory")
DATABASE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg", "postgres")
# Asymmetric algorithms only: the spec forbids `none` and every symmetric (HMAC) algorithm, and recommends ES384
# and RS384 ("JWT Signing Algorithm", https://cds-hooks.hl7.org/2.0/#jwt-signing-algorithm).
JWT_ALGORITHMS = ("ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
DEFAULT_JWT_ALGORITHMS = ("ES384", "RS384")
MIB = 1024 * 1024
_TRUE = frozenset({"on", "true", "1"})
_FALSE = frozenset({"off", "false", "0"})


class SettingsError(ValueError):
    """A `CDS_*` variable has a value the service cannot run with; raised at startup."""


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


_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def _allowlist(*, https_only: bool, loopback_http: bool = False) -> Callable[[str], tuple[AllowedBase, ...]]:
    def parse(raw: str) -> tuple[AllowedBase, ...]:
        bases = tuple(AllowedBase.parse(item) for item in raw.split(",") if item.strip())
        for base in bases:
            if https_only and base.scheme != "https" and not (loopback_http and base.host in _LOOPBACK_HOSTS):
                raise ValueError(
                    "only https base URLs are allowed unless CDS_AUTH=open (or, for a loopback http FHIR server "
                    "in local testing, CDS_FHIR_ALLOW_LOOPBACK_HTTP=on)"
                )
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


def _database_url(raw: str) -> str:
    scheme = raw.partition("://")[0].lower()
    if scheme not in DATABASE_SCHEMES or "://" not in raw:
        raise ValueError("not a database URL; use sqlite:///path/to/file.sqlite3 or postgresql://user@host:port/db")
    return raw


def _token_file(raw: str) -> str:
    try:
        token = Path(raw).read_text().strip()
    except OSError as exc:
        raise ValueError(f"cannot read the token file ({type(exc).__name__})") from None
    if len(token) < 16 or any(c.isspace() for c in token):
        raise ValueError("the token file must hold one token of at least 16 characters, without spaces")
    return token


def _language(raw: str) -> str:
    language = raw.replace("_", "-").split("-", 1)[0].lower()
    if language not in LANGUAGES:
        raise ValueError(f"{raw!r} is not a language this service writes; use one of {', '.join(LANGUAGES)}")
    return language


def _log_level(raw: str) -> str:
    level = raw.upper()
    if level not in LOG_LEVELS:
        raise ValueError(f"{raw!r} is not a log level; use one of {', '.join(LOG_LEVELS)}")
    return level


def _env(parse: Callable[[str], Any]) -> BeforeValidator:
    """Returns a validator that parses a variable's text with `parse` (its message names what is accepted).

    A blank value means the default; a typed value (settings built in code, as tests do) is taken as it is.
    """

    def check(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if not value.strip():
            raise PydanticUseDefault
        return parse(value.strip())

    return BeforeValidator(check)


class _Variables(Mapping[str, str]):
    """The environment as the settings source sees it: `CDS_*` names only (pydantic-settings also looks each
    field up by its Python name, which is no variable of ours)."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def get(self, key: str, default: Any = None) -> Any:
        return self._env.get(key, default) if key.startswith("CDS_") else default

    def __getitem__(self, key: str) -> str:
        if not key.startswith("CDS_"):
            raise KeyError(key)
        return self._env[key]

    def __iter__(self) -> Iterator[str]:
        return (key for key in self._env if key.startswith("CDS_"))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _var(name: str, default: Any) -> Any:
    return Field(default, validation_alias=name)


class Settings(BaseSettings):
    """Everything configurable. Defaults are safe for a local run: loopback bind, card/feedback logging off."""

    model_config = SettingsConfigDict(
        frozen=True,
        case_sensitive=True,
        extra="forbid",
        arbitrary_types_allowed=True,  # AllowedBase, IssuerTrust: the project's own frozen types
        validate_by_name=True,  # Settings(port=...) in code; CDS_PORT=... from the environment
        enable_decoding=False,  # lists are comma lists parsed by our parsers, not JSON
    )

    host: Annotated[str, _env(_non_empty)] = _var("CDS_HOST", "127.0.0.1")
    port: Annotated[int, _env(_int_in(1, 65535))] = _var("CDS_PORT", 8000)
    # From the environment, the default is loopback on CDS_PORT (`from_env`).
    public_url: Annotated[str, _env(_http_url)] = _var("CDS_PUBLIC_URL", "http://127.0.0.1:8000")
    cors_origins: Annotated[tuple[str, ...], _env(_origins)] = _var("CDS_CORS_ORIGINS", ("*",))
    max_body_bytes: Annotated[int, _env(_int_in(1024, 64 * MIB))] = _var("CDS_MAX_BODY_BYTES", MIB)
    # Connect: just over a multiple of 3 s, the TCP retransmission window.
    fhir_connect_timeout: Annotated[float, _env(_seconds)] = _var("CDS_FHIR_CONNECT_TIMEOUT", 3.05)
    fhir_read_timeout: Annotated[float, _env(_seconds)] = _var("CDS_FHIR_READ_TIMEOUT", 10.0)
    fhir_page_cap: Annotated[int, _env(_int_in(1, 100))] = _var("CDS_FHIR_PAGE_CAP", 10)
    # 8: every key but the gate's in one wave (issue 14); the queries of one call share the pooled session.
    fhir_workers: Annotated[int, _env(_int_in(1, 32))] = _var("CDS_FHIR_WORKERS", 8)
    # Fetch the other keys while the gate's query runs (one wave instead of two) at the cost of every key's query
    # for each patient out of scope; off: nothing but the gate is asked for a patient without LN (issue 14).
    fhir_fetch_ahead: Annotated[bool, _env(_bool)] = _var("CDS_FHIR_FETCH_AHEAD", False)
    # Pins "today" for demos and golden fixtures; None = the UTC date of each call.
    today: Annotated[date | None, _env(_iso_date)] = _var("CDS_TODAY", None)
    log_level: Annotated[str, _env(_log_level)] = _var("CDS_LOG_LEVEL", "INFO")
    # The language of cards and error answers when the call does not ask for one (Accept-Language or the
    # org.example.ln-cds.language request extension); "es-CO" is read as "es".
    language: Annotated[str, _env(_language)] = _var("CDS_LANGUAGE", "en")
    # Card content in logs is clinical content: off unless asked for (STYLE #22).
    feedback_log: Annotated[bool, _env(_bool)] = _var("CDS_FEEDBACK_LOG", False)
    # Client authentication (spec "Trusting CDS Clients"): `jwt` verifies the client's signed JWT on every hook
    # call and feedback post; `open` skips it, for the demo and tests only (a warning is logged at startup).
    auth: Annotated[str, _env(_choice(AUTH_MODES, "an authentication mode"))] = _var("CDS_AUTH", "jwt")
    trusted_issuers: Annotated[tuple[IssuerTrust, ...], _env(load_trusted_issuers)] = _var("CDS_TRUSTED_ISSUERS", ())
    jwt_algorithms: Annotated[tuple[str, ...], _env(_algorithms)] = _var("CDS_JWT_ALGORITHMS", DEFAULT_JWT_ALGORITHMS)
    # Clock skew allowed on exp/iat/nbf; the longest exp - iat (bounds how long a jti is remembered); jtis per worker.
    jwt_leeway_seconds: Annotated[int, _env(_int_in(0, 300))] = _var("CDS_JWT_LEEWAY_SECONDS", 30)
    jwt_max_lifetime_seconds: Annotated[int, _env(_int_in(10, 86400))] = _var("CDS_JWT_MAX_LIFETIME_SECONDS", 600)
    jwt_replay_cache_size: Annotated[int, _env(_int_in(100, 10_000_000))] = _var("CDS_JWT_REPLAY_CACHE_SIZE", 100_000)
    jwks_cache_seconds: Annotated[int, _env(_int_in(10, 86400))] = _var("CDS_JWKS_CACHE_SECONDS", 300)
    # Local testing only: lets CDS_AUTH=jwt allowlist plain http FHIR bases on loopback (127.0.0.1, ::1,
    # localhost), e.g. the demo's FHIR server. Logged as a warning at startup.
    fhir_allow_loopback_http: Annotated[bool, _env(_bool)] = _var("CDS_FHIR_ALLOW_LOOPBACK_HTTP", False)
    # Outbound guard: None means the mode's default (jwt: nothing allowed; open: loopback only). The allowlist's
    # parser depends on CDS_AUTH (https only unless open): see `_allowlist_for_mode`.
    fhir_allowlist: tuple[AllowedBase, ...] | None = _var("CDS_FHIR_ALLOWLIST", None)
    fhir_private_networks: Annotated[tuple[IpNetwork, ...] | None, _env(parse_networks)] = _var(
        "CDS_FHIR_PRIVATE_NETWORKS", None
    )
    fhir_max_bytes: Annotated[int, _env(_int_in(1024, 1024 * MIB))] = _var("CDS_FHIR_MAX_BYTES", 20 * MIB)
    fhir_max_entries: Annotated[int, _env(_int_in(1, 100_000))] = _var("CDS_FHIR_MAX_ENTRIES", 2000)  # all pages
    call_budget_seconds: Annotated[float, _env(_seconds)] = _var("CDS_CALL_BUDGET_SECONDS", 8.0)
    max_json_depth: Annotated[int, _env(_int_in(8, 512))] = _var("CDS_MAX_JSON_DEPTH", 64)
    trusted_issuers_file: Annotated[Path | None, _env(Path)] = _var("CDS_TRUSTED_ISSUERS", None)
    # --- Serving (gunicorn.conf.py reads these too: one configuration, docs/serving.md) ---
    # gthread workers (processes) and request threads per worker; connections a worker holds open at once
    # (kept-alive and waiting ones included): past it, new connections wait in the listen backlog.
    workers: Annotated[int, _env(_int_in(1, 64))] = _var("CDS_WORKERS", 2)
    threads: Annotated[int, _env(_int_in(1, 256))] = _var("CDS_THREADS", 16)
    max_connections: Annotated[int, _env(_int_in(2, 10_000))] = _var("CDS_MAX_CONNECTIONS", 256)
    # A request's headers and body must arrive within this many seconds of its first byte, however they trickle;
    # past it the connection is closed (headers) or the call is a 400 (body).
    request_read_seconds: Annotated[float, _env(_seconds)] = _var("CDS_REQUEST_READ_SECONDS", 10.0)
    # On SIGTERM: stop accepting, refuse new connections, finish in-flight calls within this many seconds.
    drain_seconds: Annotated[float, _env(_seconds)] = _var("CDS_DRAIN_SECONDS", 20.0)
    # All request header lines together (names and values); more is a 431 OperationOutcome. gunicorn's own
    # per-line limit is set above it, so the app answers first.
    max_header_bytes: Annotated[int, _env(_int_in(4096, 65536))] = _var("CDS_MAX_HEADER_BYTES", 16384)
    # Per-client rate limit (hook calls and feedback, per worker): a token bucket of BURST calls refilled at
    # PER_MINUTE, keyed by the verified JWT issuer, or the client address in open mode. 0 turns it off.
    rate_limit_per_minute: Annotated[int, _env(_int_in(0, 1_000_000))] = _var("CDS_RATE_LIMIT_PER_MINUTE", 1200)
    rate_limit_burst: Annotated[int, _env(_int_in(1, 100_000))] = _var("CDS_RATE_LIMIT_BURST", 100)
    # FHIR bulkheads, per origin and worker: concurrent requests; consecutive failures that open the circuit
    # breaker, and how long it stays open (a 429/503 Retry-After opens it for that long, up to 300 s).
    fhir_origin_concurrency: Annotated[int, _env(_int_in(1, 256))] = _var("CDS_FHIR_ORIGIN_CONCURRENCY", 8)
    fhir_breaker_failures: Annotated[int, _env(_int_in(1, 1000))] = _var("CDS_FHIR_BREAKER_FAILURES", 5)
    fhir_breaker_seconds: Annotated[float, _env(_seconds)] = _var("CDS_FHIR_BREAKER_SECONDS", 30.0)
    # The store (docs/database.md): None = SQLite in the instance folder; postgresql://user:pw@host/db for a
    # shared server. Kept out of repr: the URL may hold a password.
    database_url: Annotated[str | None, _env(_database_url)] = Field(
        None, validation_alias="CDS_DATABASE_URL", repr=False
    )
    # Where jtis are remembered when the app has a store: the database (shared by every worker and process) or
    # this process's memory.
    replay_store: Annotated[str, _env(_choice(REPLAY_STORES, "a replay store"))] = _var("CDS_REPLAY_STORE", "database")
    # Cards issued longer ago than this are deleted, with their feedback, by `ln-cds purge`.
    retention_days: Annotated[int, _env(_int_in(1, 36500))] = _var("CDS_RETENTION_DAYS", 730)
    # Free-text override comments may name people or findings: stored only when switched on, and capped.
    feedback_comments: Annotated[bool, _env(_bool)] = _var("CDS_FEEDBACK_COMMENTS", False)
    feedback_comment_max_chars: Annotated[int, _env(_int_in(1, 4000))] = _var("CDS_FEEDBACK_COMMENT_MAX_CHARS", 500)
    # Course charts behind the cards' links (docs/chart.md): how long one is kept (it draws lab values, so not
    # long), and at most how many and how many bytes in all; storing one evicts the oldest beyond either bound.
    charts: Annotated[bool, _env(_bool)] = _var("CDS_CHARTS", True)  # off: cards link and embed no chart
    chart_ttl_seconds: Annotated[int, _env(_int_in(60, 86_400))] = _var("CDS_CHART_TTL_SECONDS", 900)
    chart_max_count: Annotated[int, _env(_int_in(1, 1_000_000))] = _var("CDS_CHART_MAX_COUNT", 2000)
    chart_max_bytes: Annotated[int, _env(_int_in(MIB, 4096 * MIB))] = _var("CDS_CHART_MAX_BYTES", 64 * MIB)
    # A file holding the bearer token GET /metrics then requires (docs/deployment.md); unset = /metrics is open.
    # The token itself is read from the file at startup and kept out of repr.
    metrics_token: Annotated[str | None, _env(_token_file)] = Field(
        None, validation_alias="CDS_METRICS_TOKEN_FILE", repr=False
    )

    @field_validator("fhir_allowlist", mode="before")
    @classmethod
    def _allowlist_for_mode(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, str):
            return value
        if not value.strip():
            raise PydanticUseDefault
        https_only = info.data.get("auth", "jwt") != "open"
        return _allowlist(https_only=https_only, loopback_http=info.data.get("fhir_allow_loopback_http", False))(
            value.strip()
        )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Returns the init arguments only: settings built in code never read `os.environ` (`from_env` does)."""
        return (init_settings,)

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
        return LOOPBACK_NETWORKS if self.open_mode or self.fhir_allow_loopback_http else ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Returns settings read from `environ` (default `os.environ`); raises SettingsError on a bad value."""
        env = os.environ if environ is None else environ
        source = EnvSettingsSource(cls, case_sensitive=True)
        source.env_vars = _Variables(env)  # the given mapping (by default os.environ), by exact variable names
        try:
            settings = cls(_build_sources=((source,), {}))
        except ValidationError as exc:
            error = exc.errors()[0]  # in field order, as the old hand parser reported the first bad variable
            cause = error.get("ctx", {}).get("error")
            raise SettingsError(f"{error['loc'][0]}: {cause if cause is not None else error['msg']}") from None
        if not (env.get("CDS_PUBLIC_URL") or "").strip():
            return settings.model_copy(update={"public_url": f"http://127.0.0.1:{settings.port}"})
        return settings
