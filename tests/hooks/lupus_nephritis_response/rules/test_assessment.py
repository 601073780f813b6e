"""Active LN, no line agent recognised today, and some medication orders not identified: the "cannot assess" card
says how many orders could not be identified, instead of a silent empty response. Without unrecognised orders,
untreated LN still gets no response card."""

from __future__ import annotations

import copy
import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from fhir_maps.domain import Agent, MappingReport, PatientData
from hooks.lupus_nephritis_response.cards.render import summary_samples
from hooks.lupus_nephritis_response.rules.assessment import Missing, Verdict
from tests.golden_support import run_folder
from tests.hooks.builders import ago, assess, cards, episode, response_cards, story


def untreated(uncoded: int, **kw: object) -> PatientData:
    """Active class IV LN, proteinuric, no recognised line agent (the MMF order was not recognised)."""
    episodes = [episode(Agent.HYDROXYCHLOROQUINE, ago(900)), episode(Agent.RAAS_BLOCKER, ago(900))]
    report = MappingReport(medication_requests_unresolved=uncoded)
    return story(7, "3.1", "2.6", episodes=episodes, supportive=False, report=report, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("uncoded", "summary"),
    [
        pytest.param(1, "Lupus nephritis response: cannot assess — 1 medication order not identified", id="one"),
        pytest.param(3, "Lupus nephritis response: cannot assess — 3 medication orders not identified", id="three"),
    ],
)
def test_unrecognised_orders_without_a_line_give_a_cannot_assess_card(uncoded: int, summary: str) -> None:
    data = untreated(uncoded)
    a = assess(data)
    assert a.line is None
    assert a.verdict is Verdict.CANNOT_ASSESS
    assert a.missing == (Missing.TREATMENT_LINE,)
    assert a.unresolved_medications == uncoded
    assert a.therapy is None
    (card,) = response_cards(data)
    assert card.rule_id == "ln-cannot-assess"
    assert card.indicator.value == "info"
    assert card.summary == summary
    detail = card.detail or ""
    assert "could not be identified" in detail
    assert "treatment line and its start could not be determined" in detail
    assert "Criteria: EULAR/ERA-EDTA 2012 as quoted in Santacruz 2023." in detail


def test_reviewer_reproduction_mmf_order_not_recognised_is_not_silent() -> None:
    """r2.py: the MMF order carried an unresolvable medicationReference; the response was {"cards": []}."""
    data = untreated(1)
    assert cards(data, show_supportive_card=False) != []


@pytest.mark.parametrize(
    ("uncoded", "rules"),
    [
        pytest.param(0, [], id="no-unrecognised-orders-no-card"),
        pytest.param(2, ["ln-cannot-assess"], id="unrecognised-orders-cannot-assess"),
    ],
)
def test_untreated_ln_card_depends_on_unrecognised_orders(uncoded: int, rules: list[str]) -> None:
    assert [c.rule_id for c in cards(untreated(uncoded))] == rules


def test_supportive_card_still_follows_the_cannot_assess_card() -> None:
    report = MappingReport(medication_requests_unresolved=2)
    data = story(7, "3.1", "2.6", episodes=[], supportive=False, report=report)
    assert [c.rule_id for c in cards(data)] == ["ln-cannot-assess", "ln-supportive-care"]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda r: story(7, "3.1", "2.6", report=r), id="line-path"),
        pytest.param(lambda r: story(7, "3.1", None, report=r), id="line-cannot-assess-no-current"),
        pytest.param(lambda r: story(7, "3.1", "2.6", classes=(), report=r), id="line-class-not-recorded"),
    ],
)
def test_uncoded_count_is_kept_on_every_in_scope_path(make: object) -> None:
    report = MappingReport(medication_requests_unresolved=4)
    a = assess(make(report))  # type: ignore[operator]
    assert a.unresolved_medications == 4


def test_uncoded_count_is_kept_out_of_scope_and_without_a_line() -> None:
    report = MappingReport(medication_requests_unresolved=4)
    out_of_scope = replace(story(7, "3.1", "2.6", report=report), diagnoses=())
    assert not assess(out_of_scope).in_scope
    assert assess(out_of_scope).unresolved_medications == 4
    assert cards(out_of_scope) == []
    assert assess(untreated(0)).unresolved_medications == 0


def test_cannot_assess_summary_sample_fits() -> None:
    assert any("999 medication orders not identified" in s for s in summary_samples())


# --- An order for a drug we simply do not track (RxNorm-coded amlodipine, long completed) is not an "unrecognised"
# order: untreated active LN keeps giving no response card, and no data note claims it has no RxNorm code. Only open
# orders whose drug could not be identified (MappingReport.medication_requests_unresolved) block the line.

FIXTURES = Path(__file__).resolve().parents[4] / "cards_fixtures" / "lupus-nephritis-response"


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
