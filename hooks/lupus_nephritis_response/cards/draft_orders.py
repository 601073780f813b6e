"""The draft orders the next-line card proposes, as CDS Hooks suggestions holding FHIR R4 ServiceRequests.

Each ServiceRequest is a `draft` with intent `proposal` (the service proposes; the clinician decides), its subject
is the request's patient (`RuleContext.patient_ref`), and its code is a verified one from `fhir_maps.codes`:
SNOMED CT 7246002 for the biopsy, LOINC 11253-2 / 3520-4 for tacrolimus / cyclosporine in blood.
"""

from __future__ import annotations

from typing import Any

from fhir_maps.codes import CNI_LEVEL_TESTS, KIDNEY_BIOPSY, OrderCode
from fhir_maps.domain import Agent
from hooks.cards import Action, Suggestion
from hooks.lupus_nephritis_response.cards.words import cap, join, t
from hooks.lupus_nephritis_response.rules.next_line import TherapyPlan
from hooks.spec import RuleContext

Resource = dict[str, Any]


def service_request(code: OrderCode, text: str, reason: str, ctx: RuleContext, note: str | None = None) -> Resource:
    """Returns a draft ServiceRequest (FHIR R4) for the request's patient."""
    system, value, display = code
    resource: Resource = {
        "resourceType": "ServiceRequest",
        "status": "draft",
        "intent": "proposal",
        "code": {"coding": [{"system": system, "code": value, "display": display}], "text": text},
        "subject": {"reference": ctx.patient_ref},
        "authoredOn": ctx.today.isoformat(),
        "reasonCode": [{"text": reason}],
    }
    if note:
        resource["note"] = [{"text": note}]
    return resource


def biopsy_suggestion(plan: TherapyPlan, ctx: RuleContext) -> Suggestion:
    """Returns the repeat-biopsy suggestion, naming why it is due."""
    loc = ctx.locale
    reasons = join([t(f"biopsy.{r.value}", loc) for r in plan.biopsy], loc)
    resource = service_request(
        KIDNEY_BIOPSY, t("order.biopsy.text", loc), t("order.biopsy.reason", loc, reasons=reasons), ctx
    )
    action = Action(type="create", description=t("action.biopsy", loc), resource=resource)
    return Suggestion(label=t("suggest.biopsy", loc), uuid=ctx.new_uuid(), actions=(action,))


def level_suggestion(agent: Agent, ctx: RuleContext) -> Suggestion:
    """Returns the trough-level suggestion for an active calcineurin inhibitor."""
    loc = ctx.locale
    name = t(f"agent.{agent.value}", loc)
    resource = service_request(
        CNI_LEVEL_TESTS[agent],
        t("order.level.text", loc, agent=cap(name)),
        t("order.level.reason", loc),
        ctx,
        note=t("order.level.note", loc),
    )
    action = Action(type="create", description=t("action.level", loc, agent=name), resource=resource)
    return Suggestion(label=t("suggest.level", loc, agent=cap(name)), uuid=ctx.new_uuid(), actions=(action,))


def suggestions(plan: TherapyPlan, ctx: RuleContext) -> tuple[Suggestion, ...]:
    """Returns the biopsy suggestion (when due), then one level suggestion per active calcineurin inhibitor."""
    out = [biopsy_suggestion(plan, ctx)] if plan.biopsy else []
    out += [level_suggestion(agent, ctx) for agent in plan.level_tests]
    return tuple(out)
