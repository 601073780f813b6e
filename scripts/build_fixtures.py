"""Writes the golden fixture inputs: cards_fixtures/lupus-nephritis-response/<scenario>/.

Each scenario is a short clinical story told as synthetic FHIR data (stories/), dated relative to the fixtures'
fixed "today" (stories.story.REFERENCE_TODAY). This script writes request.json, an optional fhir.json (canned FHIR
server replies for the fallback path), an optional settings.json and README.md. expected.json is written by the
golden test with UPDATE_GOLDEN=1 and reviewed by reading the diff.

Run: .venv/bin/python -m scripts.build_fixtures
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path
from typing import Any

from stories.fhir import Resource, searchset
from stories.scenarios import SCENARIOS
from stories.story import KEYS, REFERENCE_TODAY, Scenario, Story

SERVICE_ID = "lupus-nephritis-response"
ROOT = Path(__file__).resolve().parent.parent / "cards_fixtures" / SERVICE_ID
FHIR_BASE = "https://fhir.example.org/r4"
ACCESS_TOKEN = "synthetic-access-token-0001"


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
    if sc.prefetch not in ("omitted-no-server", "full-no-server"):
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


if __name__ == "__main__":
    write_all(SCENARIOS)
