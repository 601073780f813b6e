"""The invoke flow through the test client: prefetch semantics, the out-of-scope gate, rule context, 404/400/412."""

from __future__ import annotations

from typing import Any

import pytest
import responses
from flask.testing import FlaskClient
from responses import matchers

from tests.service.conftest import (
    FHIR_BASE,
    HOOK_INSTANCE,
    PATIENT_ID,
    PREFETCH,
    SERVICE_ID,
    AppFactory,
    Rules,
    SpyMapper,
    assert_outcome,
    bundle,
    expect_fetch,
    fhir_call,
    hook_request,
    prefetch_without,
    resource,
)

URL = f"/cds-services/{SERVICE_ID}"


def test_full_prefetch_answers_with_cards_and_makes_no_fhir_call(
    client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    reply = client.post(URL, json=hook_request())
    assert reply.status_code == 200
    assert reply.get_json() == {
        "cards": [
            {
                "uuid": "00000000-0000-4000-8000-000000000001",
                "summary": "Fake finding",
                "indicator": "info",
                "source": {"label": "Fake guideline", "url": "https://example.org/guideline"},
            }
        ]
    }
    assert len(fhir.calls) == 0
    assert mapper.ids() == ["Patient/pt-4711-secret", "Condition/c1", "Observation/o1", "Observation/o2"]


def test_gate_keys_are_mapped_first_then_everything_together(client: FlaskClient, mapper: SpyMapper) -> None:
    client.post(URL, json=hook_request())
    assert mapper.ids(0) == ["Patient/pt-4711-secret", "Condition/c1"]
    assert len(mapper.batches) == 2


def test_null_prefetch_means_no_data_and_no_fetch(
    client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    request = hook_request(prefetch={"patient": None, "conditions": None, "proteinuria": None, "medications": None})
    reply = client.post(URL, json=request)
    assert reply.status_code == 200
    assert len(fhir.calls) == 0
    assert mapper.ids() == []


def test_empty_bundle_means_no_data_and_no_fetch(client: FlaskClient, fhir: responses.RequestsMock) -> None:
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without(conditions=bundle())))
    assert reply.status_code == 200
    assert len(fhir.calls) == 0


def test_omitted_key_is_fetched_with_bearer_accept_and_params(
    client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    expect_fetch(fhir, "proteinuria", bundle(resource("Observation", "fetched-1")))
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("proteinuria")))
    assert reply.status_code == 200
    assert "Observation/fetched-1" in mapper.ids()


def test_omitted_instance_read_key_is_read_by_id(
    client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    fhir.get(f"{FHIR_BASE}/Patient/{PATIENT_ID}", json=resource("Patient", PATIENT_ID))
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("patient")))
    assert reply.status_code == 200
    assert mapper.ids(0)[0] == f"Patient/{PATIENT_ID}"


def test_no_prefetch_at_all_fetches_every_key(client: FlaskClient, fhir: responses.RequestsMock) -> None:
    fhir.get(f"{FHIR_BASE}/Patient/{PATIENT_ID}", json=resource("Patient", PATIENT_ID))
    for key in ("conditions", "proteinuria", "medications"):
        expect_fetch(fhir, key, bundle())
    request = hook_request()
    del request["prefetch"]
    assert client.post(URL, json=request).status_code == 200
    assert len(fhir.calls) == 4


def test_without_fhir_authorization_no_bearer_is_sent(client: FlaskClient, fhir: responses.RequestsMock) -> None:
    url, params = fhir_call("proteinuria")
    fhir.get(url, json=bundle(), match=[matchers.query_param_matcher(params)])
    request = hook_request(prefetch=prefetch_without("proteinuria"))
    del request["fhirAuthorization"]
    assert client.post(URL, json=request).status_code == 200
    assert "Authorization" not in fhir.calls[0].request.headers
    assert fhir.calls[0].request.headers["Accept"] == "application/fhir+json"


def test_operation_outcome_in_prefetch_is_fetched(
    client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    expect_fetch(fhir, "conditions", bundle(resource("Condition", "fetched-c")))
    outcome = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "timeout"}]}
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without(conditions=outcome)))
    assert reply.status_code == 200
    assert "Condition/fetched-c" in mapper.ids(0)


