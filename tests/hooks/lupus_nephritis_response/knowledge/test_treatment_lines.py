"""Which agents start or maintain a treatment line (knowledge), and the mapping's combination-naming rule."""

from __future__ import annotations

from fhir_maps.domain import Agent
from fhir_maps.medications import BACKGROUND_AGENTS
from hooks.lupus_nephritis_response.knowledge.treatment_lines import LINE_AGENTS, MAINTENANCE_ONLY


def test_line_and_maintenance_only_agents_are_apart() -> None:
    assert not LINE_AGENTS & MAINTENANCE_ONLY
    assert {Agent.AZATHIOPRINE, Agent.LEFLUNOMIDE} == MAINTENANCE_ONLY


def test_a_combination_is_named_by_a_line_agent_exactly_as_before_the_move() -> None:
    # fhir_maps names a combination order by its first agent that is not background therapy; before LINE_AGENTS
    # moved to knowledge it read "first line agent". Both are the same choice only while these partition Agent.
    assert BACKGROUND_AGENTS == frozenset(Agent) - LINE_AGENTS
