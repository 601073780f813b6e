"""The cards of one call: `render(assessment, ctx)` (the spec's render step) and the summary samples the registry
checks at startup (STYLE #6: every summary template, filled with its longest values, stays under 140 characters).

Order: the pregnancy drug-safety card (`safety_card`) whatever the verdict, then the response card
(`response_card`), the next-line therapy card for a refractory line (`therapy_card`), then the supportive-care card
(`supportive_card`) when the record lacks supportive care and the site shows it.
"""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from fhir_maps.domain import Agent
from hooks.cards import Card, Chart, Link
from hooks.lupus_nephritis_response.cards.chart import render_chart
from hooks.lupus_nephritis_response.cards.response_card import (
    line_summary_samples,
    orders_phrase,
    response_cards,
    review_months,
)
from hooks.lupus_nephritis_response.cards.safety_card import safety_card
from hooks.lupus_nephritis_response.cards.safety_card import summary_samples as safety_summary_samples
from hooks.lupus_nephritis_response.cards.supportive_card import summary_samples as supportive_summary_samples
from hooks.lupus_nephritis_response.cards.supportive_card import supportive_card
from hooks.lupus_nephritis_response.cards.therapy_card import summary_samples as therapy_summary_samples
from hooks.lupus_nephritis_response.cards.therapy_card import therapy_card
from hooks.lupus_nephritis_response.cards.words import ENGLISH, Words, words_for
from hooks.lupus_nephritis_response.knowledge.criteria_sets import CRITERIA_SETS, Level
from hooks.lupus_nephritis_response.rules.assessment import Assessment
from hooks.spec import RuleContext


def render(a: Assessment, ctx: RuleContext) -> list[Card]:
    """Returns the cards for `a`: the response card, the next-line options for a refractory line, and the
    supportive-care card when the record lacks supportive care (switchable). None out of scope."""
    if not a.in_scope or a.criteria is None:
        return []
    words = words_for(ctx.locale)  # the one place a render reads the locale
    # Safety first and whatever the verdict: a teratogen or RAAS blocker active in pregnancy (issue 10 section 5).
    cards = [safety_card(a.pregnancy_risk, ctx, words)] if a.pregnancy_risk is not None else []
    cards += [with_chart(card, a, ctx, words) for card in response_cards(a, ctx, words)]
    if a.therapy is not None:
        cards.append(therapy_card(a.therapy, a.criteria, ctx, words))
    if a.supportive is not None and ctx.config.show_supportive_card:
        cards.append(supportive_card(a.supportive, a.criteria, ctx, words))
    return [replace(card, criteria_set=a.criteria.id) for card in cards]  # for the store, not the wire


def with_chart(card: Card, a: Assessment, ctx: RuleContext, words: Words) -> Card:
    """Returns the response card linking the course chart (issue 15) as a link and a Markdown image, when the
    service keeps charts and the line is known; the chart itself is drawn later, from `card.chart.render`."""
    data, charts = a.data, ctx.charts
    if charts is None or data is None or a.line is None:
        return card
    chart_id = charts.new_id()
    url = charts.url(chart_id)
    image = f"![{words.t('chart.alt')}]({url})"
    return replace(
        card,
        detail="\n\n".join(part for part in (card.detail, image) if part),
        links=(Link(label=words.t("chart.link"), url=url), *card.links),
        chart=Chart(chart_id, partial(render_chart, data, a, words)),
    )


# Length budget of each card's detail, in characters of Markdown (issue 10 section 6: in the CDS Hooks Sandbox a
# refractory patient's two cards were about 2.5 screens tall; the pair measured 1439 + 2148 characters before issue
# 10 and 1065 + 1468 after it). Checked on every golden fixture by tests/hooks/lupus_nephritis_response/cards/
# test_render.py; numbers stated in this package's README.
DETAIL_BUDGET_CHARS = {
    "ln-pregnancy-safety": 500,
    "ln-refractory": 1500,  # also the status and cannot-assess cards
    "ln-next-line-therapy": 2100,
    "ln-supportive-care": 600,
}


# The longest realistic values each summary template is filled with, for the startup length check (STYLE #6).
LONGEST_MONTHS = 120  # ten years on one line
LONGEST_UNCODED = 999  # medication orders not identified, for the "cannot assess" summary
LONGEST_AGENTS = (  # a maintenance line after CYC induction with an add-on, and a triple combination
    ((Agent.CYCLOPHOSPHAMIDE,), (Agent.MYCOPHENOLATE_MOFETIL, Agent.BELIMUMAB)),
    ((), (Agent.MYCOPHENOLATE_MOFETIL, Agent.VOCLOSPORIN, Agent.BELIMUMAB)),
)


def longest_agents(words: Words) -> str:
    """Returns the longest LONGEST_AGENTS line in `words` ("cyclophosphamide then mycophenolate mofetil + ...")."""
    lines = [
        words.t("agents.sequence", earlier=words.combination(earlier), current=words.combination(current))
        if earlier
        else words.combination(current)
        for earlier, current in LONGEST_AGENTS
    ]
    return max(lines, key=len)


def summary_samples(words: Words = ENGLISH) -> tuple[str, ...]:
    """Returns every summary template filled with the longest realistic values (before any shortening).

    A watch note exists only before a set's first refractory time point, so its sample uses the month before.
    """
    catalogue = words.catalogue
    longest = max((v for k, v in catalogue.items() if k.startswith("criterion.")), key=len)
    months, agents = words.months(LONGEST_MONTHS), longest_agents(words)
    watch_sets = [cs for cs in CRITERIA_SETS.values() if any(c.watch_only for c in cs.checkpoints)]
    watch_criterion = max((words.criterion(c) for cs in watch_sets for c in cs.checkpoints if c.watch_only), key=len)
    review = max(int(review_months(cs)) for cs in watch_sets)
    response = words.t("level.provisional", level=words.level(Level.COMPLETE))
    return (
        words.t("summary.refractory", criterion=longest, months=months, agents=agents),
        words.t("summary.refractory.kidney", criterion=longest, months=months, agents=words.t("agents.fallback")),
        words.t(
            "summary.watch",
            criterion=watch_criterion,
            months=words.months(review - 1),
            agents=agents,
            review=str(review),
        ),
        words.t("summary.status.short", response=response, months=months, agents=agents),
        *(words.t("summary.cannot-assess", what=v) for k, v in catalogue.items() if k.startswith("missing-short.")),
        words.t(
            "summary.cannot-assess",
            what=words.t("unrecognised-short", orders=orders_phrase(LONGEST_UNCODED, words)),
        ),
        *line_summary_samples(words, agents),
        *therapy_summary_samples(words),
        *supportive_summary_samples(words),
        *safety_summary_samples(words),
    )
