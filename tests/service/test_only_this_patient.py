"""Only this patient's data reach the rules (issue 10 §1), on the prefetch path and on the FHIR-fallback path.

A FHIR server may ignore the `patient` search parameter and an EHR may prefetch from the wrong chart: another
patient's resources, and patient data naming no readable patient, are dropped before mapping and counted on the
hook-call log line (counts only, never their content or ids). A prefetched key that held only such resources is
treated as omitted (fetched from fhirServer; 412 when required and no server can supply it).
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient

from tests.service.conftest import (
    FHIR_BASE,
    PATIENT_ID,
    SERVICE_ID,
    AppFactory,
    SpyMapper,
    bundle,
    expect_fetch,
    hook_request,
    log_lines,
    prefetch_without,
    resource,
)

URL = f"/cds-services/{SERVICE_ID}"
OTHER = "pt-0815-other"


def _with_subject(kind: str, ident: str, subject: Any) -> dict[str, Any]:
    out = resource(kind, ident)
    out.pop("subject", None)
    if subject is not None:
        out["subject"] = subject
    return out


def _line(caplog: pytest.LogCaptureFixture) -> dict[str, Any]:
    [line] = log_lines(caplog.records, "hook_call")
    return line


def test_prefetch_drops_another_patients_observation_and_counts_it(
    client: FlaskClient, mapper: SpyMapper, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    mixed = bundle(resource("Observation", "mine"), resource("Observation", "theirs", OTHER))
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without(proteinuria=mixed)))
    assert reply.status_code == 200
    assert "Observation/mine" in mapper.ids()
    assert "Observation/theirs" not in mapper.ids()
    line = _line(caplog)
    assert (line["resources_other_patient"], line["resources_unattributed"]) == (1, 0)
    assert OTHER not in caplog.text  # counted, never named


@pytest.mark.parametrize(
    ("subject", "kept"),
    [
        pytest.param({"reference": f"Patient/{PATIENT_ID}"}, True, id="relative"),
        pytest.param({"reference": f"{FHIR_BASE}/Patient/{PATIENT_ID}"}, True, id="absolute-own-base"),
        pytest.param(
            {"reference": f"https://ehr.example.net/fhir/Patient/{PATIENT_ID}"}, True, id="absolute-other-base"
        ),
        pytest.param({"reference": f"Patient/{PATIENT_ID}/_history/3"}, True, id="versioned"),
        pytest.param({"reference": f"Patient/{OTHER}"}, False, id="other-patient"),
        pytest.param({"reference": f"{FHIR_BASE}/Patient/{OTHER}"}, False, id="other-patient-absolute"),
        pytest.param({"reference": "Group/ward-7"}, False, id="group-subject"),
        pytest.param(None, False, id="no-subject"),
        pytest.param({"display": "the patient"}, False, id="display-only"),
        pytest.param({"reference": "#p1"}, False, id="contained"),
        pytest.param({"reference": "urn:uuid:0a1b"}, False, id="urn-uuid"),
    ],
)
def test_prefetch_keeps_only_resources_that_name_this_patient(
    client: FlaskClient, mapper: SpyMapper, subject: Any, kept: bool
) -> None:
    given = bundle(resource("Observation", "anchor"), _with_subject("Observation", "probe", subject))
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without(proteinuria=given)))
    assert reply.status_code == 200
    assert ("Observation/probe" in mapper.ids()) is kept


def test_a_subject_may_be_given_as_patient_element(client: FlaskClient, mapper: SpyMapper) -> None:
    other_shape = {"resourceType": "MedicationStatement", "id": "ms1", "patient": {"reference": f"Patient/{OTHER}"}}
    reply = client.post(
        URL,
        json=hook_request(
            prefetch=prefetch_without(medications=bundle(resource("MedicationRequest", "mr1"), other_shape))
        ),
    )
    assert reply.status_code == 200
    assert "MedicationStatement/ms1" not in mapper.ids()


def test_medication_resources_have_no_subject_and_are_kept(client: FlaskClient, mapper: SpyMapper) -> None:
    drug = {"resourceType": "Medication", "id": "med1", "code": {"text": "a drug"}}
    meds = bundle(resource("MedicationRequest", "mr1"), drug)
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without(medications=meds)))
    assert reply.status_code == 200
    assert "Medication/med1" in mapper.ids()


def test_a_prefetched_patient_with_another_id_is_refused_and_fetched(
    client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    expect_fetch(fhir, "patient", resource("Patient", PATIENT_ID))
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without(patient=resource("Patient", OTHER))))
    assert reply.status_code == 200
    assert f"Patient/{OTHER}" not in mapper.ids(0)
    assert f"Patient/{PATIENT_ID}" in mapper.ids(0)
    line = _line(caplog)
    assert line["prefetch_other_patient"] == ["patient"]
    assert "patient" in line["prefetch_missing"]
    assert line["resources_other_patient"] == 1


def test_a_fetched_patient_with_another_id_is_dropped(
    client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    expect_fetch(fhir, "patient", resource("Patient", OTHER))
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("patient")))
    assert reply.status_code == 200
    assert not [i for i in mapper.ids(0) if i.startswith("Patient/")]
    assert _line(caplog)["resources_other_patient"] == 1


def test_a_prefetched_key_of_only_another_patient_is_fetched_again(
    client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    expect_fetch(fhir, "proteinuria", bundle(resource("Observation", "mine")))
    wrong_chart = bundle(resource("Observation", "theirs1", OTHER), resource("Observation", "theirs2", OTHER))
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without(proteinuria=wrong_chart)))
    assert reply.status_code == 200
    assert "Observation/mine" in mapper.ids()
    assert not [i for i in mapper.ids() if "theirs" in i]


def test_a_required_key_of_only_another_patient_without_a_server_is_an_empty_result(
    make_app: AppFactory, mapper: SpyMapper
) -> None:
    """Review A5: a 412 here cost every card, a teratogen warning included; the key is this patient's empty
    result, and the mapped report carries the count so the cards can say the resources were ignored."""
    client = make_app(required_keys=("proteinuria",)).test_client()
    wrong_chart = bundle(resource("Observation", "theirs", OTHER))
    request = hook_request(prefetch=prefetch_without(proteinuria=wrong_chart))
    del request["fhirServer"], request["fhirAuthorization"]
    assert client.post(URL, json=request).status_code == 200
    assert "Observation/theirs" not in mapper.ids()


def test_an_empty_prefetched_key_is_no_data_not_foreign(client: FlaskClient, mapper: SpyMapper) -> None:
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without(proteinuria=bundle())))
    assert reply.status_code == 200  # nothing was fetched: the strict mock would have refused a call


def test_fallback_drops_what_a_server_ignoring_the_patient_filter_returns(
    client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    everybody = bundle(
        resource("Observation", "mine"),
        resource("Observation", "theirs", OTHER),
        _with_subject("Observation", "nobody", None),
    )
    expect_fetch(fhir, "proteinuria", everybody)
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("proteinuria")))
    assert reply.status_code == 200
    assert "Observation/mine" in mapper.ids()
    assert not {"Observation/theirs", "Observation/nobody"} & set(mapper.ids())
    line = _line(caplog)
    assert (line["resources_other_patient"], line["resources_unattributed"]) == (1, 1)
    assert line["prefetch_other_patient"] == []


def test_fallback_of_only_another_patients_data_is_this_patients_empty_result(
    client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    expect_fetch(fhir, "conditions", bundle(resource("Condition", "theirs", OTHER)))
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("conditions")))
    assert reply.status_code == 200
    assert not [i for i in mapper.ids(0) if i.startswith("Condition/")]


def test_next_pages_of_a_prefetched_bundle_are_filtered_and_counted_once(
    client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    page2 = f"{FHIR_BASE}/?page=2"
    fhir.get(page2, json=bundle(resource("Observation", "later"), resource("Observation", "theirs2", OTHER)))
    first = bundle(resource("Observation", "first"), resource("Observation", "theirs1", OTHER), next_url=page2)
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without(proteinuria=first)))
    assert reply.status_code == 200
    assert {"Observation/first", "Observation/later"} <= set(mapper.ids())
    assert _line(caplog)["resources_other_patient"] == 2
