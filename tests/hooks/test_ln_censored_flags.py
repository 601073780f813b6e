"""Flags and cautions outside the response class also respect a censored value's comparator."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fhir_maps.domain import LabConcept
from hooks.lupus_nephritis_response.rules.measures import Reading, surely_above, surely_at_least, surely_below

DAY = date(2026, 6, 1)


def egfr(value: str, comparator: str | None = None) -> Reading:
    return Reading(LabConcept.EGFR, Decimal(value), DAY, comparator)


@pytest.mark.parametrize(
    ("reading", "limit", "below", "at_least", "above"),
    [
        pytest.param(egfr("25"), "30", True, False, False, id="exact-25-vs-30"),
        pytest.param(egfr("30"), "30", False, True, False, id="exact-at-the-limit"),
        pytest.param(egfr("15", "<"), "30", True, False, False, id="less-than-15-is-surely-below-30"),
        pytest.param(egfr("15", ">"), "30", False, False, False, id="more-than-15-decides-nothing-at-30"),
        pytest.param(egfr("60", ">"), "45", False, True, True, id="more-than-60-is-surely-above-45"),
        pytest.param(egfr("60", "<"), "45", False, False, False, id="less-than-60-decides-nothing-at-45"),
        pytest.param(egfr("45", ">="), "45", False, True, False, id="at-least-45-is-not-surely-above-45"),
        pytest.param(egfr("45", ">"), "45", False, True, True, id="more-than-45-is-surely-above-45"),
    ],
)
def test_censored_bounds_decide_only_what_they_can(
    reading: Reading, limit: str, below: bool, at_least: bool, above: bool
) -> None:
    assert surely_below(reading, Decimal(limit)) is below
    assert surely_at_least(reading, Decimal(limit)) is at_least
    assert surely_above(reading, Decimal(limit)) is above


def test_an_egfr_reported_above_15_does_not_flag_chronic_damage() -> None:
    from hooks.lupus_nephritis_response.rules.checklist import ItemState
    from tests.hooks.builders import ago, assess, lab, story

    data = story(7, "3.10", "2.60", egfr=None, labs=[lab(LabConcept.EGFR, ago(5), "15", comparator=">")])
    keys = {item.key for item in assess(data).checklist if item.state is ItemState.FLAGGED}
    assert "chronic-damage-low-egfr" not in keys


def test_an_egfr_reported_below_15_flags_chronic_damage() -> None:
    from hooks.lupus_nephritis_response.rules.checklist import ItemState
    from tests.hooks.builders import ago, assess, lab, story

    data = story(7, "3.10", "2.60", egfr=None, labs=[lab(LabConcept.EGFR, ago(5), "15", comparator="<")])
    keys = {item.key for item in assess(data).checklist if item.state is ItemState.FLAGGED}
    assert "chronic-damage-low-egfr" in keys


@pytest.mark.parametrize(
    ("comparator", "value", "due"),
    [
        pytest.param(None, "2.0", True, id="exact-2.0-is-proteinuric"),
        pytest.param("<", "2.0", False, id="less-than-2.0-may-not-be"),
        pytest.param(">", "0.5", True, id="more-than-0.5-surely-is"),
    ],
)
def test_raas_suggestion_needs_a_value_surely_proteinuric(comparator: str | None, value: str, due: bool) -> None:
    from hooks.lupus_nephritis_response.knowledge.criteria_sets import get_criteria_set
    from hooks.lupus_nephritis_response.rules.supportive_care import supportive_gaps
    from tests.hooks.builders import TODAY, ago, lab, ln_dx, patient

    data = patient(diagnoses=[ln_dx()], labs=[lab(LabConcept.UPCR, ago(5), value, comparator=comparator)])
    gaps = supportive_gaps(data, get_criteria_set("seed-eular-era-edta-2012"), TODAY)
    assert gaps is not None
    assert (gaps.proteinuria is not None) is due
