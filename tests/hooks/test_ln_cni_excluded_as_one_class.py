"""Calcineurin inhibitors are one class when options are excluded: once tacrolimus, cyclosporine or voclosporin was
given without response, no option adding any calcineurin inhibitor (multitarget, cni, voclosporin) is offered."""

from __future__ import annotations

import pytest

from fhir_maps.domain import Agent
from hooks.lupus_nephritis_response.knowledge.therapy_table import CALCINEURIN_INHIBITORS, THERAPY_TABLE
from hooks.lupus_nephritis_response.rules.next_line import excluded_agents
from tests.hooks.builders import ago, assess, days_for, episode, story

MMF, CYC = Agent.MYCOPHENOLATE_MOFETIL, Agent.CYCLOPHOSPHAMIDE
TAC, CSA, VCS = Agent.TACROLIMUS, Agent.CYCLOSPORINE, Agent.VOCLOSPORIN
CNI_OPTIONS = {o.id for o in THERAPY_TABLE if CALCINEURIN_INHIBITORS.intersection(o.adds)}
SETS = ("seed-eular-era-edta-2012", "kdigo-2024", "eular-2025", "eular-2019", "acr-2012")


def test_every_option_that_adds_a_calcineurin_inhibitor_is_known() -> None:
    assert CNI_OPTIONS == {"multitarget", "cni", "voclosporin"}


@pytest.mark.parametrize("tried", [TAC, CSA, VCS])
def test_any_calcineurin_inhibitor_excludes_the_whole_class(tried: Agent) -> None:
    assert excluded_agents([tried]) >= CALCINEURIN_INHIBITORS


@pytest.mark.parametrize(
    ("tried", "expected"),
    [
        pytest.param(MMF, {MMF, Agent.MYCOPHENOLIC_ACID}, id="mycophenolate-family"),
        pytest.param(Agent.MYCOPHENOLIC_ACID, {MMF, Agent.MYCOPHENOLIC_ACID}, id="mycophenolic-acid-family"),
        pytest.param(CYC, {CYC}, id="cyclophosphamide-alone"),
        pytest.param(Agent.RITUXIMAB, {Agent.RITUXIMAB}, id="rituximab-alone"),
    ],
)
def test_other_agents_exclude_only_their_family(tried: Agent, expected: set[Agent]) -> None:
    assert excluded_agents([tried]) == expected


@pytest.mark.parametrize("criteria_set", SETS)
@pytest.mark.parametrize("cni", [TAC, CSA, VCS])
def test_failed_line_with_a_cni_offers_no_cni_option(cni: Agent, criteria_set: str) -> None:
    """The reviewer's reproduction (r1.py): MMF + a CNI for 7 months without response; voclosporin (KDIGO, EULAR)
    or tacrolimus/cyclosporine (after voclosporin) used to be offered again."""
    t0 = ago(days_for(7))
    data = story(7, "3.0", "2.8", episodes=[episode(MMF, t0, dose=3000), episode(cni, t0)])
    a = assess(data, criteria_set)
    assert a.therapy is not None, a.verdict
    offered = {p.option.id for p in a.therapy.options}
    assert not offered & CNI_OPTIONS
    assert "switch-to-cyc" in offered
    assert cni in a.therapy.tried


def test_without_a_cni_tried_the_cni_options_stay() -> None:
    data = story(7, "3.0", "2.8")
    a = assess(data, "kdigo-2024")
    assert a.therapy is not None
    assert CNI_OPTIONS <= {p.option.id for p in a.therapy.options}
