"""Domain types: what the rules see of a patient once FHIR has been mapped.

Everything here is a frozen dataclass in clinical words. No FHIR model or dict crosses this line: `fhir_maps`
turns FHIR JSON into these, `hooks` reasons over them. Units are canonical UCUM (see `fhir_maps.units`), datetimes
are timezone-aware, and every tuple is sorted by time when it is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import TYPE_CHECKING


class LabConcept(StrEnum):
    """A measured quantity the response model uses, with the canonical unit it is normalised to."""

    UPCR = "upcr"  # urine protein/creatinine ratio, g/g
    PROTEIN_24H = "protein-24h"  # 24-hour urine protein excretion, g/(24.h)
    CREATININE = "creatinine"  # serum creatinine, mg/dL
    EGFR = "egfr"  # estimated GFR, mL/min/{1.73_m2}
    URINE_RBC = "urine-rbc"  # red cells per high-power field, /[HPF]
    CELLULAR_CASTS = "cellular-casts"  # red/white/mixed cellular casts per low-power field, /[LPF]
    CASTS_UNTYPED = "casts-untyped"  # casts of a type the result does not code, /[LPF]


class ResultStatus(StrEnum):
    """Observation.status values that survive mapping; entered-in-error/cancelled never do."""

    FINAL = "final"  # final, amended, corrected: may decide a response class
    PRELIMINARY = "preliminary"  # shown, never decides (response-model.md §3)


class Interpretation(StrEnum):
    """The lab's own flag, when it sent one (Observation.interpretation, v3 ObservationInterpretation)."""

    NORMAL = "normal"
    ABNORMAL = "abnormal"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class LabResult:
    """One numeric result, already in its concept's canonical unit."""

    concept: LabConcept
    when: datetime  # effective time, timezone-aware (a date-only value is taken as 00:00 UTC)
    value: Decimal  # in the canonical unit of `concept` (lab_concepts.LAB_CONCEPTS)
    unit: str  # == that canonical unit
    status: ResultStatus
    source_unit: str  # the unit as the lab sent it (UCUM code, else the unit string), for "converted from" notes
    interpretation: Interpretation = Interpretation.UNKNOWN
    from_24h_collection: bool = False  # a UPCR measured on a 24-h sample (LOINC 13801-6, 40486-3)
    # valueQuantity.comparator of a censored result ("<", "<=", ">", ">="): the true value lies on that side of
    # `value` ("< 0.10 g/g" is at most 0.10). None: `value` is the measured value itself.
    comparator: str | None = None
    # A range as labs report sediment counts ("10-20 /HPF"): the true value lies in [low, value]. `value` is the
    # upper bound with comparator "<="; `low` is the lower bound (in the canonical unit). None: not a range.
    low: Decimal | None = None
    issued: datetime | None = None  # Observation.issued: when this version was released (latest wins, see labs)
    corrected: bool = False  # status corrected/amended: supersedes the final result of the same specimen or time
    specimen: str | None = None  # Observation.specimen reference: results of one specimen supersede each other
    # Observation.referenceRange high, converted to the canonical unit: the lab's own upper reference limit for this
    # patient (its age and sex norms). None: not sent, or in a unit that could not be converted.
    reference_high: Decimal | None = None

    @property
    def decides(self) -> bool:
        """Returns True when this result may decide a response class (final/amended/corrected)."""
        return self.status is ResultStatus.FINAL


@dataclass(frozen=True, slots=True)
class LabSeries:
    """All usable results of one concept, oldest first, after corrections and same-day duplicates are resolved.

    `unreadable` holds the effective times of results of this concept whose value could not be read (a
    valueString such as "see comment" or "TNTC"): the card says so when one is newer than the value used.
    """

    concept: LabConcept
    results: tuple[LabResult, ...] = ()
    unreadable: tuple[datetime, ...] = ()
    # Days with two final results of this concept that disagree and that no correction or specimen reconciles
    # (fhir_maps.labs.same_day_conflicts): the value kept is the later one, and the card says the day was in doubt.
    conflicting_days: tuple[date, ...] = ()

    # Derived from the fields above when the series is built (not compared, not shown), so that a question "as of a
    # day" costs a binary search rather than a scan of the whole history (issue 14: the rules ask it once per result
    # date). `in_day_order`: the times strictly increase and their calendar days never go back (one result a day, as
    # `fhir_maps.labs.resolve_versions` leaves them); False only when UTC offsets run days against times, and then
    # the callers scan `results` as before. `unreadable_in_day_order`: the same for `unreadable`.
    in_day_order: bool = field(init=False, repr=False, compare=False)
    final: tuple[LabResult, ...] = field(init=False, repr=False, compare=False)  # the results that decide, in order
    final_days: tuple[date, ...] = field(init=False, repr=False, compare=False)  # their calendar days
    preliminary: tuple[LabResult, ...] = field(init=False, repr=False, compare=False)  # the others, in order
    preliminary_days: tuple[date, ...] = field(init=False, repr=False, compare=False)
    unreadable_in_day_order: bool = field(init=False, repr=False, compare=False)
    unreadable_days: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if any(r.concept is not self.concept for r in self.results):
            raise ValueError("LabSeries holds results of one concept only")
        if any(b.when < a.when for a, b in pairwise(self.results)):
            raise ValueError("LabSeries results must be sorted by time")
        days = [r.when.date() for r in self.results]
        in_order = all(a.when < b.when for a, b in pairwise(self.results)) and all(a <= b for a, b in pairwise(days))
        final = [i for i, r in enumerate(self.results) if r.decides]
        other = [i for i, r in enumerate(self.results) if not r.decides]
        unread_days = [w.date() for w in self.unreadable]
        unread_in_order = all(a < b for a, b in pairwise(self.unreadable)) and all(
            a <= b for a, b in pairwise(unread_days)
        )
        for name, value in (
            ("in_day_order", in_order),
            ("final", tuple(self.results[i] for i in final)),
            ("final_days", tuple(days[i] for i in final)),
            ("preliminary", tuple(self.results[i] for i in other)),
            ("preliminary_days", tuple(days[i] for i in other)),
            ("unreadable_in_day_order", unread_in_order),
            ("unreadable_days", tuple(unread_days)),
        ):
            object.__setattr__(self, name, value)  # a frozen dataclass sets its derived fields this way


