"""An order for a drug we simply do not track (RxNorm-coded amlodipine, long completed) is not an "unrecognised"
order: untreated active LN keeps giving no response card, and no data note claims it has no RxNorm code. Only open
orders whose drug could not be identified (MappingReport.medication_requests_unresolved) block the line."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from fhir_maps.domain import Agent, MappingReport
from tests.golden_support import run_folder
from tests.hooks.builders import ago, assess, cards, episode, response_cards, story

FIXTURES = Path(__file__).resolve().parents[2] / "cards_fixtures" / "lupus-nephritis-response"


@pytest.mark.parametrize(
    ("report", "rules"),
    [
        pytest.param(MappingReport(medication_requests_uncoded=3), [], id="untracked-only-no-card"),
        pytest.param(
            MappingReport(medication_requests_uncoded=3, medication_requests_unresolved=1),
            ["ln-cannot-assess"],
            id="one-unresolved-cannot-assess",
        ),
    ],
)
def test_untreated_ln_card_depends_on_unresolved_orders_only(report: MappingReport, rules: list[str]) -> None:
    episodes = [episode(Agent.HYDROXYCHLOROQUINE, ago(900)), episode(Agent.RAAS_BLOCKER, ago(900))]
    data = story(7, "3.1", "2.6", episodes=episodes, supportive=False, report=report)
    assert [c.rule_id for c in cards(data)] == rules
    assert assess(data).unresolved_medications == report.medication_requests_unresolved


def test_untracked_orders_leave_no_note_on_a_line_card() -> None:
    data = story(7, "3.1", "2.6", report=MappingReport(medication_requests_uncoded=2))
    detail = response_cards(data)[0].detail or ""
    assert "could not be identified" not in detail
    assert "RxNorm code" not in detail


def _amlodipine() -> dict[str, Any]:
    return {
        "resource": {
            "resourceType": "MedicationRequest",
            "id": "amlo",
            "status": "completed",
            "intent": "order",
            "medicationCodeableConcept": {
                "coding": [
                    {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "17767", "display": "amlodipine"}
                ]
            },
            "subject": {"reference": "Patient/ln-fx-inactive"},
            "authoredOn": "2012-01-01",
        }
    }


@pytest.mark.parametrize(
    ("extra", "summaries"),
    [pytest.param([], [], id="baseline"), pytest.param([_amlodipine()], [], id="old-amlodipine")],
)
def test_reviewer_reproduction_old_amlodipine_gives_no_cannot_assess_card(
    tmp_path: Path, extra: list[dict[str, Any]], summaries: list[str]
) -> None:
    """r_uncoded.py: active untreated LN plus an old completed amlodipine order gave "cannot assess"."""
    source = FIXTURES / "inactive-ln-no-induction"
    request = json.loads((source / "request.json").read_text())
    for entry in request["prefetch"]["conditions"]["entry"]:
        entry["resource"]["clinicalStatus"]["coding"][0]["code"] = "active"
    request = copy.deepcopy(request)
    request["prefetch"]["medications"]["entry"] += extra
    folder = tmp_path / "lupus-nephritis-response" / "case"
    folder.mkdir(parents=True)
    (folder / "request.json").write_text(json.dumps(request))
    shutil.copy(source / "settings.json", folder / "settings.json")
    out = run_folder(folder)
    assert out["status"] == 200
    assert [c["summary"] for c in out["body"]["cards"]] == summaries
