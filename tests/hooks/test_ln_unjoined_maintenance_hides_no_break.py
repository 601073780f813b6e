"""A maintenance-only episode (azathioprine) that never joined a line does not count when looking for a break
before a new line agent: after a short mycophenolate course and a gap, cyclophosphamide is a new course, and
mycophenolate did not fail. Azathioprine that did join the line (maintenance after a partial response) still
bridges the time up to the next agent."""

from __future__ import annotations

from datetime import date

import pytest

from fhir_maps.domain import Agent, LabConcept, LabResult, TherapyEpisode
from hooks.lupus_nephritis_response.knowledge.criteria_sets import get_criteria_set
from hooks.lupus_nephritis_response.rules.treatment_line import ChangeKind, current_line
from tests.hooks.builders import TODAY, ago, episode, lab, ln_dx, patient, upcr

AZA, CYC, MMF = Agent.AZATHIOPRINE, Agent.CYCLOPHOSPHAMIDE, Agent.MYCOPHENOLATE_MOFETIL


def _labs(upcrs: list[tuple[date, str]]) -> list[LabResult]:
    days = [d for d, _ in upcrs]
    return [*(upcr(d, v) for d, v in upcrs), *(lab(LabConcept.EGFR, d, "90") for d in days)]


SHORT_MMF = _labs([(ago(905), "3.0"), (ago(785), "2.9"), (ago(210), "2.9"), (ago(5), "2.9")])
CYC_PR = _labs([(ago(905), "3.0"), (ago(725), "1.0"), (ago(205), "1.0"), (ago(5), "1.0")])


@pytest.mark.parametrize(
    ("labs", "episodes", "kinds", "failed"),
    [
        pytest.param(
            SHORT_MMF,
            [episode(MMF, ago(900), ago(780), dose=3000), episode(CYC, ago(200))],
            [ChangeKind.NEW_COURSE],
            (),
            id="short-mmf-gap-cyc",
        ),
        pytest.param(
            SHORT_MMF,
            [episode(MMF, ago(900), ago(780), dose=3000), episode(AZA, ago(770)), episode(CYC, ago(200))],
            [ChangeKind.NEW_COURSE],
            (),
            id="short-mmf-unjoined-aza-gap-cyc",
        ),
        pytest.param(
            CYC_PR,
            [episode(CYC, ago(900), ago(720)), episode(AZA, ago(719), ago(198)), episode(MMF, ago(200))],
            [ChangeKind.MAINTENANCE, ChangeKind.MAINTENANCE],
            (),
            id="joined-aza-bridges-to-mmf",
        ),
    ],
)
def test_only_episodes_of_the_line_decide_a_break(
    labs: list[LabResult], episodes: list[TherapyEpisode], kinds: list[ChangeKind], failed: tuple[Agent, ...]
) -> None:
    data = patient(diagnoses=[ln_dx()], labs=labs, episodes=episodes)
    line = current_line(data, get_criteria_set("seed-eular-era-edta-2012"), TODAY)
    assert line is not None
    assert [c.kind for c in line.changes] == kinds
    assert line.failed_agents == failed
