"""Liveness and readiness as values: a registry of named readiness checks, and the process's drain flag (issue 13).

`GET /healthz` answers while the process can serve a request at all; `GET /readyz` runs every registered check and
answers 200 only when all pass. The app factory fills the registry (`service.ops.install_ops`): settings, trusted
keys and the drain flag today; the database joins with one line when the store lands (issue 12), e.g.
`readiness.add("database", lambda: check_migrated(store.engine))`.

A check is a callable that returns when all is well and raises otherwise. What the answer says of a failure is
the check's name and either a `CheckFailed` reason (fixed text written here) or the exception's class name: never
an exception message, which may hold a host name, a path or a password (the endpoint is unauthenticated).
Checks run on a small bounded pool with a time limit, so a hung database makes readiness false, not a held
request thread; at most POOL_THREADS threads exist per process, however many probes pile up.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_all
from dataclasses import dataclass

Check = Callable[[], None]

CHECK_TIMEOUT_SECONDS = 2.0  # a probe's whole answer; Kubernetes' default probe timeout is 1 s, ours is set to 3
POOL_THREADS = 2
_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,40}$")


class CheckFailed(Exception):
    """A readiness check failed for a reason safe to show anyone: a fixed text, no request or configuration value."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's outcome: its name, whether it passed, and what to show (`ok`, a reason or an error class)."""

    name: str
    ok: bool
    detail: str


class DrainFlag:
    """Set once, when the process starts to drain (SIGTERM under gunicorn); readiness is false from then on."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def start(self) -> None:
        """Marks the process as draining; it never serves as ready again."""
        self._event.set()

    @property
    def draining(self) -> bool:
        """Returns True once `start` was called."""
        return self._event.is_set()


# The process's own flag: a gunicorn worker sets it on SIGTERM (`service.gunicorn_hooks.post_worker_init`).
DRAINING = DrainFlag()


def not_draining(flag: DrainFlag) -> Check:
    """Returns a check that fails once `flag` is set."""

    def check() -> None:
        if flag.draining:
            raise CheckFailed("draining")

    return check


class Readiness:
    """The named checks `/readyz` runs, in the order they were added."""

    def __init__(self, timeout_seconds: float = CHECK_TIMEOUT_SECONDS) -> None:
        self._checks: dict[str, Check] = {}
        self._timeout = timeout_seconds
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def add(self, name: str, check: Check) -> None:
        """Registers `check` as `name` (lowercase, short); raises ValueError on a bad or repeated name."""
        if not _NAME.match(name):
            raise ValueError(f"readiness check name {name!r} must be lowercase letters, digits, - or _")
        if name in self._checks:
            raise ValueError(f"readiness check {name!r} is already registered")
        self._checks[name] = check

    @property
    def names(self) -> tuple[str, ...]:
        """Returns the registered check names, in order."""
        return tuple(self._checks)

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:  # made on first use: after gunicorn's fork, never in the master
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=POOL_THREADS, thread_name_prefix="readyz")
            return self._pool

    def run(self) -> list[CheckResult]:
        """Returns every check's result; one that has not finished within the time limit failed as `timeout`."""
        pool = self._executor()
        futures = {name: pool.submit(check) for name, check in self._checks.items()}
        wait_all(futures.values(), timeout=self._timeout)
        return [_result(name, future) for name, future in futures.items()]


def _result(name: str, future: Future[None]) -> CheckResult:
    if not future.done():
        future.cancel()  # still queued behind a hung check: it will not run
        return CheckResult(name, ok=False, detail="timeout")
    error = future.exception()
    if error is None:
        return CheckResult(name, ok=True, detail="ok")
    if isinstance(error, CheckFailed):
        return CheckResult(name, ok=False, detail=error.reason)
    return CheckResult(name, ok=False, detail=f"error: {type(error).__name__}")
