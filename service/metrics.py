"""Prometheus metrics: what the service counts, and how `/metrics` reads them (issue 13; docs/deployment.md).

Hook calls are observed once, when they end, from the `CallTrace` the invoker returns (`observe_hook_call`): no
counter is bumped inside the pipeline. Labels are bounded sets only: registered service ids (anything else is
"(unknown)"), prefetch key names from the specs, rule ids, indicators, status codes, fixed outcome and reason
words, and FHIR origins from the allowlist. Never a patient id, a path as sent, a token or a card uuid.

Under gunicorn every worker is a process: prometheus_client's multiprocess mode keeps each worker's values in
files under PROMETHEUS_MULTIPROC_DIR, which `service.gunicorn_hooks` creates in the master before any worker
starts (the variable must be set before this module is first imported in a worker) and prunes when a worker
exits. `/metrics` then adds up every worker's files, whichever worker answers. Without the variable (tests, a
single process) the values live in this process's `REGISTRY`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Iterable
from dataclasses import fields
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from fhir_maps.domain import MappingReport

if TYPE_CHECKING:  # only for annotations: the breaker (service.bulkhead) may import this module
    from service.trace import CallTrace

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
UNKNOWN = "(unknown)"
# Seconds; the top buckets bracket CDS_CALL_BUDGET_SECONDS (default 8) and the 10 s FHIR read timeout.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 8.0, 10.0, 15.0, 30.0)

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "ln_cds_http_requests",
    "HTTP requests by route template, method and status",
    ["route", "method", "status"],
    registry=REGISTRY,
)
HOOK_CALLS = Counter(
    "ln_cds_hook_calls",
    "Hook calls by service, status and outcome",
    ["service", "status", "outcome"],
    registry=REGISTRY,
)
HOOK_DURATION = Histogram(
    "ln_cds_hook_duration_seconds",
    "Hook call latency in the app, from request to response",
    ["service"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
FHIR_DURATION = Histogram(
    "ln_cds_fhir_request_duration_seconds",
    "Latency of each FHIR query (every search page and read)",
    ["service"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
FHIR_PAGES_TRUNCATED = Counter(
    "ln_cds_fhir_pages_truncated", "FHIR searches refused at CDS_FHIR_PAGE_CAP", ["service"], registry=REGISTRY
)
PREFETCH_KEYS = Counter(
    "ln_cds_prefetch_keys",
    "Prefetch keys by where their data came from: prefetched, fetched, partial (pages left), unavailable",
    ["service", "key", "source"],
    registry=REGISTRY,
)
RESOURCES = Counter(
    "ln_cds_resources",
    "FHIR resources by outcome: parsed, skipped (invalid), foreign (another patient's), unattributed",
    ["service", "outcome"],
    registry=REGISTRY,
)
MAPPING_SKIPS = Counter(
    "ln_cds_mapping_skips",
    "Parsed resources left out by mapping, by reason (MappingReport)",
    ["service", "reason"],
    registry=REGISTRY,
)
CARDS = Counter(
    "ln_cds_cards", "Cards issued by rule and indicator", ["service", "rule", "indicator"], registry=REGISTRY
)
FEEDBACK = Counter("ln_cds_feedback", "Feedback items by outcome", ["service", "outcome"], registry=REGISTRY)
AUTH_REJECTIONS = Counter("ln_cds_auth_rejections", "Client JWTs refused, by reason", ["reason"], registry=REGISTRY)
REPLAY_STORE_ERRORS = Counter(
    "ln_cds_replay_store_errors",
    "Calls refused because the jti replay store is full or unreachable",
    ["error"],
    registry=REGISTRY,
)
BREAKER_OPEN = Gauge(
    "ln_cds_fhir_breaker_open",
    "1 while a FHIR origin's circuit breaker is open in any live worker",
    ["origin"],
    multiprocess_mode="livemax",
    registry=REGISTRY,
)
BREAKER_TRANSITIONS = Counter(
    "ln_cds_fhir_breaker_transitions",
    "Circuit breaker state changes per FHIR origin",
    ["origin", "state"],
    registry=REGISTRY,
)

# MappingReport counts shown as RESOURCES outcomes; every other integer field is a MAPPING_SKIPS reason.
_RESOURCE_FIELDS = {"resources_parsed": "parsed", "resources_invalid": "skipped"}
_REPORT_FIELDS = tuple(f.name for f in fields(MappingReport))
_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def service_label(service_id: str, known: Collection[str]) -> str:
    """Returns `service_id` when it is a registered service, else "(unknown)": a path segment is client text."""
    return service_id if service_id in known else UNKNOWN


def error_outcome(error: Exception) -> str:
    """Returns an error's class as a kebab-case outcome word (`FhirTransientError` -> `fhir-transient-error`)."""
    return _CAMEL.sub("-", type(error).__name__).lower()


