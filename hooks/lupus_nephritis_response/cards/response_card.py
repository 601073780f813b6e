"""The response card of an Assessment: refractoriness review (warning), response status (info), or cannot assess
(info). `render.py` adds the next-line therapy card (`therapy_card.py`) and the supportive-care card
(`supportive_card.py`).

Summaries never name the patient and are fitted under 140 characters: when the longest form does not fit, a
shorter one (without the figures, then without the agents) is used. Every card names its criteria set in
`source` and links the review and the set's guidelines.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from hooks.cards import Card, Indicator, Link, Source
from hooks.lupus_nephritis_response.cards import markdown
from hooks.lupus_nephritis_response.cards.override_reasons import override_reasons
from hooks.lupus_nephritis_response.cards.phrases import (
    figures,
    fit,
    line_agents,
    link_label,
    months_phrase,
    reading_value,
    response_phrase,
    unassessed_phrase,
)
from hooks.lupus_nephritis_response.cards.words import Words, cap, fmt_amount, proteinuria_kind
from hooks.lupus_nephritis_response.knowledge.citations import CITATIONS, SEED_CITATION_ID
from hooks.lupus_nephritis_response.knowledge.criteria_sets import CRITERIA_SETS, Checkpoint, CriteriaSet, Level
from hooks.lupus_nephritis_response.rules.assessment import Assessment, Missing, Verdict
from hooks.lupus_nephritis_response.rules.clinical_response import CheckpointStatus, judge_proteinuria
from hooks.lupus_nephritis_response.rules.measures import Decision, KidneyState, Reading
from hooks.lupus_nephritis_response.rules.treatment_line import TreatmentLine
from hooks.spec import RuleContext

RULE_REFRACTORY = "ln-refractory"
RULE_STATUS = "ln-status"
RULE_CANNOT_ASSESS = "ln-cannot-assess"
RULE_RELAPSE = "ln-relapse"  # a response reached, then lost, and no re-induction recorded (issue 10)


def source(cs: CriteriaSet, words: Words) -> Source:
    """Returns the card source: the criteria set by name, linked to its main guideline."""
    return Source(label=words.t("source.label", set=words.criteria_set(cs)), url=CITATIONS[cs.citation_ids[0]].url)


def links(cs: CriteriaSet) -> tuple[Link, ...]:
    """Returns absolute links to the review (Santacruz 2023) and the set's guidelines, without repeats."""
    ids = dict.fromkeys((SEED_CITATION_ID, *cs.citation_ids))
    return tuple(Link(label=link_label(CITATIONS[i].label), url=CITATIONS[i].url) for i in ids)


def _headline(a: Assessment, status: CheckpointStatus) -> Checkpoint:
    """Returns the missed checkpoint the summary names: the latest one due (the window the patient is in)."""
    return a.with_status(status)[-1]


def review_months(cs: CriteriaSet) -> str:
    return fmt_amount(min(c.months for c in cs.checkpoints if not c.watch_only), 0)


def _agents_variants(line: TreatmentLine, words: Words) -> tuple[str, str]:
    return line_agents(line, words), words.t("agents.fallback")


def refractory_summary(a: Assessment, line: TreatmentLine, words: Words) -> str:
    criterion = words.criterion(_headline(a, CheckpointStatus.MISSED))
    months = months_phrase(a, words)
    if line.relapse is not None:  # judged from a re-induction: the response missed is this episode's, not the first
        return fit(words.t("summary.refractory.reinduced", criterion=criterion, months=months))
    if _missed_by_kidney_only(a, a.with_status(CheckpointStatus.MISSED)):  # proteinuria met the targets
        return fit(
            *(
                words.t("summary.refractory.kidney", criterion=criterion, months=months, agents=agents)
                for agents in _agents_variants(line, words)
            )
        )
    return fit(
        *(
            words.t("summary.refractory", criterion=criterion, months=months, agents=agents)
            for agents in _agents_variants(line, words)
        )
    )


def watch_summary(a: Assessment, cs: CriteriaSet, line: TreatmentLine, words: Words) -> str:
    criterion = words.criterion(_headline(a, CheckpointStatus.MISSED))
    review = review_months(cs)
    return fit(
        *(
            words.t(
                "summary.watch",
                criterion=criterion,
                months=months_phrase(a, words),
                agents=agents,
                review=review,
            )
            for agents in _agents_variants(line, words)
        )
    )


