"""Every enum value and table id the cards put into words has its catalogue entries, so a missing key fails here
and never raises a KeyError while a card is rendered."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hooks.lupus_nephritis_response.cards as cards_package
from fhir_maps.domain import Agent, LabConcept
from hooks.lupus_nephritis_response.cards.catalogue_en import EN
from hooks.lupus_nephritis_response.cards.override_reasons import OVERRIDE_CODES
from hooks.lupus_nephritis_response.cards.words import ENGLISH, PROTEINURIA_KINDS, words_for
from hooks.lupus_nephritis_response.knowledge.citations import SEED_CITATION_ID
from hooks.lupus_nephritis_response.knowledge.criteria_sets import CRITERIA_SETS, CriteriaSet, Level
from hooks.lupus_nephritis_response.knowledge.therapy_table import (
    THERAPY_GUIDELINES,
    THERAPY_TABLE,
    EvidenceLevel,
    TherapyOption,
)
from hooks.lupus_nephritis_response.rules.assessment import Missing
from hooks.lupus_nephritis_response.rules.checklist import Check, ItemState
from hooks.lupus_nephritis_response.rules.clinical_response import Unassessed
from hooks.lupus_nephritis_response.rules.measures import KidneyMethod, KidneyState, SedimentState
from hooks.lupus_nephritis_response.rules.next_line import BiopsyReason, CautionKey

CHECKPOINTS = [c for cs in CRITERIA_SETS.values() for c in cs.checkpoints]


@pytest.mark.parametrize("agent", list(Agent))
def test_every_agent_has_a_name(agent: Agent) -> None:
    assert ENGLISH.agent(agent)


@pytest.mark.parametrize("cs", list(CRITERIA_SETS.values()), ids=list(CRITERIA_SETS))
def test_every_criteria_set_and_checkpoint_has_its_words(cs: CriteriaSet) -> None:
    assert f"set.{cs.id}" in EN
    assert ENGLISH.criteria_set(cs)
    for c in cs.checkpoints:
        assert ENGLISH.criterion(c)
        assert ENGLISH.target(c)
        if c.key.startswith("milestone-"):
            assert ENGLISH.milestone_met(c)


def test_a_checkpoint_that_is_no_milestone_has_no_met_phrase() -> None:
    assert ENGLISH.milestone_met(CRITERIA_SETS["kdigo-2024"].checkpoints[0]) is None


def test_every_enum_the_cards_name_has_its_words() -> None:
    assert all(ENGLISH.level(level) for level in Level)
    assert all(ENGLISH.unassessed(u) for u in Unassessed)
    assert all(ENGLISH.kidney_method(m) for m in (*KidneyMethod, None))
    assert all(f"kidney-state.{s.value}" in EN for s in KidneyState)
    assert all(ENGLISH.sediment_state(s) for s in SedimentState)
    # "treatment-line" has its own summary (no line could be determined): the others name what is missing.
    assert all(ENGLISH.missing_short(m) for m in Missing if m is not Missing.TREATMENT_LINE)
    assert all(f"missing.{m.value}" in EN for m in Missing if m is not Missing.TREATMENT_LINE)
    assert all(ENGLISH.censored(c, "< 1") for c in LabConcept)
    assert all(ENGLISH.measure(k) and ENGLISH.unit(k) for k in (*PROTEINURIA_KINDS.values(), "mixed"))
    assert all(f"check.{c.value}" in EN for c in Check)
    assert all(ENGLISH.checklist_line(s, "x") for s in ItemState)
    assert all(f"caution.{c.value}" in EN for c in CautionKey)
    assert all(ENGLISH.evidence_level(e) for e in EvidenceLevel)
    assert all(ENGLISH.biopsy_reason(r) for r in BiopsyReason)
    assert all(ENGLISH.override(code) for code in OVERRIDE_CODES)


@pytest.mark.parametrize("option", THERAPY_TABLE, ids=[o.id for o in THERAPY_TABLE])
def test_every_therapy_option_has_its_words(option: TherapyOption) -> None:
    words = ENGLISH.therapy(option)
    assert all((words.name, words.short, words.regimen, words.evidence))
    assert all(ENGLISH.why(key) for _, key in option.reasons)


def test_every_guideline_behind_a_therapy_order_has_a_name() -> None:
    ids = {g for guidelines in THERAPY_GUIDELINES.values() for g in guidelines if g != SEED_CITATION_ID}
    assert all(ENGLISH.guideline(g) for g in ids)


def _literal_keys() -> list[tuple[str, str]]:
    """Returns (module, key) for every literal key a card module passes to `words.t(...)`."""
    out = []
    for path in sorted(Path(cards_package.__file__).parent.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "t"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                out.append((path.name, node.args[0].value))
            if isinstance(node, ast.IfExp):  # "orders.one" if count == 1 else "orders.many"
                out += [
                    (path.name, branch.value)
                    for branch in (node.body, node.orelse)
                    if isinstance(branch, ast.Constant) and isinstance(branch.value, str) and "." in branch.value
                ]
    return out


@pytest.mark.parametrize(("module", "key"), _literal_keys())
def test_every_literal_key_in_the_cards_is_in_the_catalogue(module: str, key: str) -> None:
    assert key in EN, f"{module} reads {key!r}, which the English catalogue lacks"


def test_the_literal_key_walk_finds_the_keys() -> None:
    assert ("response_card.py", "summary.refractory") in _literal_keys()


def test_an_unknown_locale_falls_back_to_english() -> None:
    assert words_for("xx").agent(Agent.RITUXIMAB) == "rituximab"
    assert words_for("xx").locale == "xx"
