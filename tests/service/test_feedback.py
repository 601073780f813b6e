"""The feedback endpoint: spec-valid feedback is 200 with no body and one log line per item, without free text."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.service.conftest import SERVICE_ID, log_lines

URL = f"/cds-services/{SERVICE_ID}/feedback"
CARD = "4e0a3a1e-3283-4575-ab82-028d55fe2719"
COMMENT = "Patient told me about her private situation"

ACCEPTED: dict[str, Any] = {
    "card": CARD,
    "outcome": "accepted",
    "acceptedSuggestions": [{"id": "e56e1945-20b3-4393-8503-a1a20fd73152"}],
    "outcomeTimestamp": "2021-12-11T10:05:31Z",
}
OVERRIDDEN: dict[str, Any] = {
    "card": CARD,
    "outcome": "overridden",
    "overrideReason": {
        "reason": {"system": "https://example.org/override-reason", "code": "already-reviewed", "display": "Done"},
        "userComment": COMMENT,
    },
    "outcomeTimestamp": "2020-12-11T00:00:00+00:00",
}


def _item(base: dict[str, Any], **over: Any) -> dict[str, Any]:
    item = copy.deepcopy(base)
    for key, value in over.items():
        if value is None:
            item.pop(key, None)
        else:
            item[key] = value
    return item


@pytest.mark.parametrize(
    "items",
    [
        pytest.param([ACCEPTED], id="accepted-with-suggestion"),
        pytest.param([OVERRIDDEN], id="overridden-with-reason-and-comment"),
        pytest.param([_item(OVERRIDDEN, overrideReason=None)], id="overridden-without-reason"),
        pytest.param([_item(OVERRIDDEN, overrideReason={"userComment": "only text"})], id="overridden-comment-only"),
        pytest.param([ACCEPTED, OVERRIDDEN], id="two-items"),
    ],
)
def test_valid_feedback_is_200_with_no_body(client: FlaskClient, items: list[dict[str, Any]]) -> None:
    reply = client.post(URL, json={"feedback": items})
    assert reply.status_code == 200
    assert reply.get_data() == b""
    assert "Content-Type" not in reply.headers


@pytest.mark.parametrize(
    ("body", "message"),
    [
        pytest.param({"feedback": []}, "non-empty array", id="empty-array"),
        pytest.param({"feedback": ACCEPTED}, "non-empty array", id="not-array"),
        pytest.param({}, "non-empty array", id="no-feedback-member"),
        pytest.param({"feedback": ["x"]}, "must be a JSON object", id="item-not-object"),
        pytest.param({"feedback": [_item(ACCEPTED, card=None)]}, "card must be", id="card-missing"),
        pytest.param({"feedback": [_item(ACCEPTED, outcome="ignored")]}, "accepted or overridden", id="bad-outcome"),
        pytest.param(
            {"feedback": [_item(ACCEPTED, acceptedSuggestions=None)]}, "needs acceptedSuggestions", id="cds-fb-2"
        ),
        pytest.param(
            {"feedback": [_item(ACCEPTED, acceptedSuggestions=[{}])]}, "item id must be", id="suggestion-without-id"
        ),
        pytest.param({"feedback": [_item(OVERRIDDEN, overrideReason={})]}, "reason or userComment", id="cds-fb-3"),
        pytest.param(
            {"feedback": [_item(OVERRIDDEN, overrideReason={"reason": {"system": "https://x.org"}})]},
            "reason.code must be",
            id="reason-without-code",
        ),
        pytest.param(
            {"feedback": [_item(ACCEPTED, outcomeTimestamp=None)]}, "outcomeTimestamp must be", id="no-timestamp"
        ),
        pytest.param({"feedback": [_item(ACCEPTED, outcomeTimestamp="yesterday")]}, "ISO 8601", id="timestamp-not-iso"),
        pytest.param(
            {"feedback": [_item(ACCEPTED, outcomeTimestamp="2021-12-11T10:05:31")]}, "UTC offset", id="naive-time"
        ),
    ],
)
def test_invalid_feedback_is_400_naming_the_rule(client: FlaskClient, body: Any, message: str) -> None:
    reply = client.post(URL, json=body)
    assert reply.status_code == 400
    outcome = reply.get_json(force=True)
    assert outcome["resourceType"] == "OperationOutcome"
    assert message in outcome["issue"][0]["diagnostics"]


def test_feedback_for_an_unknown_service_is_404(client: FlaskClient) -> None:
    assert client.post("/cds-services/nope/feedback", json={"feedback": [ACCEPTED]}).status_code == 404


def test_feedback_needs_json_content_type(client: FlaskClient) -> None:
    assert client.post(URL, data="feedback", content_type="text/plain").status_code == 415


def test_feedback_logs_one_line_per_item_without_comment(client: FlaskClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO")
    client.post(URL, json={"feedback": [ACCEPTED, OVERRIDDEN]})
    lines = log_lines(caplog.records, "feedback")
    assert lines == [
        {
            "event": "feedback",
            "service_id": SERVICE_ID,
            "card": CARD,
            "outcome": "accepted",
            "override_reason": None,
            "accepted_suggestions": 1,
        },
        {
            "event": "feedback",
            "service_id": SERVICE_ID,
            "card": CARD,
            "outcome": "overridden",
            "override_reason": "https://example.org/override-reason|already-reviewed",
            "accepted_suggestions": 0,
        },
    ]
    assert COMMENT not in caplog.text
