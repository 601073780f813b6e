"""FHIR R4 JSON -> PatientData: the one entry point the service calls after gathering a patient's resources.

Each resource is validated once, on its own, by the mapper of its family; one that fails is counted, never raised
and never logged. `map_conditions_only` is the cheap gate: Patient and Condition only, everything else untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fhir_maps.conditions import map_condition_or_skip
from fhir_maps.domain import (
    Demographics,
    Diagnosis,
    LabConcept,
    LabResult,
    MappingReport,
    MedicationOrder,
    PatientData,
    UndatedOrder,
)
from fhir_maps.episodes import build_episodes
from fhir_maps.labs import build_lab_series, map_observation
from fhir_maps.medications import (
    Drug,
    Excluded,
    ExclusionReason,
    Uncoded,
    drug_of_medication,
    order_from_administration,
    order_from_request,
)
from fhir_maps.parse import Skip, SkipReason
from fhir_maps.patient import map_patient

__all__ = ["flatten", "map_conditions_only", "map_patient_data"]


@dataclass
class _Mapped:
    """What mapping has produced so far, and the counts of what it left out (mutable while mapping)."""

    demographics: Demographics = field(default_factory=Demographics)
    diagnoses: list[Diagnosis] = field(default_factory=list)
    results: list[LabResult] = field(default_factory=list)
    orders: list[MedicationOrder] = field(default_factory=list)
    undated: list[UndatedOrder] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    unknown_unit_concepts: set[LabConcept] = field(default_factory=set)
    unreadable: list[tuple[LabConcept, datetime]] = field(default_factory=list)

    def count(self, name: str) -> None:
        """Adds one to the MappingReport field `name`."""
        self.counts[name] = self.counts.get(name, 0) + 1

    def report(self) -> MappingReport:
        """Returns the counts as a MappingReport (an unknown field name raises TypeError: a bug, caught by tests)."""
        order = list(LabConcept)
        concepts = tuple(sorted(self.unknown_unit_concepts, key=order.index))
        return MappingReport(**self.counts, unknown_unit_concepts=concepts)


_OBSERVATION_SKIP_COUNT = {
    SkipReason.EXCLUDED_STATUS: "observations_excluded_status",
    SkipReason.NO_TIME: "observations_no_time",
    SkipReason.NO_VALUE: "observations_no_value",
    SkipReason.UNKNOWN_UNIT: "observations_unknown_unit",
    SkipReason.UNREADABLE: "observations_unreadable",
}
_REQUEST_EXCLUDED_COUNT = {
    ExclusionReason.INVALID: "resources_invalid",
    ExclusionReason.STATUS: "medication_requests_excluded_status",
    ExclusionReason.UNDATED: "medication_requests_undated",
}


def flatten(resources: Iterable[Mapping[str, Any]]) -> Iterator[Mapping[str, Any]]:
    """Returns the resources with any Bundle replaced by its entries' resources (searchset pages, nested once)."""
    for resource in resources:
        if not isinstance(resource, Mapping):
            continue
        if resource.get("resourceType") != "Bundle":
            yield resource
            continue
        entries = resource.get("entry")
        for entry in entries if isinstance(entries, list) else ():
            inner = entry.get("resource") if isinstance(entry, Mapping) else None
            if isinstance(inner, Mapping) and inner.get("resourceType") != "Bundle":
                yield inner


def _add_patient(mapped: _Mapped, resource: Mapping[str, Any]) -> None:
    demographics = map_patient(resource)
    mapped.count("resources_parsed" if demographics is not None else "resources_invalid")
    if demographics is not None:
        mapped.demographics = demographics


def _add_condition(mapped: _Mapped, resource: Mapping[str, Any]) -> None:
    diagnosis = map_condition_or_skip(resource)
    if isinstance(diagnosis, Diagnosis):
        mapped.count("resources_parsed")
        mapped.diagnoses.append(diagnosis)
    elif diagnosis.reason is SkipReason.INVALID:
        mapped.count("resources_invalid")
    elif diagnosis.reason is SkipReason.EXCLUDED_STATUS:
        mapped.count("resources_parsed")  # validated, then left out as refuted / entered-in-error


def _add_observation(mapped: _Mapped, resource: Mapping[str, Any]) -> None:
    result = map_observation(resource)
    if isinstance(result, LabResult):
        mapped.count("resources_parsed")
        mapped.results.append(result)
        return
    _count_observation_skip(mapped, result)


