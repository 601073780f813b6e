"""Card length budgets and the safety card's place (issue 10 sections 5 and 6), checked on every golden fixture."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hooks.lupus_nephritis_response.cards.render import DETAIL_BUDGET_CHARS

ROOT = Path(__file__).resolve().parents[4] / "cards_fixtures" / "lupus-nephritis-response"
EXPECTED = sorted(ROOT.glob("*/expected.json"))
# source.label opening -> the rule whose budget applies (the wire has no rule id)
BY_SOURCE = {
    "Drug safety in pregnancy": "ln-pregnancy-safety",
    "Response criteria": "ln-refractory",
    "Therapy order": "ln-next-line-therapy",
    "Supportive measures": "ln-supportive-care",
}


def _cards(path: Path) -> list[dict[str, object]]:
    return list(json.loads(path.read_text()).get("body", {}).get("cards", []))


def _rule(card: dict[str, object]) -> str:
    label = str(card["source"]["label"])  # type: ignore[index]
    return next(rule for opening, rule in BY_SOURCE.items() if label.startswith(opening))


@pytest.mark.parametrize("path", EXPECTED, ids=[p.parent.name for p in EXPECTED])
def test_every_card_detail_keeps_its_length_budget(path: Path) -> None:
    for card in _cards(path):
        detail = str(card.get("detail", ""))
        assert len(detail) <= DETAIL_BUDGET_CHARS[_rule(card)], (card["summary"], len(detail))


@pytest.mark.parametrize("path", EXPECTED, ids=[p.parent.name for p in EXPECTED])
def test_a_teratogen_card_leads_and_no_clinician_text_says_seed(path: Path) -> None:
    cards = _cards(path)
    safety = [i for i, c in enumerate(cards) if _rule(c) == "ln-pregnancy-safety" and c["indicator"] == "critical"]
    assert safety in ([], [0])
    for card in cards:
        text = " ".join(str(card.get(k, "")) for k in ("summary", "detail"))
        assert "seed" not in text.lower()
        assert "only sepsis" not in text
        assert "Other criteria met" not in text


def test_the_refractory_pair_is_shorter_than_before_issue_10() -> None:
    """The demo refractory patient's two cards: 1439 + 2148 characters before issue 10."""
    cards = _cards(ROOT / "demo-refractory-7-months" / "expected.json")
    assert sum(len(str(c.get("detail", ""))) for c in cards) <= 2600