def status_response(a: Assessment, words: Words) -> str:
    """Returns the response phrase of a status card. A set of milestones (EULAR 2019/2025) may have no response
    class for what the patient reached ("no response yet" after a 19% fall), yet the latest due milestone is met:
    then the card says so, since that is what the set judges."""
    latest = a.checkpoints[-1] if a.checkpoints else None
    r = a.response
    plain_none = r is not None and r.level is Level.NONE and r.provisional is None and r.undecided is None
    if plain_none and latest is not None and latest.status is CheckpointStatus.MET:
        met = words.milestone_met(latest.checkpoint)
        if met is not None:
            return met
    return response_phrase(r, words)


def status_summary(a: Assessment, line: TreatmentLine, words: Words) -> str:
    response = status_response(a, words)
    months = months_phrase(a, words)
    figs = figures(a.proteinuria, words) if a.proteinuria and a.response else ""
    candidates = []
    for agents in _agents_variants(line, words):
        if figs:
            candidates.append(words.t("summary.status", response=response, months=months, agents=agents, figures=figs))
        candidates.append(words.t("summary.status.short", response=response, months=months, agents=agents))
    return fit(*candidates)


def cannot_assess_summary(a: Assessment, words: Words) -> str:
    if set(a.missing) == {Missing.BASELINE, Missing.CURRENT}:
        what = words.t("missing-short.both")
    elif a.missing == (Missing.CURRENT,) and a.proteinuria is not None and a.proteinuria.unreadable_after is not None:
        what = words.t("missing-short.current-unreadable")  # a result was sent: say it could not be read
    else:
        what = words.missing_short(a.missing[0])
    return fit(words.t("summary.cannot-assess", what=what))


def orders_phrase(count: int, words: Words) -> str:
    """Returns "1 medication order" or "3 medication orders"."""
    return words.t("orders.one" if count == 1 else "orders.many", count=count)


def unknown_line_summary(a: Assessment, words: Words) -> str:
    what = words.t("unrecognised-short", orders=orders_phrase(a.unresolved_medications, words))
    return fit(words.t("summary.cannot-assess", what=what))


def unknown_line_detail(a: Assessment, cs: CriteriaSet, words: Words) -> str:
    """Returns why no treatment line could be determined: no recognised line agent, some orders not identified."""
    return _blocks(
        words.t("detail.cannot.line", orders=orders_phrase(a.unresolved_medications, words)),
        words.t("detail.cannot.line.action"),
        words.t("detail.criteria", set=words.criteria_set(cs)),
    )


def order_dates_summary(a: Assessment, words: Words) -> str:
    agents = words.agent_list(a.undatable)
    return fit(
        words.t("summary.cannot-assess.order-dates", agents=agents),
        words.t("summary.cannot-assess", what=words.t("missing-short.order-dates")),
    )


def order_dates_detail(a: Assessment, cs: CriteriaSet, words: Words) -> str:
    """Returns why the line cannot be placed: a line agent's order has no usable dates (named)."""
    agents = words.agent_list(a.undatable)
    return _blocks(
        words.t("detail.cannot.order-dates", agents=agents),
        words.t("detail.cannot.order-dates.action", agents=agents),
        words.t("detail.criteria", set=words.criteria_set(cs)),
    )


def relapse_summary(a: Assessment, line: TreatmentLine, words: Words) -> str:
    relapse = line.relapse
    if relapse is None:
        return ""
    level = words.level(relapse.level)
    reached, lost = words.short_day(relapse.reached_on), words.short_day(relapse.lost_on)
    return fit(
        words.t("summary.relapse", level=level, reached=reached, lost=lost),
        words.t("summary.relapse.short", level=level),
    )


def _reading_on(r: Reading, words: Words) -> str:
    unit = words.unit(proteinuria_kind(r.concept))
    return f"{words.measure(proteinuria_kind(r.concept))} {reading_value(r, words)} {unit} ({words.day(r.day)})"


def relapse_status_summary(a: Assessment, line: TreatmentLine, words: Words) -> str:
    """Returns the status summary of a line judged from its re-induction after a relapse: it says relapse."""
    response, months = status_response(a, words), months_phrase(a, words)
    return fit(
        *(
            words.t("summary.relapse.reinduced", response=response, months=months, agents=agents)
            for agents in _agents_variants(line, words)
        )
    )


