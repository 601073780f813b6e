"""The fast 'as of a day' picks answer as the full scan on records as EHRs send them (issue 14), through the mapper.

`test_scale.py` compares the two on series built directly; here each patient is random FHIR JSON (`ehr_records`:
valueString and comparators, corrections re-sent under one identifier, preliminary then final, several results a
day, UTC offsets from -12:00 to +14:00 around midnight, date-only, effectivePeriod-only and issued-only times, SI
and mass units, results on T0, on the baseline window's edges and after today, relapse after response) read by
`fhir_maps.map_patient_data`. For every day that matters (each result's day and its neighbours, T0 and the
window edges) `proteinuria`, `kidney_function` and `sediment` must answer the same on the series as mapped and on
the same series forced to the scan; so must the whole assessment and its rendered cards. Seeded: the same records
every run.
"""

from __future__ import annotations

import dataclasses
import functools
import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from fhir_maps import codes, map_patient_data
from fhir_maps.domain import LabConcept, LabSeries, PatientData
from hooks.lupus_nephritis_response import evaluate, render
from hooks.lupus_nephritis_response.rules.measures import (
    BASELINE_DAYS_AFTER_T0,
    BASELINE_DAYS_BEFORE_T0,
    kidney_function,
    proteinuria,
    sediment,
)
from tests.hooks.builders import TODAY, context
from tests.hooks.lupus_nephritis_response.rules.ehr_records import Resource, record, resources

RECORDS = 24  # random patients per run; the picks are compared on ~60 (T0, day) pairs each
SEED = 20261202


def _scanned(data: PatientData) -> PatientData:
    """Returns `data` with every series marked out of day order: the picks then scan every result."""
    copies = {}
    for concept, s in data.labs.items():
        copy = LabSeries(s.concept, s.results, s.unreadable, s.conflicting_days)
        object.__setattr__(copy, "in_day_order", False)
        object.__setattr__(copy, "unreadable_in_day_order", False)
        copies[concept] = copy
    return dataclasses.replace(data, labs=copies)


def _days_that_matter(data: PatientData, rng: random.Random) -> tuple[list[date], list[date]]:
    """Returns (T0s, as-of days): result days and their neighbours, T0s putting results on the window's edges."""
    result_days = sorted(
        {r.when.date() for s in data.labs.values() for r in s.results}
        | {w.date() for s in data.labs.values() for w in s.unreadable}
    )
    as_of = {TODAY, TODAY - timedelta(days=1)}
    for d in result_days:
        as_of |= {d - timedelta(days=1), d, d + timedelta(days=1), d + timedelta(days=90), d + timedelta(days=91)}
    t0s = {TODAY - timedelta(days=200)}
    for d in rng.sample(result_days, min(6, len(result_days))):
        t0s |= {
            d,
            d + timedelta(days=BASELINE_DAYS_BEFORE_T0),  # d on the window's first day
            d + timedelta(days=BASELINE_DAYS_BEFORE_T0 + 1),  # just outside it
            d - timedelta(days=BASELINE_DAYS_AFTER_T0),  # d on the window's last day
            d - timedelta(days=BASELINE_DAYS_AFTER_T0 + 1),
            d - timedelta(days=1),
            d + timedelta(days=1),
        }
    return sorted(t0s), sorted(as_of)


@functools.cache
def _records() -> list[tuple[str, PatientData]]:
    rng = random.Random(SEED)  # noqa: S311 -- seeded test data, not a secret
    out = []
    for i in range(RECORDS):
        pid = f"ehr-{i}"
        out.append((pid, map_patient_data(resources(record(rng, TODAY, pid)))))
    return out


