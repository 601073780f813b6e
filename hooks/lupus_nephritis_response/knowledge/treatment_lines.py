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

# --- how lines are recorded (issue 10 section 2; the rules table is THERAPY.md "Treatment lines as they are
# recorded"). Judgement calls, each stated there with its reason.
# Induction given in pulses (fhir_maps.episodes.PLANNED_PULSE_SPACING_DAYS gives each pulse's spacing).
INDUCTION_PULSE_AGENTS: frozenset[Agent] = frozenset({Agent.CYCLOPHOSPHAMIDE, Agent.RITUXIMAB})
# Agents given as planned maintenance after an induction course: the Euro-Lupus protocol follows its six
# fortnightly cyclophosphamide pulses with azathioprine; mycophenolate is the other maintenance agent
# (response-model.md section 2: "CYC induction followed by MMF or azathioprine maintenance").
MAINTENANCE_AGENTS: frozenset[Agent] = frozenset(
    {Agent.AZATHIOPRINE, Agent.MYCOPHENOLATE_MOFETIL, Agent.MYCOPHENOLIC_ACID}
)
# An induction course that planned maintenance follows, and the least time from its first to its last pulse for
# it to count as complete: the low-dose Euro-Lupus schedule gives 6 pulses 2 weeks apart, the last on day 70 (the
# high-dose NIH schedule's 6 monthly pulses last longer). A shorter course stopped early is not followed by
# "planned" maintenance: a change after it is judged like any other change.
COMPLETED_COURSE_DAYS: dict[Agent, int] = {Agent.CYCLOPHOSPHAMIDE: 70}
# A pulse course that has ended is still the line judged for 6 months after its last pulse, while no other line
# agent follows it: the review judges cyclophosphamide after 6 months ("those who do not achieve remission after
# 6 months with cyclophosphamide are switched"), and B cells repopulate 6-8 months after rituximab (Santacruz et
# al. 2023, "Belimumab"). Judgement call: beyond that, an old course is no longer the current line.
ENDED_COURSE_JUDGED_DAYS = 183
# An agent first ordered more than 30 days before the lupus nephritis diagnosis was given for non-renal lupus: its
# induction line starts at its intensification, else at the diagnosis. Judgement call: a biopsy report is often
# recorded days to weeks after induction has started, so a shorter lead is read as induction itself.
PRE_DIAGNOSIS_TOLERANCE_DAYS = 30
# A re-induction for a relapse is a dose increase from 30 days before the first result showing the response lost
# (judgement call: treatment is often raised on the clinical flare, before the confirming urine result).
REINDUCTION_LOOKBACK_DAYS = 30
