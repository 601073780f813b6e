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


def run_folder(
    folder: Path, registry: Sequence[CdsServiceSpec[Any]] = REGISTRY, language: str | None = None
) -> dict[str, Any]:
    """Returns {status, body} of the folder's request through the real app over `registry`, uuids normalised;
    `language` sets the site's CDS_LANGUAGE (the Spanish goldens, expected.es.json).

    Any FHIR call not listed in fhir.json fails (RequestsMock refuses unregistered URLs), and so does a listed
    call that never fired.
    """
    request = load_json(folder / "request.json")
    settings = load_json(folder / "settings.json") if (folder / "settings.json").exists() else {}
    if language is not None:
        settings = {**settings, "language": language}
    client = make_app(**settings, registry=registry).test_client()
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        register_fhir(rsps, folder, request, registry)
        reply = client.post(f"/cds-services/{folder.parent.name}", json=request)
    return {"status": reply.status_code, "body": normalise_uuids(reply.get_json())}


# Golden scenarios NOT replayed on the FHIR-fallback path, each with its reason: they are about prefetch semantics
# themselves (or already are the fallback path), so "the same data without prefetch" is not the same story.
FALLBACK_EXCLUDED: dict[str, str] = {
    "lupus-nephritis-response/fhir-server-500": "already the fallback path: the server's failure is the story",
    "lupus-nephritis-response/fhir-server-timeout": "already the fallback path: the server's timeout is the story",
    "lupus-nephritis-response/null-prefetch": "null means 'no data, do not fetch': the prefetch is the story",
    "lupus-nephritis-response/omitted-prefetch-fhir-fallback": "already the fallback path (fhir.json)",
    "lupus-nephritis-response/lines-cyc-nih-administrations-fallback": "already the fallback path (fhir.json)",
    "lupus-nephritis-response/omitted-prefetch-no-fhir-server": "no fhirServer: the 412 is the story",
    "lupus-nephritis-response/operation-outcome-in-prefetch": "the OperationOutcome in prefetch is the story",
    "lupus-nephritis-response/review-preg-mmf-foreign-administration-only": (
        "no fhirServer: a prefetch key holding only another patient's entry is the story"
    ),
    "lupus-nephritis-response/review-foreign-administration-only-responder": (
        "no fhirServer: a prefetch key holding only another patient's entry is the story"
    ),
}


def has_full_prefetch(request: dict[str, Any], spec: CdsServiceSpec[Any]) -> bool:
    """Returns True when every prefetch key of `spec` is given as data (no null, no OperationOutcome) and the
    request names a fhirServer, so the same data can be served from canned FHIR replies instead."""
    prefetch = request.get("prefetch")
    if not isinstance(prefetch, dict) or "fhirServer" not in request:
        return False
    for key in spec.prefetch:
        value = prefetch.get(key)
        if not isinstance(value, dict) or value.get("resourceType") == "OperationOutcome":
            return False
    return True


FALLBACK_FOLDERS = [
    folder
    for folder in FOLDERS
    if folder_id(folder) not in FALLBACK_EXCLUDED
    and folder.parent.name in SPECS
    and has_full_prefetch(load_json(folder / "request.json"), SPECS[folder.parent.name])
]


def run_folder_via_fallback(folder: Path) -> dict[str, Any]:
    """Returns {status, body} of the folder's request with its prefetch stripped, the same resources served by the
    FHIR server (one canned reply per prefetch key, matched on the query the service must send, with the patient
    filter, the bearer and Accept), uuids normalised. Nothing else may be asked for; the gate keys must always be
    asked for, and every key whenever cards come back (out of scope, the other keys are rightly never fetched)."""
    request = load_json(folder / "request.json")
    settings = load_json(folder / "settings.json") if (folder / "settings.json").exists() else {}
    spec = SPECS[folder.parent.name]
    prefetch = request.pop("prefetch")
    token = request["fhirAuthorization"]["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    client = make_app(**settings).test_client()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        replies = {}
        for key, template in spec.prefetch.items():
            url, params = fhir_url(request["fhirServer"], template, request["context"]["patientId"])
            match = [matchers.query_param_matcher(params), matchers.header_matcher(headers)]
            replies[key] = rsps.get(url, json=prefetch[key], status=200, match=match)
        reply = client.post(f"/cds-services/{folder.parent.name}", json=request)
    must_fire = spec.prefetch if (reply.get_json() or {}).get("cards") else spec.gate_keys
    unfired = [key for key in must_fire if replies[key].call_count != 1]
    if unfired:
        raise AssertionError(f"expected FHIR calls not made exactly once: {unfired}")
    return {"status": reply.status_code, "body": normalise_uuids(reply.get_json())}
