from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from fhir_maps import codes
from fhir_maps.domain import Agent, MatchedBy, MedicationOrder, OrderStatus
from fhir_maps.medications import (
    Excluded,
    ExclusionReason,
    Uncoded,
    ingredient_names,
    map_medication_request,
    order_from_request,
)
from tests.fhir_maps.builders import concept, dosage, medication_request, product, rxcui

MMF_500_TABLET = "mycophenolate mofetil 500 MG Oral Tablet"


def order(resource: dict[str, Any], medications: dict[str, Any] | None = None) -> MedicationOrder:
    result = map_medication_request(resource, medications or {})
    assert isinstance(result, MedicationOrder), result
    return result


def ingredient(agent: Agent) -> dict[str, Any]:
    code = min(code for code, value in codes.INGREDIENTS.items() if value is agent)
    return concept(codes.RXNORM, code)


# --- recognising the drug -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("display", "agent"),
    [
        pytest.param(MMF_500_TABLET, Agent.MYCOPHENOLATE_MOFETIL, id="mmf"),
        pytest.param("mycophenolic acid 180 MG Delayed Release Oral Tablet", Agent.MYCOPHENOLIC_ACID, id="mpa"),
        pytest.param("50 ML rituximab-abbs 10 MG/ML Injection [Truxima]", Agent.RITUXIMAB, id="rituximab-abbs"),
        pytest.param("cyclosporine, modified 100 MG Oral Capsule", Agent.CYCLOSPORINE, id="cyclosporine-modified"),
        pytest.param("hyaluronidase / rituximab Injection", Agent.RITUXIMAB, id="combination"),
        pytest.param("{21 (methylprednisolone 4 MG Oral Tablet) } Pack", Agent.GLUCOCORTICOID, id="pack"),
        pytest.param("losartan potassium 50 MG Oral Tablet", Agent.RAAS_BLOCKER, id="arb"),
    ],
)
def test_product_code_in_the_table_is_recognised_as_product_code(display: str, agent: Agent) -> None:
    result = order(medication_request(product(display)))
    assert (result.agent, result.matched_by) == (agent, MatchedBy.PRODUCT_CODE)


def test_product_code_wins_over_a_misleading_display() -> None:
    drug = product(MMF_500_TABLET)
    drug["coding"][0]["display"] = "tacrolimus"
    assert order(medication_request(drug)).agent is Agent.MYCOPHENOLATE_MOFETIL


@pytest.mark.parametrize("agent", [Agent.CYCLOPHOSPHAMIDE, Agent.BELIMUMAB, Agent.HYDROXYCHLOROQUINE])
def test_ingredient_code_is_recognised_as_ingredient_code(agent: Agent) -> None:
    result = order(medication_request(ingredient(agent)))
    assert (result.agent, result.matched_by) == (agent, MatchedBy.INGREDIENT_CODE)


def test_ingredient_row_of_the_table_outside_the_value_set_is_an_ingredient_code() -> None:
    result = order(medication_request(concept(codes.RXNORM, rxcui("quinapril"))))
    assert (result.agent, result.matched_by) == (Agent.RAAS_BLOCKER, MatchedBy.INGREDIENT_CODE)


def test_rxnorm_code_needs_the_rxnorm_system() -> None:
    drug = concept("http://example.org/formulary", min(codes.INGREDIENTS), display="unknown local drug")
    assert isinstance(map_medication_request(medication_request(drug), {}), Uncoded)


