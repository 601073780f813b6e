"""Under gunicorn with two workers, GET /metrics sums every worker's values, and a dead worker's counts stay in.

The server is the real app under gunicorn on 127.0.0.1 (a free port), configured by `service.gunicorn_hooks`
alone; every wait is bounded and the server is stopped whatever happens.
"""

from __future__ import annotations

import os
import runpy
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from service.store.engine import open_engine, upgrade

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "lupus-nephritis-response"
REQUEST = ROOT / "cards_fixtures" / SERVICE / "demo-refractory-7-months" / "request.json"
CALLS = 24
BOOT_SECONDS = 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(predicate: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:  # refused before the bind, or accepted while no worker is up yet
        return False


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    port = _free_port()
    metrics_dir = tmp_path / "metrics"
    database = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    upgrade(open_engine(database))  # the app refuses to start on an unmigrated store
    env = {
        "CDS_DATABASE_URL": database,
        **os.environ,
        "CDS_AUTH": "open",
        "CDS_TODAY": "2026-06-15",
        "CDS_PORT": str(port),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
    }
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    argv = [gunicorn, "-c", "python:service.gunicorn_hooks", "-w", "2", "-b", f"127.0.0.1:{port}"]
    argv += ["service.app:create_app()"]
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: proc.poll() is None and _answers(f"{base}/healthz"), BOOT_SECONDS, "gunicorn to answer")
        yield base, metrics_dir, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _hook_calls(base: str) -> float:
    text = requests.get(f"{base}/metrics", timeout=5).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "ln_cds_hook_calls_total" and sample.labels.get("service") == SERVICE
    )


def _worker_pids(metrics_dir: Path) -> set[int]:
    return {int(path.stem.rsplit("_", 1)[1]) for path in metrics_dir.glob("counter_*.db")}


def test_metrics_add_up_across_two_workers_and_survive_a_dead_worker(
    server: tuple[str, Path, subprocess.Popen[bytes]],
) -> None:
    base, metrics_dir, _ = server
    body = REQUEST.read_bytes()
    headers = {"Content-Type": "application/json"}
    # A sync worker reads the body as the app asks for it: a call whose body is held back keeps one worker busy,
    # so the calls sent meanwhile all go to the other, and both workers have counted calls.
    port = int(base.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=20) as held:
        head = f"POST /cds-services/{SERVICE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        held.sendall(f"{head}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body[:10])
        time.sleep(0.5)  # a worker has accepted it and waits for the rest

        def call(_: int) -> int:
            with requests.Session() as session:
                reply = session.post(f"{base}/cds-services/{SERVICE}", data=body, headers=headers, timeout=20)
                return reply.status_code

        with ThreadPoolExecutor(max_workers=2) as pool:
            statuses = list(pool.map(call, range(CALLS - 1)))
        held.sendall(body[10:])
        held_status = held.recv(64).split(b" ", 2)[1]
    assert statuses == [200] * (CALLS - 1)
    assert held_status == b"200"
    pids = _worker_pids(metrics_dir)
    assert len(pids) == 2, "both workers should have served calls (and written their own files)"
    # Whichever worker answers, it reports all calls: ask several times.
    assert {_hook_calls(base) for _ in range(6)} == {CALLS}

    os.kill(min(pids), signal.SIGKILL)  # gunicorn reaps it (child_exit) and starts another
    _wait_for(lambda: _answers(f"{base}/healthz"), 20, "the workers to answer again")
    assert _hook_calls(base) == CALLS  # counters of a dead worker stay in the sum


def test_sigterm_marks_a_worker_as_draining_before_gunicorns_own_handler_runs() -> None:
    script = (
        "import os, signal\n"
        "from service import gunicorn_hooks\n"
        "from service.health import DRAINING\n"
        "seen = []\n"
        "signal.signal(signal.SIGTERM, lambda s, f: seen.append(DRAINING.draining))\n"
        "gunicorn_hooks.post_worker_init(None)\n"
        "os.kill(os.getpid(), signal.SIGTERM)\n"
        "print(seen, DRAINING.draining)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True)  # noqa: S603
    assert out.stdout.strip() == "[True] True"


def test_the_master_never_imports_prometheus_client_before_the_folder_is_set(tmp_path: Path) -> None:
    script = (
        "import os, sys, runpy\n"
        "runpy.run_path('gunicorn.conf.py')\n"  # what the master loads: the configuration and the worker class
        "import service.serving\n"
        "from service import gunicorn_hooks\n"
        "gunicorn_hooks.on_starting(None)\n"
        "print('prometheus_client' in sys.modules, os.path.isdir(os.environ['PROMETHEUS_MULTIPROC_DIR']))\n"
        "gunicorn_hooks.on_exit(None)\n"
        "print(os.path.exists(os.environ['PROMETHEUS_MULTIPROC_DIR']))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PROMETHEUS_MULTIPROC_DIR"}
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=30, check=True, env=env, cwd=ROOT
    )
    assert out.stdout.split() == ["False", "True", "False"]


def test_a_configured_folder_is_emptied_of_last_runs_files(tmp_path: Path) -> None:
    from service.gunicorn_hooks import prepare_metrics_dir

    (tmp_path / "counter_123.db").write_bytes(b"old")
    (tmp_path / "keep.txt").write_text("not ours")
    environ = {"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    assert prepare_metrics_dir(environ) == tmp_path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_the_shipped_gunicorn_configuration_uses_these_hooks() -> None:
    from service import gunicorn_hooks

    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    for hook in ("on_starting", "child_exit", "on_exit", "post_worker_init"):
        assert config[hook] is getattr(gunicorn_hooks, hook), hook
    assert not config.get("preload_app", False)  # see service.gunicorn_hooks: never preload
