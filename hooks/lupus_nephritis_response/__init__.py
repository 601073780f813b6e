"""The `lupus-nephritis-response` CDS service: treatment response and refractoriness review in lupus nephritis.

Modules: `criteria` (the criteria sets as data), `evidence` (citations), `measures`, `lines`, `response` and
`checklist` (the pure rules), `therapies` (the next-line therapy table as data, summarised in THERAPY.md),
`ordering` and `supportive` (the pure next-line and supportive-care rules), `model` (`evaluate`), `text` and
`text_therapy` (every clinician-facing string), `phrases`, `detail`, `render`, `therapy_cards`, `orders` and
`overrides` (cards). The criteria set is a site setting (`config`), passed in as `RuleContext.config`.
"""

from __future__ import annotations

from hooks import prefetch
from hooks.lupus_nephritis_response.config import LupusNephritisConfig
from hooks.lupus_nephritis_response.model import Assessment, evaluate, in_scope
from hooks.lupus_nephritis_response.render import render, summary_samples
from hooks.lupus_nephritis_response.text import t
from hooks.spec import CdsServiceSpec

SPEC: CdsServiceSpec[Assessment] = CdsServiceSpec(
    id="lupus-nephritis-response",
    hook="patient-view",
    title=t("service.title"),
    description=t("service.description"),
    prefetch={
        "patient": prefetch.PATIENT,
        "conditions": prefetch.LUPUS_CONDITIONS,
        "proteinuria": prefetch.PROTEINURIA_OBSERVATIONS,
        "kidneyFunction": prefetch.KIDNEY_FUNCTION_OBSERVATIONS,
        "sediment": prefetch.SEDIMENT_OBSERVATIONS,
        "medications": prefetch.MEDICATION_REQUESTS,
    },
    evaluate=evaluate,
    render=render,
    in_scope=in_scope,
    gate_keys=("conditions",),
    required_keys=("conditions", "proteinuria", "kidneyFunction", "sediment", "medications"),
    usage_requirements=t("service.usage"),
    static_texts=summary_samples(),
    config_from_env=LupusNephritisConfig.from_env,
    follow_references={"medications": {"medicationReference": "Medication"}},
)

__all__ = ["SPEC", "Assessment", "evaluate", "in_scope", "render"]
