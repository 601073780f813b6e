"""`GET /cds-services/{id}/report`: the acceptance report as JSON, behind the same client JWT as hook calls.

The JWT's `aud` may name the service URL or `{service}/report`. `?since=30d` picks the window (default 30 days;
`12w`, `48h` work too). The report holds counts, codes and durations only: no patient data. A service with no
store answers 404 with an OperationOutcome.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, Flask, Response, current_app, jsonify, request

from service.auth import audiences
from service.errors import BadHookRequest, CdsError
from service.routes import EXTENSION_KEY, AppState

if TYPE_CHECKING:
    from service.store.store import Store

STORE_KEY = "ln_cds_store"
DEFAULT_SINCE = "30d"

bp = Blueprint("ln_cds_store", __name__)


class NoStore(CdsError):
    """The app runs without a database, so there is nothing to report."""

    status = 404
    issue_code = "not-found"


def install_store(app: Flask, store: Store | None) -> None:
    """Keeps `store` (or None) on the app and adds the report route."""
    app.extensions[STORE_KEY] = store
    app.register_blueprint(bp)


def report_audiences(public_url: str, service_id: str) -> list[str]:
    """Returns the `aud` values accepted for the report: the service URL or its /report URL."""
    names = audiences(public_url, service_id)
    report = f"{public_url.rstrip('/')}/cds-services/{service_id}/report"
    return [*names, report, f"{report}/"]


@bp.get("/cds-services/<service_id>/report")
def report(service_id: str) -> Response:
    """Returns the service's acceptance report over `?since=` (default 30d), per rule and criteria set."""
    from service.store.report import parse_since

    state: AppState = current_app.extensions[EXTENSION_KEY]
    accepted = report_audiences(state.public_url, service_id)
    state.authenticator.authenticate(request.headers.get("Authorization"), accepted)
    state.invoker.spec(service_id)  # 404 for an unknown service
    store: Store | None = current_app.extensions.get(STORE_KEY)
    if store is None:
        raise NoStore("this deployment keeps no store; see docs/database.md")
    try:
        since = parse_since(request.args.get("since", DEFAULT_SINCE))
    except ValueError:
        raise BadHookRequest("since must be a number and a unit, like 30d, 12w or 48h") from None
    return jsonify(store.report(since=since, now=state.invoker.clock(), service_id=service_id))
