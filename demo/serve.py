"""`python -m demo.serve` (what `make serve` runs): the service alone with gunicorn on loopback, today pinned.

Today is the demo data's reference date. It prints the discovery URL and a ready `curl` that fires patient-view
for the synthetic demo patient, then replaces itself with gunicorn (`os.execv`), so Ctrl-C stops the server
directly. Never the Flask dev server, never `debug=True`, never 0.0.0.0 unless CDS_HOST asks for it.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from pathlib import Path

from demo import store as demo_store
from service.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = Path("cards_fixtures/lupus-nephritis-response/demo-refractory-7-months")
DEMO_TODAY = "2026-06-15"  # the fixtures' reference date, used when the demo folder's settings.json is absent
SERVICE_ID = "lupus-nephritis-response"


def demo_today() -> str:
    """Returns the demo scenario's pinned today (its settings.json, else the fixtures' reference date)."""
    settings = ROOT / DEMO_DIR / "settings.json"
    if settings.exists():
        today = json.loads(settings.read_text()).get("today")
        if isinstance(today, str):
            return today
    return DEMO_TODAY


def instructions(host: str, port: int) -> str:
    """Returns the text printed before the server starts: discovery URL and a curl for the demo request."""
    base = f"http://{host}:{port}"
    curl = (
        f"curl -s -X POST -H 'Content-Type: application/json' --data @{shlex.quote(str(DEMO_DIR / 'request.json'))}"
        f" {base}/cds-services/{SERVICE_ID} | python3 -m json.tool"
    )
    return "\n".join(
        [
            f"CDS Hooks discovery: {base}/cds-services",
            f"Demo patient-view call (today pinned to {os.environ.get('CDS_TODAY', demo_today())}):",
            f"  {curl}",
            "Stop with Ctrl-C.",
        ]
    )


GUNICORN_CONF = ROOT / "gunicorn.conf.py"  # the one serving configuration (docs/serving.md)


def gunicorn_argv() -> list[str]:
    """Returns the gunicorn command line: the venv's gunicorn with the repository's gunicorn.conf.py.

    Address, workers, limits and the access log all come from that file, which reads the same CDS_* environment
    as the app (CDS_HOST, CDS_PORT, CDS_WORKERS, ...): `make serve`, `make demo` and `make soak` run alike.
    """
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    return [gunicorn, "-c", str(GUNICORN_CONF)]


def main() -> None:
    """Prints how to call the demo, then execs gunicorn serving `service.app:create_app()`."""
    os.environ.setdefault("CDS_TODAY", demo_today())
    # The demo is called by curl and the Sandbox without a client JWT, on loopback (docs/security.md).
    os.environ.setdefault("CDS_AUTH", "open")
    settings = Settings.from_env()  # fail here, with the variable named, rather than in every worker
    database = demo_store.prepare(settings)  # the service refuses to start on an unapplied migration
    sys.stdout.write(instructions(settings.host, settings.port) + "\n" + demo_store.how_to_look(database) + "\n")
    sys.stdout.flush()
    os.chdir(ROOT)
    argv = gunicorn_argv()
    os.execv(argv[0], argv)  # noqa: S606 -- fixed argv (no shell); the venv's own gunicorn replaces this process


if __name__ == "__main__":
    main()
