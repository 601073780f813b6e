"""The pregnancy drug-safety card: a teratogen (critical) or a RAAS blocker (warning) active while pregnancy is
recorded. Shown whatever the response status, for a responder and when the response cannot be assessed; a critical
card sorts ahead of every other card (`hooks.cards.sort_cards`). The summary names the drug as recorded.
"""

from __future__ import annotations

from hooks.cards import Card, Indicator, Source
from hooks.lupus_nephritis_response.cards.override_reasons import SAFETY_REASONS, override_reasons
from hooks.lupus_nephritis_response.cards.phrases import fit
from hooks.lupus_nephritis_response.cards.words import ENGLISH, Words, cap
from hooks.lupus_nephritis_response.knowledge.therapy_table import TERATOGENIC_AGENTS
from hooks.lupus_nephritis_response.rules.safety import PregnancyDrugRisk
from hooks.spec import RuleContext

RULE_PREGNANCY_SAFETY = "ln-pregnancy-safety"


def safety_summary(r: PregnancyDrugRisk, words: Words) -> str:
    """Returns the summary: the teratogens by name, else the RAAS blocker."""
    if r.teratogens:
        agents = words.join([words.agent(a) for a in r.teratogens])
        return fit(words.t("summary.safety.teratogen", agents=agents), words.t("summary.safety.teratogen-short"))
    return fit(words.t("summary.safety.raas"))


def safety_detail(r: PregnancyDrugRisk, words: Words) -> str:
    """Returns one bullet per drug class at risk, then the one action line."""
    lines = []
    if r.teratogens:
        lines.append(words.t("safety.teratogen", agents=cap(words.join([words.agent(a) for a in r.teratogens]))))
    if r.raas_blocker:
        lines.append(words.t("safety.raas"))
    return "\n".join([*lines, "", words.t("safety.action")])


def safety_card(r: PregnancyDrugRisk, ctx: RuleContext, words: Words) -> Card:
    """Returns the drug-safety card for a pregnancy recorded with a teratogen or a RAAS blocker active."""
    return Card(
        uuid=ctx.new_uuid(),
        summary=safety_summary(r, words),
        indicator=Indicator.CRITICAL if r.critical else Indicator.WARNING,
        source=Source(label=words.t("source.safety")),
        detail=safety_detail(r, words),
        override_reasons=override_reasons(words, SAFETY_REASONS),
        rule_id=RULE_PREGNANCY_SAFETY,
    )


def summary_samples(words: Words = ENGLISH) -> tuple[str, ...]:
    """Returns the safety summary templates filled with their longest values (every teratogen at once)."""
    agents = words.join([words.agent(a) for a in sorted(TERATOGENIC_AGENTS)])
    return (
        words.t("summary.safety.teratogen", agents=agents),
        words.t("summary.safety.teratogen-short"),
        words.t("summary.safety.raas"),
    )