@pytest.mark.parametrize(
    ("text", "agent"),
    [
        pytest.param("Methylprednisolone 4 mg tablet", Agent.GLUCOCORTICOID, id="methylprednisolone"),
        pytest.param("Rituximab-abbs 500 mg IV", Agent.RITUXIMAB, id="rituximab-abbs"),
        pytest.param("Mycophenolate sodium 360 mg DR tablet", Agent.MYCOPHENOLIC_ACID, id="mycophenolate-sodium"),
        pytest.param("CYCLOSPORINE, MODIFIED 100 mg capsule", Agent.CYCLOSPORINE, id="cyclosporine-modified"),
        pytest.param("hydrochlorothiazide 12.5 MG / lisinopril 10 MG Oral Tablet", Agent.RAAS_BLOCKER, id="combo"),
        pytest.param(
            "prednisone 5 MG / mycophenolate mofetil 500 MG", Agent.MYCOPHENOLATE_MOFETIL, id="line-agent-wins"
        ),
        pytest.param("voclosporin 7.9 mg capsule", Agent.VOCLOSPORIN, id="voclosporin"),
        pytest.param("immune   globulin 10% infusion", Agent.IMMUNE_GLOBULIN, id="two-word-name-extra-spaces"),
    ],
)
def test_ingredient_name_in_text_is_recognised_as_name(text: str, agent: Agent) -> None:
    result = order(medication_request(concept(text=text)))
    assert (result.agent, result.matched_by) == (agent, MatchedBy.NAME)


def test_name_is_also_read_from_a_coding_display() -> None:
    drug = concept("http://example.org/formulary", "X1", display="Tacrolimus 1 mg capsule")
    assert order(medication_request(drug)).agent is Agent.TACROLIMUS


@pytest.mark.parametrize(
    ("text", "names"),
    [
        pytest.param("methylprednisolone 4 MG", ["methylprednisolone"], id="prednisolone-not-inside-methyl"),
        pytest.param("prednisolone 5 MG", ["prednisolone"], id="prednisolone"),
        pytest.param("rituximab-pvvr", ["rituximab"], id="biosimilar-suffix"),
        pytest.param("Mycophenolate  Mofetil", ["mycophenolate mofetil"], id="case-and-spaces"),
        pytest.param("amlodipine 5 MG / valsartan 160 MG / prednisone", ["valsartan", "prednisone"], id="in-order"),
        pytest.param("xprednisone and tacrolimusxl", [], id="no-partial-words"),
    ],
)
def test_ingredient_names_match_whole_words_only(text: str, names: list[str]) -> None:
    assert ingredient_names(text) == names


@pytest.mark.parametrize(
    "drug",
    [
        pytest.param(concept(text="Tylenol 500 mg"), id="not-our-drug"),
        pytest.param(concept(codes.RXNORM, "1"), id="unknown-rxnorm-code"),
    ],
)
def test_unrecognised_drug_is_uncoded(drug: dict[str, Any]) -> None:
    assert isinstance(map_medication_request(medication_request(drug), {}), Uncoded)


def test_reference_with_only_a_display_is_uncoded() -> None:
    # The display of a Reference is not a drug concept: names are only read from codings and concept text.
    resource = medication_request(medicationReference={"display": "tacrolimus 1 mg"})
    assert isinstance(map_medication_request(resource, {}), Uncoded)


def test_request_without_any_medication_fails_validation() -> None:
    # medication[x] is required (1..1) in R4.
    assert map_medication_request(medication_request(None), {}) == Excluded(ExclusionReason.INVALID)


# --- medicationReference -------------------------------------------------------------------------------------------
def test_contained_medication_is_resolved() -> None:
    resource = medication_request(
        contained=[{"resourceType": "Medication", "id": "m1", "code": product(MMF_500_TABLET)}],
        medicationReference={"reference": "#m1"},
    )
    assert order(resource).matched_by is MatchedBy.PRODUCT_CODE


def test_missing_contained_medication_is_uncoded() -> None:
    resource = medication_request(medicationReference={"reference": "#absent"})
    assert isinstance(map_medication_request(resource, {}), Uncoded)


@pytest.mark.parametrize("reference", ["Medication/med-7", "https://ehr.example.org/fhir/Medication/med-7"])
def test_referenced_medication_resource_is_resolved_by_id(reference: str) -> None:
    medications = {"med-7": {"resourceType": "Medication", "id": "med-7", "code": concept(text="tacrolimus 1 mg")}}
    resource = medication_request(medicationReference={"reference": reference})
    assert order(resource, medications).agent is Agent.TACROLIMUS


