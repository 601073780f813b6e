"""Golden-file tests: every cards_fixtures/<service>/<scenario>/ folder is one clinical story run end to end.

For each folder: request.json goes through the real app (Flask test client); fhir.json, when present, lists the FHIR
calls the service must make (asserted with `responses`: URL, query parameters, bearer and Accept headers, and every
expected call must fire); settings.json pins today and the criteria set. The answer (status + body) is compared as
parsed JSON with uuids normalised to their order of appearance. UPDATE_GOLDEN=1 rewrites expected.json; review the
diff. Every response also passes the project's own CDS Hooks 2.0 contract checks.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
import responses
from responses import matchers

from hooks import REGISTRY
from tests.contract import check_discovery, check_operation_outcome, check_response
from tests.support import make_app

ROOT = Path(__file__).resolve().parent.parent / "cards_fixtures"
FOLDERS = sorted(p for p in ROOT.glob("*/*") if p.is_dir() and (p / "request.json").exists())
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"
SPECS = {spec.id: spec for spec in REGISTRY}


def _load(path: Path) -> Any:
    return json.loads(path.read_text())


def _normalise_uuids(body: Any) -> Any:
    """Returns `body` with card and suggestion uuids replaced by <uuid-N> in order of appearance."""
    seen: dict[str, str] = {}

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "uuid" and isinstance(value, str):
                    value = seen.setdefault(value, f"<uuid-{len(seen) + 1}>")
                out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(body)


def _fhir_url(base: str, template: str, patient_id: str) -> tuple[str, dict[str, str]]:
    """Returns the URL and query parameters the service must request for a prefetch template."""
    rendered = template.replace("{{context.patientId}}", patient_id)
    parts = urlsplit(rendered)
    return f"{base.rstrip('/')}/{parts.path}", dict(parse_qsl(parts.query))


def _register_fhir(rsps: responses.RequestsMock, folder: Path, request: dict[str, Any]) -> None:
    replies = _load(folder / "fhir.json") if (folder / "fhir.json").exists() else []
    if not replies:
        return
    spec = SPECS[folder.parent.name]
    token = request["fhirAuthorization"]["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    for reply in replies:
        url, params = _fhir_url(request["fhirServer"], spec.prefetch[reply["key"]], request["context"]["patientId"])
        match = [matchers.query_param_matcher(params), matchers.header_matcher(headers)]
        if reply.get("timeout"):
            rsps.get(url, body=requests.exceptions.ReadTimeout("synthetic timeout"), match=match)
        else:
            rsps.get(url, json=reply["body"], status=reply["status"], match=match)


def _run(folder: Path) -> dict[str, Any]:
    request = _load(folder / "request.json")
    settings = _load(folder / "settings.json") if (folder / "settings.json").exists() else {}
    client = make_app(**settings).test_client()
    # Any FHIR call not listed in fhir.json fails the test (RequestsMock refuses unregistered URLs).
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        _register_fhir(rsps, folder, request)
        reply = client.post(f"/cds-services/{folder.parent.name}", json=request)
    return {"status": reply.status_code, "body": _normalise_uuids(reply.get_json())}


@pytest.fixture(params=FOLDERS, ids=[f"{p.parent.name}/{p.name}" for p in FOLDERS])
def folder(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    return path


def test_there_are_golden_fixtures() -> None:
    assert len(FOLDERS) >= 20


def test_golden_response(folder: Path) -> None:
    actual = _run(folder)
    expected_path = folder / "expected.json"
    if UPDATE:
        expected_path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n")
    assert expected_path.exists(), f"no expected.json in {folder}: run with UPDATE_GOLDEN=1 and review"
    assert actual == _load(expected_path)
    if actual["status"] == 200:
        assert check_response(actual["body"]) == []
    else:
        assert check_operation_outcome(actual["body"]) == []


def test_every_fixture_has_a_readme_with_its_story(folder: Path) -> None:
    readme = (folder / "README.md").read_text()
    assert "**Expected:**" in readme


def test_discovery_matches_its_snapshot() -> None:
    body = make_app().test_client().get("/cds-services").get_json()
    snapshot = ROOT / "discovery.json"
    if UPDATE:
        snapshot.write_text(json.dumps(body, indent=2) + "\n")
    assert check_discovery(body) == []
    assert body == _load(snapshot)
