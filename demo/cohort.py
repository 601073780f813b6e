"""The demo cohort: one synthetic patient per clinical story, written as FHIR R4 transaction Bundles.

One source of truth: the stories are the golden scenarios of stories/scenarios.py, and what each patient should
get is that scenario's cards_fixtures/<service>/<scenario>/expected.json. This module picks scenarios (COHORT, one
per patient id) and writes, from them:
  - demo/cohort/<patient-id>.json: a transaction Bundle of PUTs (`Patient/<id>`, `Condition/<id>`, ...), so ids are
    stable and loading twice changes nothing;
  - demo/cohort-manifest.json: patient -> scenario -> story -> expected cards, for the launcher and the tests;
  - the cohort table in README.md, between the `cohort-table` markers.
The committed files are compared with a fresh run by tests/demo/test_cohort.py, so they cannot drift.

Run: .venv/bin/python -m demo.cohort
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from demo.paths import COHORT_DIR, MANIFEST, ROOT
from hooks.lupus_nephritis_response.config import DEFAULT_CRITERIA_SET
from stories.scenarios import SCENARIOS
from stories.story import REFERENCE_TODAY, Scenario, Story

FIXTURES = ROOT / "cards_fixtures"
README = ROOT / "README.md"
TABLE_START = "<!-- cohort-table: written by `python -m demo.cohort` from the scenarios and their expected.json -->"
TABLE_END = "<!-- /cohort-table -->"

# The scenarios that become demo patients, in the order the launcher lists them. Scenarios that share a patient
# (the same story judged with another criteria set, or sent with another prefetch) are left to the golden tests:
# the demo runs one criteria set and always lets the service query the FHIR server.
COHORT: tuple[str, ...] = (
    "demo-refractory-7-months",  # refractory at 7 months: partial response not reached (criterion 2)
    "responder-complete-12-months",  # responder: complete response
    "partial-on-track-6-months",  # on-track partial response
    "no-improvement-4-months",  # refractory at 4 months: no improvement (criterion 1)
    "partial-no-complete-25-months",  # refractory at 25 months: no complete response (criterion 3), CYC then MMF
    "missing-baseline",  # cannot assess: no baseline proteinuria
    "no-ln-sle-only",  # SLE without nephritis: no card
    "inactive-ln-no-induction",  # inactive LN, no induction line: no card
    "si-units-mg-mmol-umol",  # UPCR in mg/mmol, creatinine in umol/L
    "urine-24h-protein",  # 24-hour urine protein instead of UPCR
    "aps-condition-flagged",  # antiphospholipid syndrome in the checklist
    "mmf-dose-below-target",  # MMF dose under target
    "preliminary-result-not-used",  # a preliminary result left out
    "entered-in-error-result-ignored",  # an entered-in-error result ignored
    "unknown-unit-skipped",  # a unit that cannot be converted: cannot assess
    # Next-line therapy stories: they join the cohort as soon as stories/scenarios.py has them (then rerun this).
    "therapy-class-iii-both-failed",
    "therapy-class-iv-v-both-failed",
    "therapy-cyc-only-failed",
    "therapy-mmf-only-failed",
    "therapy-post-rituximab-early-relapse",
    "therapy-pregnancy",
    "therapy-aps",
    "therapy-active-infection",
    "therapy-low-egfr-on-tacrolimus",
    "therapy-supportive-missing",
    "therapy-supportive-present",
    # Issue 10, H-safety: safety and kidney function whatever the response status
    "safety-pregnant-responder-mmf",  # pregnant responder still on mycophenolate: critical safety card first
    "kidney-adolescent-complete-responder",  # 15-year-old complete responder: no adult eGFR equation
    # Treatment lines as they are recorded (issue 10 section 2): stories/lines_scenarios.py.
    "lines-cyc-nih-administrations-only",  # pulse cyclophosphamide only as MedicationAdministration, no response
    "lines-euro-lupus-then-azathioprine",  # low-dose cyclophosphamide then azathioprine maintenance, no response
    "lines-relapse-after-cr-no-reinduction",  # relapse after complete response
)

# HL7 v3 ActReason HTEST, "test health data": marks every resource as synthetic wherever it ends up.
SYNTHETIC_TAG = {
    "system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
    "code": "HTEST",
    "display": "test health data",
}
Resource = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Member:
    """One demo patient: the scenario it comes from and the cards its golden fixture expects."""

    patient_id: str
    scenario: str
    service: str
    story: str
    expect: str
    cards: tuple[tuple[str, str], ...]  # (indicator, summary) in the order the service returns them

    def as_json(self) -> dict[str, Any]:
        """Returns the manifest entry."""
        return {
            "patientId": self.patient_id,
            "scenario": self.scenario,
            "service": self.service,
            "story": self.story,
            "expect": self.expect,
            "cards": [{"indicator": indicator, "summary": summary} for indicator, summary in self.cards],
        }


def fixture_folder(scenario: str, fixtures: Path = FIXTURES) -> Path | None:
    """Returns cards_fixtures/<service>/<scenario>/, whichever service it belongs to, or None."""
    found = sorted(p.parent for p in fixtures.glob(f"*/{scenario}/expected.json"))
    return found[0] if len(found) == 1 else None


def _why_left_out(sc: Scenario, story: Story, seen: set[str], folder: Path | None) -> str | None:
    if sc.prefetch != "full" or sc.fhir_failure is not None:
        return "tests a prefetch or FHIR failure mode, not a patient"
    if sc.settings:
        return f"needs settings {sc.settings}; the demo runs the defaults"
    if story.pid in seen:
        return f"patient {story.pid} is already in the cohort"
    if not story.data.get("patient"):
        return "the story has no Patient resource"
    if folder is None:
        return "no expected.json yet (run the golden tests with UPDATE_GOLDEN=1)"
    if json.loads((folder / "expected.json").read_text())["status"] != 200:
        return "its golden answer is an error, not cards"
    return None


def select(
    scenarios: Sequence[Scenario] = SCENARIOS, names: Iterable[str] = COHORT, fixtures: Path = FIXTURES
) -> tuple[list[tuple[Member, Story]], list[str]]:
    """Returns the cohort (members with their stories, in `names` order) and a note per name left out."""
    by_name = {sc.name: sc for sc in scenarios}
    members: list[tuple[Member, Story]] = []
    notes: list[str] = []
    seen: set[str] = set()
    for name in names:
        sc = by_name.get(name)
        if sc is None:
            notes.append(f"{name}: not in stories/scenarios.py (yet)")
            continue
        story = sc.build()
        folder = fixture_folder(name, fixtures)
        why = _why_left_out(sc, story, seen, folder)
        if why is not None or folder is None:
            notes.append(f"{name}: {why}")
            continue
        seen.add(story.pid)
        body = json.loads((folder / "expected.json").read_text())["body"]
        cards = tuple((card["indicator"], card["summary"]) for card in body.get("cards", []))
        members.append((Member(story.pid, name, folder.parent.name, sc.story, sc.expect, cards), story))
    return members, notes


def transaction(story: Story) -> Resource:
    """Returns the story's resources as a transaction Bundle of PUTs, Patient first, each tagged as test data."""
    resources: list[Resource] = []
    seen: set[tuple[str, str]] = set()
    for key in ["patient", *sorted(k for k in story.data if k != "patient")]:
        for resource in story.data.get(key, []):
            ident = (resource["resourceType"], resource["id"])
            if ident not in seen:
                seen.add(ident)
                resources.append(resource)
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": {**r, "meta": {**r.get("meta", {}), "tag": [SYNTHETIC_TAG]}},
                "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
            }
            for r in resources
        ],
    }


