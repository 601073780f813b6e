"""Installs, starts, loads and stops the demo FHIR server (demo/fhir-server/server.mjs, Medplum's router on Node).

Shared by the demo launcher and the integration tests, so both run the server the same way: `npm ci` from the
committed lockfile when node_modules is missing or was installed from another lockfile, then `node server.mjs`
on loopback, ready once it prints its `listening` line, then the cohort's transaction Bundles POSTed to its base.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import requests

SERVER_DIR = Path(__file__).resolve().parent / "fhir-server"
LOCKFILE = SERVER_DIR / "package-lock.json"
STAMP = SERVER_DIR / "node_modules" / ".ln-cds-installed"  # the lockfile hash node_modules was installed from
MIN_NODE = (20, 19)  # @medplum/* 4.5 engines: ^20.19.0 || >=22.12.0
INSTALL_TIMEOUT_S = 600
START_TIMEOUT_S = 60
FHIR_JSON = "application/fhir+json"


class FhirServerError(RuntimeError):
    """The demo FHIR server cannot be installed, started or loaded; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Toolchain:
    """Absolute paths of node and npm, and node's version."""

    node: str
    npm: str
    version: tuple[int, ...]


def toolchain() -> Toolchain:
    """Returns node and npm from PATH; raises FhirServerError naming what is missing or too old."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        missing = " and ".join(name for name, path in (("node", node), ("npm", npm)) if path is None)
        raise FhirServerError(
            f"{missing} not found on PATH: the demo FHIR server needs Node.js {MIN_NODE[0]}.{MIN_NODE[1]} or newer"
            " with npm (Debian: a Node.js 20 or 22 package with npm)"
        )
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=False, timeout=30)
    match = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)\s*", out.stdout)
    if out.returncode != 0 or match is None:
        raise FhirServerError(
            f"{node} --version failed; the demo FHIR server needs Node.js {MIN_NODE[0]}.{MIN_NODE[1]}+"
        )
    version = tuple(int(part) for part in match.groups())
    if version[:2] < MIN_NODE:
        raise FhirServerError(
            f"Node.js {out.stdout.strip()} is too old: the demo FHIR server needs {MIN_NODE[0]}.{MIN_NODE[1]} or newer"
        )
    return Toolchain(node, npm, version)


def _lock_hash() -> str:
    return hashlib.sha256(LOCKFILE.read_bytes()).hexdigest()


def is_installed() -> bool:
    """Returns True when node_modules was installed by `npm ci` from the current lockfile."""
    return STAMP.exists() and STAMP.read_text().strip() == _lock_hash()


def install(tools: Toolchain, log: IO[str] | None = None) -> bool:
    """Runs `npm ci` unless node_modules matches the lockfile; returns True when it ran.

    A file lock keeps two runs in one work tree (a demo and a test session, say) from installing at once.
    """
    if is_installed():
        return False
    with open(SERVER_DIR / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_installed():  # installed by whoever held the lock
            return False
        done = subprocess.run(
            [tools.npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
            cwd=SERVER_DIR,
            stdout=log if log is not None else subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
            timeout=INSTALL_TIMEOUT_S,
        )
        if done.returncode != 0:
            tail = (done.stdout or "")[-2000:]
            raise FhirServerError(f"npm ci failed in {SERVER_DIR} (exit {done.returncode}).\n{tail}")
        STAMP.write_text(_lock_hash() + "\n")
    return True


@dataclass
class RunningServer:
    """A started `node server.mjs`: its process, FHIR base URL and log file."""

    process: subprocess.Popen[bytes]
    base: str
    log_path: Path
    _log: IO[bytes] = field(repr=False)

    def stop(self, timeout: float = 10) -> int:
        """Stops the server (SIGTERM, then SIGKILL after `timeout` seconds); returns its exit code."""
        try:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(timeout)
            return self.process.returncode
        finally:
            self._log.close()


def log_tail(path: Path, lines: int = 20) -> str:
    """Returns the last `lines` lines of a log file (empty if it does not exist)."""
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _listening_base(path: Path) -> str | None:
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{") and '"listening"' in line:
            event: dict[str, Any] = json.loads(line)
            return str(event["base"])
    return None


def start(tools: Toolchain, port: int, log_path: Path, *, log_requests: bool = True) -> RunningServer:
    """Returns the started server on 127.0.0.1:`port` (0 = any free port), once it listens.

    Its stdout and stderr go to `log_path`; raises FhirServerError (with the log's tail) if it exits or does not
    listen within START_TIMEOUT_S.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    log = open(log_path, "wb")  # closed by RunningServer.stop, which owns it
    env = {**os.environ, "FHIR_PORT": str(port), "FHIR_LOG": "on" if log_requests else "off"}
    process = subprocess.Popen(
        [tools.node, str(SERVER_DIR / "server.mjs")], cwd=SERVER_DIR, env=env, stdout=log, stderr=log
    )
    server = RunningServer(process, "", log_path, log)
    try:
        server.base = _wait_listening(process, log_path)
    except BaseException:  # including Ctrl-C while waiting: never leave the child behind
        server.stop()
        raise
    return server


def _wait_listening(process: subprocess.Popen[bytes], log_path: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        base = _listening_base(log_path)
        if base is not None:
            return base
        if process.poll() is not None:
            raise FhirServerError(f"the FHIR server exited with {process.returncode}:\n{log_tail(log_path)}")
        time.sleep(0.05)
    raise FhirServerError(f"the FHIR server did not listen within {START_TIMEOUT_S} s:\n{log_tail(log_path)}")


def load(base: str, bundles: Iterable[Path], session: requests.Session) -> int:
    """POSTs each transaction Bundle to `base`; returns how many resources were stored. Loading twice is harmless."""
    stored = 0
    for path in bundles:
        reply = session.post(
            base, data=path.read_bytes(), headers={"Content-Type": FHIR_JSON, "Accept": FHIR_JSON}, timeout=60
        )
        body = reply.json() if reply.headers.get("Content-Type", "").startswith(FHIR_JSON) else {}
        statuses = [e.get("response", {}).get("status", "") for e in body.get("entry", [])]
        if (
            reply.status_code != 200
            or body.get("type") != "transaction-response"
            or not all(s.startswith("20") for s in statuses)
        ):
            raise FhirServerError(f"loading {path.name} failed: HTTP {reply.status_code}")
        stored += len(statuses)
    return stored


@contextlib.contextmanager
def running(port: int, log_path: Path, bundles: Iterable[Path], *, log_requests: bool = True) -> Iterator[str]:
    """Yields the base URL of an installed, started and loaded server, and stops it afterwards."""
    tools = toolchain()
    install(tools)
    server = start(tools, port, log_path, log_requests=log_requests)
    try:
        with requests.Session() as session:
            load(server.base, bundles, session)
        yield server.base
    finally:
        server.stop()
