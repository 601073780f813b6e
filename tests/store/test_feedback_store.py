"""Feedback semantics with a store: idempotent, 404 for a card never issued, 400 naming the item, all or nothing;
and what is stored about each card holds no patient data."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, select, text

from service.store.records import CommentPolicy
from service.store.schema import feedback, issued_card, issued_suggestion, metadata
from service.store.store import Store
from tests.store.support import (
    SERVICE_ID,
    accept,
    hook_request,
    issue,
    override,
    post_feedback,
    store_app,
    with_suggestion,
)


def _rows(engine: Engine, table: Any) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(select(table))]


def test_every_card_issued_is_stored_with_rule_criteria_set_and_suggestion_kinds(store: Store) -> None:
    cards = issue(store_app(store).test_client())
    stored = {row["uuid"]: row for row in _rows(store.engine, issued_card)}
    assert set(stored) == {card["uuid"] for card in cards}
    assert {row["rule_id"] for row in stored.values()} == {"ln-refractory", "ln-next-line-therapy"}
    assert {row["criteria_set"] for row in stored.values()} == {"seed-eular-era-edta-2012"}
    assert {row["hook_instance"] for row in stored.values()} == {hook_request()["hookInstance"]}
    assert {row["indicator"] for row in stored.values()} == {card["indicator"] for card in cards}
    therapy = with_suggestion(cards)
    kinds = {row["uuid"]: row["kind"] for row in _rows(store.engine, issued_suggestion)}
    assert kinds == {
        therapy["suggestions"][0]["uuid"]: "repeat-biopsy",
        therapy["suggestions"][1]["uuid"]: "tacrolimus-trough",
    }


def test_the_store_keeps_no_patient_data(store: Store) -> None:
    client = store_app(store, feedback_comments=False).test_client()
    cards = issue(client)
    assert post_feedback(client, override(cards[0]["uuid"], userComment="Mrs Example, UPCR 3.70")).status_code == 200
    request = hook_request()
    dump = json.dumps([_rows(store.engine, table) for table in metadata.sorted_tables], default=str)
    assert request["context"]["patientId"] not in dump
    assert "Example" not in dump
    # the lab value is looked for with its label: a bare "3.70" can occur in a stored timestamp ("13.701...")
    assert "UPCR 3.70" not in dump
    assert "UPCR" not in dump
    assert "Practitioner" not in dump


def test_the_wire_json_has_no_store_only_members(store: Store) -> None:
    cards = issue(store_app(store).test_client())
    text_ = json.dumps(cards)
    assert "criteria_set" not in text_
    assert "kind" not in text_
    assert "tacrolimus-trough" not in text_


def test_the_same_feedback_twice_is_stored_once(store: Store) -> None:
    client = store_app(store).test_client()
    card = issue(client)[0]["uuid"]
    first = post_feedback(client, override(card))
    again = post_feedback(client, override(card))
    assert (first.status_code, again.status_code) == (200, 200)
    assert store.count("feedback") == 1


def test_a_batch_repeating_an_item_stores_it_once(store: Store) -> None:
    client = store_app(store).test_client()
    card = issue(client)[0]["uuid"]
    assert post_feedback(client, override(card), override(card)).status_code == 200
    assert store.count("feedback") == 1


def test_feedback_for_a_card_never_issued_is_404_naming_the_item(store: Store) -> None:
    client = store_app(store).test_client()
    card = issue(client)[0]["uuid"]
    reply = post_feedback(client, override(card), override("00000000-0000-4000-8000-00000000dead"))
    assert reply.status_code == 404
    body = reply.get_json(force=True)
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == "not-found"
    assert "feedback[1].card" in body["issue"][0]["diagnostics"]
    assert store.count("feedback") == 0  # all or nothing: the good item in the batch is not stored either


def test_a_malformed_item_is_400_naming_it_and_nothing_is_stored(store: Store) -> None:
    client = store_app(store).test_client()
    card = issue(client)[0]["uuid"]
    reply = post_feedback(client, override(card), {"card": card, "outcome": "maybe"})
    assert reply.status_code == 400
    assert "feedback[1].outcome" in reply.get_json(force=True)["issue"][0]["diagnostics"]
    assert store.count("feedback") == 0


def test_an_accepted_suggestion_that_is_not_on_the_card_is_400_naming_the_item(store: Store) -> None:
    client = store_app(store).test_client()
    cards = issue(client)
    other = next(card for card in cards if not card.get("suggestions"))
    suggestion = with_suggestion(cards)["suggestions"][0]["uuid"]
    reply = post_feedback(client, override(other["uuid"]), accept(other["uuid"], suggestion))
    assert reply.status_code == 400
    assert "feedback[1].acceptedSuggestions" in reply.get_json(force=True)["issue"][0]["diagnostics"]
    assert store.count("feedback") == 0


def test_feedback_for_another_services_card_is_404(store: Store) -> None:
    client = store_app(store).test_client()
    card = issue(client)[0]["uuid"]
    with store.engine.begin() as connection:
        connection.execute(issued_card.update().values(service_id="another-service"))
    assert post_feedback(client, override(card)).status_code == 404


def test_accepted_feedback_keeps_the_suggestion_uuids_and_reason_codes(store: Store) -> None:
    client = store_app(store).test_client()
    cards = issue(client)
    therapy = with_suggestion(cards)
    trough = therapy["suggestions"][1]["uuid"]
    plain = next(card for card in cards if not card.get("suggestions"))
    reply = post_feedback(client, accept(therapy["uuid"], trough), override(plain["uuid"], "patient-declined"))
    assert reply.status_code == 200
    rows = {row["card_uuid"]: row for row in _rows(store.engine, feedback)}
    assert rows[therapy["uuid"]]["outcome"] == "accepted"
    assert rows[therapy["uuid"]]["accepted_suggestions"] == [trough]
    assert rows[plain["uuid"]]["override_reason_code"] == "patient-declined"
    assert rows[plain["uuid"]]["user_comment"] is None
    assert all(row["received_at"] is not None and row["outcome_at"] is not None for row in rows.values())


def test_comments_are_stored_only_when_allowed_and_capped(engine: Engine) -> None:
    store = Store(engine, CommentPolicy(keep=True, max_chars=10))
    client = store_app(store).test_client()
    card = issue(client)[0]["uuid"]
    assert post_feedback(client, override(card, userComment="not now, seen in clinic")).status_code == 200
    assert [row["user_comment"] for row in _rows(engine, feedback)] == ["not now, s"]


def test_without_a_store_feedback_is_only_logged_as_before() -> None:
    client = store_app(None).test_client()
    assert post_feedback(client, override("00000000-0000-4000-8000-00000000dead")).status_code == 200


def test_a_sandbox_dismiss_lands_in_the_table(store: Store) -> None:
    client = store_app(store).test_client()
    card = issue(client)[0]["uuid"]
    dismiss = {"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-06-15T10:00:00.000Z"}
    assert post_feedback(client, dismiss).status_code == 200
    assert [(row["card_uuid"], row["override_reason_code"]) for row in _rows(store.engine, feedback)] == [(card, None)]


def test_the_route_answers_200_with_no_body(store: Store) -> None:
    client = store_app(store).test_client()
    card = issue(client)[0]["uuid"]
    reply = client.post(f"/cds-services/{SERVICE_ID}/feedback", json={"feedback": [override(card)]})
    assert reply.status_code == 200
    assert reply.get_data() == b""


def test_a_store_failure_while_issuing_still_answers_the_cards(store: Store) -> None:
    client = store_app(store).test_client()
    with store.engine.begin() as connection:
        connection.execute(text("DROP TABLE issued_suggestion"))
    assert issue(client)
