"""The supportive-care card (info), from an Assessment's
`supportive` gaps: what the record lacks, with the checks it cannot show. It names the criteria set whose ceiling
defines "proteinuric" and never names the patient.
"""

from __future__ import annotations

from decimal import Decimal

from hooks.cards import Card, Indicator, Link, Source
from hooks.lupus_nephritis_response.cards.override_reasons import SUPPORTIVE_REASONS, override_reasons
from hooks.lupus_nephritis_response.cards.phrases import fit, link_label, reading_value
from hooks.lupus_nephritis_response.cards.words import ENGLISH, Words, proteinuria_kind
from hooks.lupus_nephritis_response.knowledge.citations import CITATIONS, SEED_CITATION_ID
from hooks.lupus_nephritis_response.knowledge.criteria_sets import CriteriaSet
from hooks.lupus_nephritis_response.rules.measures import Reading
from hooks.lupus_nephritis_response.rules.supportive_care import SupportiveGaps
from hooks.spec import RuleContext

RULE_SUPPORTIVE = "ln-supportive-care"


def _supportive_items(g: SupportiveGaps, words: Words) -> list[str]:
    items = [words.t("supportive.item.raas")] if g.proteinuria else []
    return items + ([words.t("supportive.item.hcq")] if g.no_hydroxychloroquine else [])


def _raas_line(key: str, r: Reading, ceiling: Decimal, words: Words) -> str:
    kind = proteinuria_kind(r.concept)
    return words.t(
        key,
        measure=words.measure(kind),
        value=reading_value(r, words),
        unit=words.unit(kind),
        day=words.day(r.day),
        ceiling=words.amount(ceiling, 1),
    )


def supportive_detail(g: SupportiveGaps, cs: CriteriaSet, words: Words) -> str:
    """Returns the missing measures (or the RAAS hold in pregnancy) as bullets, then the checks
    the record cannot show."""
    lines = [words.t("supportive.head"), ""]
    ceiling = cs.complete.max_proteinuria
    if g.proteinuria is not None and ceiling is not None:
        lines.append(_raas_line("supportive.raas", g.proteinuria, ceiling, words))
    if g.raas_held is not None and ceiling is not None:
        lines.append(_raas_line("supportive.raas-held", g.raas_held, ceiling, words))
    if g.no_hydroxychloroquine:
        lines.append(words.t("supportive.hcq"))
    lines.append(words.t("supportive.checks"))
    return "\n".join(lines)


def supportive_summary(g: SupportiveGaps, words: Words) -> str:
    """Returns the summary: the measures the record lacks (a RAAS blocker active in pregnancy is on the safety card)."""
    return fit(words.t("summary.supportive", items=words.join(_supportive_items(g, words))))


def supportive_card(g: SupportiveGaps, cs: CriteriaSet, ctx: RuleContext, words: Words) -> Card:
    """Returns the one concise supportive-care card; it names the criteria set whose ceiling defines "proteinuric"."""
    seed = CITATIONS[SEED_CITATION_ID]
    return Card(
        uuid=ctx.new_uuid(),
        summary=supportive_summary(g, words),
        indicator=Indicator.INFO,
        source=Source(label=words.t("source.supportive", set=words.criteria_set(cs)), url=seed.url),
        detail=supportive_detail(g, cs, words),
        override_reasons=override_reasons(words, SUPPORTIVE_REASONS),
        links=(Link(label=link_label(seed.label), url=seed.url),),
        rule_id=RULE_SUPPORTIVE,
    )


def summary_samples(words: Words = ENGLISH) -> tuple[str, ...]:
    """Returns the supportive summary templates filled with their longest values."""
    items = words.join([words.t("supportive.item.raas"), words.t("supportive.item.hcq")])
    return (words.t("summary.supportive", items=items),)
