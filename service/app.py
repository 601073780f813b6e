"""The application factory. There is no module-level app: gunicorn calls `service.app:create_app()`.

Startup fails before serving when the settings or the registry are invalid (STYLE #2, #6, #20).
"""

from __future__ import annotations

import logging
import os
import secrets
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any

import requests
from flask import Flask

from hooks.spec import CdsServiceSpec, ChartLinks, ConfigError, check_registry
from service.auth import Authenticator, build_authenticator
from service.charts import install_charts
from service.edge import RateLimiter, install_edge
from service.errors import register_error_handlers
from service.fhir_client import FhirClient
from service.http import install_cors
from service.invoke import Invoker, Mapper, default_gate_mapper, default_mapper, utc_now
from service.logging_setup import configure_logging
from service.ops import database_check, install_ops
from service.outbound import Resolver
from service.replay import ReplayStore
from service.routes import EXTENSION_KEY, AppState, bp
from service.settings import Settings, SettingsError
from service.store.charts import ChartLimits, ChartStore, DatabaseChartStore, MemoryChartStore
from service.store.endpoints import install_store
from service.store.writer import StoreWriter
from service.transport import guarded_session

if TYPE_CHECKING:
    from service.store.store import Store

logger = logging.getLogger(__name__)


def _new_uuid() -> str:
    return str(uuid.uuid4())


def _new_chart_id() -> str:
    return secrets.token_urlsafe(16)  # 128 random bits: the chart URL is unguessable and carries no patient data


def _default_registry() -> Sequence[CdsServiceSpec[Any]]:
    from hooks import REGISTRY  # imported on use: tests pass their own registry

    return REGISTRY


def service_configs(registry: Sequence[CdsServiceSpec[Any]], environ: Mapping[str, str]) -> dict[str, Any]:
    """Returns each service's own config (service id -> value), read from `environ` by its spec.

    Raises SettingsError naming the variable when a service rejects a value, like a bad generic setting.
    """
    configs: dict[str, Any] = {}
    for spec in registry:
        try:
            configs[spec.id] = spec.config_from_env(environ)
        except ConfigError as exc:
            raise SettingsError(str(exc)) from None
    return configs


