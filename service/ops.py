"""Operations endpoints and observation: `/healthz`, `/readyz`, `/metrics`, request ids, request metrics (issue 13).

`install_ops` is the one call the app factory makes. It adds:
- `GET /healthz`: 200 while the process serves requests (liveness; it checks nothing else on purpose, so a
  database outage never gets pods restarted);
- `GET /readyz`: the readiness checks (`service.health.Readiness`): settings still valid, client keys loaded, not
  draining, plus whatever the factory adds (the database, issue 12); 200, or 503 with an OperationOutcome naming
  each failed check;
- `GET /metrics`: Prometheus text (`service.metrics`), behind a bearer token when CDS_METRICS_TOKEN_FILE is set;
- per request, after the answer is made: the request counter, and for a hook call its latency, outcome and
  trace (`service.metrics.observe_hook_call`);
- counts of refused client tokens by reason and of replay-store failures, where the errors are answered.
None of these endpoints needs client authentication, and none says anything about a patient.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request

from service import metrics
from service.errors import FHIR_JSON, CdsError, ServiceBusy, Unauthenticated
from service.health import DRAINING, Check, CheckFailed, DrainFlag, Readiness, not_draining
from service.routes import EXTENSION_KEY, AppState
from service.settings import Settings, SettingsError
from service.trace import Invocation

if TYPE_CHECKING:
    from sqlalchemy import Engine

OPS_KEY = "ln_cds_ops"
INVOKE_ENDPOINT = "cds_hooks.invoke"
UNMATCHED = "(unmatched)"

ops = Blueprint("ops", __name__)


class MetricsUnauthorized(CdsError):
    """`/metrics` is protected (CDS_METRICS_TOKEN_FILE) and the request lacks that bearer token."""

    status = 401
    issue_code = "security"

    def __init__(self) -> None:
        super().__init__("the metrics endpoint needs its bearer token")

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Bearer realm="metrics"'}


def settings_check(environ: Mapping[str, str] | None) -> Check:
    """Returns a check that the settings read at startup still validate: the environment does not change, but the
    trusted-issuers file (a mounted Secret) may be replaced by a broken one, which the next restart would refuse.
    With no `environ` (settings built in code, as in tests) there is nothing to re-read."""

    def check() -> None:
        if environ is None:
            return
        try:
            Settings.from_env(environ)
        except SettingsError as exc:
            variable = str(exc).partition(":")[0]  # the variable's name only: the message may quote a value
            raise CheckFailed(f"invalid {variable}") from None

    return check


def trusted_keys_check(settings: Settings) -> Check:
    """Returns a check that client keys can be found: in `jwt` mode some trusted issuer has pinned keys or a JWK Set
    URL (a URL is fetched on the first call that needs it, not here: a probe makes no outbound call)."""

    def check() -> None:
        if settings.open_mode:
            return
        if not any(trust.keys or trust.jwks_url for trust in settings.trusted_issuers):
            raise CheckFailed("no trusted client keys")

    return check


def database_check(engine: Engine) -> Check:
    """Returns a check that the database answers and is at the code's migration head (`service.store`)."""

    def check() -> None:
        from service.store.engine import DatabaseNotReady, check_migrated  # imported on use, like the store

        try:
            check_migrated(engine)
        except DatabaseNotReady:
            raise CheckFailed("unreachable or not at the migration head") from None

    return check


def install_ops(
    app: Flask,
    settings: Settings,
    *,
    environ: Mapping[str, str] | None = None,
    checks: Mapping[str, Check] | None = None,
    drain: DrainFlag = DRAINING,
) -> Readiness:
    """Adds the ops endpoints and per-request observation to `app`; returns its readiness registry.

    `environ` is where the settings came from (None when built in code); `checks` are further readiness checks by
    name, run after the built-in ones (the database's, once there is one).
    """
    readiness = Readiness()
    readiness.add("settings", settings_check(environ))
    readiness.add("trusted_keys", trusted_keys_check(settings))
    readiness.add("not_draining", not_draining(drain))
    for name, check in (checks or {}).items():
        readiness.add(name, check)
    app.extensions[OPS_KEY] = _Ops(readiness, settings.metrics_token)
    _count_refusals(app)

    def begin() -> None:
        g.ops_started = time.perf_counter()

    app.before_request(begin)
    app.after_request(_observe)
    app.register_blueprint(ops)
    return readiness


def _count_refusals(app: Flask) -> None:
    """Counts refused client tokens by reason and replay-store failures (a full or unreachable jti store is a
    ServiceBusy) where they are answered; the app's one CdsError handler (service.errors) still makes the answer."""
    # service.errors registers a plain function CdsError -> Response; Flask types handlers more loosely
    answer = cast(Callable[[CdsError], Response], app.error_handler_spec[None][None][CdsError])

    def counted(exc: CdsError) -> Response:
        if isinstance(exc, Unauthenticated):
            metrics.observe_auth_rejection(exc.reason)
        elif isinstance(exc, ServiceBusy):
            metrics.observe_replay_store_error("busy")
        return answer(exc)

    app.register_error_handler(Unauthenticated, counted)
    app.register_error_handler(ServiceBusy, counted)


class _Ops:
    def __init__(self, readiness: Readiness, metrics_token: str | None) -> None:
        self.readiness = readiness
        self.metrics_token = metrics_token


def _ops_state() -> _Ops:
    state: _Ops = current_app.extensions[OPS_KEY]
    return state


def _observe(response: Response) -> Response:
    """Counts the request and, for a hook call, observes its latency, outcome and trace."""
    route = request.url_rule.rule if request.url_rule is not None else UNMATCHED
    metrics.observe_request(route, request.method, response.status_code)
    started = g.get("ops_started")
    if request.endpoint == INVOKE_ENDPOINT and request.method == "POST":
        state: AppState = current_app.extensions[EXTENSION_KEY]
        service = metrics.service_label((request.view_args or {}).get("service_id", ""), state.invoker.services)
        invocation: Invocation | None = g.get("cds_invocation")
        trace = invocation.trace if invocation is not None else None
        error = invocation.error if invocation is not None else None
        outcome = metrics.hook_outcome(response.status_code, trace, error)
        seconds = None if started is None else time.perf_counter() - started
        metrics.observe_hook_call(service, response.status_code, outcome, seconds, trace)
    return response


@ops.get("/healthz")
def healthz() -> Response:
    """Returns 200 while the process answers requests (liveness)."""
    return jsonify({"status": "ok"})


@ops.get("/readyz")
def readyz() -> Response:
    """Returns 200 with each check's result when all pass, else 503 with an OperationOutcome per failed check."""
    results = _ops_state().readiness.run()
    failed = [r for r in results if not r.ok]
    if not failed:
        return jsonify({"status": "ready", "checks": {r.name: r.detail for r in results}})
    body: dict[str, Any] = {
        "resourceType": "OperationOutcome",
        "issue": [
            {"severity": "error", "code": "transient", "diagnostics": f"not ready: {r.name}: {r.detail}"}
            for r in failed
        ],
    }
    return Response(json.dumps(body), status=503, mimetype=FHIR_JSON)


@ops.get("/metrics")
def metrics_text() -> Response:
    """Returns the Prometheus text exposition; 401 without the bearer token when one is configured."""
    token = _ops_state().metrics_token
    if token is not None:
        scheme, _, presented = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), token.encode()):
            raise MetricsUnauthorized()
    body, content_type = metrics.exposition()
    return Response(body, status=200, content_type=content_type)