# The empty series of each concept, built once: `PatientData.series` answers with it for a concept the patient has
# no results of (the rules ask thousands of times on a long history; issue 14). Immutable, no patient data.
_NO_RESULTS = {concept: LabSeries(concept) for concept in LabConcept}


class LnClass(StrEnum):
    """ISN/RPS 2003 class, from the coded WHO-class SNOMED concepts (class number maps one to one)."""

    I = "I"  # noqa: E741 -- the class is called I in ISN/RPS; renaming it would hide the clinical term
    II = "II"
    III = "III"
    IV = "IV"
    V = "V"
    VI = "VI"


class ConditionKind(StrEnum):
    """The clinical concepts the service reads from Condition resources."""

    SLE = "sle"
    LUPUS_NEPHRITIS = "lupus-nephritis"
    TMA = "thrombotic-microangiopathy"
    APS = "antiphospholipid-syndrome"
    PREGNANCY = "pregnancy"
    ACTIVE_INFECTION = "active-infection"


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """One usable Condition: active or recurring (or no clinicalStatus), not refuted or entered-in-error."""

    kind: ConditionKind
    recorded: date | None  # onset, else recordedDate; None when the resource gives neither
    ln_class: LnClass | None = None  # set only for LN Conditions coded with a class
    # clinicalStatus active/recurrence/relapse (or absent) -> True; inactive/remission/resolved -> False
    active: bool = True


class Agent(StrEnum):
    """Ingredients the response model knows, at the level the rules reason about (biosimilars -> rituximab)."""

    CYCLOPHOSPHAMIDE = "cyclophosphamide"
    MYCOPHENOLATE_MOFETIL = "mycophenolate-mofetil"
    MYCOPHENOLIC_ACID = "mycophenolic-acid"
    RITUXIMAB = "rituximab"
    OBINUTUZUMAB = "obinutuzumab"
    OFATUMUMAB = "ofatumumab"
    BELIMUMAB = "belimumab"
    TACROLIMUS = "tacrolimus"
    CYCLOSPORINE = "cyclosporine"
    VOCLOSPORIN = "voclosporin"
    ANIFROLUMAB = "anifrolumab"
    IMMUNE_GLOBULIN = "immune-globulin"
    AZATHIOPRINE = "azathioprine"
    LEFLUNOMIDE = "leflunomide"
    HYDROXYCHLOROQUINE = "hydroxychloroquine"
    GLUCOCORTICOID = "glucocorticoid"
    RAAS_BLOCKER = "raas-blocker"  # ACE inhibitor, ARB or ARNI
    SGLT2_INHIBITOR = "sglt2-inhibitor"


class MatchedBy(StrEnum):
    """How a MedicationRequest's drug was recognised."""

    PRODUCT_CODE = "product-code"  # an RxNorm SCD/SBD/GPCK/BPCK/SCDF/SBDF code in our product table
    INGREDIENT_CODE = "ingredient-code"  # an RxNorm IN code
    NAME = "name"  # word-boundary ingredient name in coding.display or code text: reported as "matched by name"


class OrderStatus(StrEnum):
    """MedicationRequest.status values that survive mapping (entered-in-error, cancelled, draft never do)."""

    ACTIVE = "active"
    ON_HOLD = "on-hold"
    STOPPED = "stopped"
    COMPLETED = "completed"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class MedicationOrder:
    """One usable MedicationRequest, mapped to an agent."""

    agent: Agent
    start: date  # dosage timing bounds start, else authoredOn
    end: date | None  # validityPeriod.end / timing bounds end / status date; None = open-ended
    status: OrderStatus
    matched_by: MatchedBy
    daily_dose_mg: Decimal | None = None  # None when it cannot be computed from the request
    route_systemic: bool = True  # False for ophthalmic/topical products (never counted as immunosuppression)
    # False for a stopped order with no end date: `end` is then its start (no exposure assumed), but when it stopped
    # is not known (knowledge/THERAPY.md, "Treatment lines as they are recorded").
    end_known: bool = True
    administered: bool = False  # read from a MedicationAdministration (a given dose), not a MedicationRequest


