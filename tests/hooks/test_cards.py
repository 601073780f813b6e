"""Each CDS Hooks card invariant is enforced when the card is built: one failing case per rule (STYLE #17)."""

from __future__ import annotations

from typing import Any

import pytest

from hooks.cards import Action, Card, Coding, Indicator, Link, Source, Suggestion, response_json, sort_cards

SOURCE = Source(label="Criteria: test set", url="https://doi.org/10.1/x")


def card(**over: Any) -> Card:
    fields: dict[str, Any] = {"uuid": "c1", "summary": "Summary", "indicator": Indicator.INFO, "source": SOURCE}
    fields.update(over)
    return Card(**fields)


def suggestion(uuid: str = "s1", recommended: bool | None = None) -> Suggestion:
    resource = {"resourceType": "ServiceRequest", "status": "draft"}
    return Suggestion(
        label="Order", uuid=uuid, is_recommended=recommended, actions=(Action("create", "Draft", resource),)
    )


@pytest.mark.parametrize(
    ("build", "message"),
    [
        pytest.param(lambda: card(uuid=""), "uuid", id="card-without-uuid"),
        pytest.param(lambda: card(summary="  "), "summary", id="blank-summary"),
        pytest.param(lambda: card(summary="x" * 140), "under 140", id="summary-of-140-chars"),
        pytest.param(lambda: card(indicator="hard-stop"), "indicator", id="obsolete-indicator"),
        pytest.param(lambda: card(suggestions=(suggestion(),)), "selectionBehavior", id="suggestions-no-behaviour"),
        pytest.param(
            lambda: card(suggestions=(suggestion(),), selection_behavior="all"),
            "at-most-one or any",
            id="bad-behaviour",
        ),
        pytest.param(
            lambda: card(suggestions=(suggestion("a", True), suggestion("b", True)), selection_behavior="at-most-one"),
            "at most one",
            id="two-recommended-at-most-one",
        ),
        pytest.param(
            lambda: card(suggestions=(suggestion("a"), suggestion("a")), selection_behavior="any"),
            "unique",
            id="duplicate-suggestion-uuids",
        ),
        pytest.param(lambda: Source(label=""), "label", id="source-without-label"),
        pytest.param(lambda: Source(label="s", url="doi.org/10.1/x"), "absolute", id="relative-source-url"),
        pytest.param(lambda: Link(label="", url="https://x.org"), "label", id="link-without-label"),
        pytest.param(lambda: Link(label="l", url="/relative"), "absolute", id="relative-link"),
        pytest.param(lambda: Link(label="l", url="https://x.org", type="web"), "absolute or smart", id="link-type"),
        pytest.param(lambda: Coding("", "c", "d"), "system", id="coding-without-system"),
        pytest.param(lambda: Action("patch", "d", {"resourceType": "X"}), "create, update or delete", id="action-type"),
        pytest.param(lambda: Action("create", "", {"resourceType": "X"}), "description", id="action-no-description"),
        pytest.param(lambda: Action("create", "d"), "resource", id="create-without-resource"),
        pytest.param(lambda: Action("update", "d", {"id": "1"}), "resourceType", id="update-without-resource-type"),
        pytest.param(lambda: Action("delete", "d"), "resourceId", id="delete-without-resource-id"),
        pytest.param(lambda: Suggestion(label="", uuid="s"), "label", id="suggestion-without-label"),
        pytest.param(lambda: Suggestion(label="l", uuid=""), "uuid", id="suggestion-without-uuid"),
    ],
)
def test_an_invariant_violation_raises_value_error(build: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build()


def test_serialisation_omits_empty_members() -> None:
    assert card().to_json() == {
        "uuid": "c1",
        "summary": "Summary",
        "indicator": "info",
        "source": {"label": "Criteria: test set", "url": "https://doi.org/10.1/x"},
    }


def test_serialisation_uses_spec_member_names() -> None:
    full = card(
        detail="**d**",
        suggestions=(suggestion(recommended=True),),
        selection_behavior="at-most-one",
        override_reasons=(Coding("urn:x", "c", "Display"),),
        links=(Link("L", "https://x.org"),),
    ).to_json()
    members = "uuid summary indicator source detail suggestions selectionBehavior overrideReasons links"
    assert set(full) == set(members.split())
    assert full["suggestions"][0]["isRecommended"] is True
    assert full["suggestions"][0]["actions"][0]["resource"]["resourceType"] == "ServiceRequest"


def test_delete_action_serialises_its_resource_id() -> None:
    assert Action("delete", "Remove", resource_id="MedicationRequest/1").to_json() == {
        "type": "delete",
        "description": "Remove",
        "resourceId": "MedicationRequest/1",
    }


def test_cards_are_sorted_by_severity_then_rule_id() -> None:
    cards = [
        card(uuid="a", indicator=Indicator.INFO, rule_id="a"),
        card(uuid="b", indicator=Indicator.CRITICAL, rule_id="z"),
        card(uuid="c", indicator=Indicator.WARNING, rule_id="b"),
        card(uuid="d", indicator=Indicator.WARNING, rule_id="a"),
    ]
    assert [c.uuid for c in sort_cards(cards)] == ["b", "d", "c", "a"]


def test_the_empty_answer_is_cards_empty_list() -> None:
    assert response_json([]) == {"cards": []}


def test_duplicate_card_uuids_in_one_response_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        response_json([card(), card()])
