"""The declarative description of a CDS service, and the startup checks every registry entry must pass.

Discovery, routing and the README table all come from `hooks.REGISTRY`; adding a service is one module, one
registry line and one fixture folder. A spec that breaks a rule raises `SpecError` before the app serves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic

from typing_extensions import TypeVar  # PEP 696 defaults (a bare `RuleContext` means `RuleContext[Any]`) on 3.11

from fhir_maps.domain import PatientData
from hooks.cards import SUMMARY_MAX_CHARS, Card

Findings = TypeVar("Findings")
Config = TypeVar("Config", default=Any)

# Context fields per hook (CDS Hooks 2.0 hook definitions) and the user tokens the spec allows in any hook
# (spec "Prefetch tokens": {{userPractitionerId}}, {{userPractitionerRoleId}}, {{userPatientId}},
# {{userRelatedPersonId}}); {{today()...}} date arithmetic is not used by our templates and so not accepted.
HOOK_CONTEXT_FIELDS: dict[str, frozenset[str]] = {
    "patient-view": frozenset({"userId", "patientId", "encounterId"}),
}
USER_TOKENS = frozenset({"userPractitionerId", "userPractitionerRoleId", "userPatientId", "userRelatedPersonId"})
_TOKEN = re.compile(r"\{\{\s*([^}]*?)\s*\}\}")
_SERVICE_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")  # kebab-case, URL-safe (no / ? # or space)


class SpecError(ValueError):
    """A service spec breaks a registry rule; raised at startup, before the app serves."""


class ConfigError(ValueError):
    """A service's own `CDS_*` variable has a bad value; the message starts with the variable's name.

    Raised at startup by a spec's `config_from_env`; the app factory reports it as a SettingsError.
    """


def no_config(env: Mapping[str, str]) -> None:
    """Returns None: the `config_from_env` of a service that has no settings of its own."""
    return None


@dataclass(frozen=True, slots=True)
class ChartLinks:
    """Where the service serves the charts cards link, and the source of their ids (issue 15, docs/chart.md).

    Injected like `new_uuid`: the service's ids are 128-bit random (`secrets.token_urlsafe(16)`), a test's are
    numbered, so golden fixtures stay deterministic.
    """

    base_url: str  # CDS_PUBLIC_URL
    new_id: Callable[[], str]

    def url(self, chart_id: str) -> str:
        """Returns the absolute URL the chart `chart_id` is served at."""
        return f"{self.base_url.rstrip('/')}/charts/{chart_id}"


@dataclass(frozen=True, slots=True)
class RuleContext(Generic[Config]):
    """Everything that varies between calls, injected into pure rules (no clock, uuid or settings reads inside).

    `config` is the calling service's own settings, as its spec's `config_from_env` read them at startup.
    """

    today: date
    new_uuid: Callable[[], str]
    patient_ref: str  # "Patient/<id>" for resources in suggestions; never put in card text
    config: Config
    locale: str = "en"
    charts: ChartLinks | None = None  # None: the service keeps no charts, so cards link none


@dataclass(frozen=True, slots=True)
class CdsServiceSpec(Generic[Findings]):
    """One CDS service: discovery metadata, prefetch templates and its pure evaluate/render pair.

    `gate_keys` are the prefetch keys fetched and mapped first; when `in_scope` says the patient is out of scope
    (for this service: no lupus nephritis) the other keys are never fetched or parsed -- the near-free path for the
    great majority of charts.

    `config_from_env` reads the service's own `CDS_<SERVICE>_*` variables once, at startup (a bad value raises
    ConfigError naming the variable); the value it returns reaches the rules as `RuleContext.config`.
    `follow_references` names, per prefetch key, the reference elements of its resources (and the resource type
    each must point to) whose targets are read from the fhirServer when nobody supplied them, and added to that
    key: `{"medications": {"medicationReference": "Medication"}}`.
    """

    id: str
    hook: str
    title: str
    description: str
    prefetch: Mapping[str, str]
    evaluate: Callable[[PatientData, RuleContext], Findings]
    render: Callable[[Findings, RuleContext], list[Card]]
    in_scope: Callable[[PatientData], bool]
    gate_keys: tuple[str, ...] = ()
    required_keys: tuple[str, ...] = ()  # keys without which the service cannot answer at all (else 412)
    usage_requirements: str | None = None
    static_texts: tuple[str, ...] = field(default=())  # fixed card summaries, checked for length at startup
    config_from_env: Callable[[Mapping[str, str]], Any] = no_config
    follow_references: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def discovery_json(self) -> dict[str, Any]:
        """Returns this service's entry in the discovery document."""
        out: dict[str, Any] = {
            "hook": self.hook,
            "id": self.id,
            "title": self.title,
            "description": self.description,
        }
        if self.prefetch:
            out["prefetch"] = dict(self.prefetch)
        if self.usage_requirements:
            out["usageRequirements"] = self.usage_requirements
        return out


def check_spec(spec: CdsServiceSpec[Any]) -> None:
    """Raises SpecError when `spec` breaks a registry rule."""
    if not _SERVICE_ID.match(spec.id):
        raise SpecError(f"service id {spec.id!r} must be kebab-case and URL-safe")
    if spec.hook not in HOOK_CONTEXT_FIELDS:
        raise SpecError(f"service {spec.id!r}: hook {spec.hook!r} is not one this service knows")
    if not spec.title.strip() or not spec.description.strip():
        raise SpecError(f"service {spec.id!r}: title and description are required")
    allowed = {f"context.{name}" for name in HOOK_CONTEXT_FIELDS[spec.hook]} | USER_TOKENS
    for key, template in spec.prefetch.items():
        for token in _TOKEN.findall(template):
            if token not in allowed:
                raise SpecError(f"service {spec.id!r}: prefetch {key!r} uses unknown token {{{{{token}}}}}")
        if "{{Patient.id}}" in template.replace(" ", ""):
            raise SpecError(f"service {spec.id!r}: pre-1.0 token in prefetch {key!r}")
    for key in (*spec.gate_keys, *spec.required_keys):
        if key not in spec.prefetch:
            raise SpecError(f"service {spec.id!r}: key {key!r} is not a prefetch key")
    for key in spec.follow_references:
        if key not in spec.prefetch:
            raise SpecError(f"service {spec.id!r}: follow_references key {key!r} is not a prefetch key")
    for text in spec.static_texts:
        if len(text) >= SUMMARY_MAX_CHARS:
            raise SpecError(f"service {spec.id!r}: a card summary template is {len(text)} characters")


def check_registry(registry: Sequence[CdsServiceSpec[Any]]) -> None:
    """Raises SpecError when any spec is invalid, ids repeat, or the registry is empty."""
    if not registry:
        raise SpecError("the registry is empty: discovery would list no services")
    seen: set[str] = set()
    for spec in registry:
        check_spec(spec)
        if spec.id in seen:
            raise SpecError(f"service id {spec.id!r} is registered twice")
        seen.add(spec.id)