@dataclass(frozen=True, slots=True)
class UndatedOrder:
    """An order or administration of a known agent that cannot be placed in time (no date at all)."""

    agent: Agent
    status: OrderStatus
    administered: bool = False


@dataclass(frozen=True, slots=True)
class TherapyEpisode:
    """One agent's continuous course: orders merged when the gap between them is <= 60 days."""

    agent: Agent
    start: date
    end: date | None  # None = ongoing
    orders: tuple[MedicationOrder, ...]  # the orders merged into it, by start
    daily_dose_mg: Decimal | None  # the most recent computable daily dose within the episode
    gaps_over_30_days: tuple[tuple[date, date], ...] = ()  # (from, to) spans with no order covering them
    interrupted: bool = False  # an order in the episode was stopped/on-hold before the episode's end
    matched_by_name: bool = False  # any order of the episode was recognised by name only
    # Pulse agents: the day the planned next pulse was due after the last one (`end` + the regimen's spacing); the
    # course is in force until then. None for other agents and for an open-ended episode.
    covered_until: date | None = None
    end_known: bool = True  # False when the episode's last order was stopped on an unknown date

    def active_on(self, day: date) -> bool:
        """Returns True when the episode covers `day`."""
        return self.start <= day and (self.end is None or day <= self.end)


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Demographics:
    """Only what the eGFR equation needs. Never logged, never shown in a card summary."""

    birth_date: date | None = None
    sex: Sex = Sex.UNKNOWN


@dataclass(frozen=True, slots=True, kw_only=True)  # keyword-only: a new count can never shift another
class MappingReport:
    """What mapping left out, by category, for the log line and the 'cannot assess' card. Counts only, no content."""

    resources_parsed: int = 0
    resources_invalid: int = 0  # failed fhir.resources validation: skipped
    observations_excluded_status: int = 0  # entered-in-error / cancelled
    observations_unknown_unit: int = 0  # skipped, never silently converted
    observations_no_value: int = 0
    # A valueString from which no number, bound or range could be read ("see comment", "TNTC"): skipped, and the
    # card says so when it is the latest result (LabSeries.unreadable).
    observations_unreadable: int = 0
    unknown_unit_concepts: tuple[LabConcept, ...] = ()  # which concepts had a result skipped for its unit
    # Resources of another patient that the service dropped before mapping (service/gather.py; set by the service,
    # counts only): the cards say once that such resources were ignored (issue 10 section 1).
    resources_other_patient: int = 0
    medication_requests_uncoded: int = 0  # drug not one of our agents, or not identified at all (log counter)
    medication_requests_excluded_status: int = 0
    # The two counts below were added last so that positional construction elsewhere stays valid.
    observations_no_time: int = 0  # no effective time or issued instant with at least a full date: skipped
    medication_requests_undated: int = 0  # no timing start and no authoredOn: cannot be placed on the timeline
    # Of the uncoded: drug not identified at all (no RxNorm code, no known ingredient name, or an unresolved
    # medicationReference) and not ended (status active, on-hold or unknown). These may hide the current line.
    medication_requests_unresolved: int = 0


@dataclass(frozen=True, slots=True)
class PatientData:
    """Everything the rules get. Built by `fhir_maps.map_patient_data`."""

    demographics: Demographics = field(default_factory=Demographics)
    diagnoses: tuple[Diagnosis, ...] = ()
    labs: dict[LabConcept, LabSeries] = field(default_factory=dict)
    orders: tuple[MedicationOrder, ...] = ()
    episodes: tuple[TherapyEpisode, ...] = ()
    report: MappingReport = field(default_factory=MappingReport)
    undated_orders: tuple[UndatedOrder, ...] = ()  # known agents whose orders give no date: cannot be placed

    def series(self, concept: LabConcept) -> LabSeries:
        """Returns the series for `concept` (empty when there is none)."""
        return self.labs.get(concept) or _NO_RESULTS[concept]

    def has(self, kind: ConditionKind) -> bool:
        """Returns True when an active Diagnosis of `kind` is recorded."""
        return any(d.kind is kind and d.active for d in self.diagnoses)


if not TYPE_CHECKING:  # runtime only, so mypy still flags any other missing name in this module

    def __getattr__(name: str) -> object:
        """Keeps `from fhir_maps.domain import CANONICAL_UNIT` working for importers outside fhir_maps.

        The canonical units are a column of `lab_concepts.LAB_CONCEPTS` (one row per concept), which imports this
        module, so the name is resolved on first use instead of at import. New code imports it from `lab_concepts`.
        """
        if name == "CANONICAL_UNIT":
            from fhir_maps.lab_concepts import CANONICAL_UNIT

            return CANONICAL_UNIT
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
