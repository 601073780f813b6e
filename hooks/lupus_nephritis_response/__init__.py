"""The `lupus-nephritis-response` CDS service: treatment response and refractoriness review in lupus nephritis.

Three layers, imports one way (`cards -> rules -> knowledge`, checked by a test): `knowledge/` (cited data:
criteria sets, therapy table, citations, line agents), `rules/` (pure: `PatientData` to an `Assessment`, entry point
`rules.assessment.assess`) and `cards/` (the Assessment to CDS cards, words bound once per render). README.md lists
every module. The criteria set is a site setting (`config.py`), passed in as `RuleContext.config`.
"""

from __future__ import annotations

from dataclasses import replace

from fhir_maps.domain import PatientData
from hooks import prefetch
from hooks.i18n import SUPPORTED_LOCALES
from hooks.lupus_nephritis_response.cards.render import render, summary_samples
from hooks.lupus_nephritis_response.cards.words import ENGLISH, words_for
from hooks.lupus_nephritis_response.config import LupusNephritisConfig
from hooks.lupus_nephritis_response.rules.assessment import Assessment, assess, in_scope
from hooks.spec import CdsServiceSpec, RuleContext


def evaluate(data: PatientData, ctx: RuleContext) -> Assessment:
    """Returns `assess(data, ctx)` carrying `data`, which the course chart draws from (issue 15)."""
    return replace(assess(data, ctx), data=data)


SPEC: CdsServiceSpec[Assessment] = CdsServiceSpec(
    id="lupus-nephritis-response",
    hook="patient-view",
    title=ENGLISH.t("service.title"),
    description=ENGLISH.t("service.description"),
    prefetch={
        "patient": prefetch.PATIENT,
        "conditions": prefetch.LUPUS_CONDITIONS,
        "pregnancy": prefetch.PREGNANCY_CONDITIONS,
        "infections": prefetch.INFECTION_CONDITIONS,
        "proteinuria": prefetch.PROTEINURIA_OBSERVATIONS,
        "kidneyFunction": prefetch.KIDNEY_FUNCTION_OBSERVATIONS,
        "sediment": prefetch.SEDIMENT_OBSERVATIONS,
        "medications": prefetch.MEDICATION_REQUESTS,
        "administrations": prefetch.MEDICATION_ADMINISTRATIONS,
    },
    evaluate=evaluate,
    render=render,
    in_scope=in_scope,
    gate_keys=("conditions",),
    # administrations: a pulse course recorded only as given doses must never go unseen (a false silence);
    # pregnancy and infections: a teratogen in pregnancy, or intensifying therapy in an infection, likewise.
    required_keys=(
        "conditions",
        "pregnancy",
        "infections",
        "proteinuria",
        "kidneyFunction",
        "sediment",
        "medications",
        "administrations",
    ),
    usage_requirements=ENGLISH.t("service.usage"),
    # every summary template filled with its longest values, in every language: each must stay under 140
    static_texts=tuple(text for locale in SUPPORTED_LOCALES for text in summary_samples(words_for(locale))),
    config_from_env=LupusNephritisConfig.from_env,
    follow_references={
        "medications": {"medicationReference": "Medication"},
        "administrations": {"medicationReference": "Medication"},
    },
)

__all__ = ["SPEC", "Assessment", "assess", "evaluate", "in_scope", "render"]
