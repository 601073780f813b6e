"""`GET /charts/<id>`: the course chart a card links (issue 15, docs/chart.md), as image/svg+xml.

The id is the only key: 128-bit random, no patient data in the URL. The chart is patient data, so the answer is
never cached (no-store), never sniffed as another type, and its CSP forbids script, so an SVG opened on its own
cannot run anything. Unknown, expired and evicted ids are 404 with an OperationOutcome; the route needs no client
JWT (a browser follows the link, as it does an image in the card) -- the id is the capability.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from flask import Blueprint, Flask, Response, current_app

from service.errors import CdsError
from service.store.charts import ChartStore

CHARTS_KEY = "ln_cds_charts"
# A chart is stored on a background thread after the hook answers; a client that fetches it at once (the Sandbox
# renders the card's Markdown image immediately) may arrive first, so an unknown id is looked up again for up to
# WAIT_TRIES x WAIT_STEP_SECONDS before the 404.
WAIT_TRIES, WAIT_STEP_SECONDS = 5, 0.05
# token_urlsafe(16) gives 22 characters; tests' numbered ids are shorter. Anything else is no id we issued.
_CHART_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
CHART_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    # Inline style attributes only; no script, no external fetch, no framing by other sites.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; script-src 'none'; "
    "frame-ancestors 'self'",
    "Cross-Origin-Resource-Policy": "cross-origin",  # the EHR's page shows it as an <img> from another origin
}

bp = Blueprint("ln_cds_charts", __name__)


class ChartNotFound(CdsError):
    """No chart under this id: never issued, expired, or evicted."""

    status = 404
    issue_code = "not-found"


def install_charts(
    app: Flask, charts: ChartStore, clock: Callable[[], float] = time.time, *, written_later: bool = False
) -> None:
    """Keeps the chart store on the app and adds the chart route; `written_later`: charts are stored off the
    request path, so an unknown id is looked up again briefly before the 404."""
    app.extensions[CHARTS_KEY] = (charts, clock, WAIT_TRIES if written_later else 0)
    app.register_blueprint(bp)


@bp.get("/charts/<chart_id>")
def chart(chart_id: str) -> Response:
    """Returns the chart kept under `chart_id` as SVG; 404 when it is unknown or expired."""
    charts, clock, tries = current_app.extensions[CHARTS_KEY]
    svg = None
    if _CHART_ID.match(chart_id):
        svg = charts.get(chart_id, clock())
        for _ in range(tries if svg is None else 0):  # written off the request path: it may be a moment late
            time.sleep(WAIT_STEP_SECONDS)
            svg = charts.get(chart_id, clock())
            if svg is not None:
                break
    if svg is None:
        raise ChartNotFound("no chart under this id (charts are kept for a short time only)")
    return Response(svg, status=200, mimetype="image/svg+xml", headers=CHART_HEADERS)
