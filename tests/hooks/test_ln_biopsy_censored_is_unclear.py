"""A sediment or kidney function that a censored value leaves undecided is an unclear response, like one not
measured: the refractory plan gives "unclear response" as a reason for a repeat biopsy."""

from __future__ import annotations

from datetime import timedelta

import pytest

from fhir_maps.domain import LabConcept, LabResult
from hooks.lupus_nephritis_response.rules.assessment import Verdict
from hooks.lupus_nephritis_response.rules.measures import KidneyState, SedimentState
from hooks.lupus_nephritis_response.rules.next_line import BiopsyReason
from tests.hooks.builders import ago, assess, days_for, lab, story

BASE = ago(days_for(7)) - timedelta(days=5)


@pytest.mark.parametrize(
    ("rbc", "egfr", "labs", "sediment", "kidney", "unclear"),
    [
        pytest.param(("20", "2"), ("90", "88"), [], SedimentState.INACTIVE, KidneyState.STABLE, False, id="clear"),
        pytest.param(None, ("90", "88"), [], SedimentState.UNKNOWN, KidneyState.STABLE, True, id="rbc-unknown"),
        pytest.param(
            None,
            ("90", "88"),
            [lab(LabConcept.URINE_RBC, ago(5), "10", comparator="<")],
            SedimentState.CENSORED,
            KidneyState.STABLE,
            True,
            id="rbc-censored",
        ),
        pytest.param(("20", "2"), None, [], SedimentState.INACTIVE, KidneyState.UNKNOWN, True, id="egfr-unknown"),
        pytest.param(
            ("20", "2"),
            None,
            [lab(LabConcept.EGFR, BASE, "60", comparator=">"), lab(LabConcept.EGFR, ago(5), "60", comparator="<")],
            SedimentState.INACTIVE,
            KidneyState.CENSORED,
            True,
            id="egfr-censored",
        ),
    ],
)
def test_censored_sediment_or_kidney_gives_an_unclear_response_biopsy_reason(
    rbc: tuple[str, str] | None,
    egfr: tuple[str, str] | None,
    labs: list[LabResult],
    sediment: SedimentState,
    kidney: KidneyState,
    unclear: bool,
) -> None:
    a = assess(story(7, "3.0", "2.9", rbc=rbc, egfr=egfr, labs=labs))
    assert a.verdict is Verdict.REFRACTORY
    assert a.measurements is not None
    assert (a.measurements.sediment.state, a.measurements.kidney.state) == (sediment, kidney)
    assert a.therapy is not None
    assert (BiopsyReason.UNCLEAR_RESPONSE in a.therapy.biopsy) is unclear
