"""Fixtures for the HTTP layer: a Flask test client over fake service specs, a spy mapper, and a strict FHIR mock.

The fake specs use the real prefetch templates from `hooks.prefetch` (no typed-in codes) but trivial rules, so
these tests pin the service layer's behaviour, not the clinical logic. Every test runs inside a
`responses.RequestsMock(assert_all_requests_are_fired=True)`: an unexpected FHIR call fails (unregistered URL),
and so does an expected call that never fired.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import responses
from flask import Flask
from flask.testing import FlaskClient
from responses import matchers

from fhir_maps.domain import MappingReport, PatientData
from fhir_maps.ownership import PATIENT_DATA_TYPES
from hooks import prefetch
from hooks.cards import Card, Indicator, Source
from hooks.lupus_nephritis_response.config import LupusNephritisConfig
from hooks.spec import CdsServiceSpec, RuleContext
from service.app import create_app
from service.outbound import AllowedBase
from service.settings import Settings

FHIR_BASE = "https://fhir.example.org/r4"
PATIENT_ID = "pt-4711-secret"
TOKEN = "tok-very-secret-123"
HOOK_INSTANCE = "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea"
SERVICE_ID = "fake-response"
FIXED_NOW = datetime(2026, 6, 15, 9, 30, tzinfo=UTC)
FHIR_HEADERS = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/fhir+json"}

# fhir.example.org is served by `responses`; this address (example.org's, never connected to) lets the outbound
# guard's "resolves to a public address" check pass without DNS.
PUBLIC_ADDRESS = "93.184.215.14"


def public_resolver(host: str) -> list[str]:
    """Returns a public address for any name: the FHIR host of these tests is mocked, never resolved."""
    return [PUBLIC_ADDRESS]


def service_settings(**over: Any) -> Settings:
    """Returns settings for HTTP-layer tests: auth open, FHIR_BASE allowlisted, today pinned; `over` replaces."""
    fields: dict[str, Any] = {
        "auth": "open",
        "fhir_allowlist": (AllowedBase.parse(FHIR_BASE),),
        "today": date(2026, 6, 15),
    }
    fields.update(over)
    return Settings(**fields)


PREFETCH = {
    "patient": prefetch.PATIENT,
    "conditions": prefetch.LUPUS_CONDITIONS,
    "proteinuria": prefetch.PROTEINURIA_OBSERVATIONS,
    "medications": prefetch.MEDICATION_REQUESTS,
}


def resource(kind: str, ident: str, patient_id: str = PATIENT_ID) -> dict[str, Any]:
    """Returns a minimal resource of `patient_id` (patient data names its subject, as the service requires); the
    spy mapper only records what it is given."""
    out: dict[str, Any] = {"resourceType": kind, "id": ident}
    if kind in PATIENT_DATA_TYPES:
        out["subject"] = {"reference": f"Patient/{patient_id}"}
    return out


def bundle(*resources: dict[str, Any], next_url: str | None = None) -> dict[str, Any]:
    """Returns a searchset Bundle of `resources`, with a next link when `next_url` is given."""
    out: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset"}
    out["entry"] = [{"resource": r} for r in resources]
    if next_url:
        out["link"] = [{"relation": "next", "url": next_url}]
    return out


def fhir_call(key: str) -> tuple[str, dict[str, str]]:
    """Returns the URL and query parameters the service must request for the fake spec's `key`."""
    rendered = PREFETCH[key].replace("{{context.patientId}}", PATIENT_ID)
    parts = urlsplit(rendered)
    return f"{FHIR_BASE}/{parts.path}", dict(parse_qsl(parts.query))


def full_prefetch() -> dict[str, Any]:
    """Returns a prefetch that satisfies every key of the fake spec."""
    return {
        "patient": resource("Patient", PATIENT_ID),
        "conditions": bundle(resource("Condition", "c1")),
        "proteinuria": bundle(resource("Observation", "o1"), resource("Observation", "o2")),
        "medications": bundle(),
    }


def expect_fetch(fhir: responses.RequestsMock, key: str, body: Any, status: int = 200) -> None:
    """Registers the one FHIR call the service must make for `key`, with the bearer, Accept and exact params."""
    url, params = fhir_call(key)
    match = [matchers.query_param_matcher(params), matchers.header_matcher(FHIR_HEADERS)]
    fhir.get(url, json=body, status=status, match=match)


def prefetch_without(*keys: str, **values: Any) -> dict[str, Any]:
    """Returns a full prefetch without `keys`, with `values` replacing or adding keys."""
    out = full_prefetch()
    for key in keys:
        del out[key]
    out.update(values)
    return out


def assert_outcome(reply: Any, status: int, code: str) -> dict[str, Any]:
    """Asserts `reply` is an OperationOutcome with `status` and issue `code`; returns its body."""
    assert reply.status_code == status
    assert reply.mimetype == "application/fhir+json"
    body: dict[str, Any] = reply.get_json(force=True)
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["severity"] == "error"
    assert body["issue"][0]["code"] == code
    return body


