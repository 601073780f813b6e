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

from fhir_maps.domain import Agent, ConditionKind, OrderStatus, PatientData
from hooks.lupus_nephritis_response.knowledge.therapy_table import TERATOGENIC_AGENTS
from hooks.lupus_nephritis_response.rules.treatment_line import in_force

# An order with no date at all cannot be placed in time, but one whose status says it is not over (active, on hold,
# unknown) may be what the patient takes today: for a teratogen in pregnancy that is enough to warn (issue 10
# section 2: never silence; the review's record class "active MMF order without dates").
_UNDATED_STILL_OPEN = frozenset({OrderStatus.ACTIVE, OrderStatus.ON_HOLD, OrderStatus.UNKNOWN})


@dataclass(frozen=True, slots=True)
class PregnancyDrugRisk:
    """Drugs active today while pregnancy is recorded: teratogens as recorded, and whether a RAAS blocker is."""

    teratogens: tuple[Agent, ...]
    raas_blocker: bool

    @property
    def critical(self) -> bool:
        """Returns True when a teratogen is active: the card is critical and leads every other card."""
        return bool(self.teratogens)


def exposed(data: PatientData, agent: Agent, today: date) -> bool:
    """Returns True when `agent` may be in the patient today, as the line engine sees its courses.

    - an episode in force today (`treatment_line.in_force`): an order or administration covering today, or a
      pulse course (cyclophosphamide, rituximab; one completed order or administration per infusion) until its
      next planned pulse was due (fhir_maps.episodes.PLANNED_PULSE_SPACING_DAYS);
    - an order with no date whose status is not over (`_UNDATED_STILL_OPEN`).
    """
    if any(e.agent is agent and in_force(e, today) for e in data.episodes):
        return True
    return any(u.agent is agent and u.status in _UNDATED_STILL_OPEN for u in data.undated_orders)


def pregnancy_drug_risk(data: PatientData, today: date) -> PregnancyDrugRisk | None:
    """Returns the teratogens and RAAS blocker active today while pregnancy is recorded, or None (no risk shown)."""
    if not data.has(ConditionKind.PREGNANCY):
        return None
    teratogens = tuple(a for a in sorted(TERATOGENIC_AGENTS) if exposed(data, a, today))
    raas = exposed(data, Agent.RAAS_BLOCKER, today)
    return PregnancyDrugRisk(teratogens, raas) if teratogens or raas else None
