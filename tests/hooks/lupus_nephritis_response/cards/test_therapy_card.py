"""The next-line therapy card: text, links, suggestions, FHIR validity, and the order of all cards of a call."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.servicerequest import ServiceRequest

from fhir_maps import codes
from fhir_maps.domain import Agent, ConditionKind, LabConcept, LnClass, PatientData
from hooks.cards import SUMMARY_MAX_CHARS, Card, Indicator, response_json
from hooks.lupus_nephritis_response.cards.override_reasons import (
    OVERRIDE_CODES,
    OVERRIDE_SYSTEM,
    SUPPORTIVE_REASONS,
    THERAPY_REASONS,
    override_reasons,
)
from hooks.lupus_nephritis_response.cards.phrases import LINK_LABEL_MAX_CHARS, link_label
from hooks.lupus_nephritis_response.cards.words import ENGLISH, fmt_date
from hooks.lupus_nephritis_response.knowledge.citations import CITATIONS, SEED_CITATION_ID
from hooks.lupus_nephritis_response.knowledge.criteria_sets import CRITERIA_SETS
from scripts.build_fixtures import ROOT
from stories.therapy_scenarios import THERAPY_SCENARIOS
from tests.contract import check_response
from tests.hooks.builders import PATIENT_ID, TODAY, ago, cards, days_for, dx, episode, lab, story
from tests.hooks.builders import refractory_demo as demo

MMF, CYC, TAC = Agent.MYCOPHENOLATE_MOFETIL, Agent.CYCLOPHOSPHAMIDE, Agent.TACROLIMUS
THERAPY, SUPPORTIVE = "ln-next-line-therapy", "ln-supportive-care"
SEED_URL = CITATIONS[SEED_CITATION_ID].url

CHART_URL = "http://127.0.0.1:8000/charts/"  # tests.support.make_app: the default CDS_PUBLIC_URL


def on_tacrolimus_low_egfr() -> PatientData:
    """CYC failed; MMF + tacrolimus for 10 months; eGFR 58 -> 38 with a quiet sediment."""
    t0 = ago(days_for(10))
    episodes = [
        episode(CYC, t0 - timedelta(days=days_for(6)), t0 - timedelta(days=15)),
        episode(MMF, t0, dose=3000),
        episode(TAC, t0),
    ]
    labs = [lab(LabConcept.UPCR, t0 - timedelta(days=days_for(6) + 5), "4.0")]
    return story(10, "3.7", "3.3", egfr=("58", "38"), episodes=episodes, labs=labs)


def only(rule: str, data: PatientData, criteria_set: str = "seed-eular-era-edta-2012", **kw: bool) -> Card:
    (card,) = [c for c in cards(data, criteria_set, **kw) if c.rule_id == rule]
    return card


def numbered(card: Card) -> list[str]:
    return re.findall(r"^(\d+)\. \*\*(.+?)\*\*", card.detail or "", re.M)  # type: ignore[return-value]


def test_next_line_card_numbers_one_line_per_option_in_order() -> None:
    card = only(THERAPY, demo())
    lines = numbered(card)
    assert [n for n, _ in lines] == ["1", "2", "3", "4", "5"]
    assert [name for _, name in lines] == [
        ENGLISH.t("therapy.switch-to-cyc.name"),
        ENGLISH.t("therapy.multitarget.name"),
        ENGLISH.t("therapy.cni.name"),
        ENGLISH.t("therapy.rituximab.name"),
        ENGLISH.t("therapy.msc.name"),
    ]
    detail = card.detail or ""
    assert "_Evidence: meta-analysis of open-label studies._" in detail  # each line names its evidence level
    assert "375 mg/m\u00b2 weekly \u00d74, or 1000 mg on days 1 and 15" in detail  # the regimen as the seed gives it
    assert "refractory to mycophenolate mofetil (not offered again)" in detail
    assert (
        card.summary
        == "Refractory lupus nephritis \u2014 next-line options: 1. switch to cyclophosphamide, and 4 more in order"
    )
    assert card.indicator is Indicator.INFO


@pytest.mark.parametrize("criteria_set", list(CRITERIA_SETS))
def test_next_line_card_names_the_criteria_set(criteria_set: str) -> None:
    data = demo(egfr=("90", "88")) if criteria_set != "acr-2012" else demo()
    card = only(THERAPY, data, criteria_set)
    name = ENGLISH.t(f"set.{criteria_set}")
    assert name in card.source.label
    assert f"Criteria: {name}." in (card.detail or "")
    assert card.source.url == SEED_URL


def test_eular_2019_card_says_eular_2023_is_for_therapy_only() -> None:
    detail = only(THERAPY, demo(), "eular-2019").detail or ""
    assert "also EULAR/ERA-EDTA 2019 and EULAR 2023 (for therapy only)" in detail


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(demo, id="mmf-only"),
        pytest.param(on_tacrolimus_low_egfr, id="on-tacrolimus"),
        pytest.param(lambda: demo(diagnoses=[dx(ConditionKind.PREGNANCY, ago(40))]), id="pregnancy"),
        pytest.param(lambda: demo(diagnoses=[dx(ConditionKind.APS, ago(40))]), id="aps"),
    ],
)
def test_every_link_is_a_verified_citation_once_with_the_seed_first(make: Callable[[], PatientData]) -> None:
    card = only(THERAPY, make())
    verified = {c.url for c in CITATIONS.values() if c.verification.value in ("VERIFIED", "VERIFIED-2nd")}
    urls = [link.url for link in card.links]
    assert urls[0] == SEED_URL
    assert card.links[0].label.startswith("Order: ")
    assert len(urls) == len(set(urls))
    for link in card.links:
        assert link.url in verified
        assert link.url.startswith(("https://doi.org/10.", "https://clinicaltrials.gov/study/NCT"))
    assert all(re.match(r"Options? \d", link.label) for link in card.links[1:])


def test_link_labels_carry_the_option_numbers() -> None:
    labels = [link.label for link in only(THERAPY, demo()).links]
    assert link_label(f"Option 4: {CITATIONS['rituximab-meta-2013'].label}") in labels
    assert link_label(f"Option 2: {CITATIONS['multitarget-bao-2008'].label}") in labels


def test_link_labels_fit_one_line_of_a_560_px_card() -> None:
    """Issue 10 section 6: link labels of about 60 characters at most, cut at a word with an ellipsis."""
    for path in sorted((Path(__file__).resolve().parents[4] / "cards_fixtures").glob("*/*/expected.json")):
        for card in json.loads(path.read_text()).get("body", {}).get("cards", []):
            for link in card.get("links", []):
                assert len(link["label"]) <= LINK_LABEL_MAX_CHARS, (path.parent.name, link["label"])
    assert link_label("x" * 70).endswith("\u2026")
    assert link_label("Santacruz et al. 2023") == "Santacruz et al. 2023"


def test_draft_orders_are_valid_fhir_service_requests_for_the_patient() -> None:
    card = only(THERAPY, on_tacrolimus_low_egfr())
    assert card.selection_behavior == "any"
    assert [s.label for s in card.suggestions] == [
        "Repeat kidney biopsy (draft order)",
        "Tacrolimus trough level (draft order)",
    ]
    expected_codes = [codes.KIDNEY_BIOPSY, codes.CNI_LEVEL_TESTS[TAC]]
    for suggestion, (system, code, display) in zip(card.suggestions, expected_codes, strict=True):
        (action,) = suggestion.actions
        assert action.type == "create"
        resource = dict(action.resource or {})
        model = ServiceRequest.model_validate(resource)
        assert model.status == "draft"
        assert model.intent == "proposal"
        assert model.subject.reference == f"Patient/{PATIENT_ID}"
        assert (model.code.coding[0].system, model.code.coding[0].code, model.code.coding[0].display) == (
            system,
            code,
            display,
        )
        assert resource["authoredOn"] == TODAY.isoformat()
    biopsy = dict(card.suggestions[0].actions[0].resource or {})
    assert (
        biopsy["reasonCode"][0]["text"]
        == "Refractory lupus nephritis: chronic damage is suspected (see the review checklist)"
    )
    assert check_response(response_json(cards(on_tacrolimus_low_egfr()))) == []


def test_no_suggestions_and_no_selection_behavior_when_nothing_to_order() -> None:
    card = only(THERAPY, demo())
    assert card.suggestions == ()
    assert card.selection_behavior is None
    assert "draft order" not in (card.detail or "")


def test_low_egfr_on_tacrolimus_card_says_why_and_cautions() -> None:
    detail = only(THERAPY, on_tacrolimus_low_egfr()).detail or ""
    assert "**Repeat kidney biopsy** before choosing: chronic damage is suspected" in detail
    assert "A draft order for a tacrolimus trough level is attached." in detail
    assert (
        "**Calcineurin inhibitor active (tacrolimus):** monitor drug levels, creatinine, blood pressure and glucose"
        in detail
    )
    assert f"**eGFR 38 on {fmt_date(ago(5))}**, at or below 45" in detail
    assert "**Kidney function falling** (\u221234% from baseline)" in detail


def test_pregnancy_card_says_what_it_withholds_and_why() -> None:
    detail = only(THERAPY, demo(diagnoses=[dx(ConditionKind.PREGNANCY, ago(40))])).detail or ""
    assert (
        "Not offered because pregnancy is recorded (mycophenolate or cyclophosphamide): switch to cyclophosphamide "
        "and multitarget therapy." in detail
    )
    # review finding E14: the active teratogen is on the drug-safety card, which leads; not repeated here
    assert (
        "**Pregnancy recorded while mycophenolate mofetil is active:** mycophenolate and cyclophosphamide are "
        "teratogenic." not in detail
    )


def test_override_reasons_come_from_one_catalogue() -> None:
    therapy, supportive = only(THERAPY, demo(supportive=False)), only(SUPPORTIVE, demo(supportive=False))
    assert [r.code for r in therapy.override_reasons] == list(THERAPY_REASONS)
    assert [r.code for r in supportive.override_reasons] == list(SUPPORTIVE_REASONS)
    assert {r.system for r in (*therapy.override_reasons, *supportive.override_reasons)} == {OVERRIDE_SYSTEM}
    assert set(THERAPY_REASONS) | set(SUPPORTIVE_REASONS) <= set(OVERRIDE_CODES)
    assert therapy.override_reasons[2].display == "Not refractory in my judgement"
    with pytest.raises(ValueError, match="not in the catalogue"):
        override_reasons(ENGLISH, ("because",))


def test_cards_sort_review_then_options_then_supportive() -> None:
    body = response_json(cards(demo(supportive=False)))
    assert [c["indicator"] for c in body["cards"]] == ["warning", "info", "info"]
    assert body["cards"][1]["summary"].startswith("Refractory lupus nephritis")
    assert check_response(body) == []


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: demo(supportive=False), id="mmf-only"),
        pytest.param(on_tacrolimus_low_egfr, id="on-tacrolimus"),
        pytest.param(lambda: demo(diagnoses=[dx(ConditionKind.ACTIVE_INFECTION, ago(5))]), id="infection"),
        pytest.param(lambda: demo(classes=(LnClass.III, LnClass.V)), id="class-iii-v"),
    ],
)
def test_new_cards_keep_the_invariants_and_never_name_the_patient(make: Callable[[], PatientData]) -> None:
    for card in cards(make()):
        if card.rule_id not in (THERAPY, SUPPORTIVE):
            continue
        assert len(card.summary) < SUMMARY_MAX_CHARS
        texts = [card.summary, card.detail or "", card.source.label, *(link.label for link in card.links)]
        texts += [s.label for s in card.suggestions]
        assert all(PATIENT_ID not in text for text in texts)


# --- The golden therapy fixtures: the option order each story must produce, and FHIR-valid draft orders everywhere.

BOTH_FAILED_IV = ["multitarget", "cni", "rituximab", "msc", "ivig"]
# scenario -> the next-line options, in order (README "Expected" tells the same story in words)
FIXTURE_ORDERS: dict[str, list[str]] = {
    "therapy-class-iii-both-failed": ["rituximab", "multitarget", "cni", "msc", "ivig"],
    "therapy-class-iv-v-both-failed": BOTH_FAILED_IV,
    "therapy-class-iv-v-kdigo-2024": ["multitarget", "cni", "rituximab", "voclosporin", "msc", "ivig"],
    "therapy-cyc-only-failed": ["switch-to-mmf", "multitarget", "cni", "rituximab", "msc", "ivig"],
    "therapy-mmf-only-failed": ["switch-to-cyc", "rituximab", "multitarget", "cni", "msc"],
    "therapy-post-rituximab-early-relapse": [
        "belimumab-after-rituximab",
        "anti-cd20-alternative",
        "multitarget",
        "cni",
        "msc",
        "ivig",
    ],
    "therapy-pregnancy": ["extracorporeal", "cni", "rituximab", "msc"],
    "therapy-aps": ["multitarget", "cni", "rituximab", "extracorporeal", "msc", "ivig"],
    "therapy-active-infection": ["extracorporeal", "multitarget", "cni", "rituximab", "msc", "ivig"],
    "therapy-low-egfr-on-tacrolimus": ["rituximab", "msc", "ivig"],
    "therapy-supportive-missing": ["switch-to-cyc", "multitarget", "cni", "rituximab", "msc"],
    "therapy-supportive-present": ["switch-to-cyc", "multitarget", "cni", "rituximab", "msc"],
}
REQUIRED = [name for name in FIXTURE_ORDERS if name != "therapy-class-iv-v-kdigo-2024"]
SUGGESTIONS = {
    "therapy-low-egfr-on-tacrolimus": ["Repeat kidney biopsy (draft order)", "Tacrolimus trough level (draft order)"]
}
ALL_EXPECTED = sorted(ROOT.glob("*/expected.json"))


def _body(name: str) -> dict[str, Any]:
    reply = json.loads((ROOT / name / "expected.json").read_text())
    assert reply["status"] == 200
    body: dict[str, Any] = reply["body"]
    return body


def _card(body: dict[str, Any], label_start: str) -> dict[str, Any] | None:
    return next((c for c in body["cards"] if c["source"]["label"].startswith(label_start)), None)


def test_every_therapy_story_has_a_fixture_and_an_order() -> None:
    assert sorted(sc.name for sc in THERAPY_SCENARIOS) == sorted(FIXTURE_ORDERS)
    pids = {sc.name: sc.build().pid for sc in THERAPY_SCENARIOS}
    required = [pids[name] for name in REQUIRED]
    assert len(set(required)) == len(required)  # one patient per story
    assert all(pid.startswith("ln-tx-") for pid in pids.values())


@pytest.mark.parametrize("name", list(FIXTURE_ORDERS))
def test_golden_option_order(name: str) -> None:
    body = _body(name)
    card = _card(body, "Therapy order")
    assert card is not None
    names = re.findall(r"^\d+\. \*\*(.+?)\*\*", card["detail"], re.M)
    assert names == [ENGLISH.t(f"therapy.{option}.name") for option in FIXTURE_ORDERS[name]]
    assert [s["label"] for s in card.get("suggestions", [])] == SUGGESTIONS.get(name, [])
    # the refractoriness review comes first, after the pregnancy drug-safety card when there is one (issue 10)
    review = [c for c in body["cards"] if c["indicator"] != "critical"]
    assert review[0]["indicator"] == "warning"
    assert all(c["indicator"] == "critical" for c in body["cards"][: len(body["cards"]) - len(review)])
    readme = (ROOT / name / "README.md").read_text()
    assert "**Expected:**" in readme
    assert "1. " in readme


@pytest.mark.parametrize("path", ALL_EXPECTED, ids=[p.parent.name for p in ALL_EXPECTED])
def test_golden_draft_orders_are_fhir_r4_and_links_are_verified(path: Path) -> None:
    reply = json.loads(path.read_text())
    if reply["status"] != 200:
        return
    patient = json.loads((path.parent / "request.json").read_text())["context"]["patientId"]
    urls = {c.url for c in CITATIONS.values()}
    for card in reply["body"]["cards"]:
        # The course chart (issue 15) is the service's own page, not a citation: only it may be outside the list.
        cited = {link["url"] for link in card.get("links", []) if not link["url"].startswith(CHART_URL)}
        assert cited <= urls
        for suggestion in card.get("suggestions", []):
            for action in suggestion["actions"]:
                model = ServiceRequest.model_validate(action["resource"])
                assert model.subject.reference == f"Patient/{patient}"
                assert (model.status, model.intent) == ("draft", "proposal")
