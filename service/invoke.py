"""The hook-call and feedback flows, kept out of the route functions (anti-pattern 1).

Invoke: validate the request, find the service (404), check its hook (400), gather and map the spec's gate keys
first and answer `{"cards": []}` when the patient is out of scope -- nothing else is fetched (unless
CDS_FHIR_FETCH_AHEAD asked for the rest at the same time) or parsed, the near-free path for the great majority of
charts -- else gather the remaining keys, map everything, evaluate,
render and serialise. It returns the answer with a `CallTrace` for the route's log line (no log object is
handed around). Everything that varies (today, uuids, the mapper, the FHIR session) is injected.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor, Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fhir_maps.domain import PatientData
from hooks.cards import Card, Chart, response_json
from hooks.spec import CdsServiceSpec, ChartLinks, RuleContext
from service.cds_models import HookRequest, parse_feedback, parse_hook_request
from service.errors import BadHookRequest, FhirTransientError, UnknownService
from service.fhir_client import FhirAccess, FhirClient, FhirStats, Resource
from service.gather import BACKSTOP_GRACE_SECONDS, Gathered, gather, needs_fetch
from service.language import choose_language
from service.logging_setup import log_cards_issued, log_feedback
from service.metrics import observe_feedback
from service.outbound import Deadline
from service.settings import LANGUAGES, Settings
from service.trace import CallTrace, FhirTimings, Invocation

if TYPE_CHECKING:
    from service.store.charts import ChartStore
    from service.store.store import Store
    from service.store.writer import StoreWriter

logger = logging.getLogger(__name__)

Mapper = Callable[[Iterable[Mapping[str, Any]]], PatientData]


def default_mapper() -> Mapper:
    """Returns `fhir_maps.map_patient_data`, the mapper every real call uses."""
    from fhir_maps import map_patient_data  # imported on use: tests inject their own mapper

    return map_patient_data


def default_gate_mapper() -> Mapper:
    """Returns `fhir_maps.map_conditions_only`: Patient and Condition only, the cheap scope check."""
    from fhir_maps import map_conditions_only

    return map_conditions_only


def _with_fhir(trace: CallTrace, stats: FhirStats) -> CallTrace:
    timings = tuple(stats.request_ms) if isinstance(stats, FhirTimings) else ()
    return replace(
        trace,
        fhir_calls=stats.calls,
        fhir_ms=stats.ms,
        fhir_pages_truncated=stats.pages_truncated,
        fhir_request_ms=timings,
    )


def _ahead_result(ahead: Future[Gathered], deadline: Deadline) -> Gathered:
    """The fetched-ahead keys, waited for within the call's budget (each read is bounded by it too)."""
    try:
        return ahead.result(timeout=max(0.0, deadline.remaining()) + BACKSTOP_GRACE_SECONDS)
    except FutureTimeout:
        raise FhirTransientError("budget") from None


