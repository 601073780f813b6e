"""The independent review's safety findings on issue 10 (A1-A5, B6, D8), as tables (stories:
stories/review_safety_scenarios.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from fhir_maps import codes, map_patient_data
from fhir_maps.conditions import map_condition
from fhir_maps.domain import (
    Agent,
    ConditionKind,
    LabConcept,
    LabResult,
    MatchedBy,
    MedicationOrder,
    OrderStatus,
    PatientData,
    ResultStatus,
    UndatedOrder,
)
from fhir_maps.episodes import build_episodes, current_daily_dose
from fhir_maps.labs import build_lab_series, same_day_conflicts
from fhir_maps.medications import map_medication_request
from hooks import prefetch
from hooks.lupus_nephritis_response.rules.safety import exposed, pregnancy_drug_risk
from tests.fhir_maps.builders import concept, condition, dosage, medication_request
from tests.hooks.builders import TODAY, ago, dx

CYC, MMF = Agent.CYCLOPHOSPHAMIDE, Agent.MYCOPHENOLATE_MOFETIL
PREGNANT = (dx(ConditionKind.PREGNANCY, ago(20)),)


def _order(
    agent: Agent,
    start: date,
    end: date | None,
    status: OrderStatus = OrderStatus.COMPLETED,
    *,
    administered: bool = False,
    dose: str | None = None,
) -> MedicationOrder:
    return MedicationOrder(
        agent=agent,
        start=start,
        end=end,
        status=status,
        matched_by=MatchedBy.PRODUCT_CODE,
        administered=administered,
        daily_dose_mg=Decimal(dose) if dose else None,
    )


def _pulses(last_days_ago: int, count: int = 4, every: int = 30, administered: bool = False) -> list[MedicationOrder]:
    days = [ago(last_days_ago + i * every) for i in range(count)]
    return [_order(CYC, d, d, administered=administered) for d in days]


def _data(orders: list[MedicationOrder], undated: tuple[UndatedOrder, ...] = ()) -> PatientData:
    return PatientData(
        diagnoses=PREGNANT, orders=tuple(orders), episodes=build_episodes(orders), undated_orders=undated
    )


# --- A1: a pulse course is in force until its next planned pulse was due --------------------------------------------
@pytest.mark.parametrize(
    ("last_days_ago", "administered", "exposed_today"),
    [
        pytest.param(0, False, True, id="pulse-today-orders"),
        pytest.param(18, False, True, id="orders-next-pulse-due"),
        pytest.param(21, True, True, id="administrations-next-pulse-due"),
        pytest.param(31, True, True, id="last-day-of-spacing"),
        pytest.param(32, False, False, id="spacing-passed"),
        pytest.param(75, True, False, id="course-over"),
    ],
)
def test_cyclophosphamide_pulses_count_as_exposure_until_the_next_pulse_is_due(
    last_days_ago: int, administered: bool, exposed_today: bool
) -> None:
    data = _data(_pulses(last_days_ago, administered=administered))
    assert exposed(data, CYC, TODAY) is exposed_today
    risk = pregnancy_drug_risk(data, TODAY)
    assert (risk is not None and CYC in risk.teratogens) is exposed_today


# --- A3: an undated order of a teratogen whose status is not over ---------------------------------------------------
@pytest.mark.parametrize(
    ("status", "warned"),
    [
        (OrderStatus.ACTIVE, True),
        (OrderStatus.ON_HOLD, True),
        (OrderStatus.UNKNOWN, True),
        (OrderStatus.COMPLETED, False),
        (OrderStatus.STOPPED, False),
    ],
)
def test_an_undated_teratogen_order_still_open_warns_in_pregnancy(status: OrderStatus, warned: bool) -> None:
    data = _data([], undated=(UndatedOrder(MMF, status),))
    risk = pregnancy_drug_risk(data, TODAY)
    assert (risk is not None and risk.teratogens == (MMF,)) is warned


# --- A2 / B6: codes as EHRs send them ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("system", "code", "kind"),
    [
        (codes.ICD10CM, "Z33.1", ConditionKind.PREGNANCY),
        (codes.ICD10CM, "Z34.00", ConditionKind.PREGNANCY),
        (codes.ICD10CM, "Z34.83", ConditionKind.PREGNANCY),
        (codes.ICD10CM, "Z34.90", ConditionKind.PREGNANCY),
        (codes.ICD10CM, "O09.92", ConditionKind.PREGNANCY),
        (codes.ICD10CM, "O09.893", ConditionKind.PREGNANCY),
        (codes.ICD10CM, "O26.892", ConditionKind.PREGNANCY),
        (codes.SNOMED, "77386006", ConditionKind.PREGNANCY),
        (codes.SNOMED, "72892002", ConditionKind.PREGNANCY),
        (codes.SNOMED, "47200007", ConditionKind.PREGNANCY),
        (codes.SNOMED, "169560008", ConditionKind.PREGNANCY),
        (codes.ICD10CM, "N10", ConditionKind.ACTIVE_INFECTION),
        (codes.ICD10CM, "U07.1", ConditionKind.ACTIVE_INFECTION),
        (codes.ICD10CM, "J12.82", ConditionKind.ACTIVE_INFECTION),
        (codes.SNOMED, "840539006", ConditionKind.ACTIVE_INFECTION),
    ],
)
def test_pregnancy_and_infection_codes_are_recognised(system: str, code: str, kind: ConditionKind) -> None:
    mapped = map_condition(condition(system, code, clinicalStatus=concept(codes.CONDITION_CLINICAL, "active")))
    assert mapped is not None
    assert mapped.kind is kind


def test_b59_is_not_read_as_an_infection_until_a_source_verifies_it() -> None:
    assert not codes.in_value_set(codes.ACTIVE_INFECTION, codes.ICD10CM, "B59")


@pytest.mark.parametrize(
    "template", [prefetch.LUPUS_CONDITIONS, prefetch.PREGNANCY_CONDITIONS, prefetch.INFECTION_CONDITIONS]
)
def test_condition_searches_stay_under_2000_characters(template: str) -> None:
    rendered = template.replace(prefetch.PATIENT_TOKEN, "a-64-character-patient-id-" + "x" * 37)
    assert len(rendered) < 2000


def _tokens(query: str) -> list[str]:
    return query.split("&code=", 1)[1].split("&", 1)[0].split(",")


def test_every_condition_code_is_in_exactly_one_search() -> None:
    searches = {
        "conditions": prefetch.LUPUS_CONDITIONS,
        "pregnancy": prefetch.PREGNANCY_CONDITIONS,
        "infections": prefetch.INFECTION_CONDITIONS,
    }
    for value_set in codes.CONDITION_VALUE_SETS.values():
        for system, members in value_set.items():
            for code in members:
                where = [k for k, q in searches.items() if f"{system}|{code}" in _tokens(q)]
                assert len(where) == 1, (system, code, where)


# --- A4: completed prescriptions with a supply ---------------------------------------------------------------------
def _completed(supply: dict[str, Any] | None, status: str = "completed") -> MedicationOrder:
    request = medication_request(
        concept(codes.RXNORM, "200060", "mycophenolate mofetil 500 MG Oral Tablet"),
        status=status,
        authored="2026-01-01",
        dosage_instruction=dosage(3, "{tbl}"),
    )
    if supply is not None:
        request["dispenseRequest"] = supply
    order = map_medication_request(request, {})
    assert isinstance(order, MedicationOrder)
    return order


def _days(value: Any, code: str | None = "d", unit: str | None = "days") -> dict[str, Any]:
    duration = {k: v for k, v in (("value", value), ("code", code), ("unit", unit)) if v is not None}
    if code:
        duration["system"] = codes.UCUM
    return {"expectedSupplyDuration": duration}


@pytest.mark.parametrize(
    ("supply", "end", "end_known"),
    [
        pytest.param(_days(90), date(2026, 3, 31), True, id="90-days"),
        pytest.param({**_days(90), "numberOfRepeatsAllowed": 3}, date(2026, 12, 26), True, id="90-days-x4"),
        pytest.param({**_days(30), "numberOfRepeatsAllowed": 0}, date(2026, 1, 30), True, id="no-repeats"),
        pytest.param(_days(4, "wk", "weeks"), date(2026, 1, 28), True, id="weeks"),
        pytest.param(_days(90, None, "days"), date(2026, 3, 31), True, id="unit-text-only"),
        pytest.param(_days(90, "h", "hours"), date(2026, 1, 1), False, id="unusable-unit"),
        pytest.param(_days(0), date(2026, 1, 1), False, id="zero-supply"),
        pytest.param({"numberOfRepeatsAllowed": 3}, date(2026, 1, 1), False, id="repeats-without-duration"),
        pytest.param(None, date(2026, 1, 1), False, id="no-supply-end-unknown"),
    ],
)
def test_a_completed_prescription_runs_for_its_authorised_supply(
    supply: dict[str, Any] | None, end: date, end_known: bool
) -> None:
    order = _completed(supply)
    assert order.end == end
    assert order.end_known is end_known


def test_an_active_order_with_a_supply_stays_open_ended() -> None:
    assert _completed({**_days(90), "numberOfRepeatsAllowed": 3}, status="active").end is None


# --- D8: concurrent orders sum; a renewal replaces --------------------------------------------------------------------
D0 = date(2026, 1, 1)


@pytest.mark.parametrize(
    ("orders", "dose"),
    [
        pytest.param([(D0, None, "2000"), (D0, None, "500")], "2500", id="split-strengths-summed"),
        pytest.param([(D0, None, "2000")], "2000", id="one-order"),
        pytest.param([(D0, None, "2000"), (D0 + timedelta(days=90), None, "3000")], "3000", id="renewal-replaces"),
        pytest.param(
            [(D0, None, "1000"), (D0, None, "1000"), (D0 + timedelta(days=30), None, "3000")],
            "3000",
            id="later-dose-change-replaces-a-split",
        ),
        pytest.param([(D0, D0, "2000"), (D0, None, "3000")], "3000", id="one-day-order-not-summed"),
        pytest.param([(D0, None, "2000"), (D0, None, None)], "2000", id="unknown-dose-not-summed"),
        pytest.param([(D0, None, None)], None, id="no-dose"),
    ],
)
def test_concurrent_orders_of_one_agent_sum_their_daily_doses(
    orders: list[tuple[date, date | None, str | None]], dose: str | None
) -> None:
    built = [_order(MMF, start, end, OrderStatus.ACTIVE, dose=d) for start, end, d in orders]
    assert current_daily_dose(built) == (Decimal(dose) if dose else None)
    (episode,) = build_episodes(built)
    assert episode.daily_dose_mg == (Decimal(dose) if dose else None)


# --- D10: final results of one day that disagree ----------------------------------------------------------------------
def _upcr(hour: int, value: str, *, corrected: bool = False, specimen: str | None = None) -> LabResult:
    return LabResult(
        concept=LabConcept.UPCR,
        when=datetime(2026, 6, 9, hour, tzinfo=UTC),
        value=Decimal(value),
        unit="g/g",
        status=ResultStatus.FINAL,
        source_unit="g/g",
        corrected=corrected,
        specimen=specimen,
    )


@pytest.mark.parametrize(
    ("results", "conflict"),
    [
        pytest.param([_upcr(8, "0.35"), _upcr(9, "3.5")], True, id="tenfold-apart"),
        pytest.param([_upcr(8, "0.35"), _upcr(9, "0.35")], False, id="re-send"),
        pytest.param([_upcr(8, "0.30"), _upcr(9, "0.35")], False, id="within-a-fifth"),
        pytest.param([_upcr(8, "0.35"), _upcr(9, "3.5", corrected=True)], False, id="a-correction"),
        pytest.param([_upcr(8, "0.35", specimen="s1"), _upcr(9, "3.5", specimen="s1")], False, id="one-specimen"),
        pytest.param([_upcr(8, "0.35", specimen="s1"), _upcr(9, "3.5", specimen="s2")], True, id="two-specimens"),
        pytest.param([_upcr(8, "0.35")], False, id="one-result"),
    ],
)
def test_disagreeing_final_results_of_one_day_are_named(results: list[LabResult], conflict: bool) -> None:
    series = build_lab_series(results)[LabConcept.UPCR]
    assert series.conflicting_days == ((date(2026, 6, 9),) if conflict else ())
    assert len(series.results) == 1  # still one value a day: the later (or the correction) is kept
    assert same_day_conflicts(results) == ({LabConcept.UPCR: (date(2026, 6, 9),)} if conflict else {})


# --- A5: the report carries the count, the mapper leaves it at zero ---------------------------------------------------
def test_mapping_alone_reports_no_other_patient_resources() -> None:
    assert map_patient_data([]).report.resources_other_patient == 0
