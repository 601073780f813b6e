"""The next-line therapy card, from an Assessment's `therapy` (the supportive-care card is `supportive_card.py`).

Next-line card (info): options numbered in order, one line each (name, why for this patient, regimen, evidence
level), then a repeat-biopsy note, options withheld in pregnancy, cautions and the order's sources; one link per
cited study (verified DOI or ClinicalTrials.gov record, `knowledge/citations.py`); suggestions for the draft
orders (`draft_orders.py`). The card names the criteria set and the source of the order, and never names the
patient.
"""

from __future__ import annotations

from collections.abc import Sequence

from fhir_maps.domain import Agent
from hooks.cards import Card, Indicator, Link, Source
from hooks.lupus_nephritis_response.cards.draft_orders import suggestions
from hooks.lupus_nephritis_response.cards.override_reasons import THERAPY_REASONS, override_reasons
from hooks.lupus_nephritis_response.cards.phrases import fit, format_param, link_label
from hooks.lupus_nephritis_response.cards.words import ENGLISH, Words, cap
from hooks.lupus_nephritis_response.knowledge.citations import CITATIONS, SEED_CITATION_ID
from hooks.lupus_nephritis_response.knowledge.criteria_sets import CriteriaSet
from hooks.lupus_nephritis_response.knowledge.therapy_table import THERAPY_TABLE
from hooks.lupus_nephritis_response.rules.checklist import Param
from hooks.lupus_nephritis_response.rules.next_line import Caution, CautionKey, PlannedOption, TherapyPlan
from hooks.spec import RuleContext

RULE_THERAPY = "ln-next-line-therapy"  # sorts before ln-supportive-care among info cards


def option_numbers(numbers: Sequence[int], words: Words) -> str:
    """Returns "option 2" or "options 2, 3 and 5"."""
    key = "options.one" if len(numbers) == 1 else "options.many"
    return words.t(key, numbers=words.join([str(n) for n in numbers]))


def _value(value: Param | tuple[int, ...] | tuple[Agent, ...], words: Words) -> str:
    if isinstance(value, tuple):
        agents = [v for v in value if isinstance(v, Agent)]
        return words.agent_list(agents) if agents else option_numbers([v for v in value if isinstance(v, int)], words)
    return format_param(value, words)


def option_line(p: PlannedOption, words: Words) -> str:
    """Returns "1. **Rituximab ...** — why. Regimen. _Evidence: level; detail._"."""
    o = p.option
    therapy = words.therapy(o)
    return words.t(
        "therapy.line",
        n=p.number,
        name=therapy.name,
        why=words.why(p.reason_key),
        regimen=therapy.regimen,
        level=words.evidence_level(o.evidence),
        detail=therapy.evidence,
    )


def caution_line(c: Caution, words: Words) -> str:
    """Returns one caution as a Markdown bullet."""
    values = {name: _value(value, words) for name, value in c.params}
    return f"- {words.caution(c.key, **values)}"


def therapy_summary(plan: TherapyPlan, words: Words) -> str:
    """Returns the summary: the first option and how many follow."""
    if not plan.options:
        return fit(words.t("summary.therapy.none"))
    first = words.therapy(plan.options[0].option).short
    if len(plan.options) == 1:
        return fit(words.t("summary.therapy.one", first=first))
    return fit(words.t("summary.therapy", first=first, more=len(plan.options) - 1))


def _options_block(plan: TherapyPlan, words: Words) -> str:
    head = words.t("therapy.head", agents=words.agent_list(plan.tried))
    lines = [option_line(p, words) for p in plan.options] or [words.t("therapy.none")]
    return "\n".join([head, "", *lines])


def _orders_block(plan: TherapyPlan, words: Words) -> str:
    out = [words.t("therapy.urinalysis")] if plan.urinalysis_due else []
    if plan.biopsy:
        reasons = words.join([words.biopsy_reason(r) for r in plan.biopsy])
        out.append(words.t("therapy.biopsy", reasons=reasons))
        # pregnancy changes the advice: the biopsy is weighed with obstetric care and no draft order is attached
        out.append(words.t("therapy.biopsy.attached" if plan.biopsy_order else "therapy.biopsy.pregnancy"))
    out += [words.t("therapy.level", agent=words.agent(a)) for a in plan.level_tests]
    return " ".join(out)


def _order_line(plan: TherapyPlan, cs: CriteriaSet, words: Words) -> str:
    extra = [words.guideline(g) for g in plan.guidelines if g != SEED_CITATION_ID]
    guidelines = words.t("therapy.guidelines", guidelines=words.join(extra)) if extra else ""
    return words.t("therapy.order", guidelines=guidelines, set=words.criteria_set(cs))


def therapy_detail(plan: TherapyPlan, cs: CriteriaSet, words: Words) -> str:
    """Returns the card's Markdown: options, orders, withheld options, cautions, sources of the order."""
    withheld = [words.therapy(o).short for o in plan.withheld_in_pregnancy]
    # A teratogen active in pregnancy is always on the drug-safety card (rules/safety.py), which leads every card:
    # pregnancy is said there once, not again here (review finding E14).
    cautions = [caution_line(c, words) for c in plan.cautions if c.key is not CautionKey.PREGNANCY_TERATOGEN_ACTIVE]
    blocks = [
        _options_block(plan, words),
        _orders_block(plan, words),
        words.t("therapy.withheld", options=words.join(withheld)) if withheld else "",
        "\n".join([words.t("therapy.cautions"), "", *cautions]) if cautions else "",
        _order_line(plan, cs, words),
    ]
    return "\n\n".join(b for b in blocks if b)


def therapy_links(plan: TherapyPlan, words: Words) -> tuple[Link, ...]:
    """Returns the review (the order's source), then one link per cited study, labelled with its option numbers."""
    numbers: dict[str, list[int]] = {}
    for p in plan.options:
        for source in p.option.sources:
            if source in CITATIONS and source != SEED_CITATION_ID:
                numbers.setdefault(source, []).append(p.number)
    seed = CITATIONS[SEED_CITATION_ID]
    out = [Link(label=link_label(words.t("link.order", label=seed.label)), url=seed.url)]
    for source, nums in numbers.items():
        citation, options = CITATIONS[source], cap(option_numbers(nums, words))
        out.append(
            Link(label=link_label(words.t("link.option", options=options, label=citation.label)), url=citation.url)
        )
    return tuple(out)


def therapy_card(plan: TherapyPlan, cs: CriteriaSet, ctx: RuleContext, words: Words) -> Card:
    """Returns the next-line therapy card, with its draft-order suggestions."""
    uuid = ctx.new_uuid()
    proposed = suggestions(plan, ctx, words)
    seed = CITATIONS[SEED_CITATION_ID]
    return Card(
        uuid=uuid,
        summary=therapy_summary(plan, words),
        indicator=Indicator.INFO,
        source=Source(label=words.t("source.therapy", set=words.criteria_set(cs)), url=seed.url),
        detail=therapy_detail(plan, cs, words),
        suggestions=proposed,
        selection_behavior="any" if proposed else None,
        override_reasons=override_reasons(words, THERAPY_REASONS),
        links=therapy_links(plan, words),
        rule_id=RULE_THERAPY,
    )


def summary_samples(words: Words = ENGLISH) -> tuple[str, ...]:
    """Returns the therapy summary templates filled with their longest values."""
    first = max((words.therapy(o).short for o in THERAPY_TABLE), key=len)
    return (
        words.t("summary.therapy", first=first, more=len(THERAPY_TABLE) - 1),
        words.t("summary.therapy.one", first=first),
        words.t("summary.therapy.none"),
    )
