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
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from fhir_maps.domain import MappingReport
from service.errors import CdsError

logger = logging.getLogger(__name__)

# Libraries whose lines carry full FHIR URLs (and so the patient id): held at WARNING at any level, and, in case
# someone lowers them again, the JSON handler drops their lower lines and blanks the text of the rest.
_URL_LOGGERS = ("urllib3", "requests")


@dataclass
class HookCallLog:
    """The fields of one hook-call line, filled in as the call proceeds."""

    service_id: str
    client: str | None = None  # the verified JWT issuer (a configured URL); None in open mode or before auth
    hook: str | None = None
    hook_instance: str | None = None
    status: int = 200
    error: str | None = None
    prefetch_used: list[str] = field(default_factory=list)
    prefetch_missing: list[str] = field(default_factory=list)
    prefetch_partial: list[str] = field(default_factory=list)
    fetched: list[str] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    fhir_calls: int = 0
    fhir_ms: float = 0.0
    fhir_pages_truncated: int = 0
    report: MappingReport = field(default_factory=MappingReport)
    in_scope: bool | None = None
    card_uuids: list[str] = field(default_factory=list)

    def fields(self, duration_ms: float) -> dict[str, Any]:
        """Returns the JSON-ready fields of the line."""
        report = asdict(self.report)
        report["unknown_unit_concepts"] = [str(c) for c in self.report.unknown_unit_concepts]
        return {
            "event": "hook_call",
            "service_id": self.service_id,
            "client": self.client,
            "hook": self.hook,
            "hookInstance": self.hook_instance,
            "duration_ms": round(duration_ms, 1),
            "status": self.status,
            "error": self.error,
            "prefetch_used": self.prefetch_used,
            "prefetch_missing": self.prefetch_missing,
            "prefetch_partial": self.prefetch_partial,
            "fetched": self.fetched,
            "unavailable": self.unavailable,
            "fhir_calls": self.fhir_calls,
            "fhir_ms": round(self.fhir_ms, 1),
            "fhir_pages_truncated": self.fhir_pages_truncated,
            **report,
            "in_scope": self.in_scope,
            "cards": len(self.card_uuids),
            "card_uuids": self.card_uuids,
        }


@contextmanager
def hook_call(service_id: str) -> Iterator[HookCallLog]:
    """Yields the record of one hook call and logs it when the call ends, however it ends."""
    record = HookCallLog(service_id=service_id)
    started = time.perf_counter()
    try:
        yield record
    except CdsError as exc:
        record.status, record.error = exc.status, type(exc).__name__
        raise
    except Exception as exc:
        record.status, record.error = 500, type(exc).__name__
        raise
    finally:
        fields = record.fields((time.perf_counter() - started) * 1000)
        logger.info(
            "hook_call service_id=%s status=%s cards=%s",
            record.service_id,
            record.status,
            fields["cards"],
            extra={"cds": fields},
        )


def log_feedback(service_id: str, card: str, outcome: str, reason_code: str | None, accepted: int) -> None:
    """Logs one feedback item: ids, outcome and counts only; a user comment is free text and never logged."""
    fields = {
        "event": "feedback",
        "service_id": service_id,
        "card": card,
        "outcome": outcome,
        "override_reason": reason_code,
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
