"""A patient's synthetic record told as a short clinical story, and the scenario that names it.

`Story` builds FHIR R4 resources (stories.fhir) grouped by the lupus-nephritis-response service's prefetch keys,
dated relative to the fixtures' fixed today (REFERENCE_TODAY). A `Scenario` is one story with its expected outcome
and how it is sent (prefetch, FHIR failures, settings). The golden fixtures (scripts/build_fixtures.py) and the
demo cohort (demo/cohort.py) are both written from these. All data are synthetic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fhir_maps import codes
from fhir_maps.domain import LnClass
from stories.fhir import Resource, condition, medication_request, months_before, observation, patient

REFERENCE_TODAY = date(2026, 6, 15)
KEYS = (
    "patient",
    "conditions",
    "pregnancy",
    "infections",
    "proteinuria",
    "kidneyFunction",
    "sediment",
    "medications",
    "administrations",
)
# The Condition searches other than `conditions` (hooks/prefetch.py): a Condition goes to the key whose search
# would return it, as an EHR's prefetch would.
CONDITION_KEYS = {"pregnancy": codes.PREGNANCY, "infections": codes.ACTIVE_INFECTION}


def condition_key(system: str, code: str) -> str:
    """Returns the prefetch key whose Condition search returns a Condition coded `system|code`."""
    return next((k for k, vs in CONDITION_KEYS.items() if codes.in_value_set(vs, system, code)), "conditions")


# The condition codes the stories are written with, each a member of a fhir_maps.codes value set.
SLE, LN = codes.SLE_DISORDER, codes.LN_DISORDER
CLASS_III, CLASS_IV, CLASS_V = (codes.LN_CLASS_SNOMED[c] for c in (LnClass.III, LnClass.IV, LnClass.V))
PREGNANCY, APS, SEPSIS = codes.PREGNANCY_FINDING, codes.APS_DISORDER, codes.SEPSIS_DISORDER

MMF = ("200060", "mycophenolate mofetil 500 MG Oral Tablet")
CYC = ("1734919", "cyclophosphamide 1000 MG Injection")
LISINOPRIL = ("314076", "lisinopril 10 MG Oral Tablet")
HCQ = ("5521", "hydroxychloroquine")
TAC = ("198377", "tacrolimus 1 MG Oral Capsule")
RTX = ("1657862", "10 ML rituximab 10 MG/ML Injection")


@dataclass
class Story:
    """A patient's synthetic record, grouped by the service's prefetch keys."""

    pid: str
    data: dict[str, list[Resource]] = field(default_factory=lambda: {k: [] for k in KEYS})
    n: int = 0
    _last_condition: Resource | None = None

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{self.pid}-{prefix}{self.n}"

    def demographics(self, birth: str = "1994-03-02", gender: str = "female") -> Story:
        self.data["patient"] = [patient(self.pid, birth, gender)]
        return self

    def cond(self, snomed: str, months_ago: float, **kw: Any) -> Story:
        onset = months_before(REFERENCE_TODAY, months_ago)
        self._last_condition = condition(self.pid, self._id("c"), snomed, onset, **kw)
        self.data[condition_key(codes.SNOMED, snomed)].append(self._last_condition)
        return self

    def recode(self, system: str, code: str, display: str) -> Story:
        """Recodes the story's last Condition (as many EHR problem lists send it, e.g. in ICD-10-CM), moving it to
        the key whose search returns the new code."""
        last = self._last_condition
        if last is None:
            raise ValueError("recode: the story has no Condition yet")
        for resources in self.data.values():
            if any(r is last for r in resources):
                resources[:] = [r for r in resources if r is not last]
        last["code"] = {"coding": [{"system": system, "code": code, "display": display}]}
        self.data[condition_key(system, code)].append(last)
        return self

    def lab(self, key: str, loinc: str, value: float, unit: str, months_ago: float, **kw: Any) -> Story:
        when = months_before(REFERENCE_TODAY, months_ago)
        self.data[key].append(observation(self.pid, self._id("o"), loinc, value, unit, when, **kw))
        return self

    def upcr(self, value: float, months_ago: float, unit: str = "g/g", **kw: Any) -> Story:
        return self.lab("proteinuria", codes.UPCR_SPOT_MASS, value, unit, months_ago, **kw)

    def egfr(self, value: float, months_ago: float) -> Story:
        return self.lab("kidneyFunction", codes.EGFR_CKD_EPI_2021, value, "mL/min/{1.73_m2}", months_ago)

    def rbc(self, value: float, months_ago: float) -> Story:
        return self.lab("sediment", codes.URINE_RBC_HPF, value, "/[HPF]", months_ago)

    def med(
        self, drug: tuple[str, str], start_months_ago: float, end_months_ago: float | None = None, **kw: Any
    ) -> Story:
        start = months_before(REFERENCE_TODAY, start_months_ago)
        end = months_before(REFERENCE_TODAY, end_months_ago) if end_months_ago is not None else None
        status = kw.pop("status", "completed" if end else "active")
        self.data["medications"].append(
            medication_request(self.pid, self._id("m"), drug[0], drug[1], start, end, status=status, **kw)
        )
        return self

    def supportive(self, months_ago: float) -> Story:
        return self.med(LISINOPRIL, months_ago, dose=(1, "tablet"), per_day=1).med(HCQ, months_ago)


@dataclass
class Scenario:
    name: str
    story: str
    expect: str
    build: Callable[[], Story]
    prefetch: str = "full"  # full | full-no-server | null | omitted | omitted-no-server | outcome-in:<key>
    fhir_failure: str | None = None  # http-500 | timeout
    settings: dict[str, str] = field(default_factory=dict)


def ln_on_mmf(pid: str, months: float, upcr_start: float, upcr_now: float, **kw: Any) -> Story:
    """Returns class IV LN on MMF 1.5 g twice daily for `months`, with UPCR baseline and latest values."""
    s = Story(pid).demographics().cond(SLE, months + 24).cond(CLASS_IV, months + 0.5)
    s.upcr(upcr_start, months + 0.3).upcr(upcr_now, 0.2)
    s.egfr(kw.get("egfr_start", 88), months + 0.3).egfr(kw.get("egfr_now", 86), 0.2)
    s.rbc(kw.get("rbc_start", 25), months + 0.3).rbc(kw.get("rbc_now", 3), 0.2)
    s.med(MMF, months, dose=kw.get("dose", (3, "tablet")), per_day=2)
    return s.supportive(months)
