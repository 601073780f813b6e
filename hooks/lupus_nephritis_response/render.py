"""Cards from an Assessment: refractoriness review (warning), response status (info), cannot assess (info); then the
next-line therapy and supportive-care cards (`therapy_cards.py`).

Summaries never name the patient and are fitted under 140 characters: when the longest form does not fit, a
shorter one (without the figures, then without the agents) is used. Every card names its criteria set in
`source` and links the seed and the set's guidelines.
"""

from __future__ import annotations

from hooks.cards import Card, Indicator, Link, Source
from hooks.lupus_nephritis_response import detail
from hooks.lupus_nephritis_response.criteria import CRITERIA_SETS, Checkpoint, CriteriaSet, Level
from hooks.lupus_nephritis_response.evidence import CITATIONS, SEED_CITATION_ID
from hooks.lupus_nephritis_response.lines import TreatmentLine
from hooks.lupus_nephritis_response.model import Assessment, Missing, Verdict
from hooks.lupus_nephritis_response.overrides import override_reasons
from hooks.lupus_nephritis_response.phrases import (
    figures,
    fit,
    level_name,
    line_agents,
    months_phrase,
    response_phrase,
    unassessed_phrase,
)
from hooks.lupus_nephritis_response.response import CheckpointStatus
from hooks.lupus_nephritis_response.text import CATALOGUES, EN, cap, fmt_amount, fmt_months, join, t
from hooks.lupus_nephritis_response.therapy_cards import summary_samples as therapy_summary_samples
from hooks.lupus_nephritis_response.therapy_cards import supportive_card, therapy_card
from hooks.spec import RuleContext

RULE_REFRACTORY = "ln-refractory"
RULE_STATUS = "ln-status"
RULE_CANNOT_ASSESS = "ln-cannot-assess"


def source(cs: CriteriaSet, locale: str) -> Source:
    """Returns the card source: the criteria set by name, linked to its main guideline."""
    return Source(label=t("source.label", locale, set=t(f"set.{cs.id}", locale)), url=CITATIONS[cs.citation_ids[0]].url)


def links(cs: CriteriaSet) -> tuple[Link, ...]:
    """Returns absolute links to the seed review and the set's guidelines, without repeats."""
    ids = dict.fromkeys((SEED_CITATION_ID, *cs.citation_ids))
    return tuple(Link(label=CITATIONS[i].label, url=CITATIONS[i].url) for i in ids)


def _headline(a: Assessment, status: CheckpointStatus) -> Checkpoint:
    """Returns the missed checkpoint the summary names: the latest one due (the window the patient is in)."""
    return a.with_status(status)[-1]


def _review_months(cs: CriteriaSet) -> str:
    return fmt_amount(min(c.months for c in cs.checkpoints if not c.watch_only), 0)


def _agents_variants(line: TreatmentLine, locale: str) -> tuple[str, str]:
    return line_agents(line, locale), t("agents.fallback", locale)


def refractory_summary(a: Assessment, line: TreatmentLine, locale: str) -> str:
    criterion = t(f"criterion.{_headline(a, CheckpointStatus.MISSED).key}", locale)
    months = months_phrase(a, locale)
    return fit(
        *(
            t("summary.refractory", locale, criterion=criterion, months=months, agents=agents)
            for agents in _agents_variants(line, locale)
        )
    )


def watch_summary(a: Assessment, cs: CriteriaSet, line: TreatmentLine, locale: str) -> str:
    criterion = t(f"criterion.{_headline(a, CheckpointStatus.MISSED).key}", locale)
    review = _review_months(cs)
    return fit(
        *(
            t(
                "summary.watch",
                locale,
                criterion=criterion,
                months=months_phrase(a, locale),
                agents=agents,
                review=review,
            )
            for agents in _agents_variants(line, locale)
        )
    )


def status_response(a: Assessment, locale: str) -> str:
    """Returns the response phrase of a status card. A set of milestones (EULAR 2019/2025) may have no response
    class for what the patient reached ("no response yet" after a 19% fall), yet the latest due milestone is met:
    then the card says so, since that is what the set judges."""
    latest = a.checkpoints[-1] if a.checkpoints else None
    r = a.response
    plain_none = r is not None and r.level is Level.NONE and r.provisional is None and r.undecided is None
    if plain_none and latest is not None and latest.status is CheckpointStatus.MET:
        key = f"met.{latest.checkpoint.key}"
        if key in EN:
            return t(key, locale)
    return response_phrase(r, locale)


def status_summary(a: Assessment, line: TreatmentLine, locale: str) -> str:
    response = status_response(a, locale)
    months = months_phrase(a, locale)
    figs = figures(a.proteinuria, locale) if a.proteinuria and a.response else ""
    candidates = []
    for agents in _agents_variants(line, locale):
        if figs:
            candidates.append(
                t("summary.status", locale, response=response, months=months, agents=agents, figures=figs)
            )
        candidates.append(t("summary.status.short", locale, response=response, months=months, agents=agents))
    return fit(*candidates)


