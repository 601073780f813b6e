"""The service's error types and the one place that turns any error into a status plus an OperationOutcome.

Spec: a non-2xx answer SHOULD carry an OperationOutcome ("Returning OperationOutcome"), and 412 means the data
could not be had (https://cds-hooks.hl7.org/2.0/#http-status-codes). Clients see a short fixed text; no exception
message, stack trace or request content ever leaves (STYLE #19, anti-pattern 4). Unexpected errors are logged
server-side by type and traceback frames only, because an exception's message may quote patient data.

The diagnostics are written in English where they are raised; `DIAGNOSTICS` is their catalogue (one template per
text, `{...}` for the member names and limits they quote) and `localize` writes one in the answer's language from
`locale/<lang>/LC_MESSAGES/errors.po` (msgctxt = the key, msgid = the English template). The answer's language is
the one the invoke route chose for the call (`g.cds_language`), else Accept-Language, else CDS_LANGUAGE.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from functools import cache
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from hooks.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES, po_path, read_translations

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

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "errors"
# Every diagnostic the service sends, by key (tests/i18n/test_translations.py finds each raise in service/ and
# fails on a text missing here). `{...}` stands for what the raise site fills in: a member name, a limit, a number.
DIAGNOSTICS: dict[str, str] = {
    # request body (service/http.py)
    "body.too-deep": "the request body nests deeper than {limit} levels",
    "body.not-unicode": "the request body holds a string that is not valid Unicode",
    "body.content-type": "Content-Type must be application/json",
    "body.utf-8": "JSON must be sent as UTF-8",
    "body.too-large": "the body exceeds {max_bytes} bytes",
    "body.unreadable": "the request body could not be read (bad chunked encoding or too slow)",
    "body.empty": "the request body is empty",
    "body.not-json": "the request body is not valid JSON",
    # hook request and feedback members (service/cds_models.py)
    "member.object": "{name} must be a JSON object",
    "member.string": "{name} must be a non-empty string",
    "member.too-long": "{name} is longer than {max_chars} characters",
    "member.uuid": "{name} must be a UUID",
    "member.fhir-server": "fhirServer must be an absolute http(s) base URL",
    "member.patient-id": "context.patientId must be a FHIR logical id",
    "member.token-type": "fhirAuthorization.token_type must be Bearer",
    "member.expires-in": "fhirAuthorization.expires_in must be an integer",
    "member.authorization-without-server": "fhirAuthorization requires fhirServer",
    "member.date-time": "{name} must be an ISO 8601 date-time string",
    "member.utc-offset": "{name} must carry a UTC offset (e.g. Z)",
    "member.array": "{name} must be a non-empty array",
    "feedback.reason": "{name} needs reason or userComment",
    "feedback.outcome": "{name}.outcome must be accepted or overridden",
    "feedback.accepted": "{name}: an accepted outcome needs acceptedSuggestions",
    "feedback.empty": "feedback must be a non-empty array",
    "feedback.unknown-card": "feedback[{index}].card: this service issued no card with this uuid",
    "feedback.foreign-suggestion": (
        "feedback[{index}].acceptedSuggestions: an id is not a suggestion of the card this item names"
    ),
    # calls (service/invoke.py, gather.py, edge.py, auth.py, store/endpoints.py)
    "call.unknown-service": "no CDS service with this id; see GET /cds-services",
    "call.wrong-hook": "hook does not match the hook this service is registered for",
    "call.prefetch-required": "prefetch key {key} is required but was not prefetched or fetchable",
    "call.prefetch-unread-pages": "prefetch key {key} is required but its Bundle has unread pages",
    "call.fhir-unavailable": "the FHIR server could not supply the data this service needs",
    "call.unauthenticated": "a valid bearer JWT signed by a trusted CDS client is required",
    "call.metrics-token": "the metrics endpoint needs its bearer token",
    "chart.not-found": "no chart under this id (charts are kept for a short time only)",
    "call.replay-store-full": "too many recent client tokens to check for replay; retry shortly",
    "feedback.card-pending": "the card this feedback names is still being stored; retry shortly",
    "call.headers-too-large": "the request headers exceed {max_header_bytes} bytes",
    "call.too-many-headers": "the request has more than {MAX_HEADER_FIELDS} header fields",
    "call.rate-limited": "too many calls from this client; retry after the time in Retry-After",
    "call.since": "since must be a number and a unit, like 30d, 12w or 48h",
    "call.no-store": "this deployment keeps no store; see docs/database.md",
    "call.internal": "internal error; see the service log",
    # Werkzeug's own answers (the status name is the diagnostic)
    "http.400": "Bad Request",
    "http.404": "Not Found",
    "http.405": "Method Not Allowed",
    "http.413": "Request Entity Too Large",
    "http.415": "Unsupported Media Type",
    "http.500": "Internal Server Error",
}
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


@cache
def _translations(locale: str) -> dict[str, str]:
    return read_translations(po_path(LOCALE_DIR, locale, DOMAIN), DIAGNOSTICS)


@cache
def _patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Returns (key, regex) per template; each `{...}` matches what the raise site put there."""
    out = []
    for key, text in DIAGNOSTICS.items():
        parts = _PLACEHOLDER.split(text)  # literal, name, literal, name, ...
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
        out.append((key, re.compile(regex)))
    return tuple(out)


def localize(diagnostics: str, locale: str) -> str:
    """Returns `diagnostics` in `locale`: the translation of the template it was made from, filled with the same
    member names and numbers; English when the locale or the template has no translation."""
    if locale == DEFAULT_LOCALE:
        return diagnostics
    translated = _translations(locale)
    for key, pattern in _patterns():
        match = pattern.fullmatch(diagnostics)
        if match and key in translated:
            return translated[key].format(**match.groupdict())
    return diagnostics


def answer_language() -> str:
    """Returns the language of an error answer: the call's (chosen by the invoke route), else the best of
    Accept-Language among SUPPORTED_LOCALES, else the site's CDS_LANGUAGE (`app.config["CDS_LANGUAGE"]`)."""
    chosen = g.get("cds_language")
    if isinstance(chosen, str):
        return chosen
    from flask import current_app

    site = str(current_app.config.get("CDS_LANGUAGE", DEFAULT_LOCALE))
    best = request.accept_languages.best_match(SUPPORTED_LOCALES)
    return best or site


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
    response = outcome_response(exc.status, exc.issue_code, localize(exc.diagnostics, answer_language()))
    response.headers.update(exc.headers())
    return response


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = _HTTP_ISSUE_CODES.get(status, "exception" if status >= 500 else "invalid")
    response = outcome_response(status, code, localize(exc.name, answer_language()))
    for name, value in exc.get_headers():
        if name.lower() == "allow":  # 405 must say which methods the route takes
            response.headers[name] = value
    return response


def _unexpected(exc: Exception) -> Response:
    # Frames (file, line, source text) but not str(exc): the message may quote request content.
    frames = "".join(traceback.format_tb(exc.__traceback__))
    fields = {"event": "unhandled_error", "error": type(exc).__name__, "traceback": frames}
    logger.error("unhandled %s\n%s", type(exc).__name__, frames, extra={"cds": fields})
    return outcome_response(500, "exception", localize(DIAGNOSTICS["call.internal"], answer_language()))


def register_error_handlers(app: Flask) -> None:
    """Makes every error, expected or not, an OperationOutcome response."""
    app.register_error_handler(CdsError, _cds_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
