"""Load-aware accept (service/serving.py, issue 14): a worker with requests on its threads waits a moment before
it accepts, so an idler worker takes the connection; an idle worker accepts at once. Without it, gthread let one
of two workers take all eight of a client's keep-alive connections while the other idled."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from gunicorn.workers.gthread import ThreadWorker

from service import serving
from service.serving import ACCEPT_YIELD_MAX_REQUESTS, ACCEPT_YIELD_STEP_SECONDS, DeadlineThreadWorker


class _Worker(DeadlineThreadWorker):  # type: ignore[misc]
    def __init__(self, workers: int = 2) -> None:  # no arbiter: only the counter and the accept path are exercised
        self.busy = 0
        self.cfg = SimpleNamespace(workers=workers)


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    waits: list[float] = []
    monkeypatch.setattr(serving.time, "sleep", waits.append)
    monkeypatch.setattr(ThreadWorker, "accept", lambda self, listener: None)
    monkeypatch.setattr(ThreadWorker, "enqueue_req", lambda self, conn: None)
    monkeypatch.setattr(ThreadWorker, "finish_request", lambda self, conn, fs: None)
    return waits


def test_an_idle_worker_accepts_at_once(slept: list[float]) -> None:
    _Worker().accept(object())
    assert slept == []


@pytest.mark.parametrize("busy", [1, 3, ACCEPT_YIELD_MAX_REQUESTS, 40])
def test_a_busy_worker_waits_a_moment_per_request_up_to_a_cap(slept: list[float], busy: int) -> None:
    worker = _Worker()
    worker.busy = busy
    worker.accept(object())
    assert slept == [pytest.approx(min(busy, ACCEPT_YIELD_MAX_REQUESTS) * ACCEPT_YIELD_STEP_SECONDS)]
    assert max(slept) <= 0.005  # never long: when every worker is busy the connection is still taken


def test_a_lone_worker_never_waits(slept: list[float]) -> None:
    worker = _Worker(workers=1)
    worker.busy = 8
    worker.accept(object())
    assert slept == []  # nobody else could take the connection


def test_the_busy_count_follows_requests_onto_and_off_the_threads(slept: list[float]) -> None:
    worker = _Worker()
    conns: list[Any] = [object(), object(), object()]
    for conn in conns:
        worker.enqueue_req(conn)
    assert worker.busy == 3
    for conn in conns[:2]:
        worker.finish_request(conn, None)
    assert worker.busy == 1