def cannot_assess_summary(a: Assessment, locale: str) -> str:
    if set(a.missing) == {Missing.BASELINE, Missing.CURRENT}:
        what = t("missing-short.both", locale)
    else:
        what = t(f"missing-short.{a.missing[0].value}", locale)
    return fit(t("summary.cannot-assess", locale, what=what))


def orders_phrase(count: int, locale: str) -> str:
    """Returns "1 medication order" or "3 medication orders"."""
    return t("orders.one" if count == 1 else "orders.many", locale, count=count)


def unknown_line_summary(a: Assessment, locale: str) -> str:
    what = t("unrecognised-short", locale, orders=orders_phrase(a.unresolved_medications, locale))
    return fit(t("summary.cannot-assess", locale, what=what))


def unknown_line_detail(a: Assessment, cs: CriteriaSet, locale: str) -> str:
    """Returns why no treatment line could be determined: no recognised line agent, some orders not identified."""
    return _blocks(
        t("detail.cannot.line", locale, orders=orders_phrase(a.unresolved_medications, locale)),
        t("detail.cannot.line.action", locale),
        t("detail.criteria", locale, set=t(f"set.{cs.id}", locale)),
    )


def _blocks(*blocks: str) -> str:
    return "\n\n".join(b for b in blocks if b)


def refractory_detail(a: Assessment, cs: CriteriaSet, line: TreatmentLine, locale: str) -> str:
    missed = a.with_status(CheckpointStatus.MISSED)
    head = missed[-1]
    months = months_phrase(a, locale)
    lead = t(
        "detail.refractory.head",
        locale,
        criterion=cap(t(f"criterion.{head.key}", locale)),
        months=months,
        agents=line_agents(line, locale),
        window=detail.window(head, locale),
    )
    others = [f"{t(f'criterion.{c.key}', locale)} ({detail.window(c, locale)})" for c in missed[:-1]]
    also = t("detail.also", locale, criteria=join(others, locale)) if others else ""
    return _blocks(
        " ".join(x for x in (lead, detail.needs(head, cs, a.proteinuria, locale)) if x),
        " ".join(x for x in (detail.figures_sentence(a.proteinuria, locale) if a.proteinuria else "", also) if x),
        detail.line_block(a, line, locale),
        detail.table(a, locale),
        t("detail.criteria", locale, set=t(f"set.{cs.id}", locale)),
        detail.checklist(a.checklist, locale),
        detail.notes(a, locale),
    )


def _status_lines(a: Assessment, cs: CriteriaSet, locale: str) -> list[str]:
    out = []
    if a.response and a.response.provisional is not None:
        level = level_name(a.response.provisional, locale)
        unassessed = cap(unassessed_phrase(a.response, locale))
        out.append(t("detail.provisional", locale, level=level, unassessed=unassessed))
    watched = a.with_status(CheckpointStatus.MISSED)
    if a.verdict is Verdict.WATCH and watched:
        c = watched[-1]
        out.append(
            t(
                "detail.watch",
                locale,
                criterion=cap(t(f"criterion.{c.key}", locale)),
                months=months_phrase(a, locale),
                window=detail.window(c, locale),
                set=t(f"set.{cs.id}", locale),
                review=_review_months(cs),
            )
        )
    nxt = a.next_checkpoint
    if nxt is not None:
        out.append(
            t(
                "detail.next",
                locale,
                months=fmt_amount(nxt.months, 0),
                needs=detail.needs(nxt, cs, a.proteinuria, locale),
            )
        )
    else:
        out.append(t("detail.next.none", locale))
    return out


def status_detail(a: Assessment, cs: CriteriaSet, line: TreatmentLine, locale: str) -> str:
    head = t(
        "detail.status.head",
        locale,
        response=cap(status_response(a, locale)),
        months=months_phrase(a, locale),
        agents=line_agents(line, locale),
    )
    return _blocks(
        " ".join([head, *_status_lines(a, cs, locale)]),
        detail.figures_sentence(a.proteinuria, locale) if a.proteinuria else "",
        detail.line_block(a, line, locale),
        detail.table(a, locale),
        t("detail.criteria", locale, set=t(f"set.{cs.id}", locale)),
        detail.notes(a, locale),
    )


def cannot_assess_detail(a: Assessment, cs: CriteriaSet, line: TreatmentLine, locale: str) -> str:
    head = t(
        "detail.cannot.head",
        locale,
        agents=line_agents(line, locale),
        t0=line.t0.isoformat(),
        months=months_phrase(a, locale),
    )
    return _blocks(
        "\n".join([head, "", detail.missing_list(a, a.proteinuria, locale)]) if a.proteinuria else head,
        t("detail.cannot.action", locale) if Missing.BASELINE not in a.missing else "",
        t("detail.criteria", locale, set=t(f"set.{cs.id}", locale)),
        detail.notes(a, locale),
    )


