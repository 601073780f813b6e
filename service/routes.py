"""The three CDS Hooks endpoints as one blueprint: thin adapters from HTTP to `service.invoke.Invoker`.

Discovery lists the registry (https://cds-hooks.hl7.org/2.0/#discovery); invoke and feedback read the body within
limits and hand it on. No fetching, deciding or card building happens here (anti-pattern 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request

from service.auth import Authenticator, ClientIdentity, audiences
from service.edge import RateLimiter
from service.http import json_response, read_json_body
from service.invoke import Invoker
from service.logging_setup import hook_call

EXTENSION_KEY = "cds_hooks"
UNKNOWN_SERVICE = "(unknown)"

bp = Blueprint("cds_hooks", __name__)


@dataclass(frozen=True, slots=True)
class AppState:
    """What the routes need from the app, kept in `app.extensions[EXTENSION_KEY]`."""

    invoker: Invoker
    discovery: dict[str, Any]
    max_body_bytes: int
    max_json_depth: int
    authenticator: Authenticator
    public_url: str
    limiter: RateLimiter

    def body(self) -> Any:
        """Returns the current request's JSON body, read within the size and nesting limits."""
        return read_json_body(request, self.max_body_bytes, self.max_json_depth)


def _rate_key(client: ClientIdentity | None) -> str:
    """Returns the rate-limit key: the verified issuer, else (open mode) the peer address."""
    return f"iss:{client.issuer}" if client is not None else f"addr:{request.remote_addr or '-'}"


def _state() -> AppState:
    state: AppState = current_app.extensions[EXTENSION_KEY]
    return state


@bp.get("/cds-services")
@bp.get("/cds-services/")  # a client configured with the trailing slash finds the services too
def discovery() -> Response:
    """Returns the discovery document built from the registry at startup.

    Not authenticated: it lists only what the service offers, no patient data (the spec asks services to require
    authentication "if invoking the service poses any risk of exposing sensitive data"). A client's JWT on this
    call is ignored.
    """
    return jsonify(_state().discovery)


@bp.post("/cds-services/<service_id>")
def invoke(service_id: str) -> Response:
    """Returns the cards for one hook call; every outcome is logged as one line. The client is verified first."""
    state = _state()
    # An id we do not serve is client-supplied text: the line says "(unknown)" instead (issue #11).
    with hook_call(service_id if service_id in state.invoker.services else UNKNOWN_SERVICE) as line:
        client = state.authenticator.authenticate(
            request.headers.get("Authorization"), audiences(state.public_url, service_id)
        )
        line.client = None if client is None else client.issuer
        state.limiter.check(_rate_key(client))
        invocation = state.invoker.invoke(service_id, state.body(), request.headers.get("Accept-Language"))
        line.trace = invocation.trace
        g.cds_invocation = invocation  # for the metrics, observed once the answer is made (service.ops)
        g.cds_language = invocation.trace.language  # an error answer is written in the call's language too
        return json_response(invocation.result())


@bp.post("/cds-services/<service_id>/feedback")
def feedback(service_id: str) -> Response:
    """Returns 200 with no body once the feedback is logged (the spec defines no response body)."""
    state = _state()
    client = state.authenticator.authenticate(
        request.headers.get("Authorization"), audiences(state.public_url, service_id, feedback=True)
    )
    state.limiter.check(_rate_key(client))
    state.invoker.feedback(service_id, state.body())
    response = Response(status=200)
    del response.headers["Content-Type"]
    return response
