"""What one hook call did, as a value: `Invoker.invoke` returns it beside the answer and the route logs it.

Key names, counts, timings and card uuids only (STYLE #21, #22): never a patient id, resource or URL. Each step
of the call returns a new trace (`dataclasses.replace`), so nothing is filled in behind the caller's back.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Self

from fhir_maps.domain import MappingReport
from service.fhir_client import FhirStats


@dataclass(frozen=True, slots=True)
class CallTrace:
    """Where each prefetch key's data came from, what the FHIR calls and the mapping did, and what was answered."""

    hook: str | None = None
    hook_instance: str | None = None
    prefetch_used: tuple[str, ...] = ()  # satisfied by prefetch (including null = no data)
    prefetch_missing: tuple[str, ...] = ()  # omitted, OperationOutcome or error-shaped
    prefetch_partial: tuple[str, ...] = ()  # prefetched Bundle with pages left unread
    fetched: tuple[str, ...] = ()  # fetched from fhirServer
    unavailable: tuple[str, ...] = ()  # optional keys nobody could supply
    # Issue 10 §1: resources of another patient, and patient data naming no readable patient, dropped (counts
    # only); prefetched keys that held only such resources (treated as omitted).
    resources_other_patient: int = 0
    resources_unattributed: int = 0
    prefetch_other_patient: tuple[str, ...] = ()
    fhir_calls: int = 0
    fhir_ms: float = 0.0
    fhir_pages_truncated: int = 0
    report: MappingReport = field(default_factory=MappingReport)
    in_scope: bool | None = None
    card_uuids: tuple[str, ...] = ()
    # For the metrics (service.metrics), not the log line: each FHIR request's milliseconds, and each card's
    # (rule id, indicator).
    fhir_request_ms: tuple[float, ...] = ()
    card_rules: tuple[tuple[str, str], ...] = ()

    def gathered(
        self,
        *,
        prefetch_used: list[str],
        prefetch_missing: list[str],
        prefetch_partial: list[str],
        fetched: list[str],
        unavailable: list[str],
        other_patient: int = 0,
        unattributed: int = 0,
        prefetch_other_patient: tuple[str, ...] | list[str] = (),
    ) -> Self:
        """Returns this trace with one gather step's key lists appended."""
        return replace(
            self,
            prefetch_used=(*self.prefetch_used, *prefetch_used),
            prefetch_missing=(*self.prefetch_missing, *prefetch_missing),
            prefetch_partial=(*self.prefetch_partial, *prefetch_partial),
            fetched=(*self.fetched, *fetched),
            unavailable=(*self.unavailable, *unavailable),
            resources_other_patient=self.resources_other_patient + other_patient,
            resources_unattributed=self.resources_unattributed + unattributed,
            prefetch_other_patient=(*self.prefetch_other_patient, *prefetch_other_patient),
        )

    def fields(self) -> dict[str, Any]:
        """Returns the JSON-ready fields of the hook-call log line that come from the call itself."""
        report = asdict(self.report)
        report["unknown_unit_concepts"] = [str(c) for c in self.report.unknown_unit_concepts]
        return {
            "hook": self.hook,
            "hookInstance": self.hook_instance,
            "prefetch_used": list(self.prefetch_used),
            "prefetch_missing": list(self.prefetch_missing),
            "prefetch_partial": list(self.prefetch_partial),
            "fetched": list(self.fetched),
            "unavailable": list(self.unavailable),
            "resources_other_patient": self.resources_other_patient,
            "resources_unattributed": self.resources_unattributed,
            "prefetch_other_patient": list(self.prefetch_other_patient),
            "fhir_calls": self.fhir_calls,
            "fhir_ms": round(self.fhir_ms, 1),
            "fhir_pages_truncated": self.fhir_pages_truncated,
            **report,
            "in_scope": self.in_scope,
            "cards": len(self.card_uuids),
            "card_uuids": list(self.card_uuids),
        }


@dataclass
class FhirTimings(FhirStats):
    """FhirStats that also keeps each request's milliseconds, for the per-query latency histogram."""

    request_ms: list[float] = field(default_factory=list)
    _timings_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, ms: float) -> None:
        """Counts one FHIR call that took `ms` milliseconds, and keeps the figure."""
        super().record(ms)
        with self._timings_lock:
            self.request_ms.append(ms)


@dataclass(frozen=True, slots=True)
class Invocation:
    """One hook call's outcome: the response, or the error to answer with, and the trace either way."""

    trace: CallTrace
    response: dict[str, Any] | None = None
    error: Exception | None = None

    def result(self) -> dict[str, Any]:
        """Returns the response; raises the call's error (the app's error handlers turn it into the answer)."""
        if self.error is not None:
            raise self.error
        if self.response is None:
            raise RuntimeError("an Invocation holds a response or an error")
        return self.response
