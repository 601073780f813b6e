"""The golden therapy fixtures: the option order each story must produce, and FHIR-valid draft orders everywhere."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.servicerequest import ServiceRequest

from hooks.lupus_nephritis_response.evidence import CITATIONS
from hooks.lupus_nephritis_response.text import t
from scripts.build_fixtures import ROOT
from stories.therapy_scenarios import THERAPY_SCENARIOS

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
    assert names == [t(f"therapy.{option}.name") for option in FIXTURE_ORDERS[name]]
    assert [s["label"] for s in card.get("suggestions", [])] == SUGGESTIONS.get(name, [])
    assert body["cards"][0]["indicator"] == "warning"  # the refractoriness review comes first
    readme = (ROOT / name / "README.md").read_text()
    assert "**Expected:**" in readme
    assert "1. " in readme


@pytest.mark.parametrize(
    ("name", "shown"), [("therapy-supportive-missing", True), ("therapy-supportive-present", False)]
)
def test_golden_supportive_card(name: str, shown: bool) -> None:
    assert (_card(_body(name), "Supportive measures") is not None) is shown


@pytest.mark.parametrize("path", ALL_EXPECTED, ids=[p.parent.name for p in ALL_EXPECTED])
def test_golden_draft_orders_are_fhir_r4_and_links_are_verified(path: Path) -> None:
    reply = json.loads(path.read_text())
    if reply["status"] != 200:
        return
    patient = json.loads((path.parent / "request.json").read_text())["context"]["patientId"]
    urls = {c.url for c in CITATIONS.values()}
    for card in reply["body"]["cards"]:
        assert {link["url"] for link in card.get("links", [])} <= urls
        for suggestion in card.get("suggestions", []):
            for action in suggestion["actions"]:
                model = ServiceRequest.model_validate(action["resource"])
                assert model.subject.reference == f"Patient/{patient}"
                assert (model.status, model.intent) == ("draft", "proposal")
