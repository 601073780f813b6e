"""Discovery comes from the registry, and a bad registry stops the app before it serves (one test per check)."""

from __future__ import annotations

from typing import Any

import pytest
import responses

from hooks.spec import SpecError
from service.app import create_app
from service.routes import EXTENSION_KEY
from service.settings import SettingsError
from tests.service.conftest import PREFETCH, SERVICE_ID, AppFactory, Rules, fake_spec, service_settings


def test_discovery_lists_every_registered_service(make_app: AppFactory, rules: Rules) -> None:
    registry = [fake_spec(rules), fake_spec(rules, id="second-service", usage_requirements="Needs labs.")]
    reply = make_app(registry=registry).test_client().get("/cds-services")
    assert reply.status_code == 200
    assert reply.mimetype == "application/json"
    assert reply.get_json() == {
        "services": [
            {
                "hook": "patient-view",
                "id": SERVICE_ID,
                "title": "Fake response review",
                "description": "A fake service for HTTP-layer tests.",
                "prefetch": PREFETCH,
            },
            {
                "hook": "patient-view",
                "id": "second-service",
                "title": "Fake response review",
                "description": "A fake service for HTTP-layer tests.",
                "prefetch": PREFETCH,
                "usageRequirements": "Needs labs.",
            },
        ]
    }


def test_every_listed_service_is_routed(make_app: AppFactory, rules: Rules) -> None:
    registry = [fake_spec(rules), fake_spec(rules, id="second-service")]
    client = make_app(registry=registry).test_client()
    for service in client.get("/cds-services").get_json()["services"]:
        assert client.post(f"/cds-services/{service['id']}", json={}).status_code == 400  # routed, body invalid


def test_empty_registry_fails_startup(make_app: AppFactory) -> None:
    with pytest.raises(SpecError, match="registry is empty"):
        make_app(registry=[])


def test_duplicate_service_id_fails_startup(make_app: AppFactory, rules: Rules) -> None:
    with pytest.raises(SpecError, match="registered twice"):
        make_app(registry=[fake_spec(rules), fake_spec(rules)])


@pytest.mark.parametrize(
    ("override", "message"),
    [
        pytest.param({"id": "Fake_Response"}, "kebab-case", id="id-not-kebab"),
        pytest.param({"id": "fake/response"}, "kebab-case", id="id-not-url-safe"),
        pytest.param({"hook": "order-sign"}, "is not one this service knows", id="unknown-hook"),
        pytest.param({"title": " "}, "title and description are required", id="blank-title"),
        pytest.param({"description": ""}, "title and description are required", id="blank-description"),
        pytest.param(
            {"prefetch": {**PREFETCH, "labs": "Observation?patient={{context.medications}}"}},
            "unknown token",
            id="token-not-in-hook-context",
        ),
        pytest.param(
            {"prefetch": {**PREFETCH, "patient": "Patient/{{Patient.id}}"}}, "token", id="pre-1.0-patient-token"
        ),
        pytest.param({"gate_keys": ("labs",)}, "is not a prefetch key", id="gate-key-not-prefetched"),
        pytest.param({"required_keys": ("labs",)}, "is not a prefetch key", id="required-key-not-prefetched"),
        pytest.param(
            {"follow_references": {"labs": {"basedOn": "ServiceRequest"}}},
            "follow_references key 'labs' is not a prefetch key",
            id="followed-key-not-prefetched",
        ),
        pytest.param({"static_texts": ("x" * 140,)}, "140 characters", id="summary-template-too-long"),
    ],
)
def test_invalid_spec_fails_startup(make_app: AppFactory, override: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        make_app(**override)


def test_default_app_serves_the_project_registry_with_the_real_mapper(fhir: responses.RequestsMock) -> None:
    from fhir_maps import map_patient_data
    from hooks import REGISTRY

    app = create_app(service_settings())
    assert app.extensions[EXTENSION_KEY].invoker.mapper is map_patient_data
    services = app.test_client().get("/cds-services").get_json()["services"]
    assert [s["id"] for s in services] == [spec.id for spec in REGISTRY]


def test_app_without_settings_reads_the_environment_and_fails_on_a_bad_value(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CDS_FHIR_WORKERS", "many")
    with pytest.raises(SettingsError, match="CDS_FHIR_WORKERS"):
        create_app()
