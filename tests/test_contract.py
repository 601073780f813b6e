"""The contract checker must fail on the mistakes it exists to catch; otherwise a green golden run means nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract import check_discovery, check_operation_outcome, check_response


def _card(**over: Any) -> dict[str, Any]:
    card: dict[str, Any] = {
        "uuid": "u1",
        "summary": "Summary",
        "indicator": "info",
        "source": {"label": "Source", "url": "https://doi.org/10.1/x"},
    }
    card.update(over)
    return card


def test_a_conforming_response_passes() -> None:
    assert check_response({"cards": [_card(links=[{"label": "L", "url": "https://x.org", "type": "absolute"}])]}) == []


def test_empty_cards_is_the_allowed_empty_answer() -> None:
    assert check_response({"cards": []}) == []


@pytest.mark.parametrize(
    ("response", "needle"),
    [
        pytest.param({}, "cards", id="no-cards-member"),
        pytest.param({"cards": [_card(summary="x" * 140)]}, "summary", id="summary-140-chars"),
        pytest.param({"cards": [_card(indicator="hard-stop")]}, "indicator", id="obsolete-indicator"),
        pytest.param({"cards": [_card(source={})]}, "label", id="source-without-label"),
        pytest.param({"cards": [_card(detail="")]}, "detail", id="empty-detail"),
        pytest.param({"cards": [_card(links=[])]}, "links", id="empty-links"),
        pytest.param({"cards": [_card(overrideReason=[])]}, "overrideReason", id="unknown-member-strict"),
        pytest.param(
            {"cards": [_card(suggestions=[{"label": "s", "uuid": "s1"}])]},
            "selectionBehavior",
            id="no-selection",
        ),
        pytest.param({"cards": [_card(), _card()]}, "duplicate", id="duplicate-uuids"),
        pytest.param({"cards": [{k: v for k, v in _card().items() if k != "uuid"}]}, "uuid", id="no-uuid"),
        pytest.param(
            {"cards": [_card(links=[{"label": "L", "url": "x", "type": "absolute"}])]},
            "url",
            id="relative-link",
        ),
        pytest.param(
            {
                "cards": [
                    _card(
                        suggestions=[{"label": "s", "actions": [{"type": "create", "description": "d"}]}],
                        selectionBehavior="any",
                    )
                ]
            },
            "resource",
            id="create-without-resource",
        ),
    ],
)
def test_a_broken_response_is_rejected(response: dict[str, Any], needle: str) -> None:
    errors = check_response(response)
    assert errors, "the checker accepted a broken response"
    assert any(needle in e for e in errors), errors


def test_discovery_with_no_services_is_rejected() -> None:
    assert check_discovery({"services": []})


def test_discovery_with_duplicate_ids_is_rejected() -> None:
    service = {"hook": "patient-view", "id": "a", "description": "d"}
    assert check_discovery({"services": [service, service]}) == ["services: duplicate id"]


def test_operation_outcome_with_a_stack_trace_is_rejected() -> None:
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "exception", "diagnostics": "Traceback (most recent call last)"}],
    }
    assert check_operation_outcome(body)
