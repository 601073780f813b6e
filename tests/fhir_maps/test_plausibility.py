"""Implausible numbers stop at the mapping edge: they are skipped (counted as an unknown unit), never passed on.

A UPCR of 1e30, a creatinine of 1e-200 or a dose of 1e30 once crashed Decimal quantizing in the rules or the card
texts (500). `units.to_canonical` now applies `units.plausible` (finite, within a generous per-concept bound), and
`egfr.ckd_epi_2021` / `dosing.daily_dose_mg` refuse what they cannot compute. The property tests drive extreme
values through `map_patient_data` and through the whole app and expect no 5xx.
"""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhir_maps import codes, map_patient_data
from fhir_maps.domain import Agent, LabConcept, Sex
from fhir_maps.dosing import MAX_PLAUSIBLE_DAILY_DOSE_MG, daily_dose_mg
from fhir_maps.egfr import ckd_epi_2021
from fhir_maps.lab_concepts import LAB_CONCEPTS
from fhir_maps.medications import order_from_request
from fhir_maps.units import plausible, to_canonical
from tests.fhir_maps.builders import a_code, dosage, medication_request, observation, product
from tests.support import make_app

D = Decimal
FIXTURE = Path(__file__).resolve().parents[2] / "cards_fixtures/lupus-nephritis-response/demo-refractory-7-months"
SERVICE_URL = "/cds-services/lupus-nephritis-response"
EXTREMES = [0.0, -0.0, -1.0, -1e300, 1e-300, 5e-324, 1e-200, 1e-7, 1e30, 1e300, 1.7976931348623157e308]


def test_every_concept_has_a_plausibility_bound() -> None:
    assert set(LAB_CONCEPTS) == set(LabConcept)
    for low, high in (row.plausible_range for row in LAB_CONCEPTS.values()):
        assert D(0) <= low < high


@pytest.mark.parametrize(
    ("concept", "value", "unit", "kept"),
    [
        pytest.param(LabConcept.UPCR, "0", "g/g", True, id="upcr-zero"),
        pytest.param(LabConcept.UPCR, "100", "g/g", True, id="upcr-at-bound"),
        pytest.param(LabConcept.UPCR, "100.01", "g/g", False, id="upcr-over"),
        pytest.param(LabConcept.UPCR, "1e30", "g/g", False, id="upcr-1e30"),
        pytest.param(LabConcept.UPCR, "1e-300", "g/g", False, id="upcr-1e-300"),
        pytest.param(LabConcept.UPCR, "-0.5", "g/g", False, id="upcr-negative"),
        pytest.param(LabConcept.UPCR, "90000", "mg/g", True, id="upcr-90-g-in-mg"),
        pytest.param(LabConcept.UPCR, "200000", "mg/g", False, id="upcr-200-g-in-mg"),
        pytest.param(LabConcept.PROTEIN_24H, "100001", "mg/d", False, id="24h-over"),
        pytest.param(LabConcept.CREATININE, "0.05", "mg/dL", True, id="creatinine-at-low-bound"),
        pytest.param(LabConcept.CREATININE, "0.04", "mg/dL", False, id="creatinine-under"),
        pytest.param(LabConcept.CREATININE, "0", "mg/dL", False, id="creatinine-zero"),
        pytest.param(LabConcept.CREATININE, "1e-200", "mg/dL", False, id="creatinine-1e-200"),
        pytest.param(LabConcept.CREATININE, "2652", "umol/L", True, id="creatinine-30-mg-in-umol"),
        pytest.param(LabConcept.CREATININE, "2700", "umol/L", False, id="creatinine-over-in-umol"),
        pytest.param(LabConcept.EGFR, "250", "mL/min/{1.73_m2}", True, id="egfr-at-bound"),
        pytest.param(LabConcept.EGFR, "251", "mL/min/{1.73_m2}", False, id="egfr-over"),
        pytest.param(LabConcept.URINE_RBC, "10000", "/[HPF]", True, id="rbc-at-bound"),
        pytest.param(LabConcept.URINE_RBC, "10001", "/[HPF]", False, id="rbc-over"),
        pytest.param(LabConcept.CELLULAR_CASTS, "1e300", "/[LPF]", False, id="casts-1e300"),
        pytest.param(LabConcept.CASTS_UNTYPED, "3", "/[LPF]", True, id="untyped-casts"),
    ],
)
def test_to_canonical_keeps_only_plausible_values(concept: LabConcept, value: str, unit: str, kept: bool) -> None:
    assert (to_canonical(concept, D(value), unit) is not None) is kept


