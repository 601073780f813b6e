"""A tiny second CDS service, used only by the tests: it shows the patient's latest eGFR.

It exists to prove that adding a service takes its module (this file), one registry line
(`tests/service/test_second_service.py: REGISTRY_WITH_EGFR`) and one fixture folder
(`tests/cards_fixtures/egfr-latest/`). It has its own setting, CDS_EGFR_LOW, read like any service's.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from fhir_maps.domain import LabConcept, LabResult, PatientData
from hooks import prefetch
from hooks.cards import Card, Indicator, Source
from hooks.env_config import EnvConfig
from hooks.spec import CdsServiceSpec, RuleContext

SOURCE = Source(label="KDIGO 2024 CKD guideline", url="https://kdigo.org/guidelines/ckd-evaluation-and-management/")


class EgfrLatestConfig(EnvConfig):
    """Below this eGFR (mL/min/1.73 m2) the card is a warning; KDIGO's G3a starts below 60."""

    low: int = Field(60, validation_alias="CDS_EGFR_LOW", ge=1, le=200)


def in_scope(data: PatientData) -> bool:
    """Returns True when the record holds at least one eGFR result."""
    return bool(data.series(LabConcept.EGFR).results)


def evaluate(data: PatientData, ctx: RuleContext[EgfrLatestConfig]) -> LabResult | None:
    """Returns the newest eGFR result, or None."""
    results = data.series(LabConcept.EGFR).results
    return results[-1] if results else None


def render(latest: LabResult | None, ctx: RuleContext[EgfrLatestConfig]) -> list[Card]:
    """Returns one card naming the latest eGFR and its date; a warning below CDS_EGFR_LOW."""
    if latest is None:
        return []
    low = latest.value < Decimal(ctx.config.low)
    summary = f"Latest eGFR {latest.value.normalize():f} mL/min/1.73 m2 on {latest.when.date().isoformat()}"
    indicator = Indicator.WARNING if low else Indicator.INFO
    return [Card(uuid=ctx.new_uuid(), summary=summary, indicator=indicator, source=SOURCE, rule_id="egfr-latest")]


SPEC: CdsServiceSpec[LabResult | None] = CdsServiceSpec(
    id="egfr-latest",
    hook="patient-view",
    title="Latest eGFR",
    description="Shows the patient's most recent estimated GFR (a test-only example service).",
    prefetch={"patient": prefetch.PATIENT, "kidneyFunction": prefetch.KIDNEY_FUNCTION_OBSERVATIONS},
    evaluate=evaluate,
    render=render,
    in_scope=in_scope,
    required_keys=("kidneyFunction",),
    config_from_env=EgfrLatestConfig.from_env,
)