def utc_now() -> datetime:
    """Returns the current time in UTC (the default clock)."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Invoker:
    """Runs hook calls and feedback for the services of one app."""

    services: Mapping[str, CdsServiceSpec[Any]]
    configs: Mapping[str, Any]  # service id -> its own config, read at startup by the spec's `config_from_env`
    settings: Settings
    fhir: FhirClient
    mapper: Mapper
    gate_mapper: Mapper  # maps only what `spec.in_scope` needs; the full mapper runs only for patients in scope
    clock: Callable[[], datetime]
    new_uuid: Callable[[], str]
    store: Store | None = None  # the database of issued cards and feedback (docs/database.md); None: logs only
    charts: ChartStore | None = None  # where course charts are kept for the cards' links (docs/chart.md)
    chart_links: ChartLinks | None = None  # their URL base and id source; None: cards link no chart
    # writes issued cards and charts to the database off the request path, in batches; None: inline
    writer: StoreWriter | None = None
    # fetches the non-gate keys while the gate's own query runs (CDS_FHIR_FETCH_AHEAD); None: gate first
    fetch_ahead: Executor | None = None

    def spec(self, service_id: str) -> CdsServiceSpec[Any]:
        """Returns the service registered as `service_id`; raises UnknownService (404)."""
        spec = self.services.get(service_id)
        if spec is None:
            raise UnknownService("no CDS service with this id; see GET /cds-services")
        return spec

    def invoke(self, service_id: str, body: Any, accept_language: str | None = None) -> Invocation:
        """Returns the outcome of one hook call: the CDS Hooks response or the error, and its trace either way.

        The language of the cards (and of an error answer) is chosen first (`service.language`): the request's
        `org.example.ln-cds.language` extension, else `accept_language` (the header), else CDS_LANGUAGE.
        Gathers and maps the spec's gate keys first and answers `{"cards": []}` out of scope, before anything
        else is fetched; else gathers the rest, maps everything, evaluates and renders. The trace is rebuilt at
        each step, so an error still reports how far the call got.
        """
        stats = FhirTimings()
        language = choose_language(self.settings.language, LANGUAGES, body, accept_language).language
        trace = CallTrace(language=language)
        try:
            deadline = Deadline.after(self.settings.call_budget_seconds)  # CDS_CALL_BUDGET_SECONDS for FHIR work
            request = parse_hook_request(body)
            trace = replace(trace, hook=request.hook, hook_instance=request.hook_instance)
            spec = self.spec(service_id)
            if request.hook != spec.hook:
                raise BadHookRequest("hook does not match the hook this service is registered for")
            fhir = self._connect(request, stats, deadline)
            rest = [k for k in spec.prefetch if k not in spec.gate_keys]
            ahead = self._fetch_ahead(spec, request, fhir, rest)
            resources: list[Resource] = []
            if spec.gate_keys:
                got, trace = self._gather(spec, request, fhir, spec.gate_keys, trace)
                resources = got
                data = self.gate_mapper(resources)
                trace = replace(trace, report=data.report, in_scope=spec.in_scope(data))
                if not trace.in_scope:  # a fetch ahead not yet started is cancelled; a started one is not read
                    if ahead is not None:
                        ahead.cancel()
                    return self._answer(request, response_json([]), trace, stats)
            if ahead is None:
                got, trace = self._gather(spec, request, fhir, rest, trace)
            else:
                got, trace = self._traced(_ahead_result(ahead, deadline), rest, trace)
            data = self.mapper(resources + got)
            # The cards say once that another patient's resources were ignored (never which, never their content).
            report = replace(data.report, resources_other_patient=trace.resources_other_patient)
            data = replace(data, report=report)
            trace = replace(trace, report=data.report)
            if not spec.gate_keys:
                trace = replace(trace, in_scope=spec.in_scope(data))
                if not trace.in_scope:
                    return self._answer(request, response_json([]), trace, stats)
            ctx = self.rule_context(spec, request, language)
            cards = spec.render(spec.evaluate(data, ctx), ctx)
            trace = replace(trace, card_rules=tuple((card.rule_id, str(card.indicator)) for card in cards))
            answer = self._answer(request, response_json(cards), trace, stats)
            self._record_cards(spec.id, request, cards)
            self._keep_charts(cards)
            return answer
        except Exception as exc:  # answered by the app's error handlers once the route has logged the trace
            return Invocation(_with_fhir(trace, stats), error=exc)

    def _connect(self, request: HookRequest, stats: FhirStats, deadline: Deadline) -> FhirAccess | None:
        if request.fhir_server is None:
            return None
        token = request.fhir_authorization.access_token if request.fhir_authorization else None
        return self.fhir.connect(request.fhir_server, token, stats, deadline)

    def _answer(self, request: HookRequest, response: dict[str, Any], trace: CallTrace, stats: FhirStats) -> Invocation:
        trace = replace(_with_fhir(trace, stats), card_uuids=tuple(card["uuid"] for card in response["cards"]))
        if self.settings.feedback_log and response["cards"]:
            log_cards_issued(request.hook_instance, response["cards"])
        return Invocation(trace, response=response)

    def _record_cards(self, service_id: str, request: HookRequest, cards: Sequence[Card]) -> None:
        # A store failure costs the statistics of this call, not the clinician's cards: logged, not raised.
        if self.store is None or not cards:
            return
        try:
            if self.writer is not None:  # written in a batch by the process's store writer, off the request path
                self.writer.cards(service_id, request.hook_instance, cards, self.clock())
            else:
                self.store.record_cards(service_id, request.hook_instance, cards, self.clock())
        except Exception as exc:
            logger.error(
                "store_failed error=%s",
                type(exc).__name__,
                extra={"cds": {"event": "store_failed", "what": "cards", "error": type(exc).__name__}},
            )

    def _keep_charts(self, cards: Sequence[Card]) -> None:
        # Drawn from the card's pure closure (0.35 ms per chart) after the cards; with a database the store writer
        # draws and stores it off the request path (GET /charts waits briefly for it; docs/chart.md). A failure
        # costs the picture, not the cards: logged, not raised.
        if self.charts is None:
            return
        for card in cards:
            if card.chart is None:
                continue
            if self.writer is None:
                self._keep_chart(card.chart)
                continue
            try:
                self.writer.chart(card.chart, self.clock().timestamp())
            except Exception as exc:  # the writer could not be started (no thread left): the picture is lost
                logger.error(
                    "chart_failed error=%s",
                    type(exc).__name__,
                    extra={"cds": {"event": "chart_failed", "error": type(exc).__name__}},
                )

    def _keep_chart(self, chart: Chart) -> None:
        assert self.charts is not None  # noqa: S101 -- only called when there is a chart store
        try:
            self.charts.put(chart.id, chart.render(), self.clock().timestamp())
        except Exception as exc:
            logger.error(
                "chart_failed error=%s",
                type(exc).__name__,
                extra={"cds": {"event": "chart_failed", "error": type(exc).__name__}},
            )

    def _gather(
        self,
        spec: CdsServiceSpec[Any],
        request: HookRequest,
        fhir: FhirAccess | None,
        keys: Sequence[str],
        trace: CallTrace,
    ) -> tuple[list[Resource], CallTrace]:
        if not keys:
            return [], trace
        return self._traced(gather(spec, request, fhir, keys, workers=self.settings.fhir_workers), keys, trace)

    def _traced(self, got: Gathered, keys: Sequence[str], trace: CallTrace) -> tuple[list[Resource], CallTrace]:
        trace = trace.gathered(
            prefetch_used=got.prefetch_used,
            prefetch_missing=got.prefetch_missing,
            prefetch_partial=got.prefetch_partial,
            fetched=got.fetched,
            unavailable=got.unavailable,
            other_patient=got.other_patient,
            unattributed=got.unattributed,
            prefetch_other_patient=got.prefetch_other_patient,
        )
        return [resource for key in keys for resource in got.resources[key]], trace

    def _fetch_ahead(
        self, spec: CdsServiceSpec[Any], request: HookRequest, fhir: FhirAccess | None, rest: Sequence[str]
    ) -> Future[Gathered] | None:
        """With CDS_FHIR_FETCH_AHEAD, when the gate itself must be fetched, starts fetching the other keys at the
        same time (one wave of queries instead of two); None otherwise. Off by default: it costs the FHIR server
        every key's query for each patient out of scope (docs/performance.md)."""
        if self.fetch_ahead is None or fhir is None or not rest or not spec.gate_keys:
            return None
        if not needs_fetch(request, spec.gate_keys):
            return None  # the gate decides from prefetch, in microseconds: nothing to overlap with
        return self.fetch_ahead.submit(gather, spec, request, fhir, rest, workers=self.settings.fhir_workers)

    def rule_context(self, spec: CdsServiceSpec[Any], request: HookRequest, language: str | None = None) -> RuleContext:
        """Returns the per-call context for the pure rules: today (pinned or the UTC date), uuids, the service's
        own config, and the language of the cards (the site's CDS_LANGUAGE unless the call chose another)."""
        return RuleContext(
            today=self.settings.today or self.clock().astimezone(UTC).date(),
            new_uuid=self.new_uuid,
            patient_ref=f"Patient/{request.patient_id}",
            config=self.configs.get(spec.id),
            locale=language or self.settings.language,
            charts=self.chart_links if self.charts is not None else None,
        )

    def feedback(self, service_id: str, body: Any) -> int:
        """Returns how many feedback items were accepted, after storing them (when there is a store: all or none,
        each item once) and logging one line per item."""
        items = parse_feedback(body)
        self.spec(service_id)
        if self.writer is not None:  # a card answered moments ago may still be on its way to the database
            self.writer.record_feedback(service_id, items, self.clock())
        elif self.store is not None:
            self.store.record_feedback(service_id, items, self.clock())
        for item in items:
            reason = item.override_reason
            code = f"{reason.system}|{reason.code}" if reason and reason.code else None
            log_feedback(service_id, item.card, item.outcome, code, len(item.accepted_suggestions))
            observe_feedback(service_id, item.outcome)
        return len(items)