def hook_outcome(status: int, trace: CallTrace | None, error: Exception | None) -> str:
    """Returns the outcome word of one hook call: cards, no-cards, out-of-scope, or what went wrong."""
    if error is not None:
        return error_outcome(error)
    if status != 200 or trace is None:
        return f"http-{status}"  # refused before the invoker ran: auth, body limits, rate limit
    if trace.card_uuids:
        return "cards"
    return "out-of-scope" if trace.in_scope is False else "no-cards"


def observe_request(route: str, method: str, status: int) -> None:
    """Counts one HTTP request by its route template (never the path as sent)."""
    HTTP_REQUESTS.labels(route, method, str(status)).inc()


def observe_hook_call(service: str, status: int, outcome: str, seconds: float | None, trace: CallTrace | None) -> None:
    """Records one finished hook call: count, latency (None: refused before timing began), and its trace."""
    HOOK_CALLS.labels(service, str(status), outcome).inc()
    if seconds is not None:
        HOOK_DURATION.labels(service).observe(seconds)
    if trace is not None:
        _observe_trace(service, trace)


def _observe_trace(service: str, trace: CallTrace) -> None:
    for ms in trace.fhir_request_ms:
        FHIR_DURATION.labels(service).observe(ms / 1000)
    if trace.fhir_pages_truncated:
        FHIR_PAGES_TRUNCATED.labels(service).inc(trace.fhir_pages_truncated)
    sources: Iterable[tuple[str, tuple[str, ...]]] = (
        ("prefetched", trace.prefetch_used),
        ("fetched", trace.fetched),
        ("partial", trace.prefetch_partial),
        ("unavailable", trace.unavailable),
    )
    for source, keys in sources:
        for key in keys:
            PREFETCH_KEYS.labels(service, key, source).inc()
    for name in _REPORT_FIELDS:  # read off the frozen report: asdict would deep-copy it on every call
        value = getattr(trace.report, name)
        if isinstance(value, bool) or not isinstance(value, int) or not value:
            continue
        if name in _RESOURCE_FIELDS:
            RESOURCES.labels(service, _RESOURCE_FIELDS[name]).inc(value)
        else:
            MAPPING_SKIPS.labels(service, name).inc(value)
    # Dropped at gather (issue 10): provably another patient's, and patient data naming no readable patient.
    if trace.resources_other_patient:
        RESOURCES.labels(service, "foreign").inc(trace.resources_other_patient)
    if trace.resources_unattributed:
        RESOURCES.labels(service, "unattributed").inc(trace.resources_unattributed)
    for rule, indicator in trace.card_rules:
        CARDS.labels(service, rule or UNKNOWN, indicator).inc()


def observe_feedback(service: str, outcome: str) -> None:
    """Counts one stored feedback item (accepted or overridden)."""
    FEEDBACK.labels(service, outcome).inc()


def observe_auth_rejection(reason: str) -> None:
    """Counts one refused client JWT by its fixed reason word (`Unauthenticated.reason`)."""
    AUTH_REJECTIONS.labels(reason).inc()


def observe_replay_store_error(error: str) -> None:
    """Counts one call refused for the jti replay store (`busy`: full or unreachable, answered 503)."""
    REPLAY_STORE_ERRORS.labels(error).inc()


def breaker_changed(origin: str, is_open: bool) -> None:
    """Records a FHIR origin's circuit breaker opening or closing (called by `service.bulkhead.OriginGuards`).

    The gauge stays 1 until a reply closes the breaker: an open breaker whose time is up is half-open, and stays
    shown as open until its probe succeeds.
    """
    BREAKER_OPEN.labels(origin).set(1 if is_open else 0)
    BREAKER_TRANSITIONS.labels(origin, "open" if is_open else "closed").inc()


def multiprocess_dir() -> str | None:
    """Returns PROMETHEUS_MULTIPROC_DIR when set (under gunicorn), else None."""
    return os.environ.get(MULTIPROC_ENV) or None


def exposition() -> tuple[bytes, str]:
    """Returns the text exposition of every metric and its content type: all workers' values when multiprocess."""
    path = multiprocess_dir()
    if path is None:
        return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]  # prometheus_client leaves it untyped
    return generate_latest(registry), CONTENT_TYPE_LATEST
