"""MedicationAdministration read like an order (issue 10 section 2), series orders, and stop dates not recorded."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from fhir_maps import codes, map_patient_data
from fhir_maps.domain import Agent, MedicationOrder, OrderStatus, UndatedOrder
from fhir_maps.medications import Excluded, ExclusionReason, Uncoded, order_from_administration, order_from_request

CYC_1000 = {"system": codes.RXNORM, "code": "1734919", "display": "cyclophosphamide 1000 MG Injection"}
RTX_TRUXIMA = {"system": codes.RXNORM, "code": "2105826", "display": "10 ML rituximab-abbs 10 MG/ML Injection"}


def given(status: str = "completed", coding: dict[str, str] = CYC_1000, **kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "id": "a1",
        "status": status,
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"coding": [coding]},
        "effectiveDateTime": "2026-01-10T09:00:00Z",
    }
    out.update(kw)
    return out


@pytest.mark.parametrize(
    ("status", "mapped"),
    [
        ("completed", OrderStatus.COMPLETED),
        ("in-progress", OrderStatus.ACTIVE),
        ("on-hold", OrderStatus.ON_HOLD),
        ("stopped", OrderStatus.STOPPED),
        ("unknown", OrderStatus.UNKNOWN),
    ],
)
def test_administration_statuses_map_like_order_statuses(status: str, mapped: OrderStatus) -> None:
    order = order_from_administration(given(status), {})
    assert isinstance(order, MedicationOrder)
    assert (order.agent, order.status, order.start, order.end) == (
        Agent.CYCLOPHOSPHAMIDE,
        mapped,
        date(2026, 1, 10),
        date(2026, 1, 10),
    )
    assert order.administered
    assert order.daily_dose_mg is None  # a pulse is never a mg/day


@pytest.mark.parametrize("status", ["not-done", "entered-in-error", "bogus"])
def test_administrations_never_given_are_left_out(status: str) -> None:
    assert order_from_administration(given(status), {}) == Excluded(ExclusionReason.STATUS)


@pytest.mark.parametrize(
    ("extra", "start", "end"),
    [
        pytest.param({}, date(2026, 1, 10), date(2026, 1, 10), id="effective-date-time"),
        pytest.param(
            {"effectivePeriod": {"start": "2026-01-10T09:00:00Z", "end": "2026-01-11T01:00:00Z"}},
            date(2026, 1, 10),
            date(2026, 1, 11),
            id="effective-period-overnight",
        ),
        pytest.param(
            {"effectivePeriod": {"start": "2026-01-10T09:00:00Z"}}, date(2026, 1, 10), date(2026, 1, 10), id="no-end"
        ),
    ],
)
def test_administration_dates(extra: dict[str, Any], start: date, end: date) -> None:
    resource = given(**extra)
    if "effectivePeriod" in extra:
        del resource["effectiveDateTime"]
    order = order_from_administration(resource, {})
    assert isinstance(order, MedicationOrder)
    assert (order.start, order.end) == (start, end)


def test_contained_medication_and_biosimilar_product_are_recognised() -> None:
    resource = given(coding=RTX_TRUXIMA)
    del resource["medicationCodeableConcept"]
    resource["contained"] = [{"resourceType": "Medication", "id": "m", "code": {"coding": [RTX_TRUXIMA]}}]
    resource["medicationReference"] = {"reference": "#m"}
    order = order_from_administration(resource, {})
    assert isinstance(order, MedicationOrder)
    assert order.agent is Agent.RITUXIMAB


def test_unresolved_reference_is_uncoded() -> None:
    resource = given()
    del resource["medicationCodeableConcept"]
    resource["medicationReference"] = {"reference": "Medication/elsewhere"}
    assert order_from_administration(resource, {}) == Uncoded(unresolved=True, open=False)


def test_pulses_as_administrations_become_one_course() -> None:
    days = ["2026-01-10", "2026-02-09", "2026-03-11"]
    resources = [{**given(), "id": f"a{i}", "effectiveDateTime": f"{d}T09:00:00Z"} for i, d in enumerate(days)]
    data = map_patient_data(resources)
    (course,) = data.episodes
    assert (course.agent, course.start, course.end, course.gaps_over_30_days) == (
        Agent.CYCLOPHOSPHAMIDE,
        date(2026, 1, 10),
        date(2026, 3, 11),
        (),
    )


def request(**kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": "r1",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"coding": [CYC_1000]},
        "authoredOn": "2026-01-10",
    }
    out.update(kw)
    return out


@pytest.mark.parametrize(
    ("repeat", "end"),
    [
        pytest.param({"count": 6, "period": 1, "periodUnit": "mo"}, date(2026, 6, 11), id="monthly-x6"),
        pytest.param({"count": 6, "period": 2, "periodUnit": "wk"}, date(2026, 3, 21), id="fortnightly-x6"),
        pytest.param({"count": 2, "period": 14, "periodUnit": "d"}, date(2026, 1, 24), id="days-1-and-15"),
        pytest.param({"period": 1, "periodUnit": "mo"}, None, id="no-count-open"),
    ],
)
def test_a_counted_series_ends_at_its_last_planned_dose(repeat: dict[str, Any], end: date | None) -> None:
    dosage = [{"timing": {"repeat": {**repeat, "boundsPeriod": {"start": "2026-01-10"}}}}]
    order = order_from_request(request(dosageInstruction=dosage), {})
    assert isinstance(order, MedicationOrder)
    assert order.end == end


@pytest.mark.parametrize(
    ("status", "end", "known"),
    [
        ("stopped", None, False),
        ("stopped", "2026-02-01", True),
        # review A4: a completed order with neither an end date nor a supply ended on a day nobody recorded
        ("completed", None, False),
        ("completed", "2026-02-01", True),
    ],
)
def test_a_stop_without_a_date_is_marked_unknown(status: str, end: str | None, known: bool) -> None:
    dosage = [{"timing": {"repeat": {"boundsPeriod": {"start": "2026-01-10", **({"end": end} if end else {})}}}}]
    order = order_from_request(request(status=status, dosageInstruction=dosage), {})
    assert isinstance(order, MedicationOrder)
    assert order.end_known is known


def test_undated_orders_of_known_agents_are_kept_by_name() -> None:
    undated = request()
    del undated["authoredOn"]
    data = map_patient_data([undated])
    assert data.undated_orders == (UndatedOrder(Agent.CYCLOPHOSPHAMIDE, OrderStatus.ACTIVE),)
    assert data.report.medication_requests_undated == 1


def test_an_undated_administration_is_named_not_dropped_as_invalid() -> None:
    resource = given()
    del resource["effectiveDateTime"]
    assert order_from_administration(resource, {}) == Excluded(
        ExclusionReason.UNDATED, Agent.CYCLOPHOSPHAMIDE, OrderStatus.COMPLETED
    )
    data = map_patient_data([resource])
    assert data.undated_orders == (UndatedOrder(Agent.CYCLOPHOSPHAMIDE, OrderStatus.COMPLETED, administered=True),)
