"""Soak: the service under gunicorn on loopback, fed mixed valid, invalid and FHIR-failing calls for a fixed time.

In one process: a misbehaving FHIR server over https on 127.0.0.1 (ln_testing/fhir_stub.py, a self-signed
certificate made at run time and trusted through REQUESTS_CA_BUNDLE), a client key pair made at run time and
trusted through a temporary CDS_TRUSTED_ISSUERS file (so CDS_AUTH=jwt, the default, is exercised: a fresh token
per call, replays, bad tokens), gunicorn (2 gthread workers x 4 threads) on a free 127.0.0.1 port, and N client
threads for S seconds. Nothing binds or calls anything but 127.0.0.1; nothing it makes outlives the run.

Report: requests by category and status, client-side errors, latency, 5xx per category, "unhandled" lines in the
service log, and each worker's RSS at start and end. Exit status 1 when a valid or invalid call got a 5xx (or
any call did), or when a call failed on the client side.

Run: make soak   (or .venv/bin/python -m bench.soak --seconds 60 --concurrency 8)
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import json
import os
import random
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jwt
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm

from ln_testing import fhir_stub

ROOT = Path(__file__).resolve().parent.parent
SERVICE = "lupus-nephritis-response"
FIXTURES = ROOT / "cards_fixtures" / SERVICE
ISSUER = "https://soak-client.example.org"
KID = "soak-es384"
BUDGET_SECONDS = "2"  # CDS_CALL_BUDGET_SECONDS for the run: failing FHIR servers cost at most this per call
MAX_REQUESTS = 200_000  # a hard stop besides the clock


# --- run-time key material (never written outside the temporary directory) ----------------------------------------


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=2))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fhir-cert.pem", folder / "fhir-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


@dataclass
class Client:
    """The soak's CDS client identity: signs a fresh ES384 token per call."""

    public_url: str
    key: Any = field(default_factory=lambda: ec.generate_private_key(ec.SECP384R1()))

    def trust_file(self, folder: Path) -> Path:
        jwk = {**ECAlgorithm.to_jwk(self.key.public_key(), as_dict=True), "kid": KID, "alg": "ES384", "use": "sig"}
        path = folder / "trusted-issuers.json"
        path.write_text(json.dumps({ISSUER: {"jwks": {"keys": [jwk]}}}))
        return path

    def token(self, path: str, **over: Any) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": f"{self.public_url}{path}", "iat": now, "exp": now + 300}
        claims |= {"jti": str(uuid.uuid4()), **over}
        return jwt.encode(claims, self.key, algorithm="ES384", headers={"kid": KID, "typ": "JWT"})


# --- the misbehaving FHIR server --------------------------------------------------------------------------------------

FAILURES: dict[str, fhir_stub.Behaviour] = {
    "fail500": fhir_stub.json_reply({"resourceType": "OperationOutcome"}, status=500),
    "fail401": fhir_stub.json_reply({"resourceType": "OperationOutcome"}, status=401),
    "fail429": fhir_stub.reply(429, b"", Retry_After="1"),
    "slow": fhir_stub.stall(5),
    "drip": fhir_stub.drip(0.05),
    "badjson": fhir_stub.reply(200, b"{not json"),
    "notsearchset": fhir_stub.json_reply({"resourceType": "Bundle", "type": "collection"}),
    "huge": fhir_stub.json_reply(fhir_stub.searchset(5000)),
    "redirect": fhir_stub.reply(302, b"", Location="https://127.0.0.1:9/elsewhere"),
}


def _dispatch(stub: fhir_stub.StubFhir) -> fhir_stub.Behaviour:
    """Returns the behaviour that picks a failure by the first path segment; /ok/ is a healthy, empty server."""

    def run(h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path).path.strip("/").split("/")
        mode = parts[0]
        if mode == "loop":
            fhir_stub.json_reply(fhir_stub.searchset(1, next_url=f"{stub.origin}/loop/page"))(h)
        elif mode == "ok" and len(parts) == 3:  # an instance read such as Patient/<id>
            fhir_stub.json_reply({"resourceType": parts[1], "id": parts[2]})(h)
        else:
            FAILURES.get(mode, fhir_stub.json_reply(fhir_stub.searchset()))(h)

    return run


# --- the request mix --------------------------------------------------------------------------------------------------


def _golden(name: str) -> dict[str, Any]:
    request: dict[str, Any] = json.loads((FIXTURES / name / "request.json").read_text())
    return request


JSON = {"Content-Type": "application/json"}
BAD_BUNDLE = {"resourceType": "Bundle", "entry": 5}
VALID = [_golden(n) for n in ("demo-refractory-7-months", "responder-complete-12-months", "no-ln-sle-only")]
FALLBACK = _golden("omitted-prefetch-fhir-fallback")


