"""gunicorn server hooks: the metrics' multiprocess folder, and readiness turning false when a worker drains.

The shipped gunicorn configuration (gunicorn.conf.py, issue 11) takes them with one line:

    from service.gunicorn_hooks import child_exit, on_exit, on_starting, post_worker_init  # noqa: F401

The module is also a gunicorn configuration by itself, hooks only (`gunicorn -c python:service.gunicorn_hooks`),
which is how the two-worker metrics test runs it.

- `on_starting` (master, before any worker): PROMETHEUS_MULTIPROC_DIR is made ready. When set (the container sets
  it to an emptyDir), last run's files are removed (they would add old counts to new); when unset, a private
  temporary folder is made, set, and removed again by `on_exit`. Workers inherit the variable when forked.
- `child_exit` (master, a worker ended): its live gauges are dropped (prometheus_client's `mark_process_dead`);
  its counters and histograms stay in the sum, as Prometheus counters must.
- `post_worker_init` (each worker): SIGTERM first marks the process as draining (`service.health.DRAINING`, so
  `/readyz` answers 503 from then on) and then does what gunicorn's own handler does.

prometheus_client is imported only inside `child_exit`: had the master imported it before the variable was set,
forked workers would inherit its single-process value store and each `/metrics` answer would show one worker.
The app must not be preloaded in the master (`preload_app`) for the same reason.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Any

from service.health import DRAINING

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_made: list[Path] = []  # the folder on_starting made itself, removed by on_exit


def prepare_metrics_dir(environ: Any = os.environ) -> Path:
    """Returns the multiprocess folder, emptied of earlier runs' files; makes and sets one when none is set."""
    configured = environ.get(MULTIPROC_ENV)
    if not configured:
        path = Path(tempfile.mkdtemp(prefix="ln-cds-metrics-"))
        _made.append(path)
        environ[MULTIPROC_ENV] = str(path)
        return path
    path = Path(configured)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    return path


def on_starting(server: Any) -> None:
    """gunicorn hook: gets PROMETHEUS_MULTIPROC_DIR ready before the first worker is forked."""
    prepare_metrics_dir()


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn hook: drops a dead worker's live gauges from the metrics."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess  # see the module docstring: never at import

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]  # untyped in prometheus_client


def on_exit(server: Any) -> None:
    """gunicorn hook: removes the multiprocess folder if `on_starting` made it."""
    while _made:
        shutil.rmtree(_made.pop(), ignore_errors=True)


def post_worker_init(worker: Any) -> None:
    """gunicorn hook: on SIGTERM, readiness turns false before gunicorn's graceful stop begins."""
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum: int, frame: Any) -> None:
        DRAINING.start()
        if callable(previous):
            previous(signum, frame)

    signal.signal(signal.SIGTERM, on_term)
