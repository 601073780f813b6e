"""Supportive care the record lacks, for every patient with active lupus nephritis (on a line or not).

Seed, "General supportive measures and special considerations": in all patients with focal or diffuse LN, dietary
sodium and protein restriction, blood pressure control, minimisation of proteinuria with RAAS inhibitors,
antimalarials "unless there is any contraindication" and treatment of dyslipidaemia (SEED TEXT; response-model.md
section 6 lists the two the record can show: no RAAS blocker while proteinuric, no hydroxychloroquine). Blood
pressure, diet and lipids are not read by this service: the card names them as checks, never as missing.

Pregnancy (an active pregnancy Condition): a RAAS blocker is never suggested; one that is active is flagged on the
drug-safety card (`safety.py`), shown whatever the response status, not here. This
is a safety hold, not a guideline reading: neither the review nor evidence.md states the fetotoxicity of ACE
inhibitors and ARBs, so the card says only that they are not suggested while pregnancy is recorded and asks for
review with obstetric and nephrology care.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fhir_maps.domain import Agent, ConditionKind, PatientData
from hooks.lupus_nephritis_response.knowledge.criteria_sets import CriteriaSet
from hooks.lupus_nephritis_response.rules.measures import PROTEINURIA_CONCEPTS, Reading, pick_current, surely_at_least
from hooks.lupus_nephritis_response.rules.treatment_line import agent_active


@dataclass(frozen=True, slots=True)
class SupportiveGaps:
    """What the record lacks. `proteinuria` is the result that makes RAAS blockade due (None: not due, met, or
    pregnancy recorded); `raas_held` is that result when pregnancy holds the suggestion back."""

    proteinuria: Reading | None
    no_hydroxychloroquine: bool
    raas_held: Reading | None = None  # proteinuric, no RAAS blocker, pregnancy recorded: not suggested

    @property
    def any(self) -> bool:
        """Returns True when a measure is missing (a hold alone is not a reason for the card: it only replaces the
        suggestion on a card shown for something else)."""
        return self.proteinuria is not None or self.no_hydroxychloroquine


def current_proteinuria(data: PatientData, today: date) -> Reading | None:
    """Returns the latest decisive proteinuria (UPCR or 24-h protein) of the last 90 days, as the checklist does."""
    results = [r for c in PROTEINURIA_CONCEPTS for r in data.series(c).results if r.when.date() <= today]
    picked = pick_current(results, today)
    return Reading(picked.concept, picked.value, picked.when.date(), picked.comparator) if picked else None


def supportive_gaps(data: PatientData, cs: CriteriaSet, today: date) -> SupportiveGaps | None:
    """Returns the missing supportive measures, or None when nothing the record can show is missing.

    "Proteinuric" is read as the checklist reads it: the current value is not below the set's complete-response
    ceiling (response-model.md section 6, "while proteinuric").
    """
    current = current_proteinuria(data, today)
    ceiling = cs.complete.max_proteinuria
    # "< 2.0 g/g" may or may not be proteinuric: only a value surely at or above the ceiling prompts the suggestion.
    proteinuric = current is not None and ceiling is not None and surely_at_least(current, ceiling)
    raas_active = agent_active(data, Agent.RAAS_BLOCKER, today)
    due = current if proteinuric and not raas_active else None
    pregnant = data.has(ConditionKind.PREGNANCY)
    gaps = SupportiveGaps(
        proteinuria=None if pregnant else due,
        no_hydroxychloroquine=not agent_active(data, Agent.HYDROXYCHLOROQUINE, today),
        raas_held=due if pregnant else None,
    )
    return gaps if gaps.any else None
