"""Structured logging: one JSON line per hook call and per feedback item, and the JSON formatter for the root.

What may appear: service id, hook, hookInstance, key names, counts, timings, status, error class names and card
uuids (the spec allows uuids for auditing). What never appears: patientId, the request body, prefetch,
resources, names, tokens, and FHIR URLs (their query strings hold the patient id) (STYLE #21, #22).
Fields travel in `record.cds`; the message is a short %-style summary for plain-text handlers.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from service.edge import current_request_id
from service.errors import CdsError
from service.trace import CallTrace

logger = logging.getLogger(__name__)

# Libraries whose lines carry full FHIR URLs (and so the patient id): held at WARNING at any level, and, in case
# someone lowers them again, the JSON handler drops their lower lines and blanks the text of the rest.
_URL_LOGGERS = ("urllib3", "requests")


@dataclass
class HookCallLine:
    """The one hook-call line being written: who called, and the trace the invoker returned (set once each)."""

    service_id: str
    client: str | None = None  # the verified JWT issuer (a configured URL); None in open mode or before auth
    trace: CallTrace = field(default_factory=CallTrace)

    def fields(self, status: int, error: str | None, duration_ms: float) -> dict[str, Any]:
        """Returns the JSON-ready fields of the line."""
        call = self.trace.fields()
        return {
            "event": "hook_call",
            "service_id": self.service_id,
            "client": self.client,
            "hook": call.pop("hook"),
            "hookInstance": call.pop("hookInstance"),
            "duration_ms": round(duration_ms, 1),
            "status": status,
            "error": error,
            **call,
        }


@contextmanager
def hook_call(service_id: str) -> Iterator[HookCallLine]:
    """Yields the line of one hook call for the route to complete, and logs it when the call ends, however."""
    line = HookCallLine(service_id=_capped(service_id))
    started = time.perf_counter()
    status, error = 200, None
    try:
        yield line
    except CdsError as exc:
        status, error = exc.status, type(exc).__name__
        raise
    except Exception as exc:
        status, error = 500, type(exc).__name__
        raise
    finally:
        if logger.isEnabledFor(logging.INFO):  # above INFO (CDS_LOG_LEVEL) the line is not even built
            fields = line.fields(status, error, (time.perf_counter() - started) * 1000)
            logger.info(
                "hook_call service_id=%s status=%s cards=%s",
                line.service_id,
                status,
                fields["cards"],
                extra={"cds": fields},
            )


MAX_LOGGED_CHARS = 128  # any client-supplied id in a log line (a path segment, a card id, a reason code)


def _capped(text: str) -> str:
    """Returns `text` cut to MAX_LOGGED_CHARS, marked when cut (parsers refuse longer ids; this is the backstop)."""
    return text if len(text) <= MAX_LOGGED_CHARS else text[:MAX_LOGGED_CHARS] + "...(cut)"


def log_feedback(service_id: str, card: str, outcome: str, reason_code: str | None, accepted: int) -> None:
    """Logs one feedback item: ids, outcome and counts only; a user comment is free text and never logged."""
    fields = {
        "event": "feedback",
        "service_id": _capped(service_id),
        "card": _capped(card),
        "outcome": outcome,
        "override_reason": None if reason_code is None else _capped(reason_code),
        "accepted_suggestions": accepted,
    }
    logger.info("feedback service_id=%s outcome=%s", service_id, outcome, extra={"cds": fields})


def log_cards_issued(hook_instance: str, cards: list[dict[str, Any]]) -> None:
    """Logs what each card said (CDS_FEEDBACK_LOG=on only): clinical content, keyed by uuid for feedback joins."""
    issued = [{k: c.get(k) for k in ("uuid", "indicator", "summary")} for c in cards]
    fields = {"event": "cards_issued", "hookInstance": hook_instance, "cards": issued}
    logger.info("cards_issued count=%s", len(issued), extra={"cds": fields})


class JsonFormatter(logging.Formatter):
    """Formats a record as one JSON object: time, level, logger, then its `cds` fields or its message."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
        }
        request_id = current_request_id.get()
        if request_id is not None:
            out["request_id"] = request_id  # the same id as the access log line and X-Request-ID
        fields = getattr(record, "cds", None)
        if isinstance(fields, dict):
            out.update(fields)
        else:
            out["message"] = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            out["exc_type"] = record.exc_info[0].__name__  # the type only: messages may quote patient data
        return json.dumps(out, default=str)


class UrlRedactingFilter(logging.Filter):
    """Keeps URL-bearing library lines out of the log: below WARNING dropped, at WARNING and above text blanked."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not any(record.name == n or record.name.startswith(n + ".") for n in _URL_LOGGERS):
            return True
        if record.levelno < logging.WARNING:
            return False
        record.msg, record.args = "(library message withheld: it may quote a FHIR URL)", None
        return True


def json_handler(stream: Any = None) -> logging.Handler:
    """Returns the service's log handler: JSON lines to `stream` (default stderr), URL-bearing lines redacted."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(UrlRedactingFilter())
    return handler


def configure_logging(level: str) -> None:
    """Sends every log record to stderr as a JSON line at `level`; calling it again changes nothing else."""
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        root.addHandler(json_handler())
    root.setLevel(level)
    for name in _URL_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
