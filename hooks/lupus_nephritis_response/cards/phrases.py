"""Assessment values turned into short phrases (agents, months, figures, targets), shared by summaries and details.

The words come from the render's `words.Words`; this module only decides which template and which formatted values
to use.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from fhir_maps.domain import Agent, LabConcept
from hooks.cards import SUMMARY_MAX_CHARS
from hooks.lupus_nephritis_response.cards.words import Words, proteinuria_kind
from hooks.lupus_nephritis_response.knowledge.criteria_sets import CriteriaSet, Level, ResponseTest
from hooks.lupus_nephritis_response.rules.assessment import Assessment
from hooks.lupus_nephritis_response.rules.checklist import Amount, Param, Percent
from hooks.lupus_nephritis_response.rules.clinical_response import Response, Unassessed
from hooks.lupus_nephritis_response.rules.measures import Proteinuria, Reading
from hooks.lupus_nephritis_response.rules.treatment_line import TreatmentLine

_PLACES = {LabConcept.EGFR: 0, LabConcept.URINE_RBC: 0, LabConcept.CELLULAR_CASTS: 0, LabConcept.CASTS_UNTYPED: 0}
_KIDNEY_CONCEPTS = frozenset({LabConcept.EGFR, LabConcept.CREATININE})
_SEDIMENT_CONCEPTS = frozenset({LabConcept.URINE_RBC, LabConcept.CELLULAR_CASTS, LabConcept.CASTS_UNTYPED})


# Issue 10 section 6: a link label that wraps in a 560-px card is hard to scan; about 60 characters fit one line.
LINK_LABEL_MAX_CHARS = 60


def link_label(text: str) -> str:
    """Returns `text` cut at a word boundary to at most LINK_LABEL_MAX_CHARS, with an ellipsis when cut."""
    if len(text) <= LINK_LABEL_MAX_CHARS:
        return text
    cut = text[: LINK_LABEL_MAX_CHARS - 1].rsplit(" ", 1)[0].rstrip(",:;")
    return cut + "\u2026"


def fit(*candidates: str) -> str:
    """Returns the first candidate under the summary limit (the last one, cut, if none fits)."""
    for candidate in candidates:
        if len(candidate) < SUMMARY_MAX_CHARS:
            return candidate
    return candidates[-1][: SUMMARY_MAX_CHARS - 2] + "…"


def line_agents(line: TreatmentLine, words: Words, *, course_end: bool = True) -> str:
    """Returns the line's agents; "A then B" when earlier agents of the same line have stopped (maintenance).

    `course_end=False`: a detail whose line block already says when a pulse course ended (said once per card).
    """
    if not line.current_agents and line.course_ended is not None:  # a pulse course judged after its end
        if not course_end:
            return words.combination(line.agents)
        return words.t("agents.course-ended", agents=words.combination(line.agents), day=words.day(line.course_ended))
    earlier = [a for a in line.agents if a not in line.current_agents]
    current = words.combination(line.current_agents)
    if not earlier:
        return current
    starts = {e.agent: e.start for e in sorted(line.episodes, key=lambda e: e.start, reverse=True)}
    first_current = min((starts[a] for a in line.current_agents if a in starts), default=None)
    if first_current is not None and all(starts.get(a, first_current) > first_current for a in earlier):
        # an add-on course (rituximab) that ended while the first agent runs on: not "rituximab then MMF"
        return words.t("agents.with-course", current=current, earlier=words.combination(earlier))
    return words.t("agents.sequence", earlier=words.combination(earlier), current=current)


def shown_months(a: Assessment) -> int:
    """Returns whole months on therapy, rounded, but never rounded up onto a time point not yet reached."""
    rounded = a.months.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    due = {c.months for c in a.criteria.checkpoints} if a.criteria else set()
    if rounded > a.months and rounded in due:
        return int(a.months)
    return int(rounded)


def months_phrase(a: Assessment, words: Words) -> str:
    """Returns "7 months" for the assessment's time on the line."""
    return words.months(shown_months(a))


