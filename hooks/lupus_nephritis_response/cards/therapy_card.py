"""The next-line therapy card and the supportive-care card, from an Assessment's `therapy` and `supportive` data.

Next-line card (info): options numbered in order, one line each (name, why for this patient, regimen, evidence
level), then a repeat-biopsy note, options withheld in pregnancy, cautions and the order's sources; one link per
cited study (verified DOI or ClinicalTrials.gov record, `evidence.py`); suggestions for the draft orders
(`orders.py`). Supportive card (info): what the record lacks, with the checks it cannot show. Both name the
criteria set or the source they rest on, and neither names the patient.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from fhir_maps.domain import Agent, LabConcept
from hooks.cards import Card, Indicator, Link, Source
from hooks.lupus_nephritis_response.cards.draft_orders import suggestions
from hooks.lupus_nephritis_response.cards.override_reasons import SUPPORTIVE_REASONS, THERAPY_REASONS, override_reasons
from hooks.lupus_nephritis_response.cards.phrases import fit, format_param, reading_value
from hooks.lupus_nephritis_response.cards.words import cap, fmt_amount, fmt_date, join, t
from hooks.lupus_nephritis_response.knowledge.citations import CITATIONS, SEED_CITATION_ID
from hooks.lupus_nephritis_response.knowledge.criteria_sets import CriteriaSet
from hooks.lupus_nephritis_response.knowledge.therapy_table import THERAPY_TABLE
from hooks.lupus_nephritis_response.rules.checklist import Param
from hooks.lupus_nephritis_response.rules.measures import Reading
from hooks.lupus_nephritis_response.rules.next_line import Caution, PlannedOption, TherapyPlan
from hooks.lupus_nephritis_response.rules.supportive_care import SupportiveGaps
from hooks.spec import RuleContext

RULE_THERAPY = "ln-next-line-therapy"  # sorts before ln-supportive-care among info cards
RULE_SUPPORTIVE = "ln-supportive-care"


def _names(agents: Sequence[Agent], locale: str) -> str:
    return join([t(f"agent.{a.value}", locale) for a in agents], locale)


def option_numbers(numbers: Sequence[int], locale: str) -> str:
    """Returns "option 2" or "options 2, 3 and 5"."""
    key = "options.one" if len(numbers) == 1 else "options.many"
    return t(key, locale, numbers=join([str(n) for n in numbers], locale))


def _value(value: Param | tuple[int, ...] | tuple[Agent, ...], locale: str) -> str:
    if isinstance(value, tuple):
        agents = [v for v in value if isinstance(v, Agent)]
        return _names(agents, locale) if agents else option_numbers([v for v in value if isinstance(v, int)], locale)
    return format_param(value, locale)


def option_line(p: PlannedOption, locale: str) -> str:
    """Returns "1. **Rituximab ...** — why. Regimen. _Evidence: level; detail._"."""
    o = p.option
    return t(
        "therapy.line",
        locale,
        n=p.number,
        name=t(f"therapy.{o.id}.name", locale),
        why=t(p.reason_key, locale),
        regimen=t(f"therapy.{o.id}.regimen", locale),
        level=t(f"evidence.{o.evidence.value}", locale),
        detail=t(f"therapy.{o.id}.evidence", locale),
    )


def caution_line(c: Caution, locale: str) -> str:
    """Returns one caution as a Markdown bullet."""
    values = {name: _value(value, locale) for name, value in c.params}
    return f"- {t(f'caution.{c.key}', locale, **values)}"


def therapy_summary(plan: TherapyPlan, locale: str) -> str:
    """Returns the summary: the first option and how many follow."""
    if not plan.options:
        return fit(t("summary.therapy.none", locale))
    first = t(f"therapy.{plan.options[0].option.id}.short", locale)
    if len(plan.options) == 1:
        return fit(t("summary.therapy.one", locale, first=first))
    return fit(t("summary.therapy", locale, first=first, more=len(plan.options) - 1))


def _options_block(plan: TherapyPlan, locale: str) -> str:
    head = t("therapy.head", locale, agents=_names(plan.tried, locale))
    lines = [option_line(p, locale) for p in plan.options] or [t("therapy.none", locale)]
    return "\n".join([head, "", *lines])


def _orders_block(plan: TherapyPlan, locale: str) -> str:
    out = []
    if plan.biopsy:
        reasons = join([t(f"biopsy.{r.value}", locale) for r in plan.biopsy], locale)
        out.append(t("therapy.biopsy", locale, reasons=reasons))
    out += [t("therapy.level", locale, agent=t(f"agent.{a.value}", locale)) for a in plan.level_tests]
    return " ".join(out)


def _order_line(plan: TherapyPlan, cs: CriteriaSet, locale: str) -> str:
    extra = [t(f"guideline.{g}", locale) for g in plan.guidelines if g != SEED_CITATION_ID]
    guidelines = t("therapy.guidelines", locale, guidelines=join(extra, locale)) if extra else ""
    return t("therapy.order", locale, guidelines=guidelines, set=t(f"set.{cs.id}", locale))


def therapy_detail(plan: TherapyPlan, cs: CriteriaSet, locale: str) -> str:
    """Returns the card's Markdown: options, orders, withheld options, cautions, sources of the order."""
    withheld = [t(f"therapy.{o.id}.short", locale) for o in plan.withheld_in_pregnancy]
    cautions = [caution_line(c, locale) for c in plan.cautions]
    blocks = [
        _options_block(plan, locale),
        _orders_block(plan, locale),
        t("therapy.withheld", locale, options=join(withheld, locale)) if withheld else "",
        "\n".join([t("therapy.cautions", locale), "", *cautions]) if cautions else "",
        _order_line(plan, cs, locale),
    ]
    return "\n\n".join(b for b in blocks if b)