@pytest.mark.parametrize(
    "value",
    [pytest.param("error", id="string"), pytest.param([1], id="array"), pytest.param({"oops": 1}, id="no-type")],
)
def test_error_shaped_prefetch_value_is_fetched(client: FlaskClient, fhir: responses.RequestsMock, value: Any) -> None:
    expect_fetch(fhir, "medications", bundle())
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without(medications=value)))
    assert reply.status_code == 200
    assert len(fhir.calls) == 1


def test_omitted_required_key_without_fhir_server_is_412(make_app: AppFactory) -> None:
    client = make_app(required_keys=("proteinuria",)).test_client()
    request = hook_request(prefetch=prefetch_without("proteinuria"))
    del request["fhirServer"], request["fhirAuthorization"]
    body = assert_outcome(client.post(URL, json=request), 412, "incomplete")
    assert "proteinuria" in body["issue"][0]["diagnostics"]


def test_omitted_optional_key_without_fhir_server_is_no_data(client: FlaskClient, mapper: SpyMapper) -> None:
    request = hook_request(prefetch=prefetch_without("proteinuria"))
    del request["fhirServer"], request["fhirAuthorization"]
    assert client.post(URL, json=request).status_code == 200
    assert "Observation/o1" not in mapper.ids()


def test_required_key_that_cannot_be_rendered_is_412_before_any_fetch(
    make_app: AppFactory, fhir: responses.RequestsMock
) -> None:
    # The template needs context.encounterId, which a chart opened outside an encounter does not carry.
    by_encounter = {
        **PREFETCH,
        "proteinuria": "Observation?patient={{context.patientId}}&encounter={{context.encounterId}}",
    }
    client = make_app(required_keys=("proteinuria",), prefetch=by_encounter).test_client()
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("proteinuria", "medications")))
    assert reply.status_code == 412
    assert len(fhir.calls) == 0  # medications was due for fetching too, but 412 was decided first


def test_out_of_scope_gate_fetches_only_gate_keys_and_skips_rules(
    make_app: AppFactory, fhir: responses.RequestsMock, rules: Rules, mapper: SpyMapper
) -> None:
    rules.in_scope = False
    fhir.get(f"{FHIR_BASE}/Patient/{PATIENT_ID}", json=resource("Patient", PATIENT_ID))
    expect_fetch(fhir, "conditions", bundle())
    request = hook_request()
    del request["prefetch"]
    reply = make_app().test_client().post(URL, json=request)
    assert reply.get_json() == {"cards": []}
    assert len(fhir.calls) == 2
    assert len(mapper.batches) == 1
    assert rules.contexts == []


def test_spec_without_gate_keys_checks_scope_after_mapping_everything(
    make_app: AppFactory, rules: Rules, mapper: SpyMapper
) -> None:
    rules.in_scope = False
    reply = make_app(gate_keys=()).test_client().post(URL, json=hook_request())
    assert reply.get_json() == {"cards": []}
    assert len(mapper.ids()) == 4


def test_hook_instance_and_context_reach_the_rules(client: FlaskClient, rules: Rules) -> None:
    client.post(URL, json=hook_request())
    ctx = rules.contexts[0]
    assert ctx.patient_ref == f"Patient/{PATIENT_ID}"
    assert ctx.today.isoformat() == "2026-06-15"
    assert ctx.config.criteria_set == "seed-eular-era-edta-2012"
    assert (ctx.config.show_status_card, ctx.config.show_supportive_card) == (True, True)


def test_today_comes_from_the_injected_clock_when_not_pinned(make_app: AppFactory, rules: Rules) -> None:
    make_app(environ={"CDS_LN_SHOW_STATUS_CARD": "off"}).test_client().post(URL, json=hook_request())
    assert rules.contexts[0].today.isoformat() == "2026-06-15"  # FIXED_NOW's UTC date
    assert rules.contexts[0].config.show_status_card is False


def test_unknown_service_is_404(client: FlaskClient) -> None:
    assert_outcome(client.post("/cds-services/no-such-service", json=hook_request()), 404, "not-found")


def test_hook_mismatch_is_400(client: FlaskClient) -> None:
    body = assert_outcome(client.post(URL, json=hook_request(hook="order-sign")), 400, "invalid")
    assert "order-sign" not in str(body)


def test_hook_instance_is_used_not_echoed(client: FlaskClient) -> None:
    reply = client.post(URL, json=hook_request())
    assert HOOK_INSTANCE not in reply.get_data(as_text=True)