def relapse_detail(a: Assessment, cs: CriteriaSet, line: TreatmentLine, words: Words) -> str:
    relapse = line.relapse
    if relapse is None:
        return ""
    head = words.t(
        "detail.relapse.head",
        level=words.level(relapse.level),
        agents=line_agents(line, words, course_end=False),
        reached=words.day(relapse.reached_on),
        lost=words.day(relapse.lost_on),
    )
    figs = ""
    if relapse.reached_value is not None and relapse.lost_value is not None:
        figs = words.t(
            "detail.relapse.figures",
            reached=_reading_on(relapse.reached_value, words),
            lost=_reading_on(relapse.lost_value, words),
        )
    return _blocks(
        head,
        figs,
        markdown.line_block(a, line, words),
        markdown.table(a, words),
        words.t("detail.criteria", set=words.criteria_set(cs)),
        markdown.notes(a, words),
    )


def line_summary_samples(words: Words, agents: str) -> tuple[str, ...]:
    """Returns the relapse and order-dates summaries filled with their longest values, for the startup check."""
    level = max((words.level(lv) for lv in (Level.PARTIAL, Level.COMPLETE)), key=len)
    longest_day = max((words.short_day(date(2026, month, 30 if month != 2 else 28)) for month in range(1, 13)), key=len)
    months, criterion = words.months(120), words.criterion(CRITERIA_SETS["seed-eular-era-edta-2012"].checkpoints[-1])
    return (
        words.t("summary.relapse", level=level, reached=longest_day, lost=longest_day),
        words.t("summary.relapse.short", level=level),
        words.t("summary.cannot-assess.order-dates", agents=agents),
        words.t("summary.relapse.reinduced", response=level, months=months, agents=agents),
        words.t("summary.refractory.reinduced", criterion=criterion, months=months),
    )


def _blocks(*blocks: str) -> str:
    return "\n\n".join(b for b in blocks if b)


def refractory_detail(a: Assessment, cs: CriteriaSet, line: TreatmentLine, words: Words) -> str:
    missed = a.with_status(CheckpointStatus.MISSED)
    head = missed[-1]
    months = months_phrase(a, words)
    lead = words.t(
        "detail.refractory.head",
        criterion=cap(words.criterion(head)),
        months=months,
        agents=line_agents(line, words, course_end=False),
        window=markdown.window(head, words),
    )
    others = [f"{words.criterion(c)} ({markdown.window(c, words)})" for c in missed[:-1]]
    also = words.t("detail.also", criteria=words.join(others)) if others else ""
    if _missed_by_kidney_only(a, missed):  # proteinuria met every missed target: say kidney function is the reason
        also = words.t("detail.kidney-reason")
    return _blocks(
        " ".join(x for x in (lead, markdown.needs(head, cs, a.proteinuria, words)) if x),
        " ".join(x for x in (markdown.figures_sentence(a.proteinuria, words) if a.proteinuria else "", also) if x),
        markdown.line_block(a, line, words),
        markdown.table(a, words),
        words.t("detail.criteria", set=words.criteria_set(cs)),
        markdown.checklist(a.checklist, words),
        markdown.notes(a, words),
    )


def _missed_by_kidney_only(a: Assessment, missed: Sequence[Checkpoint]) -> bool:
    """Returns True when kidney function beyond the tolerance is why every missed class was missed: the
    proteinuria part of each missed checkpoint is met (issue 10 review C7: not "also missed: no improvement"
    while proteinuria fell 88%)."""
    m, p = a.measurements, a.proteinuria
    if m is None or p is None or m.kidney.state is not KidneyState.WORSE or not missed:
        return False
    return all(judge_proteinuria(c.test, p) is Decision.HOLDS for c in missed)


def _status_lines(a: Assessment, cs: CriteriaSet, words: Words) -> list[str]:
    out = []
    if a.response and a.response.provisional is not None:
        level = words.level(a.response.provisional)
        unassessed = cap(unassessed_phrase(a.response, words))
        out.append(words.t("detail.provisional", level=level, unassessed=unassessed))
    watched = a.with_status(CheckpointStatus.MISSED)
    if a.verdict is Verdict.WATCH and watched:
        c = watched[-1]
        out.append(
            words.t(
                "detail.watch",
                criterion=cap(words.criterion(c)),
                months=months_phrase(a, words),
                window=markdown.window(c, words),
                set=words.criteria_set(cs),
                review=review_months(cs),
            )
        )
    nxt = a.next_checkpoint
    if a.class_not_applicable:
        pass  # class I, II or VI: out of scope for refractoriness, so no time point is due (review finding E14)
    elif nxt is not None:
        out.append(
            words.t(
                "detail.next",
                months=words.amount(nxt.months, 0),
                needs=markdown.needs(nxt, cs, a.proteinuria, words),
            )
        )
    else:
        out.append(words.t("detail.next.none"))
    return out


