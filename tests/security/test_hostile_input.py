"""Hostile request bodies found by, or written beside, the fuzzers: each is a 4xx OperationOutcome, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.security.test_openapi import ROOT, doc_app
from tests.service.conftest import assert_outcome, hook_request

SERVICE = "lupus-nephritis-response"
URL = f"/cds-services/{SERVICE}"
GOLDEN = ROOT / "cards_fixtures" / SERVICE


def _post(raw: bytes | str, path: str = URL, **settings: Any) -> Any:
    return doc_app(**settings).test_client().post(path, data=raw, content_type="application/json")


def _golden() -> dict[str, Any]:
    request: dict[str, Any] = json.loads((GOLDEN / "demo-refractory-7-months" / "request.json").read_text())
    return request


def _nest(depth: int) -> str:
    return '{"hook": ' + "[" * depth + "]" * depth + "}"


def test_nesting_at_the_limit_is_read_and_one_deeper_is_400() -> None:
    # depth counts containers: the body object is 1, so 63 arrays inside reach 64
    assert _post(_nest(63)).status_code == 400  # read fine; then "hook must be a string"
    reply = _post(_nest(64))
    body = assert_outcome(reply, 400, "invalid")
    assert "nests deeper than 64" in body["issue"][0]["diagnostics"]


def test_nesting_deep_enough_to_exhaust_the_parser_is_400_not_500() -> None:
    reply = _post("[" * 100_000 + "]" * 100_000)
    assert_outcome(reply, 400, "invalid")


def test_the_nesting_limit_is_a_setting() -> None:
    assert "nests deeper than 16" in _post(_nest(20), max_json_depth=16).get_json(force=True)["issue"][0]["diagnostics"]


@pytest.mark.parametrize("where", ["patientId", "userId", "key"])
def test_a_lone_surrogate_is_400(where: str) -> None:
    request = hook_request(fhirServer="https://fhir.example.org/r4", prefetch=None)
    if where == "key":
        request["context"]["\ud800"] = "x"
    else:
        request["context"][where] = "\ud800"
    reply = _post(json.dumps(request))  # json.dumps writes it as the escape \\ud800
    body = assert_outcome(reply, 400, "invalid")
    assert "not valid Unicode" in body["issue"][0]["diagnostics"]


def test_an_escaped_surrogate_pair_is_ordinary_text() -> None:
    request = _golden()
    request["context"]["userId"] = "Practitioner/\U0001f600"
    assert "\\ud83d" in json.dumps(request)
    assert _post(json.dumps(request)).status_code == 200


@pytest.mark.parametrize(
    "outcome",
    [["accepted"], {"x": 1}, 7, None, True],
)
def test_feedback_outcome_of_any_type_is_400(outcome: Any) -> None:
    body = {"feedback": [{"card": "c", "outcome": outcome, "outcomeTimestamp": "2026-06-15T09:30:00Z"}]}
    assert_outcome(_post(json.dumps(body), path=f"{URL}/feedback"), 400, "invalid")


@pytest.mark.parametrize(
    "bundle",
    [
        {"resourceType": "Bundle", "type": "searchset", "entry": 5},
        {"resourceType": "Bundle", "type": "searchset", "entry": "abc"},
        {"resourceType": "Bundle", "type": "searchset", "entry": [None, 1, "x", {"resource": 5}]},
        {"resourceType": "Bundle", "type": "searchset", "link": 5},
        {"resourceType": "Bundle", "type": "searchset", "link": [{"relation": "next", "url": 5}]},
        {"resourceType": "Observation", "valueQuantity": {"value": "1e999"}},
        {"resourceType": 7},
    ],
)
def test_malformed_prefetch_is_never_a_500(bundle: dict[str, Any]) -> None:
    request = _golden()
    request["prefetch"]["proteinuria"] = bundle
    reply = _post(json.dumps(request))
    assert reply.status_code in (200, 412)
