"""The golden-fixture machinery, shared by tests/test_golden.py and the PHI-in-logs check of tests/security/.

A fixture folder is `cards_fixtures/<service>/<scenario>/` with request.json, optional fhir.json (the FHIR calls
the service must make, served and asserted with `responses`) and optional settings.json (today, criteria set).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
import responses
from responses import matchers

from hooks import REGISTRY
from hooks.spec import CdsServiceSpec
from tests.support import make_app

ROOT = Path(__file__).resolve().parent.parent / "cards_fixtures"
FOLDERS = sorted(p for p in ROOT.glob("*/*") if p.is_dir() and (p / "request.json").exists())
SPECS = {spec.id: spec for spec in REGISTRY}


def load_json(path: Path) -> Any:
    return json.loads(path.read_text())


def folder_id(folder: Path) -> str:
    """Returns `<service>/<scenario>`, the test id of a fixture folder."""
    return f"{folder.parent.name}/{folder.name}"


def normalise_uuids(body: Any) -> Any:
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


def fhir_url(base: str, template: str, patient_id: str) -> tuple[str, dict[str, str]]:
    """Returns the URL and query parameters the service must request for a prefetch template."""
    rendered = template.replace("{{context.patientId}}", patient_id)
    parts = urlsplit(rendered)
    return f"{base.rstrip('/')}/{parts.path}", dict(parse_qsl(parts.query))


def register_fhir(
    rsps: responses.RequestsMock,
    folder: Path,
    request: dict[str, Any],
    registry: Sequence[CdsServiceSpec[Any]] = REGISTRY,
) -> None:
    """Registers the folder's fhir.json replies, each matched on URL, query, bearer and Accept."""
    replies = load_json(folder / "fhir.json") if (folder / "fhir.json").exists() else []
    if not replies:
        return
    spec = {spec.id: spec for spec in registry}[folder.parent.name]
    token = request["fhirAuthorization"]["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    for reply in replies:
        url, params = fhir_url(request["fhirServer"], spec.prefetch[reply["key"]], request["context"]["patientId"])
        match = [matchers.query_param_matcher(params), matchers.header_matcher(headers)]
        if reply.get("timeout"):
            rsps.get(url, body=requests.exceptions.ReadTimeout("synthetic timeout"), match=match)
        else:
            rsps.get(url, json=reply["body"], status=reply["status"], match=match)


def run_folder(folder: Path, registry: Sequence[CdsServiceSpec[Any]] = REGISTRY) -> dict[str, Any]:
    """Returns {status, body} of the folder's request through the real app over `registry`, uuids normalised.

    Any FHIR call not listed in fhir.json fails (RequestsMock refuses unregistered URLs), and so does a listed
    call that never fired.
    """
    request = load_json(folder / "request.json")
    settings = load_json(folder / "settings.json") if (folder / "settings.json").exists() else {}
    client = make_app(**settings, registry=registry).test_client()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        register_fhir(rsps, folder, request, registry)
        reply = client.post(f"/cds-services/{folder.parent.name}", json=request)
    return {"status": reply.status_code, "body": normalise_uuids(reply.get_json())}