# A valueString with no number, or with a number and no unit ("<0.2" as UPCR): the card says the result was unreadable.
_UNREADABLE_REASONS = frozenset({SkipReason.UNREADABLE, SkipReason.UNKNOWN_UNIT})


def _count_observation_skip(mapped: _Mapped, skip: Skip) -> None:
    if skip.reason is SkipReason.IGNORED:
        return
    if skip.reason is SkipReason.INVALID:
        mapped.count("resources_invalid")
        return
    mapped.count("resources_parsed")
    mapped.count(_OBSERVATION_SKIP_COUNT[skip.reason])
    if skip.reason is SkipReason.UNKNOWN_UNIT and skip.concept is not None:
        mapped.unknown_unit_concepts.add(skip.concept)
    if skip.reason in _UNREADABLE_REASONS and skip.concept is not None and skip.when is not None:
        mapped.unreadable.append((skip.concept, skip.when))


def _add_request(mapped: _Mapped, resource: Mapping[str, Any], drugs: Mapping[str, Drug]) -> None:
    """Maps a MedicationRequest or a MedicationAdministration (read like an order: one given dose)."""
    given = resource.get("resourceType") == "MedicationAdministration"
    order = order_from_administration(resource, drugs) if given else order_from_request(resource, drugs)
    if isinstance(order, Excluded) and order.reason is ExclusionReason.INVALID:
        mapped.count("resources_invalid")
        return
    mapped.count("resources_parsed")
    if isinstance(order, MedicationOrder):
        mapped.orders.append(order)
    elif isinstance(order, Uncoded):
        mapped.count("medication_requests_uncoded")
        if order.unresolved and order.open:
            mapped.count("medication_requests_unresolved")
    else:
        mapped.count(_REQUEST_EXCLUDED_COUNT[order.reason])
        if order.agent is not None and order.status is not None:
            mapped.undated.append(UndatedOrder(order.agent, order.status, administered=given))


def _drugs(mapped: _Mapped, resources: list[Mapping[str, Any]]) -> dict[str, Drug]:
    """Medication resources by id (and by "Medication/<id>"), each validated once."""
    drugs: dict[str, Drug] = {}
    for resource in resources:
        if resource.get("resourceType") != "Medication":
            continue
        drug = drug_of_medication(resource)
        mapped.count("resources_parsed" if drug is not None else "resources_invalid")
        key = resource.get("id")
        if drug is not None and isinstance(key, str):
            drugs[key] = drugs[f"Medication/{key}"] = drug
    return drugs


def map_patient_data(resources: Iterable[Mapping[str, Any]]) -> PatientData:
    """Returns everything the rules need from a patient's resources, with counts of what was left out.

    Patient, Condition, Observation, MedicationRequest, MedicationAdministration and Medication are read; other
    resource types are ignored.
    """
    items = list(flatten(resources))
    mapped = _Mapped()
    drugs = _drugs(mapped, items)
    for resource in items:
        kind = resource.get("resourceType")
        if kind == "Patient":
            _add_patient(mapped, resource)
        elif kind == "Condition":
            _add_condition(mapped, resource)
        elif kind == "Observation":
            _add_observation(mapped, resource)
        elif kind in ("MedicationRequest", "MedicationAdministration"):
            _add_request(mapped, resource, drugs)
    return PatientData(
        demographics=mapped.demographics,
        diagnoses=tuple(mapped.diagnoses),
        labs=build_lab_series(mapped.results, mapped.unreadable),
        orders=tuple(sorted(mapped.orders, key=lambda o: (o.start, o.agent.value))),
        episodes=build_episodes(mapped.orders),
        report=mapped.report(),
        undated_orders=tuple(mapped.undated),
    )


def map_conditions_only(resources: Iterable[Mapping[str, Any]]) -> PatientData:
    """Returns PatientData with only demographics and diagnoses: the cheap scope check (is there LN at all?).

    Only Patient and Condition resources are validated; every other resource is passed over untouched.
    """
    mapped = _Mapped()
    for resource in flatten(resources):
        kind = resource.get("resourceType")
        if kind == "Patient":
            _add_patient(mapped, resource)
        elif kind == "Condition":
            _add_condition(mapped, resource)
    return PatientData(demographics=mapped.demographics, diagnoses=tuple(mapped.diagnoses), report=mapped.report())