def test_the_records_hold_what_they_are_meant_to() -> None:
    """The random records reach the cases they are for: series out of day order (the scan), unreadable values,
    censored ones, several results a day collapsed, skipped times."""
    records = [data for _, data in _records()]
    series = [s for data in records for s in data.labs.values()]
    assert any(not s.in_day_order for s in series)
    assert sum(s.in_day_order and len(s.results) > 3 for s in series) > 30
    assert any(s.unreadable for s in series)
    assert any(r.comparator for s in series for r in s.results)
    assert any(not r.decides for s in series for r in s.results)
    assert sum(data.report.observations_no_time for data in records) > 0
    assert sum(data.report.observations_excluded_status for data in records) > 0


@pytest.mark.parametrize(("pid", "data"), _records(), ids=lambda v: v if isinstance(v, str) else "")
def test_the_fast_picks_answer_as_the_scan_on_records_as_sent(pid: str, data: PatientData) -> None:
    scanned = _scanned(data)
    rng = random.Random(pid)  # noqa: S311 -- seeded test data, not a secret
    t0s, days = _days_that_matter(data, rng)
    for day in days:
        assert sediment(data, day) == sediment(scanned, day), (pid, day)
    for t0 in rng.sample(t0s, min(6, len(t0s))):
        for day in [*rng.sample(days, min(10, len(days))), TODAY]:
            assert proteinuria(data, t0, day) == proteinuria(scanned, t0, day), (pid, t0, day)
            for tolerance in (Decimal("0.1"), Decimal("0.25")):
                assert kidney_function(data, t0, day, tolerance) == kidney_function(scanned, t0, day, tolerance), (
                    pid,
                    t0,
                    day,
                )


@pytest.mark.parametrize("criteria_set", ["seed-eular-era-edta-2012", "eular-2025", "acr-2012"])
def test_the_cards_are_the_same_fast_or_scanned(criteria_set: str) -> None:
    for pid, data in _records()[:6]:
        fast = render(evaluate(data, context(criteria_set)), context(criteria_set))
        scan = render(evaluate(_scanned(data), context(criteria_set)), context(criteria_set))
        assert fast == scan, pid


# --- hand-written records -----------------------------------------------------------------------------------------


def _obs(rid: str, loinc: str, when: dict[str, object], value: dict[str, object], status: str = "final") -> Resource:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": status,
        "code": {"coding": [{"system": codes.LOINC, "code": loinc}]},
        "subject": {"reference": "Patient/hand"},
        **when,
        **value,
    }


def _at(stamp: str) -> dict[str, object]:
    return {"effectiveDateTime": stamp}


def _q(value: float, unit: str, comparator: str | None = None) -> dict[str, object]:
    quantity: dict[str, object] = {"value": value, "unit": unit, "system": codes.UCUM, "code": unit}
    if comparator:
        quantity["comparator"] = comparator
    return {"valueQuantity": quantity}


def _s(text: str) -> dict[str, object]:
    return {"valueString": text}


T0 = TODAY - timedelta(days=180)
UPCR, UPCR_SI, P24, CREAT, CREAT_SI, EGFR, RBC = (
    "2890-2",
    "34366-5",
    "2889-4",
    "2160-0",
    "14682-9",
    "98979-8",
    "13945-1",
)


def _d(days: int) -> str:
    return (T0 + timedelta(days=days)).isoformat()