@dataclass(frozen=True)
class Call:
    category: str  # valid | invalid | fhir-failing | auth-invalid | replay
    path: str
    body: bytes
    headers: dict[str, str]


def _json_call(category: str, client: Client, path: str, body: Any, **token_claims: Any) -> Call:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {client.token(path, **token_claims)}"}
    return Call(category, path, json.dumps(body).encode(), headers)


def _fresh(request: dict[str, Any]) -> dict[str, Any]:
    return {**request, "hookInstance": str(uuid.uuid4())}


def _invalid(client: Client, rng: random.Random) -> Call:
    path = f"/cds-services/{SERVICE}"
    auth = {"Authorization": f"Bearer {client.token(path)}"}
    good = _fresh(rng.choice(VALID))
    choices: list[Callable[[], Call]] = [
        lambda: Call("invalid", path, b"{not json", {**auth, **JSON}),
        lambda: Call("invalid", path, json.dumps(good).encode(), {**auth, "Content-Type": "text/plain"}),
        lambda: Call("invalid", path, b"[" * 5000 + b"]" * 5000, {**auth, **JSON}),
        lambda: Call("invalid", path, b'{"pad": "' + b"x" * 1_100_000 + b'"}', {**auth, **JSON}),
        lambda: _json_call("invalid", client, path, {**good, "hookInstance": "not-a-uuid"}),
        lambda: _json_call("invalid", client, path, {**good, "context": {"patientId": "\ud800", "userId": "x"}}),
        lambda: _json_call("invalid", client, path, {**good, "prefetch": {"proteinuria": BAD_BUNDLE}}),
        lambda: _json_call("invalid", client, "/cds-services/no-such-service", good),
        lambda: _json_call("invalid", client, f"{path}/feedback", {"feedback": [{"card": "c", "outcome": ["x"]}]}),
    ]
    return rng.choice(choices)()


def _auth_invalid(client: Client, rng: random.Random) -> Call:
    path = f"/cds-services/{SERVICE}"
    body = json.dumps(_fresh(rng.choice(VALID))).encode()
    plain = {"Content-Type": "application/json"}
    now = int(time.time())
    tokens = [
        None,
        "not.a.token",
        client.token(path, exp=now - 600, iat=now - 900),
        client.token("/cds-services/other"),
        client.token(path, iss="https://stranger.example.org"),
    ]
    token = rng.choice(tokens)
    category = "auth-invalid"
    if rng.random() < 0.3:  # a replay: the same token twice, the second is the one counted
        token = client.token(path)
        first = {**plain, "Authorization": f"Bearer {token}", "Connection": "close"}
        requests.post(f"{client.public_url}{path}", data=body, headers=first, timeout=10)
        category = "replay"  # refused by the worker that saw it; another worker has its own store (README)
    headers = plain if token is None else {**plain, "Authorization": f"Bearer {token}"}
    return Call(category, path, body, headers)


def next_call(client: Client, stub_origin: str, rng: random.Random) -> Call:
    """Returns one call of the mix: 45% valid, 20% FHIR-failing, 25% invalid input, 10% bad credentials."""
    path = f"/cds-services/{SERVICE}"
    roll = rng.random()
    if roll < 0.35:
        return _json_call("valid", client, path, _fresh(rng.choice(VALID)))
    if roll < 0.40:
        request = {**_fresh(FALLBACK), "fhirServer": f"{stub_origin}/ok"}
        return _json_call("valid", client, path, request)
    if roll < 0.45:
        item = {"card": str(uuid.uuid4()), "outcome": "overridden", "outcomeTimestamp": "2026-06-15T09:30:00Z"}
        feedback = {"feedback": [item]}
        return _json_call("valid", client, f"{path}/feedback", feedback)
    if roll < 0.65:
        mode = rng.choice([*FAILURES, "loop"])
        request = {**_fresh(FALLBACK), "fhirServer": f"{stub_origin}/{mode}"}
        return _json_call("fhir-failing", client, path, request)
    if roll < 0.90:
        return _invalid(client, rng)
    return _auth_invalid(client, rng)


# --- gunicorn and its workers -----------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return sorted(out)


def _rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited before it was ready; see its log")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or a worker still importing
            time.sleep(0.2)
    raise SystemExit("gunicorn did not become ready in time")


# --- the run ----------------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    client_errors: Counter[str] = field(default_factory=Counter)
    latency_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: int = 0


