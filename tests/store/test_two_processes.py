"""Two service processes (gunicorn, one worker each) on two loopback ports over one database, on SQLite and on
PostgreSQL: a client token replayed from one to the other is refused, and feedback posted to both counts once."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from sqlalchemy import Engine

from service.store.store import Store
from tests.store.support import SERVICE_ID, hook_request, override

ISSUER = "https://ehr.example.org"
PUBLIC_URL = "https://cds.example.org"  # both processes are one service behind one name
KID = "two-process-key"
START_SECONDS = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextmanager
def _serving(env: dict[str, str], log: Path) -> Iterator[str]:
    port = _free_port()
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    argv = [gunicorn, "-b", f"127.0.0.1:{port}", "-w", "1", "service.app:create_app()"]
    with log.open("wb") as out:
        process = subprocess.Popen(argv, env={**env, "CDS_PORT": str(port)}, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"the service process exited: {log.read_text()[-2000:]}")
            try:
                if requests.get(f"{base}/cds-services", timeout=1).status_code == 200:
                    break
            except requests.RequestException:  # refused, or accepted before the worker has booted
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the service did not start within {START_SECONDS} s: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def servers(engine: Engine, tmp_path: Path) -> Iterator[tuple[list[str], ec.EllipticCurvePrivateKey]]:
    key = ec.generate_private_key(ec.SECP384R1())
    jwk = {**ECAlgorithm.to_jwk(key.public_key(), as_dict=True), "kid": KID, "alg": "ES384", "use": "sig"}
    issuers = tmp_path / "trusted-issuers.json"
    issuers.write_text(json.dumps({ISSUER: {"jwks": {"keys": [jwk]}}}))
    env = {
        "PATH": os.environ.get("PATH", ""),
        "CDS_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "CDS_AUTH": "jwt",
        "CDS_TRUSTED_ISSUERS": str(issuers),
        "CDS_PUBLIC_URL": PUBLIC_URL,
        "CDS_TODAY": "2026-06-15",
        "CDS_LOG_LEVEL": "WARNING",
    }
    with ExitStack() as stack:
        bases = [stack.enter_context(_serving(env, tmp_path / f"service-{n}.log")) for n in (1, 2)]
        yield bases, key


def _token(key: ec.EllipticCurvePrivateKey, audience: str) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {"iss": ISSUER, "aud": audience, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())}
    return jwt.encode(claims, key, algorithm="ES384", headers={"kid": KID, "typ": "JWT"})


def test_two_processes_share_replay_protection_and_count_feedback_once(
    servers: tuple[list[str], ec.EllipticCurvePrivateKey], store: Store
) -> None:
    (first, second), key = servers
    service_url = f"{PUBLIC_URL}/cds-services/{SERVICE_ID}"
    token = _token(key, service_url)
    headers = {"Authorization": f"Bearer {token}"}
    issued = requests.post(f"{first}/cds-services/{SERVICE_ID}", json=hook_request(), headers=headers, timeout=30)
    assert issued.status_code == 200
    replayed = requests.post(f"{second}/cds-services/{SERVICE_ID}", json=hook_request(), headers=headers, timeout=30)
    assert replayed.status_code == 401
    card = issued.json()["cards"][0]["uuid"]
    body = {"feedback": [override(card)]}
    for base in (first, second, first):
        auth = {"Authorization": f"Bearer {_token(key, service_url + '/feedback')}"}
        reply = requests.post(f"{base}/cds-services/{SERVICE_ID}/feedback", json=body, headers=auth, timeout=30)
        assert reply.status_code == 200
    assert store.count("feedback") == 1
    assert store.count("issued_card") == len(issued.json()["cards"])
