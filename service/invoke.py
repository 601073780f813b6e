"""The hook-call and feedback flows, kept out of the route functions (anti-pattern 1).

Invoke: validate the request, find the service (404), check its hook (400), gather and map the spec's gate keys
first and answer `{"cards": []}` when the patient is out of scope -- nothing else is fetched or parsed, the
near-free path for the great majority of charts -- else gather the remaining keys, map everything, evaluate,
render and serialise. Everything that varies (today, uuids, the mapper, the FHIR session) is injected.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fhir_maps.domain import PatientData
from hooks.cards import response_json
from hooks.spec import CdsServiceSpec, RuleContext
from service.cds_models import HookRequest, parse_feedback, parse_hook_request
from service.errors import BadHookRequest, UnknownService
from service.fhir_client import FhirAccess, FhirClient, FhirStats, Resource
from service.gather import Gathered, gather
from service.logging_setup import HookCallLog, log_cards_issued, log_feedback
from service.outbound import Deadline
from service.settings import Settings

Mapper = Callable[[Iterable[Mapping[str, Any]]], PatientData]


def default_mapper() -> Mapper:
    """Returns `fhir_maps.map_patient_data`, the mapper every real call uses."""
    from fhir_maps import map_patient_data  # imported on use: tests inject their own mapper

    return map_patient_data


def default_gate_mapper() -> Mapper:
    """Returns `fhir_maps.map_conditions_only`: Patient and Condition only, the cheap scope check."""
    from fhir_maps import map_conditions_only

    return map_conditions_only


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

    def spec(self, service_id: str) -> CdsServiceSpec[Any]:
        """Returns the service registered as `service_id`; raises UnknownService (404)."""
        spec = self.services.get(service_id)
        if spec is None:
            raise UnknownService("no CDS service with this id; see GET /cds-services")
        return spec

    def invoke(self, service_id: str, body: Any, record: HookCallLog) -> dict[str, Any]:
        """Returns the CDS Hooks response for one hook call, filling `record` for the log line."""
        deadline = Deadline.after(self.settings.call_budget_seconds)  # CDS_CALL_BUDGET_SECONDS for all FHIR work
        request = parse_hook_request(body)
        record.hook, record.hook_instance = request.hook, request.hook_instance
        spec = self.spec(service_id)
        if request.hook != spec.hook:
            raise BadHookRequest("hook does not match the hook this service is registered for")
        stats = FhirStats()
        fhir = None
        if request.fhir_server is not None:
            token = request.fhir_authorization.access_token if request.fhir_authorization else None
            fhir = self.fhir.connect(request.fhir_server, token, stats, deadline)
        try:
            response = self._run(spec, request, fhir, record)
        finally:
            record.fhir_calls, record.fhir_ms = stats.calls, stats.ms
            record.fhir_pages_truncated = stats.pages_truncated
        record.card_uuids = [card["uuid"] for card in response["cards"]]
        if self.settings.feedback_log and response["cards"]:
            log_cards_issued(request.hook_instance, response["cards"])
        return response

    def _run(
        self, spec: CdsServiceSpec[Any], request: HookRequest, fhir: FhirAccess | None, record: HookCallLog
    ) -> dict[str, Any]:
        gate_keys = spec.gate_keys
        resources: list[Resource] = []
        if gate_keys:
            resources = self._gather(spec, request, fhir, gate_keys, record)
            data = self._map(resources, record, self.gate_mapper)
            record.in_scope = spec.in_scope(data)
            if not record.in_scope:
                return response_json([])
        rest = [key for key in spec.prefetch if key not in gate_keys]
        resources += self._gather(spec, request, fhir, rest, record)
        data = self._map(resources, record, self.mapper)
        if not gate_keys:
            record.in_scope = spec.in_scope(data)
            if not record.in_scope:
                return response_json([])
        ctx = self.rule_context(spec, request)
        return response_json(spec.render(spec.evaluate(data, ctx), ctx))

    def _gather(
        self,
        spec: CdsServiceSpec[Any],
        request: HookRequest,
        fhir: FhirAccess | None,
        keys: Sequence[str],
        record: HookCallLog,
    ) -> list[Resource]:
        if not keys:
            return []
        got: Gathered = gather(spec, request, fhir, keys, workers=self.settings.fhir_workers)
        record.prefetch_used += got.prefetch_used
        record.prefetch_missing += got.prefetch_missing
        record.prefetch_partial += got.prefetch_partial
        record.fetched += got.fetched
        record.unavailable += got.unavailable
        return [resource for key in keys for resource in got.resources[key]]

    def _map(self, resources: list[Resource], record: HookCallLog, mapper: Mapper) -> PatientData:
        data = mapper(resources)
        record.report = data.report
        return data

    def rule_context(self, spec: CdsServiceSpec[Any], request: HookRequest) -> RuleContext:
        """Returns the per-call context for the pure rules: today (pinned or the UTC date), uuids, the service's
        own config."""
        return RuleContext(
            today=self.settings.today or self.clock().astimezone(UTC).date(),
            new_uuid=self.new_uuid,
            patient_ref=f"Patient/{request.patient_id}",
            config=self.configs.get(spec.id),
        )

    def feedback(self, service_id: str, body: Any) -> int:
        """Returns how many feedback items were accepted, after logging one line per item."""
        items = parse_feedback(body)
        self.spec(service_id)
        for item in items:
            reason = item.override_reason
            code = f"{reason.system}|{reason.code}" if reason and reason.code else None
            log_feedback(service_id, item.card, item.outcome, code, len(item.accepted_suggestions))
        return len(items)
