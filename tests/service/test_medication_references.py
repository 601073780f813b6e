"""MedicationRequests that name their drug by `medicationReference` to a Medication the search did not return.

With a fhirServer the service reads each such `Medication/<id>` (bounded, in parallel, with the lent bearer, under
the outbound guard) and hands it to the mapper beside the requests; a failed read leaves the request unresolved
(counted uncoded), never a 412. Without a fhirServer nothing is read. The prefetch templates stay as they are.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import responses
from flask.testing import FlaskClient
from responses import matchers

from hooks import prefetch as templates
from service.gather import MAX_REFERENCE_READS as MAX_MEDICATION_READS
from tests.service.conftest import (
    FHIR_BASE,
    FHIR_HEADERS,
    PATIENT_ID,
    SERVICE_ID,
    AppFactory,
    SpyMapper,
    bundle,
    expect_fetch,
    hook_request,
    prefetch_without,
)
from tests.support import GOLDEN_FHIR_BASE, make_app

URL = f"/cds-services/{SERVICE_ID}"
FIXTURE = Path(__file__).resolve().parents[2] / "cards_fixtures/lupus-nephritis-response/demo-refractory-7-months"


def _request_for(medication: str, ident: str = "mr1") -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": ident,
        "status": "active",
        "intent": "order",
        "medicationReference": {"reference": medication},
        "subject": {"reference": f"Patient/{PATIENT_ID}"},  # only this patient's requests are read (issue 10 §1)
    }


def _medication(ident: str) -> dict[str, Any]:
    return {"resourceType": "Medication", "id": ident, "code": {"text": "a drug"}}


def _expect_read(fhir: responses.RequestsMock, ident: str, status: int = 200) -> None:
    body = _medication(ident) if status == 200 else {"resourceType": "OperationOutcome", "issue": []}
    fhir.get(f"{FHIR_BASE}/Medication/{ident}", json=body, status=status, match=[matchers.header_matcher(FHIR_HEADERS)])


def test_the_prefetch_templates_do_not_include_medications() -> None:
    assert "_include" not in templates.MEDICATION_REQUESTS


def test_a_referenced_medication_is_read_with_the_bearer_after_the_search(
    client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    searched = bundle(
        _request_for("Medication/m1", "mr1"),
        _request_for("Medication/m2", "mr2"),  # m2 came with the search: not read again
        _request_for("#c1", "mr3"),  # contained: nothing to read
        _request_for("Medication/m1", "mr4"),  # the same Medication twice: read once
        _medication("m2"),
    )
    expect_fetch(fhir, "medications", searched)
    _expect_read(fhir, "m1")
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("medications")))
    assert reply.status_code == 200
    assert [call.request.url for call in fhir.calls if "/Medication/" in call.request.url] == [
        f"{FHIR_BASE}/Medication/m1"
    ]
    [read] = [call for call in fhir.calls if call.request.url.endswith("/Medication/m1")]
    assert read.request.headers["Authorization"] == FHIR_HEADERS["Authorization"]
    ids = mapper.ids()
    assert ids.count("Medication/m1") == 1
    assert ids.count("Medication/m2") == 1


def test_a_prefetched_request_with_a_server_gets_its_medication_read_too(
    client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    _expect_read(fhir, "m7")
    given = bundle(_request_for("Medication/m7"))
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without(medications=given)))
    assert reply.status_code == 200
    assert "Medication/m7" in mapper.ids()


def test_only_references_the_spec_declares_are_followed(
    make_app: AppFactory, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    given = bundle(_request_for("Medication/m7"))
    client = make_app(follow_references={}).test_client()
    assert client.post(URL, json=hook_request(prefetch=prefetch_without(medications=given))).status_code == 200
    assert len(fhir.calls) == 0  # the strict mock would also fail on an unexpected read
    assert "Medication/m7" not in mapper.ids()


def test_without_a_server_nothing_is_read(client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper) -> None:
    request = hook_request(prefetch=prefetch_without(medications=bundle(_request_for("Medication/m1"))))
    del request["fhirServer"], request["fhirAuthorization"]
    assert client.post(URL, json=request).status_code == 200
    assert len(fhir.calls) == 0
    assert "Medication/m1" not in mapper.ids()


def test_a_failed_read_leaves_the_request_unresolved_and_still_answers(
    client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    _expect_read(fhir, "gone", status=404)
    _expect_read(fhir, "flaky", status=503)
    given = bundle(_request_for("Medication/gone", "a"), _request_for("Medication/flaky", "b"))
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without(medications=given)))
    assert reply.status_code == 200
    assert not any(i.startswith("Medication/") for i in mapper.ids())


def test_a_read_that_returns_another_resource_is_not_used(
    client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    fhir.get(f"{FHIR_BASE}/Medication/m1", json=_medication("someone-else"))
    given = bundle(_request_for("Medication/m1"))
    assert client.post(URL, json=hook_request(prefetch=prefetch_without(medications=given))).status_code == 200
    assert not any(i.startswith("Medication/") for i in mapper.ids())


def test_only_plain_reads_on_the_fhir_server_are_made(
    client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    _expect_read(fhir, "abs")
    given = bundle(
        _request_for(f"{FHIR_BASE}/Medication/abs", "a"),  # absolute, on the fhirServer: read as Medication/abs
        _request_for("https://elsewhere.example.com/r4/Medication/x", "b"),  # another server: never
        _request_for("Medication/x/_history/2", "c"),  # versioned: not a plain id
        _request_for("Medication/x?_format=xml", "d"),
        _request_for("Medication/../Patient/p", "e"),
        _request_for("Medication/..", "e2"),
        _request_for("Medication/.", "e3"),
        _request_for("Substance/s1", "f"),
        _request_for("Medication/", "g"),
        _request_for("Medication/abc\n", "h"),  # a trailing newline is not part of an id
    )
    assert client.post(URL, json=hook_request(prefetch=prefetch_without(medications=given))).status_code == 200
    assert [call.request.url for call in fhir.calls] == [f"{FHIR_BASE}/Medication/abs"]


def test_reads_are_bounded(client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper) -> None:
    def answer(request: Any) -> tuple[int, dict[str, str], str]:
        ident = request.url.rsplit("/", 1)[-1]
        return 200, {"Content-Type": "application/fhir+json"}, json.dumps(_medication(ident))

    fhir.add_callback(responses.GET, re.compile(rf"{re.escape(FHIR_BASE)}/Medication/m\d+"), callback=answer)
    given = bundle(*(_request_for(f"Medication/m{i}", f"r{i}") for i in range(MAX_MEDICATION_READS + 10)))
    assert client.post(URL, json=hook_request(prefetch=prefetch_without(medications=given))).status_code == 200
    assert len(fhir.calls) == MAX_MEDICATION_READS
    assert sum(i.startswith("Medication/") for i in mapper.ids()) == MAX_MEDICATION_READS


def test_the_real_service_recognises_mycophenolate_named_by_reference() -> None:
    """The reviewer's reproduction, with a fhirServer: the order is coded and the refractory cards come back."""
    request: dict[str, Any] = json.loads((FIXTURE / "request.json").read_text())
    settings = json.loads((FIXTURE / "settings.json").read_text())
    app = make_app(today=settings["today"], criteria_set=settings.get("criteriaSet"))
    expected = app.test_client().post("/cds-services/lupus-nephritis-response", json=request).get_json()["cards"]
    assert expected

    by_reference = copy.deepcopy(request)
    code = None
    for entry in by_reference["prefetch"]["medications"]["entry"]:
        order = entry["resource"]
        if "mycophenolate" in json.dumps(order.get("medicationCodeableConcept", {})):
            code = order.pop("medicationCodeableConcept")
            order["medicationReference"] = {"reference": "Medication/mmf1"}
    assert code is not None
    bearer = f"Bearer {request['fhirAuthorization']['access_token']}"
    with responses.RequestsMock(assert_all_requests_are_fired=True) as fhir:
        fhir.get(
            f"{GOLDEN_FHIR_BASE}/Medication/mmf1",
            json={"resourceType": "Medication", "id": "mmf1", "code": code},
            match=[matchers.header_matcher({"Authorization": bearer, "Accept": "application/fhir+json"})],
        )
        app = make_app(today=settings["today"], criteria_set=settings.get("criteriaSet"))
        reply = app.test_client().post("/cds-services/lupus-nephritis-response", json=by_reference)
    assert reply.status_code == 200
    cards = reply.get_json()["cards"]
    assert [c["summary"] for c in cards] == [c["summary"] for c in expected]
    assert "could not be identified" not in json.dumps(cards)


def test_a_prefetched_medication_with_a_non_string_id_is_no_500(
    client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    _expect_read(fhir, "m1")
    odd = {"resourceType": "Medication", "id": ["not", "a", "string"]}
    given = bundle(_request_for("Medication/m1"), odd)
    assert client.post(URL, json=hook_request(prefetch=prefetch_without(medications=given))).status_code == 200
    assert [call.request.url for call in fhir.calls] == [f"{FHIR_BASE}/Medication/m1"]


def test_a_prefetched_resource_with_a_non_string_resource_type_is_no_500(
    client: FlaskClient, fhir: responses.RequestsMock, mapper: SpyMapper
) -> None:
    # found by the fuzz run: an unhashable resourceType once reached a set of (type, id) keys
    _expect_read(fhir, "m1")
    odd = {"resourceType": ["Medication"], "id": "m1"}
    given = bundle(_request_for("Medication/m1"), odd)
    assert client.post(URL, json=hook_request(prefetch=prefetch_without(medications=given))).status_code == 200
    assert [call.request.url for call in fhir.calls] == [f"{FHIR_BASE}/Medication/m1"]
