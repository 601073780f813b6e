"""Every golden story in Spanish: cards_fixtures/<service>/<scenario>/expected.es.json, beside expected.json.

The same request through the real app with CDS_LANGUAGE=es, compared as parsed JSON with uuids normalised;
UPDATE_GOLDEN=1 rewrites expected.es.json (review the diff as a Spanish-speaking clinician would). Each Spanish
answer passes the same CDS Hooks contract checks, keeps the cards' length budgets (Spanish runs about a quarter
longer than English), and carries no English word of the catalogue outside the cited titles.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from hooks.cards import SUMMARY_MAX_CHARS
from hooks.lupus_nephritis_response.cards.render import DETAIL_BUDGET_CHARS
from tests.contract import check_operation_outcome, check_response
from tests.golden_support import FOLDERS, folder_id, load_json, run_folder
from tests.i18n.support import ENGLISH_WORDS, card_texts

UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
SPANISH_LENGTH = 1.3  # Spanish clinical prose is longer than English; the budgets are the English ones times this
# source.label opening (Spanish) -> the rule whose detail budget applies
BY_SOURCE = {
    "Seguridad de fármacos": "ln-pregnancy-safety",
    "Criterios de respuesta": "ln-refractory",
    "Orden de tratamiento": "ln-next-line-therapy",
    "Medidas de soporte": "ln-supportive-care",
}
COHORT = json.loads((Path(__file__).resolve().parents[2] / "demo" / "cohort-manifest.json").read_text())["patients"]


@pytest.mark.parametrize("folder", FOLDERS, ids=[folder_id(p) for p in FOLDERS])
def test_golden_response_in_spanish(folder: Path) -> None:
    actual = run_folder(folder, language="es")
    expected_path = folder / "expected.es.json"
    if UPDATE:
        expected_path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
    assert expected_path.exists(), f"no expected.es.json in {folder}: run with UPDATE_GOLDEN=1 and review"
    assert actual == load_json(expected_path)
    english = load_json(folder / "expected.json")
    assert actual["status"] == english["status"]
    if actual["status"] == 200:
        assert check_response(actual["body"]) == []
        # the same cards, rule for rule: only the words differ
        shape = [(c["indicator"], len(c.get("suggestions", []))) for c in actual["body"]["cards"]]
        assert shape == [(c["indicator"], len(c.get("suggestions", []))) for c in english["body"]["cards"]]
    else:
        assert check_operation_outcome(actual["body"]) == []


@pytest.mark.parametrize("folder", FOLDERS, ids=[folder_id(p) for p in FOLDERS])
def test_spanish_cards_keep_their_limits_and_hold_no_english(folder: Path) -> None:
    body = load_json(folder / "expected.es.json")["body"]
    for card in body.get("cards", []):
        assert len(card["summary"]) < SUMMARY_MAX_CHARS, card["summary"]
        rule = next(rule for opening, rule in BY_SOURCE.items() if card["source"]["label"].startswith(opening))
        assert len(card.get("detail", "")) <= DETAIL_BUDGET_CHARS[rule] * SPANISH_LENGTH, card["summary"]
    for where, text in card_texts(body):
        if ".links." not in where:  # a link names a cited work by its own (English) title
            assert not ENGLISH_WORDS.findall(text), (where, ENGLISH_WORDS.findall(text), text)


@pytest.mark.parametrize("patient", COHORT, ids=[p["patientId"] for p in COHORT])
def test_every_demo_patient_has_its_spanish_golden(patient: dict[str, str]) -> None:
    """`CDS_LANGUAGE=es make demo` answers each cohort patient with its scenario's expected.es.json (the cohort
    integration test checks the English answer against the same scenario folder)."""
    folder = Path(__file__).resolve().parents[2] / "cards_fixtures" / patient["service"] / patient["scenario"]
    body = load_json(folder / "expected.es.json")["body"]
    assert [c["indicator"] for c in body["cards"]] == [c["indicator"] for c in patient["cards"]]