def create_app(
    settings: Settings | None = None,
    registry: Sequence[CdsServiceSpec[Any]] | None = None,
    *,
    mapper: Mapper | None = None,
    gate_mapper: Mapper | None = None,
    clock: Callable[[], datetime] = utc_now,
    new_uuid: Callable[[], str] = _new_uuid,
    new_chart_id: Callable[[], str] = _new_chart_id,
    session: requests.Session | None = None,
    configure_logs: bool | None = None,
    resolver: Resolver | None = None,
    authenticator: Authenticator | None = None,
    environ: Mapping[str, str] | None = None,
    store: Store | None = None,
    charts: ChartStore | None = None,
) -> Flask:
    """Returns the configured Flask app; raises SettingsError or SpecError before anything is served.

    With no `settings`, they are read from the `CDS_*` environment and the root logger is set up for JSON lines
    (the gunicorn path); tests pass settings, a registry, and fakes for the mappers, clock, uuids, session, DNS
    resolver and authenticator. One requests session serves both FHIR calls and JWK Set fetches. Each service's
    own settings are read from `environ`: by default `os.environ` when `settings` come from it too, else none
    (every service's defaults), so a test's settings never mix with the developer's shell. The store (issued
    cards, feedback, jtis; docs/database.md) is opened from CDS_DATABASE_URL when settings come from the
    environment, and the app refuses to start (DatabaseNotReady) on an unapplied migration; tests pass their own
    `store` or none (feedback is then only logged).
    """
    settings_from_env = settings is None
    if configure_logs is None:
        configure_logs = settings is None
    if environ is None:
        environ = os.environ if settings is None else {}
    settings = settings or Settings.from_env(environ)
    if configure_logs:
        configure_logging(settings.log_level)
    _check_auth(settings)
    registry = _default_registry() if registry is None else registry
    check_registry(registry)
    configs = service_configs(registry, environ)
    session = session or guarded_session()
    app = Flask(__name__, static_folder=None)  # no static files: every route is in openapi.yaml
    if store is None and settings_from_env:
        from service.store.store import open_store  # imported on use: SQLAlchemy loads only with a store

        store = open_store(settings, app.instance_path)
    writer = None
    own_charts = charts is None
    if charts is None and not settings.charts:  # CDS_CHARTS=off: cards link no chart; /charts/<id> is always 404
        charts = MemoryChartStore(ChartLimits(max_count=0))
    elif charts is None:  # the database's when there is one (shared by workers and replicas), else this process's
        limits = ChartLimits(settings.chart_ttl_seconds, settings.chart_max_count, settings.chart_max_bytes)
        charts = store.chart_store(limits) if store is not None else MemoryChartStore(limits)
    if store is not None and own_charts:
        # One thread per process writes issued cards and database charts in batches, off the request path (its
        # thread starts on first use, so a gunicorn --preload parent starts none). A test that hands the app its
        # own chart store gets the card writes inline.
        writer = StoreWriter(store, charts if isinstance(charts, DatabaseChartStore) else None)
    invoker = Invoker(
        services={spec.id: spec for spec in registry},
        configs=configs,
        settings=settings,
        fhir=FhirClient(settings, session, resolver),
        mapper=mapper or default_mapper(),
        # A test that injects one mapper gets it for both steps; real calls gate with the Condition-only mapper.
        gate_mapper=gate_mapper or mapper or default_gate_mapper(),
        clock=clock,
        new_uuid=new_uuid,
        store=store,
        charts=charts,
        chart_links=ChartLinks(settings.public_url, new_chart_id) if settings.charts else None,
        writer=writer,
        # started on first use (no thread forks with a --preload parent); bounded like the request threads
        fetch_ahead=ThreadPoolExecutor(settings.threads, thread_name_prefix="ahead")
        if settings.fhir_fetch_ahead
        else None,
    )
    # One byte over the limit: a chunked body is read only up to MAX_CONTENT_LENGTH, so reading limit + 1 bytes
    # is how `read_json_body` tells "exactly at the limit" from "over it".
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes + 1
    app.extensions[EXTENSION_KEY] = AppState(
        invoker=invoker,
        discovery={"services": [spec.discovery_json() for spec in registry]},
        max_body_bytes=settings.max_body_bytes,
        max_json_depth=settings.max_json_depth,
        authenticator=authenticator or build_authenticator(settings, session, _replay_store(settings, store)),
        public_url=settings.public_url,
        limiter=RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst),
    )
    app.config["CDS_LANGUAGE"] = settings.language  # the error answers' language when a call chose none
    register_error_handlers(app)
    install_edge(app, settings.max_header_bytes)  # before CORS: an oversized preflight is refused too
    install_cors(app, settings.cors_origins)
    app.register_blueprint(bp)
    install_store(app, store)
    checks = {} if store is None else {"database": database_check(store.engine)}
    install_ops(app, settings, environ=environ if settings_from_env else None, checks=checks)  # /healthz, /readyz
    # Charts written by the store writer may be a moment late: an unknown id is looked up again briefly (not when
    # no chart is ever written: CDS_CHARTS=off answers 404 at once).
    written_later = writer is not None and isinstance(charts, DatabaseChartStore)
    install_charts(app, charts, lambda: invoker.clock().timestamp(), written_later=written_later)
    return app


def _replay_store(settings: Settings, store: Store | None) -> ReplayStore | None:
    """Returns the database jti cache when there is a store and CDS_REPLAY_STORE=database, else None (memory)."""
    if store is None or settings.replay_store != "database":
        return None
    return store.replay_store()


def _check_auth(settings: Settings) -> None:
    if settings.open_mode:
        logger.warning(
            "CDS_AUTH=open: CDS client JWTs are NOT verified; use only for demos and tests, on loopback",
            extra={"cds": {"event": "auth_open", "message": "client authentication is off (CDS_AUTH=open)"}},
        )
    if settings.fhir_allow_loopback_http:
        logger.warning(
            "CDS_FHIR_ALLOW_LOOPBACK_HTTP=on: plain http loopback FHIR servers may be allowlisted; local testing only",
            extra={"cds": {"event": "fhir_loopback_http", "message": "http loopback FHIR bases allowed"}},
        )
    if settings.open_mode:
        return
    if not settings.trusted_issuers:
        raise SettingsError(
            "CDS_TRUSTED_ISSUERS: CDS_AUTH=jwt needs at least one trusted issuer; point CDS_TRUSTED_ISSUERS at a "
            "JSON file (see README, Security notes), or set CDS_AUTH=open for a local demo"
        )
