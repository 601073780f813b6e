"""Adding a CDS service is its module, one registry line and one fixture folder: proven with `egfr-latest`.

The tiny service lives in `tests/service/egfr_latest.py`, its fixtures in `tests/cards_fixtures/egfr-latest/`,
and the line below registers it beside the real ones. Discovery, routing, its own CDS_* setting and the golden
comparison then work with no other change.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hooks import REGISTRY
from service.settings import SettingsError
from tests.golden_support import load_json, run_folder
from tests.service import egfr_latest
from tests.support import make_app

REGISTRY_WITH_EGFR = (*REGISTRY, egfr_latest.SPEC)  # the one registry line

FIXTURES = Path(__file__).resolve().parents[1] / "cards_fixtures" / "egfr-latest"
FOLDERS = sorted(p for p in FIXTURES.iterdir() if (p / "request.json").exists())


def test_discovery_lists_the_second_service_beside_the_first() -> None:
    body = make_app(registry=REGISTRY_WITH_EGFR).test_client().get("/cds-services").get_json()
    ids = [service["id"] for service in body["services"]]
    assert ids == ["lupus-nephritis-response", "egfr-latest"]
    [entry] = [s for s in body["services"] if s["id"] == "egfr-latest"]
    assert set(entry["prefetch"]) == {"patient", "kidneyFunction"}


def test_invoke_routes_to_the_second_service() -> None:
    request = load_json(FOLDERS[0] / "request.json")
    reply = make_app(registry=REGISTRY_WITH_EGFR).test_client().post("/cds-services/egfr-latest", json=request)
    assert reply.status_code == 200
    [card] = reply.get_json()["cards"]
    assert card["summary"].startswith("Latest eGFR ")


def test_its_own_setting_is_read_and_checked_at_startup() -> None:
    request = load_json(FOLDERS[0] / "request.json")
    app = make_app(registry=REGISTRY_WITH_EGFR, environ={"CDS_EGFR_LOW": "90"})
    [card] = app.test_client().post("/cds-services/egfr-latest", json=request).get_json()["cards"]
    assert card["indicator"] == "warning"
    with pytest.raises(SettingsError, match=r"^CDS_EGFR_LOW: "):
        make_app(registry=REGISTRY_WITH_EGFR, environ={"CDS_EGFR_LOW": "zero"})


def test_there_is_a_fixture_folder() -> None:
    assert FOLDERS


@pytest.mark.parametrize("folder", FOLDERS, ids=[p.name for p in FOLDERS])
def test_golden_response(folder: Path) -> None:
    assert run_folder(folder, REGISTRY_WITH_EGFR) == load_json(folder / "expected.json")
    assert "**Expected:**" in (folder / "README.md").read_text()
