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
from hooks.lupus_nephritis_response.cards.words import Words, cap
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


def biopsy_suggestion(plan: TherapyPlan, ctx: RuleContext, words: Words) -> Suggestion:
    """Returns the repeat-biopsy suggestion, naming why it is due."""
    reasons = words.join([words.biopsy_reason(r) for r in plan.biopsy])
    resource = service_request(
        KIDNEY_BIOPSY, words.t("order.biopsy.text"), words.t("order.biopsy.reason", reasons=reasons), ctx
    )
    action = Action(type="create", description=words.t("action.biopsy"), resource=resource)
    return Suggestion(label=words.t("suggest.biopsy"), uuid=ctx.new_uuid(), actions=(action,), kind="repeat-biopsy")


def level_suggestion(agent: Agent, ctx: RuleContext, words: Words) -> Suggestion:
    """Returns the trough-level suggestion for an active calcineurin inhibitor."""
    name = words.agent(agent)
    resource = service_request(
        CNI_LEVEL_TESTS[agent],
        words.t("order.level.text", agent=cap(name)),
        words.t("order.level.reason"),
        ctx,
        note=words.t("order.level.note"),
    )
    action = Action(type="create", description=words.t("action.level", agent=name), resource=resource)
    label = words.t("suggest.level", agent=cap(name))
    # kind, e.g. tacrolimus-trough: the store's name for what was proposed
    return Suggestion(label=label, uuid=ctx.new_uuid(), actions=(action,), kind=f"{agent.value}-trough")


def suggestions(plan: TherapyPlan, ctx: RuleContext, words: Words) -> tuple[Suggestion, ...]:
    """Returns the biopsy suggestion (when due), then one level suggestion per active calcineurin inhibitor."""
    out = [biopsy_suggestion(plan, ctx, words)] if plan.biopsy and plan.biopsy_order else []
    out += [level_suggestion(agent, ctx, words) for agent in plan.level_tests]
    return tuple(out)
