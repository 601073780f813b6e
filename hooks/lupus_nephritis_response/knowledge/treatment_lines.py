"""Which agents start or change a treatment line, and which only maintain one (response-model.md section 2).

Rule knowledge, not mapping: `fhir_maps` recognises every agent; only the rules (`rules/treatment_line.py`) decide
which of them define the line whose response is judged.
"""

from __future__ import annotations

from fhir_maps.domain import Agent

# Agents that define or change a treatment line (response-model.md section 2). Glucocorticoids, HCQ and supportive drugs
# are recorded but never define a line; azathioprine is maintenance-only.
LINE_AGENTS: frozenset[Agent] = frozenset(
    {
        Agent.CYCLOPHOSPHAMIDE,
        Agent.MYCOPHENOLATE_MOFETIL,
        Agent.MYCOPHENOLIC_ACID,
        Agent.RITUXIMAB,
        Agent.OBINUTUZUMAB,
        Agent.OFATUMUMAB,
        Agent.BELIMUMAB,
        Agent.TACROLIMUS,
        Agent.CYCLOSPORINE,
        Agent.VOCLOSPORIN,
        Agent.ANIFROLUMAB,
        Agent.IMMUNE_GLOBULIN,
    }
)
MAINTENANCE_ONLY: frozenset[Agent] = frozenset({Agent.AZATHIOPRINE, Agent.LEFLUNOMIDE})
