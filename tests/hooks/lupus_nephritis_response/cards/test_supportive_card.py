"""The supportive-care card: what the record lacks, its source, and the site switch that hides it."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from fhir_maps.domain import Agent, LabConcept, PatientData
from hooks.cards import Indicator
from hooks.lupus_nephritis_response.cards.words import ENGLISH
from hooks.lupus_nephritis_response.knowledge.citations import CITATIONS, SEED_CITATION_ID
from scripts.build_fixtures import ROOT
from tests.hooks.builders import ago, cards, days_for, episode, story
from tests.hooks.builders import refractory_demo as demo

MMF = Agent.MYCOPHENOLATE_MOFETIL
THERAPY, SUPPORTIVE = "ln-next-line-therapy", "ln-supportive-care"
SEED_URL = CITATIONS[SEED_CITATION_ID].url


def _card(name: str, label_start: str) -> dict[str, Any] | None:
    """Returns the card of golden fixture `name` whose source label starts with `label_start`, if any."""
    reply = json.loads((ROOT / name / "expected.json").read_text())
    assert reply["status"] == 200
    body: dict[str, Any] = reply["body"]
    return next((c for c in body["cards"] if c["source"]["label"].startswith(label_start)), None)


# (id, patient, supportive card shown, items in the summary, text expected in the detail)
SUPPORTIVE_CASES = [
    pytest.param(
        lambda: demo(supportive=False), True, "RAAS blocker and hydroxychloroquine", "at or above 0.5 g/g", id="both"
    ),
    pytest.param(
        lambda: demo(
            supportive=False,
            episodes=[episode(MMF, ago(days_for(7)), dose=3000), episode(Agent.RAAS_BLOCKER, ago(300))],
        ),
        True,
        "hydroxychloroquine",
        "hydroxychloroquine (an antimalarial), unless contraindicated",
        id="raas-present",
    ),
    pytest.param(
        lambda: story(12, "3.2", "0.30", supportive=False),
        True,
        "hydroxychloroquine",
        "Check: blood pressure",
        id="not-proteinuric",
    ),
    pytest.param(
        lambda: story(12, "3.2", "0.50", supportive=False),
        True,
        "RAAS blocker and hydroxychloroquine",
        "0.50",
        id="at-0.5",
    ),
    pytest.param(
        lambda: story(7, "3.4", "2.9", kind=LabConcept.PROTEIN_24H, supportive=False),
        True,
        "RAAS blocker and hydroxychloroquine",
        "24-h protein 2.90 g/day",
        id="24h-protein",
    ),
    pytest.param(demo, False, "", "", id="both-present"),
]


@pytest.mark.parametrize(("make", "shown", "items", "text"), SUPPORTIVE_CASES)
def test_supportive_card(make: Callable[[], PatientData], shown: bool, items: str, text: str) -> None:
    found = [c for c in cards(make()) if c.rule_id == SUPPORTIVE]
    assert bool(found) is shown
    if shown:
        (card,) = found
        assert card.summary == f"Lupus nephritis: supportive care not in the record \u2014 {items}"
        assert text in (card.detail or "")
        assert card.indicator is Indicator.INFO
        assert card.source.url == SEED_URL
        assert card.source.label.endswith(f"criteria: {ENGLISH.t('set.seed-eular-era-edta-2012')}")


def test_supportive_card_is_switchable_and_never_hides_the_others() -> None:
    data = demo(supportive=False)
    assert [c.rule_id for c in cards(data)] == ["ln-refractory", THERAPY, SUPPORTIVE]
    assert [c.rule_id for c in cards(data, show_supportive_card=False)] == ["ln-refractory", THERAPY]


@pytest.mark.parametrize(
    ("name", "shown"), [("therapy-supportive-missing", True), ("therapy-supportive-present", False)]
)
def test_golden_supportive_card(name: str, shown: bool) -> None:
    assert (_card(name, "Supportive measures") is not None) is shown