def test_unknown_or_invalid_referenced_medication_is_uncoded() -> None:
    medications = {"bad": {"resourceType": "Medication", "id": "bad", "code": "tacrolimus"}}
    for reference in ("Medication/bad", "Medication/absent"):
        resource = medication_request(medicationReference={"reference": reference})
        assert isinstance(map_medication_request(resource, medications), Uncoded)


# --- route ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("drug", "systemic"),
    [
        pytest.param(product("cyclosporine 0.5 MG/ML Ophthalmic Suspension [Restasis]"), False, id="restasis"),
        pytest.param(product("tacrolimus 0.001 MG/MG Topical Ointment [Protopic]"), False, id="protopic"),
        pytest.param(product("cyclosporine, modified 100 MG Oral Capsule"), True, id="oral-cyclosporine"),
        pytest.param(concept(text="cyclosporine 0.05% ophthalmic emulsion"), False, id="ophthalmic-by-name"),
        pytest.param(concept(text="cyclosporine 100 mg capsule"), True, id="oral-by-name"),
        pytest.param(ingredient(Agent.CYCLOSPORINE), True, id="ingredient-defaults-systemic"),
    ],
)
def test_route_systemic_comes_from_the_product_or_the_dose_form_words(drug: dict[str, Any], systemic: bool) -> None:
    assert order(medication_request(drug)).route_systemic is systemic


# --- status and dates ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("status", ["entered-in-error", "cancelled", "draft"])
def test_entered_in_error_cancelled_and_draft_requests_are_excluded(status: str) -> None:
    result = map_medication_request(medication_request(product(MMF_500_TABLET), status=status), {})
    assert result == Excluded(ExclusionReason.STATUS)


@pytest.mark.parametrize("status", list(OrderStatus), ids=[s.value for s in OrderStatus])
def test_usable_statuses_are_kept(status: OrderStatus) -> None:
    assert order(medication_request(product(MMF_500_TABLET), status=status.value)).status is status


def test_invalid_request_is_excluded_as_invalid_not_raised() -> None:
    resource = medication_request(product(MMF_500_TABLET), authored="10 January 2024")
    assert order_from_request(resource, {}) == Excluded(ExclusionReason.INVALID)


def test_request_with_no_date_is_excluded_as_undated() -> None:
    resource = medication_request(product(MMF_500_TABLET), authored=None)
    # The agent and status travel with it: an undated order of a line agent is named, never silent (issue 10).
    assert map_medication_request(resource, {}) == Excluded(
        ExclusionReason.UNDATED, Agent.MYCOPHENOLATE_MOFETIL, OrderStatus.ACTIVE
    )


def test_start_is_the_timing_bounds_start_else_authored_on() -> None:
    bounded = dosage(bounds={"start": "2024-02-01"})
    assert order(medication_request(product(MMF_500_TABLET), dosage_instruction=bounded)).start == date(2024, 2, 1)
    assert order(medication_request(product(MMF_500_TABLET))).start == date(2024, 1, 10)


@pytest.mark.parametrize(
    ("status", "fields", "end"),
    [
        pytest.param("active", {"validity_end": "2024-07-10"}, date(2024, 7, 10), id="validity-period-end"),
        pytest.param(
            "active",
            {"dosage_instruction": dosage(bounds={"start": "2024-01-10", "end": "2024-04-10"})},
            date(2024, 4, 10),
            id="timing-bounds-end",
        ),
        pytest.param("active", {}, None, id="active-open-ended"),
        pytest.param("on-hold", {}, None, id="on-hold-open-ended"),
        pytest.param("stopped", {}, date(2024, 1, 10), id="stopped-ends-on-authored-on"),
        pytest.param("completed", {}, date(2024, 1, 10), id="completed-ends-on-authored-on"),
        pytest.param("active", {"validity_end": "2023-12-01"}, date(2024, 1, 10), id="end-before-start-is-clamped"),
    ],
)
def test_end_date(status: str, fields: dict[str, Any], end: date | None) -> None:
    assert order(medication_request(product(MMF_500_TABLET), status=status, **fields)).end == end