def reading_value(r: Reading, words: Words) -> str:
    """Returns a result's value with the decimals its kind is shown with (eGFR and counts whole, ratios to 0.01);
    a censored result keeps its comparator ("< 0.10")."""
    value = words.amount(r.value, _PLACES.get(r.concept, 2))
    if r.low is not None:  # a range as the lab sent it ("10-20 /HPF"), never shown as its upper bound alone
        return f"{words.amount(r.low, _PLACES.get(r.concept, 2))}\u2013{value}"
    return f"{r.comparator} {value}" if r.comparator else value


def reported_phrase(readings: Sequence[Reading], words: Words) -> str:
    """Returns "UPCR reported as < 0.10 g/g" for each censored reading."""
    return words.join([words.censored(r.concept, reading_value(r, words)) for r in readings])


def measure_key(p: Proteinuria) -> str:
    """Returns the text key suffix of the proteinuria kind: "upcr", "protein-24h", or "mixed" when they differ."""
    if p.mixed_kinds:
        return "mixed"
    reading = p.current or p.baseline
    return proteinuria_kind(reading.concept) if reading else "upcr"


def figures(p: Proteinuria, words: Words) -> str:
    """Returns "UPCR 3.10 → 2.60 g/g, -16%" (empty without both values); without a computable change (a censored
    value, a zero baseline) the percentage is left out: "UPCR 3.00 → < 0.10 g/g"."""
    if p.baseline is None or p.current is None:
        return ""
    key = measure_key(p)
    values = {
        "measure": words.measure(key),
        "baseline": reading_value(p.baseline, words),
        "current": reading_value(p.current, words),
        "unit": words.unit(key),
    }
    if p.change is None:
        return words.t("figures.no-change", **values)
    return words.t("figures", change=words.pct(p.change), **values)


def response_phrase(response: Response | None, words: Words) -> str:
    """Returns the response class as a phrase; a class met only by proteinuria says so."""
    if response is None:
        return words.t("level.no-result")
    if response.undecided is not None and response.undecided > (response.provisional or Level.NONE):
        level = words.level(response.undecided)
        return words.t("level.censored", level=level, reported=reported_phrase(response.censored, words))
    if response.provisional is not None:
        return words.t("level.provisional", level=words.level(response.provisional))
    return words.level(response.level)


def unassessed_phrase(response: Response, words: Words) -> str:
    """Returns "kidney function and sediment" (what a class met by proteinuria only could not check), naming a
    censored value behind it: "kidney function (eGFR reported as < 60 mL/min/1.73 m²)"."""
    concepts = {Unassessed.KIDNEY: _KIDNEY_CONCEPTS, Unassessed.SEDIMENT: _SEDIMENT_CONCEPTS}
    parts = []
    for u in response.unassessed:
        what = words.unassessed(u)
        behind = [r for r in response.censored if r.concept in concepts[u]]
        parts.append(words.t("censored.with", what=what, reported=reported_phrase(behind, words)) if behind else what)
    return words.join(parts)


def requirements(test: ResponseTest, cs: CriteriaSet, unit: str, words: Words) -> str:
    """Returns what `test` needs, e.g. "a fall in proteinuria of more than 50%, proteinuria below 3.5 g/g and ..."."""
    parts = []
    if test.min_fall is not None:
        key = "need.fall-strict" if test.fall_strict else "need.fall"
        parts.append(words.t(key, pct=words.pct(test.min_fall, signed=False)))
    if test.max_proteinuria is not None:
        parts.append(words.t("need.below", value=words.amount(test.max_proteinuria, 1), unit=unit))
    if test.needs_stable_kidney:
        parts.append(words.t("need.kidney", pct=words.pct(cs.kidney_tolerance, signed=False)))
    if test.needs_inactive_sediment:
        parts.append(words.t("need.sediment"))
    return words.join(parts)


def format_param(value: Param, words: Words) -> str:
    """Returns a checklist parameter as text (agents by name, dates ISO, units by name, numbers formatted)."""
    if isinstance(value, Agent):
        return words.agent(value)
    if isinstance(value, LabConcept):
        return words.unit(proteinuria_kind(value))
    if isinstance(value, Amount):
        amount = words.amount(value.value, value.places)
        return f"{value.comparator} {amount}" if value.comparator else amount
    if isinstance(value, Percent):
        return words.pct(value.fraction, signed=value.signed)
    if isinstance(value, str):
        return value
    return words.day(value)
