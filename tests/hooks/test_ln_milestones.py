"""Checkpoints are judged on today's values; the latest due one settles the earlier ones (response-model.md §4-5,
evidence.md §2: the EULAR 2019/2025 milestones are a trajectory, a later target supersedes the earlier ones)."""

from __future__ import annotations

import pytest

from hooks.lupus_nephritis_response.rules.assessment import Verdict
from hooks.lupus_nephritis_response.rules.clinical_response import CheckpointStatus
from tests.hooks.builders import assess, response_cards, story

MET, MISSED, UNKNOWN = CheckpointStatus.MET, CheckpointStatus.MISSED, CheckpointStatus.UNKNOWN
EULAR_SETS = ["eular-2025", "eular-2019"]


@pytest.mark.parametrize("criteria_set", EULAR_SETS)
@pytest.mark.parametrize(
    ("months", "baseline", "current", "rbc", "verdict", "statuses"),
    [
        # the reviewer's reproduction (r5.py): 0.80 -> 0.65 g/g at 13 months meets the 12-month target (< 0.7)
        pytest.param(13, "0.80", "0.65", ("20", "2"), Verdict.STATUS, (MET, MET, MET), id="13m-12m-target-met"),
        pytest.param(13, "0.80", "0.75", ("20", "2"), Verdict.REFRACTORY, (MISSED, MISSED, MISSED), id="13m-missed"),
        pytest.param(13, "3.0", "0.9", ("20", "2"), Verdict.REFRACTORY, (MET, MET, MISSED), id="13m-only-12m-missed"),
        pytest.param(7, "0.80", "0.65", ("20", "2"), Verdict.REFRACTORY, (MISSED, MISSED), id="7m-6m-missed"),
        pytest.param(7, "2.0", "0.9", ("20", "2"), Verdict.STATUS, (MET, MET), id="7m-6m-met"),
        pytest.param(4, "1.0", "0.7", ("20", "2"), Verdict.STATUS, (MET,), id="4m-3m-met"),
        pytest.param(4, "1.0", "0.9", ("20", "2"), Verdict.REFRACTORY, (MISSED,), id="4m-3m-missed"),
        pytest.param(25, "0.80", "0.40", ("20", "2"), Verdict.STATUS, (MET, MET, MET), id="25m-complete"),
    ],
)
def test_eular_milestones_met_latest_supersedes_earlier(
    criteria_set: str,
    months: int,
    baseline: str,
    current: str,
    rbc: tuple[str, str],
    verdict: Verdict,
    statuses: tuple[CheckpointStatus, ...],
) -> None:
    a = assess(story(months, baseline, current, rbc=rbc), criteria_set)
    assert a.verdict is verdict
    assert tuple(r.status for r in a.checkpoints) == statuses


@pytest.mark.parametrize("criteria_set", EULAR_SETS)
def test_eular_latest_milestone_undecided_makes_no_refractory_call_from_an_earlier_miss(criteria_set: str) -> None:
    # 0.80 -> 0.65 at 13 months with kidney function unknown: the 12-month target is met by proteinuria only.
    a = assess(story(13, "0.80", "0.65", egfr=None), criteria_set)
    assert a.verdict is Verdict.STATUS
    assert tuple(r.status for r in a.checkpoints) == (UNKNOWN, UNKNOWN, UNKNOWN)


@pytest.mark.parametrize("criteria_set", EULAR_SETS)
def test_reviewer_reproduction_13_months_card_is_not_a_review(criteria_set: str) -> None:
    [card] = response_cards(story(13, "0.80", "0.65"), criteria_set)
    assert card.rule_id == "ln-status"
    assert "milestone not reached" not in card.summary


@pytest.mark.parametrize("criteria_set", ["seed-eular-era-edta-2012", "acr-2012"])
@pytest.mark.parametrize(
    ("months", "baseline", "current", "rbc", "statuses"),
    [
        # no improvement >= 3 m, no PR >= 6 m, no CR >= 24 m: each criterion on its own, judged today
        pytest.param(4, "3.0", "2.9", ("20", "2"), (MISSED,), id="4m-no-improvement"),
        pytest.param(4, "3.0", "2.0", ("20", "2"), (MET,), id="4m-improvement"),
        pytest.param(7, "3.0", "2.8", ("20", "2"), (MISSED, MISSED), id="7m-neither"),
        pytest.param(7, "3.0", "2.0", ("20", "2"), (MET, MISSED), id="7m-improvement-no-pr"),
        pytest.param(7, "3.0", "1.2", ("20", "2"), (MET, MET), id="7m-pr-meets-criteria-1-and-2"),
        pytest.param(25, "3.0", "1.2", ("20", "2"), (MET, MET, MISSED), id="25m-pr-no-cr"),
        pytest.param(25, "3.0", "0.4", ("20", "2"), (MET, MET, MET), id="25m-cr-meets-everything"),
        pytest.param(25, "0.6", "0.4", ("20", "2"), (MET, MET, MET), id="25m-cr-from-low-baseline"),
        pytest.param(25, "3.0", "2.9", ("20", "2"), (MISSED, MISSED, MISSED), id="25m-nothing"),
        # CR by proteinuria only (sediment unknown) covers the PR it may be: no call (unchanged)
        pytest.param(25, "0.6", "0.4", None, (MET, UNKNOWN, UNKNOWN), id="25m-cr-by-proteinuria-no-call"),
    ],
)
def test_seed_criteria_keep_their_behaviour(
    criteria_set: str,
    months: int,
    baseline: str,
    current: str,
    rbc: tuple[str, str] | None,
    statuses: tuple[CheckpointStatus, ...],
) -> None:
    a = assess(story(months, baseline, current, rbc=rbc), criteria_set)
    assert tuple(r.status for r in a.checkpoints) == statuses


def test_status_card_names_the_met_milestone_when_the_set_has_no_class_for_it() -> None:
    """EULAR 2025 at 13 months, UPCR 0.80 -> 0.65 g/g: the 12-month target (< 0.7) is met; "no response yet"
    would misread what the set judged."""
    from tests.hooks.builders import response_cards, story

    card = response_cards(story(13, "0.80", "0.65"), criteria_set="eular-2025")[0]
    assert card.summary.startswith("Lupus nephritis: 12-month milestone met after 13 months")
    assert card.detail is not None
    assert "no response yet" not in card.detail