@pytest.mark.parametrize("value", ["NaN", "sNaN", "Infinity", "-Infinity"])
def test_non_finite_values_are_never_plausible(value: str) -> None:
    for concept in LabConcept:
        assert not plausible(concept, D(value))
        assert to_canonical(concept, D(value), LAB_CONCEPTS[concept].canonical_unit) is None


@pytest.mark.parametrize("value", ["1e30", "1e300", "-1", "1e-300"])
def test_an_implausible_observation_is_counted_as_an_unknown_unit(value: str) -> None:
    data = map_patient_data([observation(codes.UPCR, value=D(value), ucum="g/g")])
    assert data.labs == {}
    assert data.report.observations_unknown_unit == 1
    assert data.report.unknown_unit_concepts == (LabConcept.UPCR,)


@pytest.mark.parametrize("creatinine", ["1e-200", "1e-30", "1e200", "NaN", "Infinity", "0", "-1"])
def test_ckd_epi_refuses_with_value_error_never_a_decimal_error(creatinine: str) -> None:
    try:
        egfr = ckd_epi_2021(D(creatinine), 40, Sex.FEMALE)
    except ValueError:
        return
    assert egfr.is_finite()
    assert egfr >= 0


def test_ckd_epi_refuses_an_age_past_any_human_age() -> None:
    with pytest.raises(ValueError, match="age"):
        ckd_epi_2021(D("1.0"), 100_000, Sex.MALE)


def _order_dose(value: Any, unit: str = "mg", **timing: Any) -> Decimal | None:
    request = medication_request(
        product("mycophenolate mofetil 500 MG Oral Tablet"), dosage_instruction=dosage(value, unit, **timing)
    )
    parsed = order_from_request(request, {})
    return getattr(parsed, "daily_dose_mg", None)


@pytest.mark.parametrize(
    ("value", "unit", "timing"),
    [
        pytest.param(1e30, "mg", {}, id="1e30-mg"),
        pytest.param(1e300, "g", {}, id="1e300-g"),
        pytest.param(1e-300, "mg", {}, id="1e-300-mg"),
        pytest.param(60, "g", {}, id="120-g-a-day"),
        pytest.param(1000, "mg", {"frequency": 1000, "period": 1e-300}, id="absurd-frequency"),
    ],
)
def test_an_implausible_dose_is_not_computed(value: Any, unit: str, timing: dict[str, Any]) -> None:
    assert _order_dose(value, unit, **timing) is None


def test_a_plausible_dose_is_still_computed() -> None:
    assert _order_dose(1500, "mg") == D(3000)


@given(value=st.decimals(allow_nan=True, allow_infinity=True), strength=st.none() | st.decimals(allow_nan=False))
@settings(max_examples=200)
def test_daily_dose_is_none_or_within_its_bound(value: Decimal, strength: Decimal | None) -> None:
    from fhir.resources.R4B.dosage import Dosage

    try:
        parsed = Dosage.model_validate(dosage(str(value), "{tbl}"))
    except Exception:  # not a valid FHIR decimal: the mapper counts the resource invalid
        return
    dose = daily_dose_mg(parsed, Agent.MYCOPHENOLATE_MOFETIL, strength)
    assert dose is None or D(0) < dose <= MAX_PLAUSIBLE_DAILY_DOSE_MG


# --- extreme values through the mapper and the whole app ---------------------------------------------------------

_MAGNITUDES = st.one_of(
    st.sampled_from(EXTREMES),
    st.floats(min_value=1e-300, max_value=1e-6),
    st.floats(min_value=1e6, max_value=1e300),
    st.floats(min_value=-1e300, max_value=1e300, allow_nan=False, allow_infinity=False),
)


def _fixture_request() -> dict[str, Any]:
    request: dict[str, Any] = json.loads((FIXTURE / "request.json").read_text())
    return request


def _extra_observations(template: dict[str, Any]) -> list[dict[str, Any]]:
    """One Observation per concept the fixture lacks (creatinine, 24-h protein, casts), and UPCR in mg/mmol."""
    extra = []
    for concept, unit in [
        (LabConcept.CREATININE, "mg/dL"),
        (LabConcept.CREATININE, "umol/L"),
        (LabConcept.PROTEIN_24H, "mg/(24.h)"),
        (LabConcept.CELLULAR_CASTS, "/[LPF]"),
        (LabConcept.CASTS_UNTYPED, "/[LPF]"),
        (LabConcept.UPCR, "mg/mmol"),
    ]:
        system, code = a_code(LAB_CONCEPTS[concept].value_set)
        obs = copy.deepcopy(template)
        obs["id"] = f"extra-{len(extra)}"
        obs["code"] = {"coding": [{"system": system, "code": code}]}
        obs["valueQuantity"] = {"value": 1, "unit": unit, "system": codes.UCUM, "code": unit}
        extra.append(obs)
    return extra