def _worker(client: Client, stub_origin: str, seed: int, stop_at: float, tally: Tally) -> None:
    rng = random.Random(seed)  # a load mix, not cryptography
    with requests.Session() as session:
        while time.monotonic() < stop_at:
            with tally.lock:
                if tally.sent >= MAX_REQUESTS:
                    return
                tally.sent += 1
            call = next_call(client, stub_origin, rng)
            started = time.perf_counter()
            try:
                url = f"{client.public_url}{call.path}"
                # A new connection per call: a reused keep-alive connection that the server closes as the
                # next call starts fails on the client side, which says nothing about the service.
                reply = session.post(url, data=call.body, headers={**call.headers, "Connection": "close"}, timeout=15)
            except requests.RequestException as exc:
                with tally.lock:
                    tally.client_errors[f"{call.category}: {type(exc).__name__}"] += 1
                continue
            took = (time.perf_counter() - started) * 1000
            with tally.lock:
                tally.statuses[call.category][reply.status_code] += 1
                tally.latency_ms[call.category].append(took)


def _warm_up(client: Client, stub_origin: str, calls: int = 200) -> None:
    """Sends `calls` calls of the mix from 4 threads (not counted), so the workers load what they load lazily."""
    tally = Tally()
    threads = [
        threading.Thread(target=_worker, args=(client, stub_origin, 1000 + i, time.monotonic() + 30, tally))
        for i in range(4)
    ]
    global MAX_REQUESTS
    saved, MAX_REQUESTS = MAX_REQUESTS, calls
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        MAX_REQUESTS = saved


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    if not 1 <= args.concurrency <= 64 or not 1 <= args.seconds <= 3600:
        raise SystemExit("use --concurrency 1..64 and --seconds 1..3600")
    port = _free_port()
    public = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="ln-cds-soak-") as tmp:
        folder = Path(tmp)
        cert, key = _self_signed(folder)
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert, key)
        client = Client(public)
        stub = fhir_stub.StubFhir(tls)
        stub.default = _dispatch(stub)
        stub.start()
        env = {
            **os.environ,
            "CDS_AUTH": "jwt",
            "CDS_TRUSTED_ISSUERS": str(client.trust_file(folder)),
            "CDS_PUBLIC_URL": public,
            "CDS_PORT": str(port),
            "CDS_TODAY": "2026-06-15",
            "CDS_FHIR_ALLOWLIST": stub.origin,
            "CDS_CALL_BUDGET_SECONDS": BUDGET_SECONDS,
            "CDS_FHIR_READ_TIMEOUT": "1",
            "CDS_LOG_LEVEL": "INFO",
            "REQUESTS_CA_BUNDLE": str(cert),
        }
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        cmd = [gunicorn, "-b", f"127.0.0.1:{port}", "-w", "2", "-k", "gthread", "--threads", "4", "-t", "30"]
        log_path = folder / "service.log"
        with log_path.open("wb") as log:
            proc = subprocess.Popen([*cmd, "service.app:create_app()"], cwd=ROOT, env=env, stdout=log, stderr=log)
            try:
                _wait_ready(f"{public}/cds-services", proc)
                workers = _children(proc.pid)
                rss_boot = {pid: _rss_mib(pid) for pid in workers}
                _warm_up(client, stub.origin)
                rss_start = {pid: _rss_mib(pid) for pid in workers}
                tally = Tally()
                stop_at = time.monotonic() + args.seconds
                threads = [
                    threading.Thread(target=_worker, args=(client, stub.origin, seed, stop_at, tally))
                    for seed in range(args.concurrency)
                ]
                started = time.monotonic()
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(timeout=args.seconds + 60)
                elapsed = time.monotonic() - started
                rss_end = {pid: _rss_mib(pid) for pid in _children(proc.pid)}
            finally:
                proc.terminate()
                proc.wait(timeout=15)
                stub.stop()
        service_log = log_path.read_text(errors="replace")
    total = sum(sum(c.values()) for c in tally.statuses.values())
    five_xx = {cat: sum(n for s, n in c.items() if s >= 500) for cat, c in tally.statuses.items()}
    report = {
        "seconds": round(elapsed, 1),
        "concurrency": args.concurrency,
        "requests": total,
        "requests_per_second": round(total / elapsed, 1),
        "by_category": {
            cat: {
                "statuses": {str(s): n for s, n in sorted(c.items())},
                "5xx": five_xx[cat],
                "median_ms": round(statistics.median(tally.latency_ms[cat]), 1),
                "p95_ms": _pct(tally.latency_ms[cat], 0.95),
                "max_ms": round(max(tally.latency_ms[cat]), 1),
            }
            for cat, c in sorted(tally.statuses.items())
        },
        "5xx_total": sum(five_xx.values()),
        "client_errors": dict(tally.client_errors),
        "service_log_unhandled_errors": service_log.count('"event": "unhandled_error"'),
        "worker_rss_mib": {
            "after_boot": list(rss_boot.values()),
            "start": list(rss_start.values()),  # after the warm-up: lazy imports and first-call caches are in
            "end": list(rss_end.values()),
        },
        "workers_replaced": sorted(set(rss_end) - set(rss_start)),
    }
    print(json.dumps(report, indent=2))
    if report["5xx_total"] or report["service_log_unhandled_errors"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