def log_lines(records: Iterable[logging.LogRecord], event: str) -> list[dict[str, Any]]:
    """Returns the structured fields of the captured log records of one `event`."""
    fields = (getattr(r, "cds", None) for r in records)
    return [f for f in fields if isinstance(f, dict) and f.get("event") == event]


def hook_request(**over: Any) -> dict[str, Any]:
    """Returns a valid patient-view request with full prefetch; keyword arguments replace members."""
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": HOOK_INSTANCE,
        "fhirServer": FHIR_BASE,
        "fhirAuthorization": {
            "access_token": TOKEN,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": "cds-service",
        },
        "context": {"userId": "Practitioner/doc-1", "patientId": PATIENT_ID},
        "prefetch": full_prefetch(),
    }
    body.update(copy.deepcopy(over))
    return body


@dataclass
class SpyMapper:
    """Stands in for fhir_maps.map_patient_data: records each batch of resources it maps."""

    report: MappingReport = field(default_factory=lambda: MappingReport(resources_parsed=3, resources_invalid=1))
    batches: list[list[Mapping[str, Any]]] = field(default_factory=list)

    def __call__(self, resources: Iterable[Mapping[str, Any]]) -> PatientData:
        self.batches.append(list(resources))
        return PatientData(report=self.report)

    def ids(self, batch: int = -1) -> list[str]:
        """Returns the `Type/id` of every resource in one batch."""
        return [f"{r['resourceType']}/{r['id']}" for r in self.batches[batch]]


@dataclass
class Rules:
    """The fake spec's rules: scope answer, calls seen, and an optional error to raise from evaluate."""

    in_scope: bool = True
    raises: Exception | None = None
    contexts: list[RuleContext] = field(default_factory=list)

    def evaluate(self, data: PatientData, ctx: RuleContext) -> list[str]:
        self.contexts.append(ctx)
        if self.raises is not None:
            raise self.raises
        return ["finding"]

    def render(self, findings: list[str], ctx: RuleContext) -> list[Card]:
        source = Source(label="Fake guideline", url="https://example.org/guideline")
        return [Card(uuid=ctx.new_uuid(), summary="Fake finding", indicator=Indicator.INFO, source=source)]


def fake_spec(rules: Rules, **over: Any) -> CdsServiceSpec[list[str]]:
    """Returns a valid patient-view spec over `rules`; keyword arguments replace fields."""
    fields: dict[str, Any] = {
        "id": SERVICE_ID,
        "hook": "patient-view",
        "title": "Fake response review",
        "description": "A fake service for HTTP-layer tests.",
        "prefetch": PREFETCH,
        "evaluate": rules.evaluate,
        "render": rules.render,
        "in_scope": lambda data: rules.in_scope,
        "gate_keys": ("patient", "conditions"),
        # A real service's config, so the tests see settings reach the rules through `RuleContext.config`.
        "config_from_env": LupusNephritisConfig.from_env,
        "follow_references": {"medications": {"medicationReference": "Medication"}},
    }
    fields.update(over)
    return CdsServiceSpec(**fields)


def counter_uuids() -> Callable[[], str]:
    """Returns a uuid factory yielding fixed, distinct uuids in order."""
    count = iter(range(1, 10_000))
    return lambda: f"00000000-0000-4000-8000-{next(count):012d}"


@pytest.fixture
def fhir() -> Iterator[responses.RequestsMock]:
    """Yields the FHIR mock; unregistered calls fail, and registered calls that never fire fail the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def rules() -> Rules:
    return Rules()


@pytest.fixture
def mapper() -> SpyMapper:
    return SpyMapper()


@pytest.fixture
def settings() -> Settings:
    return service_settings()


@dataclass
class AppFactory:
    """Builds apps over fakes; tests call it to vary settings or the registry."""

    rules: Rules
    mapper: SpyMapper
    settings: Settings

    def __call__(
        self,
        registry: Sequence[CdsServiceSpec[Any]] | None = None,
        settings: Settings | None = None,
        environ: Mapping[str, str] | None = None,
        **spec: Any,
    ) -> Flask:
        return create_app(
            settings or self.settings,
            registry if registry is not None else [fake_spec(self.rules, **spec)],
            environ=environ,
            mapper=self.mapper,
            clock=lambda: FIXED_NOW,
            new_uuid=counter_uuids(),
            resolver=public_resolver,
        )


@pytest.fixture
def make_app(rules: Rules, mapper: SpyMapper, settings: Settings, fhir: responses.RequestsMock) -> AppFactory:
    return AppFactory(rules, mapper, settings)


@pytest.fixture
def client(make_app: AppFactory) -> FlaskClient:
    return make_app().test_client()