def _mutated(values: list[float], drop_egfr: bool) -> dict[str, Any]:
    """The fixture's request with every lab value and every dose replaced, cycling through `values`."""
    request = _fixture_request()
    prefetch = request["prefetch"]
    template = prefetch["proteinuria"]["entry"][0]["resource"]
    if drop_egfr:  # a computed eGFR (CKD-EPI 2021) is used only when none is reported
        prefetch["kidneyFunction"]["entry"] = []
    prefetch["kidneyFunction"]["entry"] += [{"resource": r} for r in _extra_observations(template)]
    cycle = iter(values * 64)
    for key in ("proteinuria", "kidneyFunction", "sediment"):
        for entry in prefetch[key]["entry"]:
            entry["resource"]["valueQuantity"]["value"] = next(cycle)
    for entry in prefetch["medications"]["entry"]:
        for instruction in entry["resource"].get("dosageInstruction", []):
            for dose_and_rate in instruction.get("doseAndRate", []):
                if "doseQuantity" in dose_and_rate:
                    dose_and_rate["doseQuantity"]["value"] = next(cycle)
    return request


def _resources(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [value for value in request["prefetch"].values() if isinstance(value, dict)]


@given(values=st.lists(_MAGNITUDES, min_size=1, max_size=12), drop_egfr=st.booleans())
@settings(max_examples=150, deadline=None)
def test_extreme_values_map_to_plausible_labs_or_nothing(values: list[float], drop_egfr: bool) -> None:
    data = map_patient_data(_resources(_mutated(values, drop_egfr)))
    for concept, series in data.labs.items():
        for result in series.results:
            assert plausible(concept, result.value)
    for order in data.orders:
        assert order.daily_dose_mg is None or D(0) < order.daily_dose_mg <= MAX_PLAUSIBLE_DAILY_DOSE_MG


@pytest.fixture(scope="module")
def app() -> Flask:
    settings_json = json.loads((FIXTURE / "settings.json").read_text())
    return make_app(today=settings_json["today"], criteria_set=settings_json.get("criteriaSet"))


@given(values=st.lists(_MAGNITUDES, min_size=1, max_size=12), drop_egfr=st.booleans())
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_extreme_values_never_give_a_5xx(app: Flask, values: list[float], drop_egfr: bool) -> None:
    request = _mutated(values, drop_egfr)
    request.pop("fhirServer"), request.pop("fhirAuthorization")  # prefetch only: nothing may be fetched
    reply = app.test_client().post(SERVICE_URL, json=request)
    assert reply.status_code < 500, reply.get_data(as_text=True)[:300]


@pytest.mark.parametrize("literal", ["1e400", "-1e400", "1e-400", "1E+999999999"])
def test_json_numbers_beyond_float_range_never_give_a_5xx(app: Flask, literal: str) -> None:
    request = _fixture_request()
    request.pop("fhirServer"), request.pop("fhirAuthorization")
    text = json.dumps(request).replace('"value": 3.1', f'"value": {literal}', 1)
    assert literal in text
    reply = app.test_client().post(SERVICE_URL, data=text, content_type="application/json")
    assert reply.status_code < 500


def test_the_reported_crashes_now_answer() -> None:
    """The three reproductions: UPCR 1e30, creatinine 1e-200 (eGFR computed from it), a dose of 1e30."""
    settings_json = json.loads((FIXTURE / "settings.json").read_text())
    client = make_app(today=settings_json["today"], criteria_set=settings_json.get("criteriaSet")).test_client()
    big_upcr = _fixture_request()
    big_upcr["prefetch"]["proteinuria"]["entry"][-1]["resource"]["valueQuantity"]["value"] = 1e30
    tiny_creatinine = _mutated([1e-200], drop_egfr=True)
    big_dose = _fixture_request()
    for entry in big_dose["prefetch"]["medications"]["entry"]:
        for instruction in entry["resource"].get("dosageInstruction", []):
            for dose_and_rate in instruction.get("doseAndRate", []):
                dose_and_rate.get("doseQuantity", {})["value"] = 1e30
    for request in (big_upcr, tiny_creatinine, big_dose):
        assert client.post(SERVICE_URL, json=request).status_code == 200
