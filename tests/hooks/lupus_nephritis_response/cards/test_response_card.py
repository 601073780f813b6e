"""Cards: kinds, summaries, invariants, sources and links, the status switch, the spec and the data tables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest

from fhir_maps.domain import Agent, LabResult, LnClass, MappingReport, PatientData
from hooks.cards import SUMMARY_MAX_CHARS, Card, Indicator, response_json
from hooks.lupus_nephritis_response import SPEC, evaluate, render
from hooks.lupus_nephritis_response.cards.catalogue_en import EN
from hooks.lupus_nephritis_response.cards.override_reasons import OVERRIDE_SYSTEM
from hooks.lupus_nephritis_response.cards.phrases import fit
from hooks.lupus_nephritis_response.cards.render import summary_samples
from hooks.lupus_nephritis_response.cards.words import CATALOGUES, ENGLISH, fmt_date, fmt_pct, words_for
from hooks.lupus_nephritis_response.knowledge.citations import CITATIONS
from hooks.lupus_nephritis_response.knowledge.criteria_sets import (
    CRITERIA_SETS,
    DEFAULT_CRITERIA_SET,
    UnknownCriteriaSet,
)
from hooks.spec import check_spec
from tests.hooks.builders import (
    PATIENT_ID,
    RESPONSE_RULES,
    ago,
    assess,
    cards,
    context,
    days_for,
    episode,
    response_cards,
    story,
    upcr,
)

MINUS = "\u2212"
SEED_DOI = "https://doi.org/10.1016/j.rcreue.2021.10.010"

# (id, patient, criteria set, rule id or None for no card, exact summary or None)
SCENARIOS: list[tuple[str, Callable[[], PatientData], str, str | None, str | None]] = [
    (
        "demo-refractory-7m",
        lambda: story(7, "3.10", "2.60"),
        DEFAULT_CRITERIA_SET,
        "ln-refractory",
        "Lupus nephritis: partial response not reached after 7 months of mycophenolate mofetil — review",
    ),
    (
        "no-improvement-4m",
        lambda: story(4, "3.00", "2.70"),
        DEFAULT_CRITERIA_SET,
        "ln-refractory",
        "Lupus nephritis: no improvement after 4 months of mycophenolate mofetil — review",
    ),
    (
        "pr-no-cr-25m",
        lambda: story(25, "4.0", "1.2"),
        DEFAULT_CRITERIA_SET,
        "ln-refractory",
        "Lupus nephritis: complete response not reached after 25 months of mycophenolate mofetil — review",
    ),
    (
        "responder-cr-12m",
        lambda: story(12, "3.20", "0.30"),
        DEFAULT_CRITERIA_SET,
        "ln-status",
        "Lupus nephritis: complete response after 12 months of mycophenolate mofetil "
        f"(UPCR 3.20 → 0.30 g/g, {MINUS}91%)",
    ),
    (
        "pr-on-track-6m",
        lambda: story(6.2, "4.00", "1.60"),
        DEFAULT_CRITERIA_SET,
        "ln-status",
        f"Lupus nephritis: partial response after 6 months of mycophenolate mofetil (UPCR 4.00 → 1.60 g/g, {MINUS}60%)",
    ),
    (
        "provisional-sediment-unknown",
        lambda: story(7, "4.00", "1.60", rbc=None),
        DEFAULT_CRITERIA_SET,
        "ln-status",
        "Lupus nephritis: partial response by proteinuria after 7 months of mycophenolate mofetil "
        f"(UPCR 4.00 → 1.60 g/g, {MINUS}60%)",
    ),
    (
        "acr-watch-4m",
        lambda: story(4, "3.00", "2.70"),
        "acr-2012",
        "ln-status",
        "Lupus nephritis: no improvement after 4 months of mycophenolate mofetil — watch; review at 6 months",
    ),
    (
        "kdigo-no-response-7m",
        lambda: story(7, "3.00", "1.53"),
        "kdigo-2024",
        "ln-refractory",
        "Lupus nephritis: no partial or complete response after 7 months of mycophenolate mofetil — review",
    ),
    (
        "eular25-12m-milestone",
        lambda: story(12.5, "3.0", "0.8"),
        "eular-2025",
        "ln-refractory",
        "Lupus nephritis: 12-month milestone not reached after 13 months of mycophenolate mofetil — review",
    ),
    (
        "missing-baseline",
        lambda: story(7, "3.1", "2.6", baseline_offset=-120),
        DEFAULT_CRITERIA_SET,
        "ln-cannot-assess",
        "Lupus nephritis response: cannot assess — no baseline proteinuria",
    ),
    (
        "current-too-old",
        lambda: story(7, "3.1", "2.6", current_days_ago=120),
        DEFAULT_CRITERIA_SET,
        "ln-cannot-assess",
        "Lupus nephritis response: cannot assess — no proteinuria result in the last 90 days",
    ),
    (
        "class-ii-not-called",
        lambda: story(7, "3.10", "2.60", classes=(LnClass.II,)),
        DEFAULT_CRITERIA_SET,
        "ln-status",
        None,
    ),
    (
        "triple-combination-long-line",
        lambda: story(
            60,
            "4.0",
            "1.2",
            episodes=[
                episode(Agent.MYCOPHENOLATE_MOFETIL, ago(days_for(60))),
                episode(Agent.VOCLOSPORIN, ago(days_for(60) - 10)),
                episode(Agent.BELIMUMAB, ago(days_for(60) - 20)),
            ],
        ),
        DEFAULT_CRITERIA_SET,
        "ln-refractory",
        None,
    ),
]


@pytest.mark.parametrize(
    ("make", "criteria_set", "rule_id", "summary"),
    [pytest.param(*s[1:], id=s[0]) for s in SCENARIOS],
)
def test_card_kind_and_summary(
    make: Callable[[], PatientData], criteria_set: str, rule_id: str | None, summary: str | None
) -> None:
    everything = cards(make(), criteria_set)
    result = [c for c in everything if c.rule_id in RESPONSE_RULES]
    assert [c.rule_id for c in result] == ([rule_id] if rule_id else [])
    if summary is not None:
        assert result[0].summary == summary
    # a refractory line, and only a refractory line, also gets the next-line options
    assert ("ln-next-line-therapy" in {c.rule_id for c in everything}) is (rule_id == "ln-refractory")


def _all_cards() -> list[Card]:
    return [card for _, make, cs, _, _ in SCENARIOS for card in response_cards(make(), cs)]


def test_every_card_meets_the_invariants() -> None:
    all_cards = _all_cards()
    assert len(all_cards) == len(SCENARIOS)
    for card in all_cards:
        assert len(card.summary) < SUMMARY_MAX_CHARS
        assert card.source.label.startswith("Response criteria: ")
        assert card.source.url is not None
        assert card.source.url.startswith("https://doi.org/")
        assert card.links
        assert all(link.type == "absolute" and link.url.startswith("https://") for link in card.links)
        assert SEED_DOI in {link.url for link in card.links}
        assert card.rule_id
        assert card.detail
        assert "Criteria: " in card.detail
        assert response_json([card])["cards"][0]["uuid"] == card.uuid


def test_no_card_text_contains_the_patient_id() -> None:
    every = [card for _, make, cs, _, _ in SCENARIOS for card in cards(make(), cs)]
    assert len(every) > len(SCENARIOS)  # the next-line cards are checked too
    for card in every:
        for text in (card.summary, card.detail or "", card.source.label, *(link.label for link in card.links)):
            assert PATIENT_ID not in text


def test_uuids_come_from_the_context_and_are_unique() -> None:
    ctx = context()
    found = [
        c.uuid
        for make in (
            lambda: story(7, "3.10", "2.60"),
            lambda: story(12, "3.2", "0.3"),
            lambda: story(7, "3.1", "2.6", current_days_ago=120),
        )
        for c in render(evaluate(make(), ctx), ctx)
    ]
    # review + next-line options, status, cannot assess: one uuid each, in order, from the one context
    assert found == [f"00000000-0000-4000-8000-{n:012d}" for n in (1, 2, 3, 4)]


def test_refractory_card_is_a_warning_with_override_reasons() -> None:
    (card,) = response_cards(story(7, "3.10", "2.60"))
    assert card.indicator is Indicator.WARNING
    assert [r.code for r in card.override_reasons] == [
        "specialist-review",
        "patient-declined",
        "not-refractory",
        "data-incomplete",
    ]
    assert {r.system for r in card.override_reasons} == {OVERRIDE_SYSTEM}
    assert card.override_reasons[2].display == "Not refractory in my judgement"


def test_refractory_detail_gives_the_criterion_figures_target_and_set() -> None:
    (card,) = response_cards(story(7, "3.10", "2.60"))
    detail = card.detail or ""
    assert "**Partial response not reached** at 7 months of mycophenolate mofetil (target 6\u201312 months)." in detail
    assert "a fall in proteinuria of more than 50%, proteinuria below 3.5 g/g" in detail
    assert f"(UPCR, g/g) | 3.10 ({fmt_date(ago(days_for(7) + 5))}) | 2.60 ({fmt_date(ago(5))}) | {MINUS}16% |" in detail
    assert "Also missed: no improvement (target 3\u20134 months)." in detail
    assert "Criteria: EULAR/ERA-EDTA 2012 as quoted in Santacruz 2023." in detail
    assert "**Before calling it refractory**" in detail
    assert card.source.url == "https://doi.org/10.1136/annrheumdis-2012-201940"


def test_cannot_assess_card_names_what_is_missing_and_never_a_response_class() -> None:
    (card,) = response_cards(story(7, "3.1", "2.6", baseline_offset=-120))
    detail = card.detail or ""
    t0 = ago(days_for(7))
    start, end = ago(days_for(7) + 90), ago(days_for(7) - 14)
    assert (
        f"No baseline proteinuria (UPCR or 24-h urine protein) between {fmt_date(start)} and {fmt_date(end)}" in detail
    )
    assert f"line since {fmt_date(t0)}" in detail
    assert card.indicator is Indicator.INFO
    for level in ("complete response", "partial response", "improvement", "no response"):
        assert level not in (card.summary + detail).lower()


def test_cannot_assess_card_gives_the_date_of_the_last_result() -> None:
    (card,) = response_cards(story(7, "3.1", "2.6", current_days_ago=120))
    assert f"the last was on {fmt_date(ago(120))}" in (card.detail or "")


@pytest.mark.parametrize(
    ("make", "shown_when_off"),
    [
        pytest.param(lambda: story(6.2, "4.00", "1.60"), False, id="on-track-status-hidden"),
        pytest.param(lambda: story(7, "3.10", "2.60"), True, id="refractory-still-shown"),
        pytest.param(lambda: story(7, "3.1", "2.6", baseline_offset=-120), True, id="cannot-assess-still-shown"),
    ],
)
def test_status_card_can_be_switched_off(make: Callable[[], PatientData], shown_when_off: bool) -> None:
    assert bool(cards(make(), show_status_card=False)) is shown_when_off


def test_acr_watch_note_is_shown_even_with_status_cards_off() -> None:
    (card,) = response_cards(story(4, "3.00", "2.70"), "acr-2012", show_status_card=False)
    assert "**Watch:**" in (card.detail or "")
    assert card.indicator is Indicator.INFO


def test_status_card_names_the_next_time_point() -> None:
    (card,) = response_cards(story(6.2, "4.00", "1.60"))
    assert "Next time point: 24 months. A complete response needs proteinuria below 0.5 g/g" in (card.detail or "")
    (done,) = response_cards(story(12, "3.2", "0.3"))
    assert "No further time point" in (done.detail or "")


def test_class_not_applicable_is_explained() -> None:
    (card,) = response_cards(story(7, "3.10", "2.60", classes=(LnClass.VI,)))
    assert "Class VI: the refractory criteria apply to classes III, IV and V." in (card.detail or "")


def test_summary_templates_fit_with_the_longest_realistic_values() -> None:
    for text in summary_samples():
        assert len(text) < SUMMARY_MAX_CHARS, text
    # issue 16: the startup check covers every language's summaries, English first
    assert SPEC.static_texts == summary_samples() + summary_samples(words_for("es"))


def test_fit_shortens_and_cuts_as_a_last_resort() -> None:
    assert fit("x" * 200, "short") == "short"
    assert len(fit("y" * 300)) < SUMMARY_MAX_CHARS


def test_spec_passes_the_registry_checks() -> None:
    check_spec(SPEC)
    assert SPEC.id == "lupus-nephritis-response"
    assert SPEC.gate_keys == ("conditions",)
    assert set(SPEC.required_keys) <= set(SPEC.prefetch)


@pytest.mark.parametrize("exc", [ValueError, KeyError])
def test_unknown_criteria_set_raises(exc: type[Exception]) -> None:
    with pytest.raises(exc, match="unknown criteria set"):
        evaluate(story(7, "3.1", "2.6"), context("eular-1999"))
    assert issubclass(UnknownCriteriaSet, exc)


def test_criteria_sets_and_their_citations() -> None:
    assert list(CRITERIA_SETS) == ["seed-eular-era-edta-2012", "kdigo-2024", "eular-2025", "acr-2012", "eular-2019"]
    assert DEFAULT_CRITERIA_SET == "seed-eular-era-edta-2012"
    for cs in CRITERIA_SETS.values():
        assert all(i in CITATIONS for i in cs.citation_ids)
        assert ENGLISH.criteria_set(cs) == EN[f"set.{cs.id}"]
        assert [c.months for c in cs.checkpoints] == sorted(c.months for c in cs.checkpoints)
    assert CRITERIA_SETS["seed-eular-era-edta-2012"].partial.fall_strict
    assert not CRITERIA_SETS["kdigo-2024"].partial.fall_strict
    assert CRITERIA_SETS["kdigo-2024"].kidney_tolerance == Decimal("0.15")


def test_citations_are_verified_doi_links() -> None:
    assert CITATIONS["seed-santacruz-2023"].url == SEED_DOI
    assert "Update on available therapies for refractory lupus nephritis" in CITATIONS["seed-santacruz-2023"].label
    registry = {"ring-nct01673295", "calibrate-2020"}  # no verified DOI: the ClinicalTrials.gov record instead
    for citation in CITATIONS.values():
        if citation.id in registry:
            assert citation.url.startswith("https://clinicaltrials.gov/study/NCT")
        else:
            assert citation.url.startswith("https://doi.org/10.")
        assert citation.verification.value in ("VERIFIED", "VERIFIED-2nd")


def test_text_falls_back_to_english_and_formats_numbers() -> None:
    # issue 16: Spanish has its catalogue now; a language without one still falls back to English
    assert words_for("xx").t("level.2") == "partial response"
    assert words_for("es").t("level.2") == "respuesta renal parcial"
    assert list(CATALOGUES) == ["en", "es"]
    assert fmt_pct(Decimal("-0.1613")) == f"{MINUS}16%"
    assert fmt_pct(Decimal("0.05")) == "+5%"
    assert fmt_pct(Decimal("0.001")) == "0%"


@pytest.mark.parametrize(
    ("months", "baseline", "current"),
    [
        pytest.param(7, "3.1", "2.6", id="refractory-card"),
        pytest.param(6, "4.0", "1.6", id="status-card"),
        pytest.param(7, "3.1", None, id="cannot-assess-card"),
    ],
)
def test_unrecognised_medication_orders_are_reported_on_the_card(
    months: int, baseline: str, current: str | None
) -> None:
    data = story(months, baseline, current, report=MappingReport(medication_requests_unresolved=2))
    first = response_cards(data)[0]
    assert first.detail is not None
    assert "2 medication order(s) could not be identified" in first.detail


def test_no_unrecognised_medication_note_when_every_order_was_recognised() -> None:
    first = response_cards(story(7, "3.1", "2.6"))[0]
    assert first.detail is not None
    assert "could not be identified" not in first.detail


# --- A censored proteinuria value has no precise relative change: `Proteinuria.change` is None, and the summary,
# the figures sentence and the table leave the percentage out ("UPCR 3.00 → < 0.10 g/g"), never a signed "-97%".

BASE = ago(days_for(7)) - timedelta(days=5)


@pytest.mark.parametrize(
    ("labs", "change", "figures"),
    [
        pytest.param(
            [upcr(BASE, "3.0"), upcr(ago(5), "0.10", comparator="<")], None, "UPCR 3.00 → < 0.10 g/g)", id="cur-lt"
        ),
        pytest.param(
            [upcr(BASE, "3.0", comparator=">"), upcr(ago(5), "0.10")], None, "UPCR > 3.00 → 0.10 g/g)", id="base-gt"
        ),
        pytest.param([upcr(BASE, "3.0"), upcr(ago(5), "0.10")], Decimal("-0.9667"), "0.10 g/g, \u221297%)", id="exact"),
    ],
)
def test_change_is_none_and_the_percentage_is_left_out_for_a_censored_value(
    labs: list[LabResult], change: Decimal | None, figures: str
) -> None:
    data = story(7, "3.0", "2.9", kind=None, labs=labs)
    a = assess(data)
    assert a.proteinuria is not None
    got = a.proteinuria.change
    assert (got if got is None else round(got, 4)) == change
    card = next(c for c in cards(data) if c.rule_id.startswith("ln-"))
    assert card.summary.endswith(figures)
    detail = card.detail or ""
    sentence = next(x for x in detail.splitlines() if x.startswith("UPCR: "))
    assert ("%" in sentence) is (change is not None)
    assert "97%" not in detail if change is None else "97%" in detail
