"""The service's error types and the one place that turns any error into a status plus an OperationOutcome.

Spec: a non-2xx answer SHOULD carry an OperationOutcome ("Returning OperationOutcome"), and 412 means the data
could not be had (https://cds-hooks.hl7.org/2.0/#http-status-codes). Clients see a short fixed text; no exception
message, stack trace or request content ever leaves (STYLE #19, anti-pattern 4). Unexpected errors are logged
server-side by type and traceback frames only, because an exception's message may quote patient data.
"""

from __future__ import annotations

import json
import logging
import traceback
from typing import Any

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

logger = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"

# Werkzeug statuses -> FHIR issue type (http://hl7.org/fhir/valueset-issue-type.html).
_HTTP_ISSUE_CODES = {400: "invalid", 404: "not-found", 405: "not-supported", 413: "too-long", 415: "not-supported"}
_FHIR_ISSUE_CODES = {
    "timeout": "timeout",
    "budget": "timeout",
    "http-401": "security",
    "http-403": "security",
    "http-404": "not-found",
    "not-allowed": "forbidden",
    "private-address": "forbidden",
    "next-off-server": "forbidden",
    "too-large": "too-long",
    "too-many-entries": "too-costly",
    "circuit-open": "transient",
    "bulkhead": "throttled",
}
AUTH_REALM = "cds-services"


class CdsError(Exception):
    """An error the client caused or must know about; `diagnostics` is safe to send (no request content)."""

    status = 500
    issue_code = "exception"

    def __init__(self, diagnostics: str) -> None:
        super().__init__(diagnostics)
        self.diagnostics = diagnostics

    def headers(self) -> dict[str, str]:
        """Returns extra response headers this error needs (none by default)."""
        return {}


class BadHookRequest(CdsError):
    status = 400
    issue_code = "invalid"


class UnsupportedMediaType(CdsError):
    status = 415
    issue_code = "not-supported"


class PayloadTooLarge(CdsError):
    status = 413
    issue_code = "too-long"


class Unauthenticated(CdsError):
    """The CDS client's JWT is missing or failed verification: 401 with a Bearer challenge (RFC 6750 section 3).

    `reason` is a fixed class such as "missing", "expired" or "replayed" for the log; the client gets one generic
    text whatever the reason, so a caller cannot probe which issuers, keys or audiences are configured.
    """

    status = 401

    def __init__(self, reason: str, *, presented: bool = True) -> None:
        super().__init__("a valid bearer JWT signed by a trusted CDS client is required")
        self.reason = reason
        self.presented = presented
        # FHIR issue types: `login` (authenticate first) when nothing was sent, `security` when what was sent failed.
        self.issue_code = "security" if presented else "login"

    def headers(self) -> dict[str, str]:
        challenge = f'Bearer realm="{AUTH_REALM}"'
        if self.presented:
            challenge += ', error="invalid_token"'
        return {"WWW-Authenticate": challenge}


class ServiceBusy(CdsError):
    """A bounded resource is full (the per-worker jti store); retrying shortly may succeed."""

    status = 503
    issue_code = "throttled"

    def headers(self) -> dict[str, str]:
        return {"Retry-After": "5"}


class UnknownService(CdsError):
    status = 404
    issue_code = "not-found"


class PrefetchUnavailable(CdsError):
    """Required data was neither prefetched nor fetchable (no fhirServer): spec says 412."""

    status = 412
    issue_code = "incomplete"


class FhirUnavailable(CdsError):
    """The FHIR server could not supply data. Also 412 per spec, but logged apart: it is an operational signal.

    `reason` is a status class such as "http-5xx", "http-401", "timeout" or "not-json"; never the reply body.
    """

    status = 412
    transient = True
    retry_after: float | None = None  # seconds a 429/503 asked for (it opens the origin's breaker that long)

    def __init__(self, reason: str) -> None:
        super().__init__("the FHIR server could not supply the data this service needs")
        self.reason = reason
        self.issue_code = _FHIR_ISSUE_CODES.get(reason, "exception")


class FhirTransientError(FhirUnavailable):
    """Worth retrying later: 5xx, 429, timeout, connection failure, a reply that is not FHIR JSON."""

    transient = True


class FhirFatalError(FhirUnavailable):
    """Retrying will not help: 401/403 (token), 404 (no such patient), another 4xx, an off-server next link."""

    transient = False


def operation_outcome(code: str, diagnostics: str) -> dict[str, Any]:
    """Returns a one-issue OperationOutcome body."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}],
    }


def outcome_response(status: int, code: str, diagnostics: str) -> Response:
    """Returns an `application/fhir+json` OperationOutcome response."""
    body = json.dumps(operation_outcome(code, diagnostics))
    return Response(body, status=status, mimetype=FHIR_JSON)


def _cds_error(exc: CdsError) -> Response:
    if isinstance(exc, FhirUnavailable):
        logger.warning(
            "fhir_unavailable reason=%s transient=%s",
            exc.reason,
            exc.transient,
            extra={"cds": {"event": "fhir_unavailable", "reason": exc.reason, "transient": exc.transient}},
        )
    elif isinstance(exc, Unauthenticated):
        logger.warning(
            "auth_rejected reason=%s", exc.reason, extra={"cds": {"event": "auth_rejected", "reason": exc.reason}}
        )
    response = outcome_response(exc.status, exc.issue_code, exc.diagnostics)
    response.headers.update(exc.headers())
    return response


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = _HTTP_ISSUE_CODES.get(status, "exception" if status >= 500 else "invalid")
    response = outcome_response(status, code, exc.name)
    for name, value in exc.get_headers():
        if name.lower() == "allow":  # 405 must say which methods the route takes
            response.headers[name] = value
    return response


def _unexpected(exc: Exception) -> Response:
    # Frames (file, line, source text) but not str(exc): the message may quote request content.
    frames = "".join(traceback.format_tb(exc.__traceback__))
    fields = {"event": "unhandled_error", "error": type(exc).__name__, "traceback": frames}
    logger.error("unhandled %s\n%s", type(exc).__name__, frames, extra={"cds": fields})
    return outcome_response(500, "exception", "internal error; see the service log")


def register_error_handlers(app: Flask) -> None:
    """Makes every error, expected or not, an OperationOutcome response."""
    app.register_error_handler(CdsError, _cds_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
