"""MedicationRequests -> MedicationOrder: which agent, how it was recognised, status, dates, dose and route.

The drug is recognised in a fixed order: an RxNorm product code from the product table, then an RxNorm ingredient
code, then (last resort, reported as "matched by name") a word-boundary match of an ingredient name in the codings'
displays or the concept text. Turning orders into courses of therapy is `fhir_maps.episodes` (`build_episodes`,
re-exported here).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from fhir.resources.R4B.medication import Medication
from fhir.resources.R4B.medicationadministration import MedicationAdministration
from fhir.resources.R4B.medicationrequest import MedicationRequest

from fhir_maps import codes
from fhir_maps.domain import Agent, MatchedBy, MedicationOrder, OrderStatus
from fhir_maps.dosing import daily_dose_mg
from fhir_maps.episodes import build_episodes
from fhir_maps.parse import as_date, validate
from fhir_maps.products import NON_SYSTEMIC_FORM, Product, products

__all__ = [
    "Drug",
    "Excluded",
    "ExclusionReason",
    "Uncoded",
    "build_episodes",  # re-exported: episodes are built from the orders mapped here
    "drug_of_concept",
    "drug_of_medication",
    "ingredient_names",
    "map_medication_request",
    "order_from_administration",
    "order_from_request",
    "recognise",
]

# MedicationRequest.status (FHIR R4). entered-in-error, cancelled and draft are never kept (response-model.md §2).
_STATUS: dict[str, OrderStatus] = {status.value: status for status in OrderStatus}


class ExclusionReason(StrEnum):
    """Why a MedicationRequest was left out although its drug may be known."""

    INVALID = "invalid"  # failed fhir.resources validation
    STATUS = "status"  # entered-in-error, cancelled, draft
    UNDATED = "undated"  # no timing start and no authoredOn


@dataclass(frozen=True, slots=True)
class Excluded:
    """A MedicationRequest left out for a reason other than an unrecognised drug.

    `agent` and `status` are set for an UNDATED order of a recognised agent: it cannot be placed in time, and the
    rules say so by name (never silence) when the agent defines a treatment line.
    """

    reason: ExclusionReason
    agent: Agent | None = None
    status: OrderStatus | None = None


@dataclass(frozen=True, slots=True)
class Uncoded:
    """A MedicationRequest whose drug is not one of our agents, or could not be identified at all.

    `unresolved` is True when the drug could not be identified: no concept (or a medicationReference that could not
    be resolved), or a concept with no RxNorm code and no known ingredient name (text only, or codes of another
    system only). An order coded in RxNorm that is simply not one of our agents (amlodipine) is not unresolved.
    `open` is True when the order is not known to have ended (status active, on-hold or unknown).
    """

    unresolved: bool = False
    open: bool = False


@dataclass(frozen=True, slots=True)
class Drug:
    """The coded concept of a drug: (system, code, display) codings and the free text."""

    codings: tuple[tuple[str | None, str | None, str | None], ...] = ()
    text: str | None = None

    def texts(self) -> list[str]:
        """Returns every display and the text: where an ingredient name may be found."""
        return [t for t in (*(display for _, _, display in self.codings), self.text) if t]


def drug_of_concept(concept: Any) -> Drug:
    """Returns the Drug of a validated CodeableConcept (empty when None)."""
    if concept is None:
        return Drug()
    return Drug(tuple((c.system, c.code, c.display) for c in concept.coding or ()), concept.text)


def drug_of_medication(resource: Mapping[str, Any]) -> Drug | None:
    """Returns the Drug of a raw Medication resource, or None when it does not validate."""
    medication = validate(Medication, resource)
    return None if medication is None else drug_of_concept(medication.code)


# Longest names first, so a longer name wins where two could match at the same place.
_NAMES = sorted(codes.INGREDIENT_NAMES, key=len, reverse=True)
_NAME_PATTERN = re.compile(
    r"\b(" + "|".join(re.escape(name).replace(r"\ ", r"\s+") for name in _NAMES) + r")\b", re.IGNORECASE
)


def ingredient_names(text: str) -> list[str]:
    """Returns the ingredient names (keys of codes.INGREDIENT_NAMES) found in `text` as whole words, in order."""
    return [" ".join(match.lower().split()) for match in _NAME_PATTERN.findall(text)]


# Background therapy: ingredients that never name a combination order when a disease-modifying agent is named too
# ("prednisone / mycophenolate" is a mycophenolate order). A naming rule of this mapping, not the rules' treatment
# line: which agents start or maintain a line is hooks knowledge (knowledge/treatment_lines.py); a test checks the
# two agree, so the choice made here is the one it has always been.
BACKGROUND_AGENTS: frozenset[Agent] = frozenset(
    {
        Agent.AZATHIOPRINE,
        Agent.LEFLUNOMIDE,
        Agent.HYDROXYCHLOROQUINE,
        Agent.GLUCOCORTICOID,
        Agent.RAAS_BLOCKER,
        Agent.SGLT2_INHIBITOR,
    }
)


def _agent_by_name(texts: Iterable[str]) -> Agent | None:
    """A combination ("A / B") gives its first agent that is not background therapy, else its first agent."""
    found = [codes.INGREDIENT_NAMES[name] for text in texts for name in ingredient_names(text)]
    return next((a for a in found if a not in BACKGROUND_AGENTS), found[0] if found else None)


def recognise(drug: Drug) -> tuple[Agent, MatchedBy, Product | None] | None:
    """Returns the agent, how it was recognised and the product row (when a product code matched), or None."""
    table = products()
    rxnorm = [code for system, code, _ in drug.codings if system == codes.RXNORM and code]
    for code in rxnorm:
        row = table.get(code)
        if row is not None and not row.is_ingredient:
            return row.agent, MatchedBy.PRODUCT_CODE, row
    for code in rxnorm:
        if code in codes.INGREDIENTS:
            return codes.INGREDIENTS[code], MatchedBy.INGREDIENT_CODE, None
        row = table.get(code)
        if row is not None:  # an ingredient row of the table not listed in codes.INGREDIENTS (e.g. quinapril)
            return row.agent, MatchedBy.INGREDIENT_CODE, None
    agent = _agent_by_name(drug.texts())
    return None if agent is None else (agent, MatchedBy.NAME, None)


def map_medication_request(
    resource: Mapping[str, Any], medications: Mapping[str, Mapping[str, Any]]
) -> MedicationOrder | Uncoded | Excluded:
    """Returns the MedicationRequest as a MedicationOrder, or why it was left out.

    `medications` holds Medication resources by id, for a `medicationReference` that is not `#contained`.
    """
    drugs = {key: drug for key, raw in medications.items() if (drug := drug_of_medication(raw)) is not None}
    return order_from_request(resource, drugs)


def order_from_request(resource: Mapping[str, Any], drugs: Mapping[str, Drug]) -> MedicationOrder | Uncoded | Excluded:
    """Returns the MedicationRequest as a MedicationOrder, with referenced Medications already mapped to Drugs."""
    request = validate(MedicationRequest, resource)
    if request is None:
        return Excluded(ExclusionReason.INVALID)
    status = _STATUS.get(request.status or "")
    if status is None:
        return Excluded(ExclusionReason.STATUS)
    drug = _drug_of_request(request, drugs)
    recognised = recognise(drug) if drug is not None else None
    if drug is None or recognised is None:
        return Uncoded(unresolved=drug is None or not _has_rxnorm_code(drug), open=status in _OPEN)
    agent, matched_by, product = recognised
    dosage = request.dosageInstruction[0] if request.dosageInstruction else None
    bounds = _bounds(dosage)
    start = as_date(bounds.start if bounds else None) or as_date(request.authoredOn)
    if start is None:
        return Excluded(ExclusionReason.UNDATED, agent, status)
    recorded = _recorded_end(request, bounds) or _series_end(dosage, start)
    supplied = _supply_end(request, start) if recorded is None and status is OrderStatus.COMPLETED else None
    end = recorded or supplied or _end(request, status, start, bounds)
    end = None if end is None else max(end, start)  # an end before the start is read as a one-day order
    # An order that ended on a date nobody recorded: a stopped order with no end date, or a completed one with
    # neither an end date nor a supply to count from (knowledge/THERAPY.md, "Treatment lines as they are
    # recorded"): its end is not known, and the rules name it ("cannot assess") rather than stay silent.
    end_known = recorded is not None or supplied is not None or status not in _ENDED
    return MedicationOrder(
        agent=agent,
        start=start,
        end=end,
        status=status,
        matched_by=matched_by,
        daily_dose_mg=daily_dose_mg(dosage, agent, product.strength_mg if product else None),
        route_systemic=_systemic(drug, product),
        end_known=end_known,
    )


def _systemic(drug: Drug, product: Product | None) -> bool:
    return product.systemic if product else not any(NON_SYSTEMIC_FORM.search(t) for t in drug.texts())


# MedicationAdministration.status (FHIR R4, medication-admin-status): not-done and entered-in-error were never given.
_ADMIN_STATUS: dict[str, OrderStatus] = {
    "completed": OrderStatus.COMPLETED,
    "in-progress": OrderStatus.ACTIVE,
    "on-hold": OrderStatus.ON_HOLD,
    "stopped": OrderStatus.STOPPED,
    "unknown": OrderStatus.UNKNOWN,
}


def order_from_administration(
    resource: Mapping[str, Any], drugs: Mapping[str, Drug]
) -> MedicationOrder | Uncoded | Excluded:
    """Returns a MedicationAdministration (one given dose, e.g. one cyclophosphamide pulse) as a MedicationOrder.

    It is read like an order: its drug as `medication[x]`, its dates from `effectiveDateTime` or `effectivePeriod`
    (a dose given on one day starts and ends that day), status completed / in-progress / on-hold / stopped / unknown.
    `not-done` and `entered-in-error` were never given and are left out. No daily dose is computed: an infusion
    is a pulse, never a mg/day (fhir_maps.dosing.PULSE_AGENTS).
    """
    undated = "effectiveDateTime" not in resource and "effectivePeriod" not in resource
    # effective[x] is required in R4, so an undated administration fails validation; it is validated with a
    # placeholder time only to name its drug, then reported as undated (never silently dropped as invalid).
    given = validate(MedicationAdministration, {**resource, "effectiveDateTime": "1900-01-01"} if undated else resource)
    if given is None:
        return Excluded(ExclusionReason.INVALID)
    status = _ADMIN_STATUS.get(given.status or "")
    if status is None:
        return Excluded(ExclusionReason.STATUS)
    drug = _drug_of_request(given, drugs)
    recognised = recognise(drug) if drug is not None else None
    if drug is None or recognised is None:
        return Uncoded(unresolved=drug is None or not _has_rxnorm_code(drug), open=status in _OPEN)
    agent, matched_by, product = recognised
    period = given.effectivePeriod
    start = None if undated else as_date(given.effectiveDateTime) or as_date(period.start if period else None)
    if start is None:
        return Excluded(ExclusionReason.UNDATED, agent, status)
    end = as_date(period.end if period else None) or start
    return MedicationOrder(
        agent=agent,
        start=start,
        end=max(end, start),
        status=status,
        matched_by=matched_by,
        route_systemic=_systemic(drug, product),
        administered=True,
    )


_OPEN = frozenset((OrderStatus.ACTIVE, OrderStatus.ON_HOLD, OrderStatus.UNKNOWN))
_ENDED = frozenset((OrderStatus.STOPPED, OrderStatus.COMPLETED))


def _has_rxnorm_code(drug: Drug) -> bool:
    """Returns True when the drug has an RxNorm coding with a code (an identified drug, ours or not)."""
    return any(system == codes.RXNORM and code for system, code, _ in drug.codings)


def _drug_of_request(request: Any, drugs: Mapping[str, Drug]) -> Drug | None:
    if request.medicationCodeableConcept is not None:
        return drug_of_concept(request.medicationCodeableConcept)
    reference = request.medicationReference.reference if request.medicationReference else None
    if not reference:
        return None
    if reference.startswith("#"):
        for contained in request.contained or ():
            if isinstance(contained, Medication) and contained.id == reference[1:]:
                return drug_of_concept(contained.code)
        return None
    return drugs.get(reference) or drugs.get(reference.rsplit("/", 1)[-1])  # "Medication/<id>" or a full URL


def _bounds(dosage: Any) -> Any:
    timing = dosage.timing if dosage is not None else None
    return timing.repeat.boundsPeriod if timing is not None and timing.repeat is not None else None


def _recorded_end(request: Any, bounds: Any) -> date | None:
    validity = request.dispenseRequest.validityPeriod if request.dispenseRequest else None
    return as_date(validity.end if validity else None) or as_date(bounds.end if bounds else None)


# dispenseRequest.expectedSupplyDuration (a UCUM Duration) in days per unit; other units are not counted.
_SUPPLY_UNIT_DAYS = {"d": 1.0, "wk": 7.0, "mo": 30.4375}  # the response model's mean month (clinical_response)
_SUPPLY_UNIT_NAMES = {"day": "d", "days": "d", "week": "wk", "weeks": "wk", "month": "mo", "months": "mo"}


def _supply_end(request: Any, start: date) -> date | None:
    """Returns the last day a `completed` prescription with no end date supplies: its start plus the supply it
    authorises, expectedSupplyDuration x (1 + numberOfRepeatsAllowed), or None without a usable supply.

    Several EHRs mark an outpatient e-prescription `completed` once it is sent to the pharmacy, so `completed`
    with a supply and no end says the drug is taken for that supply, not that it stopped on the day it was
    written (knowledge/THERAPY.md, "Treatment lines as they are recorded"). Judgement call: the whole authorised
    supply counts (repeats included); a refill never collected cannot be seen in the record, and reading a
    teratogen as stopped too early is the dangerous side.
    """
    dispense = request.dispenseRequest
    duration = dispense.expectedSupplyDuration if dispense is not None else None
    if duration is None or duration.value is None or duration.value <= 0:
        return None
    unit = duration.code or _SUPPLY_UNIT_NAMES.get((duration.unit or "").strip().lower(), "")
    if unit not in _SUPPLY_UNIT_DAYS:
        return None
    fills = 1 + (dispense.numberOfRepeatsAllowed or 0)
    return start + timedelta(days=round(float(duration.value) * _SUPPLY_UNIT_DAYS[unit] * fills) - 1)


# A series ordered as a count of doses ("every 4 weeks, 6 doses") with no end date ends at its last planned dose.
_SERIES_UNIT_DAYS = {"d": 1.0, "wk": 7.0, "mo": 30.4375}  # the response model's mean month (clinical_response)


def _series_end(dosage: Any, start: date) -> date | None:
    """Returns the day of the last planned dose of a counted series (timing.repeat.count with a period), else None."""
    repeat = dosage.timing.repeat if dosage is not None and dosage.timing is not None else None
    if repeat is None or not repeat.count or repeat.count < 1 or repeat.periodUnit not in _SERIES_UNIT_DAYS:
        return None
    if repeat.period is None or repeat.period <= 0:
        return None
    per_dose = float(repeat.period) / float(repeat.frequency or 1) * _SERIES_UNIT_DAYS[repeat.periodUnit]
    return start + timedelta(days=round(per_dose * (repeat.count - 1)))


def _end(request: Any, status: OrderStatus, start: date, bounds: Any) -> date | None:
    """dispenseRequest.validityPeriod.end, else timing bounds end. A stopped or completed order with neither ends
    on authoredOn (conservative: no exposure is assumed beyond what is recorded; a completed course must never read
    as ongoing). Any other status without an end is open-ended.
    """
    validity = request.dispenseRequest.validityPeriod if request.dispenseRequest else None
    end = as_date(validity.end if validity else None) or as_date(bounds.end if bounds else None)
    if end is None and status in (OrderStatus.STOPPED, OrderStatus.COMPLETED):
        end = as_date(request.authoredOn) or start
    return None if end is None else max(end, start)  # an end before the start is read as a one-day order