def manifest(members: Sequence[Member]) -> dict[str, Any]:
    """Returns the manifest: the pinned today and criteria set the expectations hold for, and every patient."""
    return {
        "today": REFERENCE_TODAY.isoformat(),
        "criteriaSet": DEFAULT_CRITERIA_SET,
        "patients": [m.as_json() for m in members],
    }


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def cohort_table(data: dict[str, Any]) -> str:
    """Returns the README's cohort table (markdown) for a manifest."""
    lines = [
        "| patient id | scenario: story | expected cards |",
        "|---|---|---|",
    ]
    for p in data["patients"]:
        cards = "<br>".join(f"{c['indicator']}: {_cell(c['summary'])}" for c in p["cards"]) or 'none (`{"cards": []}`)'
        lines.append(f"| `{p['patientId']}` | **{p['scenario']}**: {_cell(p['story'])} | {cards} |")
    return "\n".join(lines)


def readme_with_table(readme: str, table: str) -> str:
    """Returns `readme` with the text between the cohort-table markers replaced by `table`."""
    start, end = readme.find(TABLE_START), readme.find(TABLE_END)
    if start < 0 or end < start:
        raise ValueError(f"README.md has no cohort table markers ({TABLE_START} ... {TABLE_END})")
    return readme[: start + len(TABLE_START)] + "\n" + table + "\n" + readme[end:]


def dumps(obj: Any) -> str:
    """Returns JSON as the cohort files are written: two-space indent, UTF-8, a final newline."""
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def write(out_dir: Path = COHORT_DIR, manifest_path: Path = MANIFEST, readme_path: Path | None = README) -> list[str]:
    """Writes the cohort Bundles, the manifest and (when given) the README table; returns the notes."""
    members, notes = select()
    out_dir.mkdir(parents=True, exist_ok=True)
    keep = {f"{m.patient_id}.json" for m, _ in members}
    for stale in out_dir.glob("*.json"):
        if stale.name not in keep:
            stale.unlink()
    for member, story in members:
        (out_dir / f"{member.patient_id}.json").write_text(dumps(transaction(story)))
    data = manifest([m for m, _ in members])
    manifest_path.write_text(dumps(data))
    if readme_path is not None:
        readme_path.write_text(readme_with_table(readme_path.read_text(), cohort_table(data)))
    return notes


def main() -> None:
    """Rewrites the cohort and says which selected scenarios were left out, and why."""
    notes = write()
    for note in notes:
        sys.stderr.write(f"left out: {note}\n")
    sys.stdout.write(f"wrote {len(json.loads(MANIFEST.read_text())['patients'])} patients to {COHORT_DIR}\n")


if __name__ == "__main__":
    main()
