"""Typed, validated wire models for what CDS clients send: the hook request and feedback.

Spec: https://cds-hooks.hl7.org/2.0/#http-request (request), #passing-the-access-token-to-the-cds-service
(fhirAuthorization) and #feedback. Each violation raises `BadHookRequest` naming the member and the rule; the
offending value is never echoed, since it may be a patient id or a token. Card models live in `hooks.cards`
because rendering is pure hook logic.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from service.errors import BadHookRequest

FEEDBACK_OUTCOMES = frozenset({"accepted", "overridden"})
# Size caps on what feedback may carry (issue #11): ids and codes are logged, so each has a bound; a card or
# suggestion id is a uuid (36 chars) in practice. A longer value is a 400, never truncated silently.
MAX_ID_CHARS = 128
MAX_SYSTEM_CHARS = 256
MAX_COMMENT_CHARS = 2000


@dataclass(frozen=True, slots=True)
class FhirAuthorization:
    """The bearer token a client lends for FHIR calls; `access_token` stays out of every repr and log."""

    access_token: str = field(repr=False)
    token_type: str
    expires_in: int | None = None
    scope: str | None = None
    subject: str | None = None
    patient: str | None = None


@dataclass(frozen=True, slots=True)
class HookRequest:
    """One hook call. `prefetch` is kept raw: `service.gather` decides per key what a value means."""

    hook: str
    hook_instance: str
    fhir_server: str | None
    fhir_authorization: FhirAuthorization | None
    context: dict[str, Any] = field(repr=False)
    prefetch: dict[str, Any] | None = field(repr=False)

    @property
    def patient_id(self) -> str:
        """Returns context.patientId (validated non-empty on parse)."""
        return str(self.context["patientId"])


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadHookRequest(f"{name} must be a JSON object")
    return value


def _required_string(obj: Mapping[str, Any], key: str, name: str, max_chars: int | None = None) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BadHookRequest(f"{name} must be a non-empty string")
    if max_chars is not None and len(value) > max_chars:
        raise BadHookRequest(f"{name} is longer than {max_chars} characters")
    return value


def _optional_string(obj: Mapping[str, Any], key: str, name: str, max_chars: int | None = None) -> str | None:
    return None if obj.get(key) is None else _required_string(obj, key, name, max_chars)


def _check_uuid(value: str, name: str) -> None:
    try:
        uuid.UUID(value)
    except ValueError:
        raise BadHookRequest(f"{name} must be a UUID") from None


def _check_fhir_server(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise BadHookRequest("fhirServer must be an absolute http(s) base URL")
    return value.rstrip("/")


def _check_patient_id(value: str) -> None:
    # FHIR ids never hold '/', whitespace or a lone dot segment; refusing them keeps the id from steering the
    # path of a FHIR query (it is URL-encoded as well).
    if any(ch.isspace() or ch == "/" for ch in value) or value in (".", ".."):
        raise BadHookRequest("context.patientId must be a FHIR logical id")


def _parse_authorization(raw: Any) -> FhirAuthorization:
    obj = _object(raw, "fhirAuthorization")
    token = _required_string(obj, "access_token", "fhirAuthorization.access_token")
    if obj.get("token_type") != "Bearer":
        raise BadHookRequest("fhirAuthorization.token_type must be Bearer")
    expires_in = obj.get("expires_in")
    if expires_in is not None and (not isinstance(expires_in, int) or isinstance(expires_in, bool)):
        raise BadHookRequest("fhirAuthorization.expires_in must be an integer")
    return FhirAuthorization(
        access_token=token,
        token_type="Bearer",  # noqa: S106 -- the token type the spec fixes, not a credential
        expires_in=expires_in,
        scope=_optional_string(obj, "scope", "fhirAuthorization.scope"),
        subject=_optional_string(obj, "subject", "fhirAuthorization.subject"),
        patient=_optional_string(obj, "patient", "fhirAuthorization.patient"),
    )


def _parse_context(raw: Any, hook: str) -> dict[str, Any]:
    context = _object(raw, "context")
    _check_patient_id(_required_string(context, "patientId", "context.patientId"))
    if hook == "patient-view":  # the patient-view hook requires the user (Practitioner/x, Patient/x, ...)
        _required_string(context, "userId", "context.userId")
    _optional_string(context, "encounterId", "context.encounterId")
    return context


def parse_hook_request(body: Any) -> HookRequest:
    """Returns the validated hook request in `body`; raises BadHookRequest on the first rule it breaks."""
    obj = _object(body, "the request body")
    hook = _required_string(obj, "hook", "hook")
    hook_instance = _required_string(obj, "hookInstance", "hookInstance")
    _check_uuid(hook_instance, "hookInstance")
    server = _optional_string(obj, "fhirServer", "fhirServer")
    authorization = None
    if obj.get("fhirAuthorization") is not None:
        if server is None:  # cds-r-1: a token is useless (and unsafe to hold) without the server it is for
            raise BadHookRequest("fhirAuthorization requires fhirServer")
        authorization = _parse_authorization(obj["fhirAuthorization"])
    prefetch = obj.get("prefetch")
    if prefetch is not None:
        prefetch = _object(prefetch, "prefetch")
    return HookRequest(
        hook=hook,
        hook_instance=hook_instance,
        fhir_server=None if server is None else _check_fhir_server(server),
        fhir_authorization=authorization,
        context=_parse_context(obj.get("context"), hook),
        prefetch=prefetch,
    )


@dataclass(frozen=True, slots=True)
class OverrideReason:
    """Why a card was dismissed: a Coding from the card's overrideReasons and/or free text (never logged)."""

    system: str | None
    code: str | None
    display: str | None = None
    user_comment: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True)
