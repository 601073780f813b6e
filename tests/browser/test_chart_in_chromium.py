"""The course chart a response card links opens in headless Chromium (issue 15): the SVG renders with its two
series and labelled axes, and a screenshot is kept under .artifacts/ for a person to look at.

Chromium is Debian's (`make test` installs it: scripts/install-chromium.sh), driven by playwright with the system
executable. Outside CI a machine without chromium skips with the reason; in CI (CI set) a missing browser fails.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.support import make_app

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "cards_fixtures" / "lupus-nephritis-response"
ARTIFACTS = ROOT / ".artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CASES = {
    "responder": "lines-euro-lupus-then-mmf-responder",
    "refractory": "demo-refractory-7-months",
    "relapse": "lines-relapse-after-cr-no-reinduction",
}

if CHROMIUM is None:
    if os.environ.get("CI"):
        pytest.fail("chromium is missing in CI: scripts/install-chromium.sh must install it", pytrace=False)
    pytest.skip("chromium is not installed (run scripts/install-chromium.sh as root)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def _serve(folder: Path) -> tuple[Any, str, dict[str, Any]]:
    settings = json.loads((folder / "settings.json").read_text())
    server = make_server("127.0.0.1", 0, make_app(**settings), threaded=True)
    base = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, base, settings


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_linked_chart_renders_in_chromium(browser: Any, case: str) -> None:
    folder = FIXTURES / CASES[case]
    server, base, _ = _serve(folder)
    try:
        page = browser.new_page(viewport={"width": 780, "height": 480})
        reply = page.request.post(
            f"{base}/cds-services/lupus-nephritis-response",
            data=(folder / "request.json").read_text(),
            headers={"Content-Type": "application/json"},
        )
        card = reply.json()["cards"][0]
        link = next(link for link in card["links"] if link["label"] == "Proteinuria and kidney function chart")
        assert link["type"] == "absolute"
        assert f"({link['url']})" in card["detail"]  # the Markdown image
        path = link["url"].split("/charts/", 1)[1]
        response = page.goto(f"{base}/charts/{path}")
        assert response is not None
        assert response.status == 200
        assert response.headers["content-type"].startswith("image/svg+xml")
        assert response.headers["cache-control"] == "no-store"
        assert page.locator("svg g.series").count() == 2
        assert page.locator("svg > title").text_content() == "Proteinuria and kidney function chart"
        texts = page.locator("svg text").all_text_contents()
        assert "UPCR (g/g)" in texts
        assert "eGFR (mL/min/1.73 m²)" in texts
        box = page.locator("svg").bounding_box()
        assert box is not None
        assert box["width"] > 700
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"chart-{case}.png"))
        page.close()
    finally:
        server.shutdown()
