"""The cards of one call: `render(assessment, ctx)` (the spec's render step) and the summary samples the registry
checks at startup (STYLE #6: every summary template, filled with its longest values, stays under 140 characters).

Order: the response card (`response_card`), the next-line therapy card for a refractory line (`therapy_card`), then
the supportive-care card when the record lacks supportive care and the site shows it.
"""

from __future__ import annotations

from hooks.cards import Card
from hooks.lupus_nephritis_response.cards.response_card import _review_months, orders_phrase, response_cards
from hooks.lupus_nephritis_response.cards.therapy_card import summary_samples as therapy_summary_samples
from hooks.lupus_nephritis_response.cards.therapy_card import supportive_card, therapy_card
from hooks.lupus_nephritis_response.cards.words import CATALOGUES, EN, fmt_months, t
from hooks.lupus_nephritis_response.knowledge.criteria_sets import CRITERIA_SETS
from hooks.lupus_nephritis_response.rules.assessment import Assessment
from hooks.spec import RuleContext


def render(a: Assessment, ctx: RuleContext) -> list[Card]:
    """Returns the cards for `a`: the response card, the next-line options for a refractory line, and the
    supportive-care card when the record lacks supportive care (switchable). None out of scope."""
    if not a.in_scope or a.criteria is None:
        return []
    cards = response_cards(a, ctx)
    if a.therapy is not None:
        cards.append(therapy_card(a.therapy, a.criteria, ctx))
    if a.supportive is not None and ctx.show_supportive_card:
        cards.append(supportive_card(a.supportive, a.criteria, ctx))
    return cards


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
