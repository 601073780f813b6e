"""The next-line therapy knowledge table: every row readable, sourced, translatable and coded where verified."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fhir_maps.domain import Agent
from hooks.lupus_nephritis_response.cards.catalogue_en import EN
from hooks.lupus_nephritis_response.knowledge import therapy_table as therapies
from hooks.lupus_nephritis_response.knowledge.citations import CITATIONS, SEED_CITATION_ID
from hooks.lupus_nephritis_response.knowledge.criteria_sets import CRITERIA_SETS
from hooks.lupus_nephritis_response.knowledge.therapy_table import (
    THERAPY_GUIDELINES,
    THERAPY_TABLE,
    UNLINKED_SOURCES,
    EvidenceLevel,
    TherapyOption,
    rxnorm_codes,
)

ROWS = [pytest.param(o, id=o.id) for o in THERAPY_TABLE]


def test_rows_follow_the_seed_hierarchy_with_unique_ids() -> None:
    assert [o.id for o in THERAPY_TABLE] == [
        "switch-to-mmf",
        "switch-to-cyc",
        "rituximab",
        "belimumab-after-rituximab",
        "anti-cd20-alternative",
        "multitarget",
        "cni",
        "voclosporin",
        "msc",
        "extracorporeal",
        "ivig",
    ]


@pytest.mark.parametrize("option", ROWS)
def test_every_row_names_its_sources_and_links_only_verified_ones(option: TherapyOption) -> None:
    assert option.sources
    assert SEED_CITATION_ID in option.sources or option.needs_guideline
    for source in option.sources:
        assert source in CITATIONS or source in UNLINKED_SOURCES, source
        if source in CITATIONS:
            assert CITATIONS[source].verification.value in ("VERIFIED", "VERIFIED-2nd")


@pytest.mark.parametrize("option", ROWS)
def test_every_row_has_its_words_and_a_default_reason(option: TherapyOption) -> None:
    for part in ("name", "short", "regimen", "evidence"):
        assert EN[f"therapy.{option.id}.{part}"].strip()
    assert EN[f"evidence.{option.evidence.value}"]
    assert option.reasons[-1][0] is None  # a default closes every list, so a reason is always found
    for _, key in option.reasons:
        assert key in EN


@pytest.mark.parametrize(
    ("option_id", "expected"),
    [
        pytest.param("rituximab", {Agent.RITUXIMAB: ("121191", "2105824", "2273510", "2472325")}, id="rituximab"),
        pytest.param("switch-to-mmf", {Agent.MYCOPHENOLATE_MOFETIL: ("68149",)}, id="mmf"),
        pytest.param("cni", {Agent.TACROLIMUS: ("42316",), Agent.CYCLOSPORINE: ("3008",)}, id="cni"),
        pytest.param("belimumab-after-rituximab", {Agent.BELIMUMAB: ("1092437",)}, id="belimumab"),
        pytest.param(
            "anti-cd20-alternative", {Agent.OBINUTUZUMAB: ("974779",), Agent.OFATUMUMAB: ("712566",)}, id="anti-cd20"
        ),
        pytest.param("voclosporin", {Agent.VOCLOSPORIN: ()}, id="voclosporin-named-without-a-code"),
        pytest.param("ivig", {Agent.IMMUNE_GLOBULIN: ()}, id="ivig-named-without-a-code"),
    ],
)
def test_agents_carry_their_verified_rxnorm_codes_or_none(
    option_id: str, expected: dict[Agent, tuple[str, ...]]
) -> None:
    option = next(o for o in THERAPY_TABLE if o.id == option_id)
    coded = dict(option.rxnorm)
    for agent, codes in expected.items():
        assert coded[agent] == codes
        assert rxnorm_codes(agent) == codes


@pytest.mark.parametrize(
    ("option_id", "teratogenic"),
    [
        pytest.param("switch-to-mmf", True, id="mmf"),
        pytest.param("switch-to-cyc", True, id="cyc"),
        pytest.param("multitarget", True, id="multitarget-keeps-mmf"),
        pytest.param("voclosporin", True, id="voclosporin-keeps-mmf"),
        pytest.param("cni", False, id="cni"),
        pytest.param("rituximab", False, id="rituximab"),
        pytest.param("extracorporeal", False, id="extracorporeal"),
    ],
)
def test_teratogenic_rows_are_those_with_mycophenolate_or_cyclophosphamide(option_id: str, teratogenic: bool) -> None:
    assert next(o for o in THERAPY_TABLE if o.id == option_id).teratogenic is teratogenic


def test_weak_evidence_rows_come_later_and_cnis_carry_the_monitoring_flag() -> None:
    assert {o.id for o in THERAPY_TABLE if o.later} == {"msc", "ivig"}
    assert {o.id for o in THERAPY_TABLE if o.calcineurin_inhibitor} == {"multitarget", "cni", "voclosporin"}
    assert {o.id for o in THERAPY_TABLE if not o.intensifies_immunosuppression} == {"msc", "extracorporeal", "ivig"}
    assert {o.evidence for o in THERAPY_TABLE if o.later} == {EvidenceLevel.UNCONTROLLED, EvidenceLevel.CASE_SERIES}


def test_every_criteria_set_chooses_its_therapy_guidelines() -> None:
    assert set(THERAPY_GUIDELINES) == set(CRITERIA_SETS)
    for guidelines in THERAPY_GUIDELINES.values():
        assert guidelines[0] == SEED_CITATION_ID
        assert all(g in CITATIONS for g in guidelines)
        assert all(f"guideline.{g}" in EN for g in guidelines if g != SEED_CITATION_ID)
    # EULAR SLE 2023 has no criteria set of its own: it is used for therapy ordering with the EULAR sets only
    assert "eular-sle-2023" not in CRITERIA_SETS
    assert [s for s, g in THERAPY_GUIDELINES.items() if "eular-sle-2023" in g] == ["eular-2019", "eular-2025"]


def test_the_readable_summary_lists_every_row_in_order() -> None:
    page = (Path(therapies.__file__).parent / "THERAPY.md").read_text()
    rows = re.findall(r"^\| \d+ \| `([a-z0-9-]+)` \|", page, re.M)
    assert rows == [o.id for o in THERAPY_TABLE]
    assert "covered for therapy ordering only" in page
