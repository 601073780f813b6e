"""Table tests for the independent review's kidney and wording findings (issue 10 §7: C7, D9, E11, E12).

The golden stories are in stories/review_kidney_scenarios.py; these pin the rules on the edges of each class.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from fhir_maps import codes, map_patient_data
from fhir_maps.domain import Agent, Demographics, LabConcept, LabResult, Sex
from fhir_maps.labs import Skip, SkipReason, map_observation
from hooks.lupus_nephritis_response.rules.checklist import Check, ItemState
from hooks.lupus_nephritis_response.rules.measures import KidneyState, NormalBy
from hooks.lupus_nephritis_response.rules.treatment_line import T0Reason
from tests.fhir_maps.builders import observation
from tests.hooks.builders import ago, assess, days_for, episode, lab, story

T0_7M = ago(days_for(7))
TEEN_BOY = Demographics(date(2009, 2, 1), Sex.MALE)  # 16 on the tests' today
ADULT_NO_SEX = Demographics(date(1990, 5, 10), Sex.UNKNOWN)
NO_DEMOGRAPHICS = Demographics(None, Sex.UNKNOWN)


def _range(low: float, high: float, unit: str = "mg/dL") -> list[dict[str, Any]]:
    q = {"unit": unit, "system": codes.UCUM, "code": unit}
    return [{"low": {"value": low, **q}, "high": {"value": high, **q}}]


@pytest.mark.parametrize(
    ("value", "unit", "ref", "high"),
    [
        pytest.param(0.95, "mg/dL", _range(0.5, 1.1), "1.1", id="mg-dl"),
        pytest.param(84, "umol/L", _range(44, 97, "umol/L"), "1.0973", id="umol-converted"),
        pytest.param(0.95, "mg/dL", [{"text": "see report"}], None, id="text-only"),
        pytest.param(0.95, "mg/dL", _range(0.5, 1.1, "furlongs"), None, id="unknown-unit"),
        pytest.param(0.95, "mg/dL", None, None, id="no-range"),
    ],
)
def test_the_labs_upper_reference_limit_is_read_in_the_canonical_unit(
    value: float, unit: str, ref: list[dict[str, Any]] | None, high: str | None
) -> None:
    extra = {"referenceRange": ref} if ref is not None else {}
    result = map_observation(observation(codes.CREATININE, value=value, ucum=unit, **extra))
    assert isinstance(result, LabResult)
    got = result.reference_high.quantize(Decimal("0.0001")) if result.reference_high is not None else None
    assert got == (Decimal(high).quantize(Decimal("0.0001")) if high else None)


def _creatinine(baseline: str, current: str, demographics: Demographics, high: str | None = None) -> Any:
    now = lab(LabConcept.CREATININE, ago(5), current)
    if high is not None:
        now = LabResult(**{**{f: getattr(now, f) for f in now.__slots__}, "reference_high": Decimal(high)})
    labs = [lab(LabConcept.CREATININE, T0_7M - timedelta(days=5), baseline), now]
    return assess(story(7, "2.5", "0.3", egfr=None, labs=labs, demographics=demographics))


@pytest.mark.parametrize(
    ("baseline", "current", "demographics", "high", "state", "by"),
    [
        pytest.param("0.60", "0.95", TEEN_BOY, "1.1", KidneyState.NORMAL, NormalBy.LAB_RANGE, id="teen-within-lab"),
        pytest.param("0.60", "1.10", TEEN_BOY, "1.1", KidneyState.NORMAL, NormalBy.LAB_RANGE, id="teen-at-lab-high"),
        pytest.param("0.60", "0.95", TEEN_BOY, "0.9", KidneyState.UNJUDGED, None, id="teen-above-lab-below-adult"),
        pytest.param("0.60", "0.95", TEEN_BOY, None, KidneyState.UNJUDGED, None, id="teen-no-range"),
        pytest.param("0.60", "1.16", TEEN_BOY, None, KidneyState.UNJUDGED, None, id="teen-at-adult-male-limit"),
        pytest.param("0.60", "1.20", TEEN_BOY, None, KidneyState.WORSE, None, id="teen-above-adult-limit"),
        pytest.param("0.60", "0.62", TEEN_BOY, None, KidneyState.STABLE, None, id="teen-stable"),
        pytest.param("0.70", "0.90", NO_DEMOGRAPHICS, None, KidneyState.NORMAL, NormalBy.ADULT_LIMIT_NO_SEX, id="none"),
        pytest.param("0.70", "0.93", ADULT_NO_SEX, None, KidneyState.NORMAL, NormalBy.ADULT_LIMIT_NO_SEX, id="no-sex"),
        pytest.param("0.70", "1.00", ADULT_NO_SEX, None, KidneyState.WORSE, None, id="no-sex-above-female"),
        pytest.param("0.70", "1.00", ADULT_NO_SEX, "1.2", KidneyState.NORMAL, NormalBy.LAB_RANGE, id="no-sex-lab"),
        pytest.param(
            "0.60",
            "1.00",
            Demographics(date(1990, 5, 10), Sex.FEMALE),
            "0.95",
            KidneyState.WORSE,
            None,
            id="woman-above-lab-range-not-rescued-by-adult-male-limit",
        ),
    ],
)
def test_creatinine_is_judged_against_the_labs_range_then_adult_limits(
    baseline: str, current: str, demographics: Demographics, high: str | None, state: KidneyState, by: NormalBy | None
) -> None:
    a = _creatinine(baseline, current, demographics, high)
    assert a.measurements is not None
    assert a.measurements.kidney.state is state
    assert a.measurements.kidney.normal_by is by


def test_an_unjudged_adolescent_creatinine_never_makes_a_refractory_call() -> None:
    a = _creatinine("0.60", "0.95", TEEN_BOY)
    assert a.response is not None
    assert a.response.reached_partial  # complete response by proteinuria; kidney function unassessed
    assert a.verdict.value != "refractory"


@pytest.mark.parametrize(
    ("text", "reason", "timed"),
    [
        pytest.param("<0.2", SkipReason.UNKNOWN_UNIT, True, id="comparator-no-unit"),
        pytest.param("1.8", SkipReason.UNKNOWN_UNIT, True, id="number-no-unit"),
        pytest.param("see comment", SkipReason.UNREADABLE, True, id="no-number"),
    ],
)
def test_a_proteinuria_string_without_a_unit_keeps_its_time_for_the_card(
    text: str, reason: SkipReason, timed: bool
) -> None:
    result = map_observation(observation(codes.UPCR, value=None, valueString=text))
    assert isinstance(result, Skip)
    assert result.reason is reason
    assert (result.when is not None) is timed
    data = map_patient_data([{**observation(codes.UPCR, value=None, valueString=text), "subject": None}])
    assert data.series(LabConcept.UPCR).unreadable


@pytest.mark.parametrize(
    ("values", "relapse"),
    [
        pytest.param(("0.20", "0.25", "2.80"), True, id="cr-then-flare"),
        pytest.param(("0.20", "0.60"), True, id="cr-then-above-cr-ceiling"),
        pytest.param(("1.20", "2.80"), False, id="never-in-cr"),
        pytest.param(("0.20", "0.30"), False, id="cr-kept"),
    ],
)
def test_a_flare_on_maintenance_after_complete_response_is_a_relapse(values: tuple[str, ...], relapse: bool) -> None:
    """Azathioprine (maintenance-only) for two years, then MMF re-induction 20 days ago."""
    reinduction = ago(20)
    days = [ago(300), ago(150), ago(30)][-len(values) :]
    labs = [lab(LabConcept.UPCR, d, v) for d, v in zip(days, values, strict=True)]
    labs.append(lab(LabConcept.UPCR, ago(5), "2.6"))
    eps = [episode(Agent.AZATHIOPRINE, ago(730), reinduction), episode(Agent.MYCOPHENOLATE_MOFETIL, reinduction)]
    a = assess(story(0.7, "2.8", None, kind=None, labs=labs, episodes=eps))
    assert a.line is not None
    assert (a.line.relapse is not None) is relapse
    assert (a.line.t0_reason is T0Reason.REINDUCTION) is relapse


@pytest.mark.parametrize(
    ("partner", "flagged"),
    [
        pytest.param(Agent.TACROLIMUS, False, id="multitarget-tacrolimus"),
        pytest.param(Agent.VOCLOSPORIN, True, id="voclosporin-add-on"),
        pytest.param(None, True, id="mmf-alone"),
    ],
)
def test_a_multitarget_mycophenolate_dose_is_not_flagged_below_the_monotherapy_target(
    partner: Agent | None, flagged: bool
) -> None:
    t0 = ago(days_for(7))
    eps = [episode(Agent.MYCOPHENOLATE_MOFETIL, t0, dose=1000)]
    if partner is not None:
        eps.append(episode(partner, t0, dose=4))
    a = assess(story(7, "3.1", "2.8", episodes=eps))
    below = [i for i in a.checklist if i.key is Check.DOSE_BELOW_TARGET and i.state is ItemState.FLAGGED]
    assert bool(below) is flagged