HAND: dict[str, list[Resource]] = {
    # +14:00 and -12:00 near midnight: the later time is on the earlier calendar day (the series takes the scan)
    "offsets-run-days-against-times": [
        _obs("a1", UPCR, _at(f"{_d(-1)}T23:30:00-12:00"), _q(3.0, "g/g")),  # day -1, 11:30Z on day 0
        _obs("a2", UPCR, _at(f"{_d(0)}T00:30:00+14:00"), _q(2.5, "g/g")),  # day 0, 10:30Z on day -1
        _obs("a3", UPCR, _at(f"{_d(14)}T23:59:00-12:00"), _s("<0.1 g/g")),
        _obs("a4", UPCR, _at(f"{_d(15)}T00:01:00+14:00"), _q(400, "mg/g")),
        _obs("a5", UPCR, _at(f"{_d(120)}T23:00:00-10:00"), _s(">3")),
        _obs("a6", P24, {"effectivePeriod": {"start": f"{_d(121)}T00:30:00+14:00"}}, _q(900, "mg/d")),
        _obs("a7", CREAT, _at(f"{_d(0)}T00:10:00+14:00"), _q(80, "umol/L")),
        _obs("a8", CREAT, _at(f"{_d(-1)}T23:50:00-12:00"), _q(1.4, "mg/dL")),
        _obs("a9", EGFR, _at(_d(0)), _s(">90")),
        _obs("a10", RBC, _at(f"{_d(100)}T23:00:00-12:00"), _s("10-20")),
        _obs("a11", RBC, _at(f"{_d(101)}T01:00:00+14:00"), _s("TNTC")),
        _obs("a12", UPCR, _at(f"{_d(119)}T22:00:00-12:00"), _s("see comment")),
        _obs("a13", UPCR, _at(f"{_d(120)}T05:00:00+14:00"), _s("hemolysed")),
    ],
    # one result re-sent: final, then amended, corrected and entered-in-error versions under the same id
    "corrections-re-sent": [
        _obs("b1", UPCR, _at(f"{_d(-3)}T08:00:00Z"), _q(3.2, "g/g")),
        _obs("b1", UPCR, {**_at(f"{_d(-3)}T08:00:00Z"), "issued": f"{_d(-1)}T09:00:00Z"}, _q(2.2, "g/g"), "amended"),
        _obs("b1", UPCR, {**_at(f"{_d(-3)}T08:00:00Z"), "issued": f"{_d(2)}T09:00:00Z"}, _q(2.0, "g/g"), "corrected"),
        _obs("b2", UPCR, _at(f"{_d(90)}T08:00:00Z"), _q(0.3, "g/g")),
        _obs("b2", UPCR, _at(f"{_d(90)}T08:00:00Z"), _q(0.3, "g/g"), "entered-in-error"),
        _obs("b3", UPCR_SI, _at(f"{_d(150)}T08:00:00+02:00"), _q(20, "mg/mmol"), "preliminary"),
        _obs("b3", UPCR_SI, _at(f"{_d(150)}T08:00:00+02:00"), _q(35, "mg/mmol"), "final"),
        _obs("b4", UPCR_SI, _at(f"{_d(170)}T08:00:00+02:00"), _q(60, "mg/mmol"), "preliminary"),
        _obs("b5", CREAT_SI, _at(f"{_d(-3)}T08:00:00Z"), _q(110, "\u00b5mol/L")),
        _obs(
            "b5",
            CREAT_SI,
            {**_at(f"{_d(-3)}T08:00:00Z"), "issued": f"{_d(1)}T08:00:00Z"},
            _q(95, "umol/L"),
            "corrected",
        ),
        _obs("b6", EGFR, _at(f"{_d(-3)}T08:00:00Z"), _q(58, "mL/min/{1.73_m2}")),
        _obs("b7", CREAT_SI, _at(f"{_d(170)}T08:00:00Z"), _q(70, "umol/L"), "preliminary"),
        _obs("b8", RBC, _at(f"{_d(170)}T08:00:00Z"), _q(3, "/[HPF]"), "registered"),
    ],
    # several results a day at different times; date-only and issued-only times; results on the window edges,
    # on T0 and after today; response reached, then lost
    "edges-relapse-and-times": [
        _obs("c1", UPCR, _at(_d(-90)), _q(3.5, "g/g")),  # the window's first day, date only
        _obs("c2", UPCR, _at(f"{_d(-91)}T23:00:00Z"), _q(5.0, "g/g")),  # just outside it
        _obs("c3", UPCR, _at(f"{_d(0)}T07:00:00Z"), _q(2.9, "g/g")),  # on T0, morning
        _obs("c4", UPCR, _at(f"{_d(0)}T18:00:00Z"), _q(3.1, "g/g")),  # on T0, evening
        _obs("c5", UPCR, {"issued": f"{_d(14)}T10:00:00+01:00"}, _q(2.0, "g/g")),  # the last day, issued only
        _obs(
            "c6",
            P24,
            {"effectivePeriod": {"start": f"{_d(15)}T08:00:00Z", "end": f"{_d(16)}T08:00:00Z"}},
            _q(1.8, "g/d"),
        ),
        _obs("c7", UPCR, _at(f"{_d(95)}T08:00:00Z"), _q(0.4, "g/g")),
        _obs("c8", UPCR, _at(f"{_d(120)}T08:00:00Z"), _s("<0.1")),  # complete response
        _obs("c9", UPCR, _at(f"{_d(150)}T08:00:00Z"), _q(1.6, "g/g")),  # lost
        _obs("c10", UPCR, _at(f"{_d(150)}T09:00:00Z"), _q(1.1, "g/g")),
        _obs("c11", UPCR, _at((TODAY + timedelta(days=1)).isoformat()), _q(0.1, "g/g")),  # after today
        _obs("c12", UPCR, _at(f"{_d(170)}T08:00:00Z"), _q(2.4, "g/g"), "preliminary"),
        _obs("c13", CREAT, _at(_d(-90)), _q(0.8, "mg/dL")),
        _obs("c14", CREAT, _at(f"{_d(14)}T23:00:00-12:00"), _q(1.3, "mg/dL")),
        _obs("c15", EGFR, _at(f"{_d(14)}T23:00:00-12:00"), _q(55, "mL/min/{1.73_m2}")),
        _obs("c16", CREAT, _at(f"{_d(150)}T08:00:00Z"), _q(1.0, "mg/dL"), "amended"),
        _obs("c17", EGFR, _at(f"{_d(150)}T08:00:00Z"), _s(">60")),
        _obs("c18", RBC, _at(f"{_d(120)}T08:00:00Z"), _s("0-2")),
        _obs("c19", RBC, _at(f"{_d(150)}T08:00:00Z"), _s(">50")),
        _obs("c20", RBC, _at((TODAY + timedelta(days=2)).isoformat()), _q(1, "/[HPF]")),
    ],
}


