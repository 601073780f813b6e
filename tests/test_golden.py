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

import pytest

from tests.contract import check_discovery, check_operation_outcome, check_response
from tests.golden_support import FALLBACK_EXCLUDED, FALLBACK_FOLDERS, FOLDERS, ROOT, folder_id
from tests.golden_support import load_json as _load
from tests.golden_support import run_folder as _run
from tests.golden_support import run_folder_via_fallback as _run_via_fallback
from tests.support import make_app

UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


@pytest.fixture(params=FOLDERS, ids=[folder_id(p) for p in FOLDERS])
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


@pytest.mark.parametrize("fallback_folder", FALLBACK_FOLDERS, ids=[folder_id(p) for p in FALLBACK_FOLDERS])
def test_golden_response_is_the_same_on_the_fhir_fallback_path(fallback_folder: Path) -> None:
    """Every golden story with full prefetch gives the same answer when the service must fetch the same data."""
    expected = _load(fallback_folder / "expected.json")
    assert _run_via_fallback(fallback_folder) == expected


def test_every_golden_story_runs_on_both_paths_or_says_why_not() -> None:
    """A scenario left out of the fallback replay must be listed, with its reason, in FALLBACK_EXCLUDED."""
    replayed = {folder_id(p) for p in FALLBACK_FOLDERS}
    unstated = [folder_id(p) for p in FOLDERS if folder_id(p) not in replayed | set(FALLBACK_EXCLUDED)]
    assert unstated == []
    assert set(FALLBACK_EXCLUDED) <= {folder_id(p) for p in FOLDERS}  # no stale exclusion
    assert len(FALLBACK_FOLDERS) >= 30