def status_detail(a: Assessment, cs: CriteriaSet, line: TreatmentLine, words: Words) -> str:
    head = words.t(
        "detail.status.head",
        response=cap(status_response(a, words)),
        months=months_phrase(a, words),
        agents=line_agents(line, words, course_end=False),
    )
    return _blocks(
        " ".join([head, *_status_lines(a, cs, words)]),
        markdown.figures_sentence(a.proteinuria, words) if a.proteinuria else "",
        markdown.line_block(a, line, words),
        markdown.table(a, words),
        words.t("detail.criteria", set=words.criteria_set(cs)),
        markdown.notes(a, words),
    )


def cannot_assess_detail(a: Assessment, cs: CriteriaSet, line: TreatmentLine, words: Words) -> str:
    head = words.t(
        "detail.cannot.head",
        agents=line_agents(line, words),
        t0=words.day(line.t0),
        months=months_phrase(a, words),
    )
    return _blocks(
        "\n".join([head, "", markdown.missing_list(a, a.proteinuria, words)]) if a.proteinuria else head,
        words.t("detail.cannot.action") if Missing.BASELINE not in a.missing else "",
        words.t("detail.criteria", set=words.criteria_set(cs)),
        markdown.notes(a, words),
    )


def _card(
    ctx: RuleContext, words: Words, cs: CriteriaSet, rule_id: str, indicator: Indicator, summary: str, text: str
) -> Card:
    return Card(
        uuid=ctx.new_uuid(),
        summary=summary,
        indicator=indicator,
        source=source(cs, words),
        detail=text,
        links=links(cs),
        override_reasons=override_reasons(words) if indicator is Indicator.WARNING else (),
        rule_id=rule_id,
    )


def response_cards(a: Assessment, ctx: RuleContext, words: Words) -> list[Card]:
    """Returns the response card for `a`: exactly one on a line; without a line, the "cannot assess" card when
    unrecognised medication orders leave the line undetermined, else none."""
    cs, line = a.criteria, a.line
    if not a.in_scope or cs is None or a.verdict is None:
        return []
    if a.verdict is Verdict.CANNOT_ASSESS and Missing.ORDER_DATES in a.missing:
        summary, text = order_dates_summary(a, words), order_dates_detail(a, cs, words)
        return [_card(ctx, words, cs, RULE_CANNOT_ASSESS, Indicator.INFO, summary, text)]
    if line is None:
        if a.verdict is not Verdict.CANNOT_ASSESS or Missing.TREATMENT_LINE not in a.missing:
            return []
        summary, text = unknown_line_summary(a, words), unknown_line_detail(a, cs, words)
        return [_card(ctx, words, cs, RULE_CANNOT_ASSESS, Indicator.INFO, summary, text)]
    if a.verdict is Verdict.REFRACTORY:
        summary, text = refractory_summary(a, line, words), refractory_detail(a, cs, line, words)
        return [_card(ctx, words, cs, RULE_REFRACTORY, Indicator.WARNING, summary, text)]
    if a.verdict is Verdict.CANNOT_ASSESS:
        summary, text = cannot_assess_summary(a, words), cannot_assess_detail(a, cs, line, words)
        return [_card(ctx, words, cs, RULE_CANNOT_ASSESS, Indicator.INFO, summary, text)]
    if line.relapse is not None and line.relapse.reinduction is None:
        summary, text = relapse_summary(a, line, words), relapse_detail(a, cs, line, words)
        return [_card(ctx, words, cs, RULE_RELAPSE, Indicator.WARNING, summary, text)]
    if a.verdict is Verdict.WATCH:
        summary = watch_summary(a, cs, line, words)
    elif ctx.config.show_status_card:
        summary = relapse_status_summary(a, line, words) if line.relapse else status_summary(a, line, words)
    else:
        return []
    return [_card(ctx, words, cs, RULE_STATUS, Indicator.INFO, summary, status_detail(a, cs, line, words))]