def _hand(name: str, birth: str | None, gender: str | None) -> PatientData:
    patient: Resource = {"resourceType": "Patient", "id": "hand"}
    if birth:
        patient["birthDate"] = birth
    if gender:
        patient["gender"] = gender
    return map_patient_data([patient, *HAND[name]])


@pytest.mark.parametrize("name", sorted(HAND))
@pytest.mark.parametrize(
    ("birth", "gender"),
    [("1990-05-10", "female"), ((T0 - timedelta(days=18 * 365 - 30)).isoformat(), "male"), (None, None)],
)
def test_hand_written_records_fast_and_scanned_agree(name: str, birth: str | None, gender: str | None) -> None:
    data, scanned = _hand(name, birth, gender), None
    scanned = _scanned(data)
    if name == "offsets-run-days-against-times":
        assert not data.series(LabConcept.UPCR).in_day_order  # the scan is what this record is about
        assert not data.series(LabConcept.UPCR).unreadable_in_day_order
    else:
        assert all(s.in_day_order for s in data.labs.values())
    days = [T0 + timedelta(days=d) for d in range(-100, 185)]
    for t0 in (T0 - timedelta(days=1), T0, T0 + timedelta(days=1), T0 + timedelta(days=105)):
        for day in days:
            assert proteinuria(data, t0, day) == proteinuria(scanned, t0, day), (t0, day)
            assert kidney_function(data, t0, day, Decimal("0.25")) == kidney_function(scanned, t0, day, Decimal("0.25"))
    for day in days:
        assert sediment(data, day) == sediment(scanned, day), day