# --- dose ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("drug", "instruction", "expected"),
    [
        pytest.param(product(MMF_500_TABLET), dosage(2, "tablet"), "2000", id="tablets-x-strength-x-frequency"),
        pytest.param(product(MMF_500_TABLET), dosage(2, "{tbl}"), "2000", id="ucum-tablet-annotation"),
        pytest.param(product("mycophenolate mofetil 250 MG Oral Capsule"), dosage(3, "CAP"), "1500", id="capsules"),
        pytest.param(product(MMF_500_TABLET), dosage(1000, "mg"), "2000", id="mg-directly"),
        pytest.param(product(MMF_500_TABLET), dosage("1.5", "g"), "3000", id="grams"),
        pytest.param(
            product(MMF_500_TABLET), dosage(1, "g", frequency=1, period=12, period_unit="h"), "2000", id="q12h"
        ),
        pytest.param(
            product("prednisone 10 MG Oral Tablet"), dosage(7, "TAB", frequency=1, period_unit="wk"), "10", id="weekly"
        ),
        pytest.param(ingredient(Agent.CYCLOPHOSPHAMIDE), dosage(100, "mg", frequency=1), "100", id="oral-cyc-daily"),
    ],
)
def test_daily_dose_is_computed_in_mg_per_day(drug: dict[str, Any], instruction: dict[str, Any], expected: str) -> None:
    result = order(medication_request(drug, dosage_instruction=instruction))
    assert result.daily_dose_mg == Decimal(expected)


@pytest.mark.parametrize(
    ("drug", "instruction"),
    [
        pytest.param(ingredient(Agent.MYCOPHENOLATE_MOFETIL), dosage(2, "tablet"), id="tablets-without-strength"),
        pytest.param(product("mycophenolate mofetil 200 MG/ML Oral Suspension"), dosage(5, "mL"), id="volume"),
        pytest.param(product(MMF_500_TABLET), dosage(1000, "mg", frequency=None), id="no-frequency"),
        pytest.param(product(MMF_500_TABLET), dosage(1000, "mg", period_unit="mo"), id="monthly-period"),
        pytest.param(product(MMF_500_TABLET), dosage(1000, "mg", period=0), id="zero-period"),
        pytest.param(product(MMF_500_TABLET), dosage(None), id="no-dose-quantity"),
        pytest.param(product(MMF_500_TABLET), dosage(1000, None), id="dose-without-unit"),
        pytest.param(product(MMF_500_TABLET), {"text": "1 g twice daily"}, id="free-text-only"),
        pytest.param(
            ingredient(Agent.RITUXIMAB),
            dosage(1000, "mg", frequency=1, period=2, period_unit="wk"),
            id="rituximab-pulse",
        ),
        pytest.param(
            ingredient(Agent.CYCLOPHOSPHAMIDE),
            dosage(500, "mg", frequency=1, period=2, period_unit="wk"),
            id="cyc-pulse",
        ),
    ],
)
def test_daily_dose_that_is_not_plainly_computable_is_none(drug: dict[str, Any], instruction: dict[str, Any]) -> None:
    assert order(medication_request(drug, dosage_instruction=instruction)).daily_dose_mg is None


def test_dose_range_is_not_computed() -> None:
    instruction = dosage(None)
    instruction["doseAndRate"] = [
        {"doseRange": {"low": {"value": 1, "unit": "g"}, "high": {"value": 1.5, "unit": "g"}}}
    ]
    assert order(medication_request(product(MMF_500_TABLET), dosage_instruction=instruction)).daily_dose_mg is None


def test_contained_resource_of_another_type_or_id_is_not_the_drug() -> None:
    resource = medication_request(
        contained=[
            {"resourceType": "Medication", "id": "other", "code": product(MMF_500_TABLET)},
            {"resourceType": "Substance", "id": "m1", "code": concept(text="mycophenolate mofetil")},
        ],
        medicationReference={"reference": "#m1"},
    )
    assert isinstance(map_medication_request(resource, {}), Uncoded)


def test_medication_without_a_code_is_uncoded() -> None:
    medications = {"m1": {"resourceType": "Medication", "id": "m1"}}
    resource = medication_request(medicationReference={"reference": "Medication/m1"})
    assert isinstance(map_medication_request(resource, medications), Uncoded)
