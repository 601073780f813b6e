"""Drug safety in pregnancy, judged for every patient in scope whatever the response status (issue 10 section 5).

An active pregnancy Condition with a teratogenic agent (mycophenolate mofetil, mycophenolic acid, cyclophosphamide:
response-model.md section 7) or a RAAS blocker active today is a safety finding of its own: it does not depend on a
treatment line, a baseline or a response class, so it is computed before any of them and shown even for a
responder or when the response cannot be assessed. The agents are kept as recorded (mycophenolic acid is not
mycophenolate mofetil). RAAS blockers are held in pregnancy as a safety hold (see `supportive_care.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fhir_maps.domain import Agent, ConditionKind, PatientData
from hooks.lupus_nephritis_response.knowledge.therapy_table import TERATOGENIC_AGENTS
from hooks.lupus_nephritis_response.rules.treatment_line import agent_active


@dataclass(frozen=True, slots=True)
class PregnancyDrugRisk:
    """Drugs active today while pregnancy is recorded: teratogens as recorded, and whether a RAAS blocker is."""

    teratogens: tuple[Agent, ...]
    raas_blocker: bool

    @property
    def critical(self) -> bool:
        """Returns True when a teratogen is active: the card is critical and leads every other card."""
        return bool(self.teratogens)


def pregnancy_drug_risk(data: PatientData, today: date) -> PregnancyDrugRisk | None:
    """Returns the teratogens and RAAS blocker active today while pregnancy is recorded, or None (no risk shown)."""
    if not data.has(ConditionKind.PREGNANCY):
        return None
    teratogens = tuple(a for a in sorted(TERATOGENIC_AGENTS) if agent_active(data, a, today))
    raas = agent_active(data, Agent.RAAS_BLOCKER, today)
    return PregnancyDrugRisk(teratogens, raas) if teratogens or raas else None
