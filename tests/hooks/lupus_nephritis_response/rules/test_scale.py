"""A long history costs in proportion to its length (issue 14, scale series), and the fast picks answer as the scan.

Counted, never timed: how often the rules judge a day (`response_on`) and how many times a result is looked at
(`LabResult.decides` reads) while a patient is assessed and the cards rendered, for a history and for one four times
as dense. A scan of the whole series per judged day (what `relapse_between` did through `proteinuria`,
`kidney_function` and `sediment`) reads sixteen times as much; linear work reads four times as much.

The picks "as of a day" use binary search over a series in day order (`LabSeries.in_day_order`) and scan every
result otherwise; the property test runs both on the same random histories and asks for the same answers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhir_maps.domain import (
    CANONICAL_UNIT,
    Agent,
    Demographics,
    Interpretation,
    LabConcept,
    LabResult,
    LabSeries,
    PatientData,
    ResultStatus,
    Sex,
)
from hooks.lupus_nephritis_response import evaluate, render
from hooks.lupus_nephritis_response.rules import treatment_line
from hooks.lupus_nephritis_response.rules.measures import kidney_function, proteinuria, sediment
from tests.hooks.builders import TODAY, ago, context, episode, lab, ln_dx, patient

SPAN_DAYS = 240  # the history both patients share; the dense one has a result of each kind every day


def _history(every_days: int) -> PatientData:
    """MMF since the start of the span, UPCR never falling (no response, so every result date is judged for a
    relapse), creatinine without reported eGFR (the eGFR is computed) and an RBC count, every `every_days` days."""
    t0 = ago(SPAN_DAYS)
    labs: list[LabResult] = []
    for offset in range(-5, SPAN_DAYS, every_days):
        day = t0 + timedelta(days=offset)
        labs += [
            lab(LabConcept.UPCR, day, "3.1"),
            lab(LabConcept.CREATININE, day, "0.9"),
            lab(LabConcept.URINE_RBC, day, "20"),
        ]
    mmf = episode(Agent.MYCOPHENOLATE_MOFETIL, t0, dose=3000)
    return patient(diagnoses=[ln_dx()], labs=labs, episodes=[mmf])


def _counts(data: PatientData, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """Returns (days judged by `response_on`, reads of `LabResult.decides`) for one assessment and its cards."""
    judged = reads = 0
    response_on = treatment_line.response_on
    decides: Any = LabResult.decides

    def counted_response_on(*args: Any) -> Any:
        nonlocal judged
        judged += 1
        return response_on(*args)

    def counted_decides(result: LabResult) -> bool:
        nonlocal reads
        reads += 1
        return bool(decides.fget(result))

    with monkeypatch.context() as m:
        m.setattr(treatment_line, "response_on", counted_response_on)
        m.setattr(LabResult, "decides", property(counted_decides))
        ctx = context()
        render(evaluate(data, ctx), ctx)
    return judged, reads


def test_a_four_times_denser_history_costs_at_most_about_four_times_as_much(monkeypatch: pytest.MonkeyPatch) -> None:
    sparse, dense = _history(4), _history(1)
    assert len(dense.series(LabConcept.UPCR).results) >= 4 * len(sparse.series(LabConcept.UPCR).results) - 4
    judged_sparse, reads_sparse = _counts(sparse, monkeypatch)
    judged_dense, reads_dense = _counts(dense, monkeypatch)
    # Every proteinuria date after T0 is judged once for a relapse: the walk the counts are about really ran.
    assert judged_sparse >= SPAN_DAYS // 4
    assert judged_dense <= 4 * judged_sparse + 8
    # Linear work reads about 4x as much (a constant per result and per judged day); a scan per judged day ~16x.
    assert reads_dense <= 5 * reads_sparse, (reads_sparse, reads_dense)


# --- the fast picks against the scan ------------------------------------------------------------------------------

START = TODAY - timedelta(days=100)
CONCEPTS = (
    LabConcept.UPCR,
    LabConcept.PROTEIN_24H,
    LabConcept.CREATININE,
    LabConcept.EGFR,
    LabConcept.URINE_RBC,
    LabConcept.CELLULAR_CASTS,
    LabConcept.CASTS_UNTYPED,
)


@st.composite
def _series(draw: st.DrawFn, concept: LabConcept) -> LabSeries:
    """A series in day order: mostly one result a day as mapping leaves it, sometimes two at different hours (a
    series built otherwise); some preliminary, some censored or a range, some flagged; some unreadable times."""
    times = sorted(draw(st.sets(st.tuples(st.integers(0, 90), st.sampled_from([9, 17])), max_size=30)))
    results = []
    for offset, hour in times:
        day = START + timedelta(days=offset)
        result = dataclasses.replace(
            lab(
                concept,
                day,
                str(draw(st.sampled_from(["0", "0.05", "0.3", "0.7", "1.2", "3", "6", "20", "45", "60", "95"]))),
                status=draw(st.sampled_from([ResultStatus.FINAL, ResultStatus.FINAL, ResultStatus.PRELIMINARY])),
                flag=draw(st.sampled_from(list(Interpretation))),
                comparator=draw(st.sampled_from([None, None, None, "<", "<=", ">", ">="])),
            ),
            when=datetime(day.year, day.month, day.day, hour, tzinfo=UTC),
        )
        if draw(st.booleans()) and result.comparator is None:
            result = dataclasses.replace(result, value=result.value + 2, comparator="<=", low=result.value)
        if draw(st.booleans()):
            result = dataclasses.replace(result, reference_high=Decimal(draw(st.sampled_from(["0.8", "1.0", "2"]))))
        results.append(result)
    unread_days = sorted(draw(st.lists(st.integers(0, 90), max_size=4)))
    unreadable = tuple(
        datetime.combine(START + timedelta(days=d), datetime.min.time(), UTC) + timedelta(hours=i)
        for i, d in enumerate(unread_days)
    )
    return LabSeries(concept, tuple(results), unreadable)


@st.composite
def _patients(draw: st.DrawFn) -> PatientData:
    labs = {c: s for c in CONCEPTS if (s := draw(_series(c))).results or s.unreadable}
    birth = draw(st.sampled_from([None, date(1990, 5, 10), TODAY - timedelta(days=18 * 365 + 100)]))
    sex = draw(st.sampled_from(list(Sex)))
    return dataclasses.replace(patient(), labs=labs, demographics=Demographics(birth, sex))


def _scanned(data: PatientData) -> PatientData:
    """Returns `data` with every series marked out of day order: the picks then scan every result."""
    copies = {}
    for concept, s in data.labs.items():
        copy = LabSeries(s.concept, s.results, s.unreadable, s.conflicting_days)
        object.__setattr__(copy, "in_day_order", False)  # what a series with days against its times gets
        object.__setattr__(copy, "unreadable_in_day_order", False)
        copies[concept] = copy
    return dataclasses.replace(data, labs=copies)


def _days() -> st.SearchStrategy[date]:
    return st.integers(-20, 130).map(lambda d: START + timedelta(days=d))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_patients(), t0=_days(), as_of=_days(), tolerance=st.sampled_from([Decimal("0.1"), Decimal("0.25")]))
def test_the_fast_picks_answer_as_the_scan(data: PatientData, t0: date, as_of: date, tolerance: Decimal) -> None:
    scanned = _scanned(data)
    checks: list[Callable[[PatientData], object]] = [
        lambda d: proteinuria(d, t0, as_of),
        lambda d: kidney_function(d, t0, as_of, tolerance),
        lambda d: sediment(d, as_of),
    ]
    for check in checks:
        assert check(data) == check(scanned)


def test_days_against_times_take_the_scan() -> None:
    """Two UTC offsets can put a later time on an earlier calendar day: such a series is not in day order."""
    late = LabResult(
        LabConcept.UPCR,
        datetime(2025, 1, 2, 1, 0, tzinfo=UTC),
        Decimal(1),
        CANONICAL_UNIT[LabConcept.UPCR],
        ResultStatus.FINAL,
        CANONICAL_UNIT[LabConcept.UPCR],
    )
    earlier_day = dataclasses.replace(late, when=datetime.fromisoformat("2025-01-01T23:30:00-03:00"))  # 02:30 UTC
    assert not LabSeries(LabConcept.UPCR, (late, earlier_day)).in_day_order
    assert LabSeries(LabConcept.UPCR, (late,)).in_day_order
    with pytest.raises(ValueError, match="sorted by time"):
        LabSeries(LabConcept.UPCR, (earlier_day, late))


@pytest.mark.parametrize("t0_offset", [-1, 1], ids=["results-after-t0", "results-before-t0"])
def test_of_two_results_on_the_baseline_day_the_later_is_picked_either_way(t0_offset: int) -> None:
    """Two final UPCRs on the day nearest T0 (09:00 and 17:00): the later is the baseline, fast or scanned."""
    day = START + timedelta(days=30)
    morning, evening = (
        dataclasses.replace(
            lab(LabConcept.UPCR, day, value), when=datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
        )
        for value, hour in (("1.0", 9), ("2.0", 17))
    )
    later = lab(LabConcept.UPCR, day + timedelta(days=40), "3.0")
    data = dataclasses.replace(patient(), labs={LabConcept.UPCR: LabSeries(LabConcept.UPCR, (morning, evening, later))})
    t0, as_of = day + timedelta(days=t0_offset), day + timedelta(days=50)
    fast, scanned = proteinuria(data, t0, as_of), proteinuria(_scanned(data), t0, as_of)
    assert fast == scanned
    assert fast.baseline is not None
    assert fast.baseline.value == Decimal("2.0")
