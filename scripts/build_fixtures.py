"""Writes the golden fixture inputs: cards_fixtures/lupus-nephritis-response/<scenario>/.

Each scenario is a short clinical story told as synthetic FHIR data, dated relative to the fixtures' fixed "today"
(REFERENCE_TODAY). This script writes request.json, an optional fhir.json (canned FHIR server replies for the
fallback path), an optional settings.json and README.md. expected.json is written by the golden test with
UPDATE_GOLDEN=1 and reviewed by reading the diff.

Run: .venv/bin/python -m scripts.scenarios
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from scripts.fhir_builders import (
    condition,
    medication_request,
    months_before,
    observation,
    patient,
    searchset,
)

REFERENCE_TODAY = date(2026, 6, 15)
SERVICE_ID = "lupus-nephritis-response"
ROOT = Path(__file__).resolve().parent.parent / "cards_fixtures" / SERVICE_ID
FHIR_BASE = "https://fhir.example.org/r4"
ACCESS_TOKEN = "synthetic-access-token-0001"
KEYS = ("patient", "conditions", "proteinuria", "kidneyFunction", "sediment", "medications")
Resource = dict[str, Any]

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

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{self.pid}-{prefix}{self.n}"

    def demographics(self, birth: str = "1994-03-02", gender: str = "female") -> Story:
        self.data["patient"] = [patient(self.pid, birth, gender)]
        return self

    def cond(self, snomed: str, months_ago: float, **kw: Any) -> Story:
        onset = months_before(REFERENCE_TODAY, months_ago)
        self.data["conditions"].append(condition(self.pid, self._id("c"), snomed, onset, **kw))
        return self

    def lab(self, key: str, loinc: str, value: float, unit: str, months_ago: float, **kw: Any) -> Story:
        when = months_before(REFERENCE_TODAY, months_ago)
        self.data[key].append(observation(self.pid, self._id("o"), loinc, value, unit, when, **kw))
        return self

    def upcr(self, value: float, months_ago: float, unit: str = "g/g", **kw: Any) -> Story:
        return self.lab("proteinuria", "2890-2", value, unit, months_ago, **kw)

    def egfr(self, value: float, months_ago: float) -> Story:
        return self.lab("kidneyFunction", "98979-8", value, "mL/min/{1.73_m2}", months_ago)

    def rbc(self, value: float, months_ago: float) -> Story:
        return self.lab("sediment", "13945-1", value, "/[HPF]", months_ago)

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
    prefetch: str = "full"  # full | null | omitted | omitted-no-server | outcome-in:<key>
    fhir_failure: str | None = None  # http-500 | timeout
    settings: dict[str, str] = field(default_factory=dict)


def ln_on_mmf(pid: str, months: float, upcr_start: float, upcr_now: float, **kw: Any) -> Story:
    """Returns class IV LN on MMF 1.5 g twice daily for `months`, with UPCR baseline and latest values."""
    s = Story(pid).demographics().cond("55464009", months + 24).cond("36402006", months + 0.5)
    s.upcr(upcr_start, months + 0.3).upcr(upcr_now, 0.2)
    s.egfr(kw.get("egfr_start", 88), months + 0.3).egfr(kw.get("egfr_now", 86), 0.2)
    s.rbc(kw.get("rbc_start", 25), months + 0.3).rbc(kw.get("rbc_now", 3), 0.2)
    s.med(MMF, months, dose=kw.get("dose", (3, "tablet")), per_day=2)
    return s.supportive(months)


def write_scenario(sc: Scenario, root: Path = ROOT) -> None:
    """Writes one scenario's folder under `root` (everything but expected.json)."""
    story = sc.build()
    folder = root / sc.name
    for stale in ("request.json", "fhir.json", "settings.json", "README.md"):
        (folder / stale).unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    request: Resource = {
        "hookInstance": str(uuid.uuid5(uuid.NAMESPACE_URL, f"ln-cds-fixture:{sc.name}")),
        "hook": "patient-view",
        "context": {"userId": "Practitioner/synthetic-clinician-1", "patientId": story.pid},
    }
    if sc.prefetch != "omitted-no-server":
        request["fhirServer"] = FHIR_BASE
        request["fhirAuthorization"] = {
            "access_token": ACCESS_TOKEN,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "patient/*.read",
            "subject": SERVICE_ID,
        }
    prefetch = _prefetch(sc, story)
    if prefetch is not None:
        request["prefetch"] = prefetch
    _dump(folder / "request.json", request)
    replies = _fhir_replies(sc, story)
    if replies:
        _dump(folder / "fhir.json", replies)
    settings = {"today": REFERENCE_TODAY.isoformat(), **sc.settings}
    _dump(folder / "settings.json", settings)
    (folder / "README.md").write_text(f"# {sc.name}\n\n{sc.story}\n\n**Expected:** {sc.expect}\n")


def _prefetch(sc: Scenario, story: Story) -> Resource | None:
    if sc.prefetch.startswith("omitted"):
        return None
    out: Resource = {}
    for key in KEYS:
        if sc.prefetch == "null":
            out[key] = None
        elif key == "patient":
            out[key] = story.data["patient"][0] if story.data["patient"] else None
        else:
            out[key] = searchset(story.data[key])
    if sc.prefetch.startswith("outcome-in:"):
        key = sc.prefetch.split(":", 1)[1]
        out[key] = {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "exception", "diagnostics": "prefetch query failed"}],
        }
    return out


def _fhir_replies(sc: Scenario, story: Story) -> list[Resource]:
    """Returns the FHIR calls the service is expected to make in the fallback path, with canned replies."""
    if sc.prefetch == "omitted":
        keys = list(KEYS)
    elif sc.prefetch.startswith("outcome-in:"):
        keys = [sc.prefetch.split(":", 1)[1]]
    else:
        return []
    replies = []
    for key in keys:
        body = story.data["patient"][0] if key == "patient" else searchset(story.data[key])
        reply: Resource = {"key": key, "status": 200, "body": body}
        if sc.fhir_failure == "http-500" and key == "conditions":
            reply = {"key": key, "status": 500, "body": {"resourceType": "OperationOutcome", "issue": []}}
        if sc.fhir_failure == "timeout" and key == "conditions":
            reply = {"key": key, "timeout": True}
        replies.append(reply)
    if sc.fhir_failure:
        # The conditions query fails first; nothing else is asked for (gate keys are fetched before the rest).
        replies = [r for r in replies if r["key"] == "conditions"]
    return replies


def _dump(path: Path, obj: Any) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def write_all(scenarios: list[Scenario], root: Path = ROOT) -> None:
    """Writes every scenario under `root` and removes folders of scenarios that no longer exist."""
    names = {sc.name for sc in scenarios}
    for folder in root.iterdir() if root.exists() else []:
        if folder.is_dir() and folder.name not in names:
            shutil.rmtree(folder)
    for sc in scenarios:
        write_scenario(sc, root)