def _card(ctx: RuleContext, cs: CriteriaSet, rule_id: str, indicator: Indicator, summary: str, text: str) -> Card:
    return Card(
        uuid=ctx.new_uuid(),
        summary=summary,
        indicator=indicator,
        source=source(cs, ctx.locale),
        detail=text,
        links=links(cs),
        override_reasons=override_reasons(ctx.locale) if indicator is Indicator.WARNING else (),
        rule_id=rule_id,
    )


def render(a: Assessment, ctx: RuleContext) -> list[Card]:
    """Returns the cards for `a`: the response card, the next-line options for a refractory line, and the
    supportive-care card when the record lacks supportive care (switchable). None out of scope."""
    if not a.in_scope or a.criteria is None:
        return []
    cards = response_cards(a, ctx)
    if a.therapy is not None:
        cards.append(therapy_card(a.therapy, a.criteria, ctx))
    if a.supportive is not None and ctx.config.show_supportive_card:
        cards.append(supportive_card(a.supportive, a.criteria, ctx))
    return cards


def response_cards(a: Assessment, ctx: RuleContext) -> list[Card]:
    """Returns the response card for `a`: exactly one on a line; without a line, the "cannot assess" card when
    unrecognised medication orders leave the line undetermined, else none."""
    cs, line, loc = a.criteria, a.line, ctx.locale
    if not a.in_scope or cs is None or a.verdict is None:
        return []
    if line is None:
        if a.verdict is not Verdict.CANNOT_ASSESS or Missing.TREATMENT_LINE not in a.missing:
            return []
        summary, text = unknown_line_summary(a, loc), unknown_line_detail(a, cs, loc)
        return [_card(ctx, cs, RULE_CANNOT_ASSESS, Indicator.INFO, summary, text)]
    if a.verdict is Verdict.REFRACTORY:
        summary, text = refractory_summary(a, line, loc), refractory_detail(a, cs, line, loc)
        return [_card(ctx, cs, RULE_REFRACTORY, Indicator.WARNING, summary, text)]
    if a.verdict is Verdict.CANNOT_ASSESS:
        summary, text = cannot_assess_summary(a, loc), cannot_assess_detail(a, cs, line, loc)
        return [_card(ctx, cs, RULE_CANNOT_ASSESS, Indicator.INFO, summary, text)]
    if a.verdict is Verdict.WATCH:
        summary = watch_summary(a, cs, line, loc)
    elif ctx.config.show_status_card:
        summary = status_summary(a, line, loc)
    else:
        return []
    return [_card(ctx, cs, RULE_STATUS, Indicator.INFO, summary, status_detail(a, cs, line, loc))]


# The longest realistic values each summary template is filled with, for the startup length check (STYLE #6).
LONGEST_MONTHS = 120  # ten years on one line
LONGEST_UNCODED = 999  # medication orders not identified, for the "cannot assess" summary
LONGEST_AGENTS = (  # a maintenance line after CYC induction with an add-on, and a triple combination
    "cyclophosphamide then mycophenolate mofetil + belimumab",
    "mycophenolate mofetil + voclosporin + belimumab",
)


def summary_samples(locale: str = "en") -> tuple[str, ...]:
    """Returns every summary template filled with the longest realistic values (before any shortening).

    A watch note exists only before a set's first refractory time point, so its sample uses the month before.
    """
    catalogue = CATALOGUES.get(locale, EN)
    longest = max((v for k, v in catalogue.items() if k.startswith("criterion.")), key=len)
    months, agents = fmt_months(LONGEST_MONTHS, locale), max(LONGEST_AGENTS, key=len)
    watch_sets = [cs for cs in CRITERIA_SETS.values() if any(c.watch_only for c in cs.checkpoints)]
    watch_criterion = max(
        (t(f"criterion.{c.key}", locale) for cs in watch_sets for c in cs.checkpoints if c.watch_only), key=len
    )
    review = max(int(_review_months(cs)) for cs in watch_sets)
    response = t("level.provisional", locale, level=t("level.3", locale))
    return (
        t("summary.refractory", locale, criterion=longest, months=months, agents=agents),
        t(
            "summary.watch",
            locale,
            criterion=watch_criterion,
            months=fmt_months(review - 1, locale),
            agents=agents,
            review=str(review),
        ),
        t("summary.status.short", locale, response=response, months=months, agents=agents),
        *(t("summary.cannot-assess", locale, what=v) for k, v in catalogue.items() if k.startswith("missing-short.")),
        t(
            "summary.cannot-assess",
            locale,
            what=t("unrecognised-short", locale, orders=orders_phrase(LONGEST_UNCODED, locale)),
        ),
        *therapy_summary_samples(locale),
    )
