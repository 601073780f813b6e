"""Prefetch-template rendering is pure: tested without a network."""

from __future__ import annotations

import pytest

from hooks import prefetch
from service.queries import is_instance_read, render_query

CONTEXT = {"patientId": "123", "userId": "Practitioner/doc-9", "encounterId": "enc-5"}


def test_patient_token_is_filled() -> None:
    assert render_query(prefetch.PATIENT, CONTEXT) == "Patient/123"


def test_token_value_is_url_encoded_so_it_cannot_add_parameters() -> None:
    rendered = render_query("Condition?patient={{context.patientId}}&_count=5", {"patientId": "1&code=x y"})
    assert rendered == "Condition?patient=1%26code%3Dx%20y&_count=5"


def test_spaces_inside_token_braces_are_allowed() -> None:
    assert render_query("Patient/{{ context.patientId }}", CONTEXT) == "Patient/123"


def test_encounter_token_is_filled() -> None:
    assert render_query("Encounter/{{context.encounterId}}", CONTEXT) == "Encounter/enc-5"


def test_missing_context_value_means_the_query_cannot_be_rendered() -> None:
    assert render_query("Encounter/{{context.encounterId}}", {"patientId": "123"}) is None


def test_user_id_token_keeps_the_reference_slash() -> None:
    assert render_query("{{context.userId}}", CONTEXT) == "Practitioner/doc-9"


@pytest.mark.parametrize(
    ("token", "user", "expected"),
    [
        pytest.param("userPractitionerId", "Practitioner/doc-9", "doc-9", id="practitioner"),
        pytest.param("userPractitionerRoleId", "PractitionerRole/r1", "r1", id="practitioner-role"),
        pytest.param("userPatientId", "Patient/p1", "p1", id="patient"),
        pytest.param("userRelatedPersonId", "RelatedPerson/rp1", "rp1", id="related-person"),
        pytest.param("userPractitionerId", "Patient/p1", None, id="other-user-type"),
        pytest.param("userPractitionerId", "doc-9", None, id="not-a-reference"),
    ],
)
def test_user_tokens_take_the_id_of_a_matching_user_reference(token: str, user: str, expected: str | None) -> None:
    template = "Practitioner?_id={{" + token + "}}"
    rendered = render_query(template, {"patientId": "123", "userId": user})
    assert rendered == (None if expected is None else f"Practitioner?_id={expected}")


def test_unknown_token_cannot_be_rendered() -> None:
    assert render_query("Patient/{{Patient.id}}", CONTEXT) is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Patient/123", True),
        ("Practitioner/doc-9", True),
        ("Patient", False),
        ("Condition?patient=123", False),
        ("Patient/123/_history/2", False),
    ],
)
def test_instance_reads_are_told_from_searches(query: str, expected: bool) -> None:
    assert is_instance_read(query) is expected