class FeedbackItem:
    """One user action on one card. https://cds-hooks.hl7.org/2.0/#feedback"""

    card: str
    outcome: str
    outcome_timestamp: datetime
    accepted_suggestions: tuple[str, ...] = ()
    override_reason: OverrideReason | None = None


def _parse_timestamp(raw: Any, name: str) -> datetime:
    if not isinstance(raw, str):
        raise BadHookRequest(f"{name} must be an ISO 8601 date-time string")
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        raise BadHookRequest(f"{name} must be an ISO 8601 date-time string") from None
    if when.tzinfo is None:  # spec: UTC, as profiled in RFC 3339 section 5.6, which requires an offset
        raise BadHookRequest(f"{name} must carry a UTC offset (e.g. Z)")
    return when


def _parse_accepted(raw: Any, name: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise BadHookRequest(f"{name} must be a non-empty array")
    return tuple(_required_string(_object(s, f"{name} item"), "id", f"{name} item id", MAX_ID_CHARS) for s in raw)


def _parse_override(raw: Any, name: str) -> OverrideReason | None:
    if raw is None:
        return None
    obj = _object(raw, name)
    comment = _optional_string(obj, "userComment", f"{name}.userComment", MAX_COMMENT_CHARS)
    reason = obj.get("reason")
    if reason is None:
        if comment is None:  # cds-fb-3
            raise BadHookRequest(f"{name} needs reason or userComment")
        return OverrideReason(system=None, code=None, user_comment=comment)
    coding = _object(reason, f"{name}.reason")
    return OverrideReason(
        system=_required_string(coding, "system", f"{name}.reason.system", MAX_SYSTEM_CHARS),
        code=_required_string(coding, "code", f"{name}.reason.code", MAX_ID_CHARS),
        display=_optional_string(coding, "display", f"{name}.reason.display", MAX_COMMENT_CHARS),
        user_comment=comment,
    )


def _parse_feedback_item(raw: Any, index: int) -> FeedbackItem:
    name = f"feedback[{index}]"
    obj = _object(raw, name)
    outcome = obj.get("outcome")
    if not isinstance(outcome, str) or outcome not in FEEDBACK_OUTCOMES:  # a list or object is unhashable
        raise BadHookRequest(f"{name}.outcome must be accepted or overridden")
    accepted = _parse_accepted(obj.get("acceptedSuggestions"), f"{name}.acceptedSuggestions")
    if outcome == "accepted" and not accepted:  # cds-fb-2
        raise BadHookRequest(f"{name}: an accepted outcome needs acceptedSuggestions")
    return FeedbackItem(
        card=_required_string(obj, "card", f"{name}.card", MAX_ID_CHARS),
        outcome=outcome,
        outcome_timestamp=_parse_timestamp(obj.get("outcomeTimestamp"), f"{name}.outcomeTimestamp"),
        accepted_suggestions=accepted,
        override_reason=_parse_override(obj.get("overrideReason"), f"{name}.overrideReason"),
    )


def parse_feedback(body: Any) -> tuple[FeedbackItem, ...]:
    """Returns the validated feedback items in `body`; raises BadHookRequest on the first rule one breaks."""
    items = _object(body, "the request body").get("feedback")
    if not isinstance(items, list) or not items:
        raise BadHookRequest("feedback must be a non-empty array")
    return tuple(_parse_feedback_item(item, i) for i, item in enumerate(items))