def therapy_links(plan: TherapyPlan, locale: str) -> tuple[Link, ...]:
    """Returns the seed (the order's source), then one link per cited study, labelled with its option numbers."""
    numbers: dict[str, list[int]] = {}
    for p in plan.options:
        for source in p.option.sources:
            if source in CITATIONS and source != SEED_CITATION_ID:
                numbers.setdefault(source, []).append(p.number)
    seed = CITATIONS[SEED_CITATION_ID]
    out = [Link(label=t("link.order", locale, label=seed.label), url=seed.url)]
    for source, nums in numbers.items():
        citation, options = CITATIONS[source], cap(option_numbers(nums, locale))
        out.append(Link(label=t("link.option", locale, options=options, label=citation.label), url=citation.url))
    return tuple(out)


def therapy_card(plan: TherapyPlan, cs: CriteriaSet, ctx: RuleContext) -> Card:
    """Returns the next-line therapy card, with its draft-order suggestions."""
    loc = ctx.locale
    uuid = ctx.new_uuid()
    proposed = suggestions(plan, ctx)
    seed = CITATIONS[SEED_CITATION_ID]
    return Card(
        uuid=uuid,
        summary=therapy_summary(plan, loc),
        indicator=Indicator.INFO,
        source=Source(label=t("source.therapy", loc, set=t(f"set.{cs.id}", loc)), url=seed.url),
        detail=therapy_detail(plan, cs, loc),
        suggestions=proposed,
        selection_behavior="any" if proposed else None,
        override_reasons=override_reasons(loc, THERAPY_REASONS),
        links=therapy_links(plan, loc),
        rule_id=RULE_THERAPY,
    )


def _supportive_items(g: SupportiveGaps, locale: str) -> list[str]:
    items = [t("supportive.item.raas", locale)] if g.proteinuria else []
    return items + ([t("supportive.item.hcq", locale)] if g.no_hydroxychloroquine else [])


def _raas_line(key: str, r: Reading, ceiling: Decimal, locale: str) -> str:
    kind = "upcr" if r.concept is LabConcept.UPCR else "protein-24h"
    return t(
        key,
        locale,
        measure=t(f"measure.{kind}", locale),
        value=reading_value(r),
        unit=t(f"unit.{kind}", locale),
        day=fmt_date(r.day),
        ceiling=fmt_amount(ceiling, 1),
    )


def supportive_detail(g: SupportiveGaps, cs: CriteriaSet, locale: str) -> str:
    """Returns the pregnancy flag, the missing measures (or the RAAS hold in pregnancy) as bullets, then the checks
    the record cannot show."""
    lines = [t("supportive.head", locale), ""]
    ceiling = cs.complete.max_proteinuria
    if g.raas_active_in_pregnancy:
        lines.append(t("supportive.raas-in-pregnancy", locale))
    if g.proteinuria is not None and ceiling is not None:
        lines.append(_raas_line("supportive.raas", g.proteinuria, ceiling, locale))
    if g.raas_held is not None and ceiling is not None:
        lines.append(_raas_line("supportive.raas-held", g.raas_held, ceiling, locale))
    if g.no_hydroxychloroquine:
        lines.append(t("supportive.hcq", locale))
    lines.append(t("supportive.checks", locale))
    return "\n".join(lines)


def supportive_summary(g: SupportiveGaps, locale: str) -> str:
    """Returns the summary: a RAAS blocker active in pregnancy first, else the measures the record lacks."""
    if g.raas_active_in_pregnancy:
        return fit(t("summary.supportive.raas-in-pregnancy", locale))
    return fit(t("summary.supportive", locale, items=join(_supportive_items(g, locale), locale)))


def supportive_card(g: SupportiveGaps, cs: CriteriaSet, ctx: RuleContext) -> Card:
    """Returns the one concise supportive-care card; it names the criteria set whose ceiling defines "proteinuric"."""
    loc = ctx.locale
    seed = CITATIONS[SEED_CITATION_ID]
    return Card(
        uuid=ctx.new_uuid(),
        summary=supportive_summary(g, loc),
        # A RAAS blocker active while pregnancy is recorded is a safety flag, not a reminder: warn.
        indicator=Indicator.WARNING if g.raas_active_in_pregnancy else Indicator.INFO,
        source=Source(label=t("source.supportive", loc, set=t(f"set.{cs.id}", loc)), url=seed.url),
        detail=supportive_detail(g, cs, loc),
        override_reasons=override_reasons(loc, SUPPORTIVE_REASONS),
        links=(Link(label=seed.label, url=seed.url),),
        rule_id=RULE_SUPPORTIVE,
    )


def summary_samples(locale: str = "en") -> tuple[str, ...]:
    """Returns the therapy and supportive summary templates filled with their longest values."""
    first = max((t(f"therapy.{o.id}.short", locale) for o in THERAPY_TABLE), key=len)
    items = join([t("supportive.item.raas", locale), t("supportive.item.hcq", locale)], locale)
    return (
        t("summary.therapy", locale, first=first, more=len(THERAPY_TABLE) - 1),
        t("summary.therapy.one", locale, first=first),
        t("summary.therapy.none", locale),
        t("summary.supportive", locale, items=items),
        t("summary.supportive.raas-in-pregnancy", locale),
    )
