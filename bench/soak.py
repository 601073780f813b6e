"""Soak: the shipped gunicorn configuration on loopback, under a fault mix, for a fixed time (issue #11).

In one process: four FHIR servers over https on 127.0.0.1 (ln_testing/fhir_stub.py, a self-signed certificate
made at run time and trusted through REQUESTS_CA_BUNDLE) -- a healthy one, one that hangs, one that drips its
status line and headers, one that fails every other way --, a client key pair made at run time and trusted
through a temporary CDS_TRUSTED_ISSUERS file (so CDS_AUTH=jwt, the default, is exercised), gunicorn started with
the repository's gunicorn.conf.py (exactly what `make serve` and `make demo` run) on a free 127.0.0.1 port, and
N client threads. Nothing binds or calls anything but 127.0.0.1; nothing it makes outlives the run.

Two phases: a third of the time valid prefetched calls only (the no-fault p99), then the fault mix: 5% calls
naming the hanging FHIR server, 5% the dripping one, 5% other FHIR failures, 10% malformed bodies (bad JSON, bad
chunked encoding, too deep, too large, wrong type), 5% bad credentials, the rest valid; plus 2 slow clients that
trickle headers or a body one byte at a time.

Report, per class: requests, 5xx, p50/p99; the valid calls' p99 without and with faults; each worker's RSS and
thread count after the warm-up and after the run. Exit status 1 on any 5xx, an unhandled error in the service
log, valid p99 under faults over 2x the no-fault p99, or worker threads grown after the run.

Run: make soak   (or .venv/bin/python -m bench.soak --seconds 60 --concurrency 8). `--gunicorn-arg` overrides
one gunicorn option (e.g. `--gunicorn-arg=--worker-class=sync`): how docs/serving.md compared worker models.
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

from bench.server import children, free_port, status_field, wait_ready
from ln_testing import fhir_stub

ROOT = Path(__file__).resolve().parent.parent
SERVICE = "lupus-nephritis-response"
FIXTURES = ROOT / "cards_fixtures" / SERVICE
ISSUER = "https://soak-client.example.org"
KID = "soak-es384"
BUDGET_SECONDS = "2"  # CDS_CALL_BUDGET_SECONDS for the run: failing FHIR servers cost at most this per call
BREAK_SECONDS = 4.0  # after load: calls cut at the budget (2 s) have ended, and their threads with them


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


# --- the misbehaving FHIR servers ------------------------------------------------------------------------------------

FAILURES: dict[str, fhir_stub.Behaviour] = {
    "fail500": fhir_stub.json_reply({"resourceType": "OperationOutcome"}, status=500),
    "fail401": fhir_stub.json_reply({"resourceType": "OperationOutcome"}, status=401),
    "fail429": fhir_stub.reply(429, b"", Retry_After="1"),
    "badjson": fhir_stub.reply(200, b"{not json"),
    "notsearchset": fhir_stub.json_reply({"resourceType": "Bundle", "type": "collection"}),
    "huge": fhir_stub.json_reply(fhir_stub.searchset(5000)),
    "redirect": fhir_stub.reply(302, b"", Location="https://127.0.0.1:9/elsewhere"),
    "overlong": fhir_stub.overlong(fhir_stub.searchset(), b"HTTP/1.1 200 OK\r\n\r\n{}"),
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


@dataclass
class Stubs:
    """One FHIR server per behaviour: the service's bulkheads are per origin, as they would be per hospital."""

    ok: fhir_stub.StubFhir
    hang: fhir_stub.StubFhir
    drip: fhir_stub.StubFhir
    fail: fhir_stub.StubFhir

    @classmethod
    def start(cls, tls: ssl.SSLContext) -> Stubs:
        stubs = cls(*(fhir_stub.StubFhir(tls) for _ in range(4)))
        stubs.hang.default = fhir_stub.stall(fhir_stub.MAX_BEHAVIOUR_SECONDS)
        stubs.drip.default = fhir_stub.drip_headers(0.05)
        stubs.fail.default = _dispatch(stubs.fail)
        for stub in stubs.all():
            stub.start()
        return stubs

    def all(self) -> list[fhir_stub.StubFhir]:
        return [self.ok, self.hang, self.drip, self.fail]

    def stop(self) -> None:
        for stub in self.all():
            stub.stop()


# --- the request mix --------------------------------------------------------------------------------------------------


def _golden(name: str) -> dict[str, Any]:
    request: dict[str, Any] = json.loads((FIXTURES / name / "request.json").read_text())
    return request


JSON = {"Content-Type": "application/json"}
BAD_BUNDLE = {"resourceType": "Bundle", "entry": 5}
VALID = [_golden(n) for n in ("demo-refractory-7-months", "responder-complete-12-months", "no-ln-sle-only")]
FALLBACK = _golden("omitted-prefetch-fhir-fallback")
BAD_CHUNKED = b"zz\r\nabc\r\n0\r\n\r\n"


@dataclass(frozen=True)
class Call:
    category: str
    path: str
    body: bytes
    headers: dict[str, str]
    raw_chunked: bool = False  # sent over a plain socket as a (malformed) chunked body


def _json_call(category: str, client: Client, path: str, body: Any, **token_claims: Any) -> Call:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {client.token(path, **token_claims)}"}
    return Call(category, path, json.dumps(body).encode(), headers)


def _fresh(request: dict[str, Any]) -> dict[str, Any]:
    return {**request, "hookInstance": str(uuid.uuid4())}


def _malformed(client: Client, rng: random.Random) -> Call:
    path = f"/cds-services/{SERVICE}"
    auth = {"Authorization": f"Bearer {client.token(path)}"}
    good = _fresh(rng.choice(VALID))
    choices: list[Callable[[], Call]] = [
        lambda: Call("malformed", path, b"{not json", {**auth, **JSON}),
        lambda: Call("malformed", path, BAD_CHUNKED, {**auth, **JSON}, raw_chunked=True),
        lambda: Call("malformed", path, json.dumps(good).encode(), {**auth, "Content-Type": "text/plain"}),
        lambda: Call("malformed", path, b"[" * 5000 + b"]" * 5000, {**auth, **JSON}),
        lambda: Call("malformed", path, b'{"pad": "' + b"x" * 1_100_000 + b'"}', {**auth, **JSON}),
        lambda: _json_call("malformed", client, path, {**good, "hookInstance": "not-a-uuid"}),
        lambda: _json_call("malformed", client, path, {**good, "prefetch": {"proteinuria": BAD_BUNDLE}}),
        lambda: _json_call("malformed", client, "/cds-services/no-such-service", good),
        lambda: _json_call("malformed", client, f"{path}/feedback", {"feedback": [{"card": "c", "outcome": ["x"]}]}),
        lambda: _json_call(
            "malformed", client, f"{path}/feedback", {"feedback": [{"card": "c" * 1_000_000, "outcome": "overridden"}]}
        ),
    ]
    return rng.choice(choices)()


def _auth_invalid(client: Client, rng: random.Random) -> Call:
    path = f"/cds-services/{SERVICE}"
    body = json.dumps(_fresh(rng.choice(VALID))).encode()
    now = int(time.time())
    tokens = [
        None,
        "not.a.token",
        client.token(path, exp=now - 600, iat=now - 900),
        client.token("/cds-services/other"),
        client.token(path, iss="https://stranger.example.org"),
    ]
    token = rng.choice(tokens)
    headers = dict(JSON) if token is None else {**JSON, "Authorization": f"Bearer {token}"}
    return Call("auth-invalid", path, body, headers)


def _fallback(category: str, client: Client, base: str) -> Call:
    return _json_call(category, client, f"/cds-services/{SERVICE}", {**_fresh(FALLBACK), "fhirServer": base})


def next_call(client: Client, stubs: Stubs, rng: random.Random, faults: bool) -> Call:
    """Returns one call: valid prefetched only without `faults`; else the fault mix (module docstring)."""
    path = f"/cds-services/{SERVICE}"
    roll = rng.random() if faults else 1.0
    if roll < 0.05:
        return _fallback("fhir-hanging", client, stubs.hang.base)
    if roll < 0.10:
        return _fallback("fhir-dripping", client, stubs.drip.base)
    if roll < 0.15:
        mode = rng.choice([*FAILURES, "loop"])
        return _fallback("fhir-failing", client, f"{stubs.fail.origin}/{mode}")
    if roll < 0.25:
        return _malformed(client, rng)
    if roll < 0.30:
        return _auth_invalid(client, rng)
    if roll < 0.35:
        return _fallback("valid-fetch", client, f"{stubs.ok.origin}/ok")
    if roll < 0.40:
        item = {"card": str(uuid.uuid4()), "outcome": "overridden", "outcomeTimestamp": "2026-06-15T09:30:00Z"}
        return _json_call("valid-feedback", client, f"{path}/feedback", {"feedback": [item]})
    return _json_call("valid", client, path, _fresh(rng.choice(VALID)))


def _migrate(url: str) -> None:
    """Applies the store's migrations to `url` (imported here: a legacy checkout has no store)."""
    from service.store.engine import open_engine, upgrade

    engine = open_engine(url)
    upgrade(engine)
    engine.dispose()


# --- gunicorn and its workers -----------------------------------------------------------------------------------------


def _worker_stats(pids: list[int]) -> list[dict[str, Any]]:
    out = []
    for pid in pids:
        rss, threads = status_field(pid, "VmRSS"), status_field(pid, "Threads")
        out.append(
            {
                "pid": pid,
                "rss_mib": None if rss is None else round(int(rss) / 1024, 1),
                "threads": None if threads is None else int(threads),
            }
        )
    return out


# --- the run ----------------------------------------------------------------------------------------------------------


@dataclass
class Tally:
    statuses: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    client_errors: Counter[str] = field(default_factory=Counter)
    latency_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, category: str, status: int, took_ms: float) -> None:
        with self.lock:
            self.statuses[category][status] += 1
            self.latency_ms[category].append(took_ms)


def _raw_post(port: int, call: Call) -> int:
    """Sends `call` with its body as chunked encoding, as written (malformed on purpose); returns the status."""
    head = f"POST {call.path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in call.headers.items()) + "\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(head.encode() + call.body)
        first = sock.makefile("rb").readline()
    return int(first.split()[1]) if first.startswith(b"HTTP/") else 0


def _client(client: Client, stubs: Stubs, port: int, seed: int, stop_at: float, faults: bool, tally: Tally) -> None:
    rng = random.Random(seed)  # a load mix, not cryptography
    with requests.Session() as session:
        while time.monotonic() < stop_at:
            call = next_call(client, stubs, rng, faults)
            started = time.perf_counter()
            try:
                if call.raw_chunked:
                    status = _raw_post(port, call)
                else:
                    url = f"{client.public_url}{call.path}"
                    # A new connection per call: a reused keep-alive connection that the server closes as the
                    # next call starts fails on the client side, which says nothing about the service.
                    headers = {**call.headers, "Connection": "close"}
                    status = session.post(url, data=call.body, headers=headers, timeout=30).status_code
            except (requests.RequestException, OSError) as exc:
                with tally.lock:
                    tally.client_errors[f"{call.category}: {type(exc).__name__}"] += 1
                continue
            tally.add(call.category, status, (time.perf_counter() - started) * 1000)


def _slow_client(client: Client, port: int, seed: int, stop_at: float, tally: Tally, interval: float = 0.2) -> None:
    """Trickles a request one byte every `interval` s (headers, or a body), over and over; status 0 = closed.

    It carries a valid client JWT, so the service does read the body (an unauthenticated one is refused first).
    """
    path = f"/cds-services/{SERVICE}"
    body = json.dumps(_fresh(VALID[0])).encode()
    n = seed
    while time.monotonic() < stop_at:
        n += 1
        in_body = n % 2 == 0
        head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        head += f"Authorization: Bearer {client.token(path)}\r\n"
        head += f"Content-Length: {len(body)}\r\nX-Pad: {'a' * 200}\r\n\r\n"
        prefix, trickle = (head.encode(), body) if in_body else (b"", head.encode() + body)
        started = time.perf_counter()
        status = 0
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
                sock.sendall(prefix)
                for byte in trickle:
                    if time.monotonic() > stop_at:
                        break
                    sock.sendall(bytes([byte]))
                    time.sleep(interval)
                sock.settimeout(5)
                first = sock.makefile("rb").readline()
                status = int(first.split()[1]) if first.startswith(b"HTTP/") else 0
        except OSError:
            status = 0  # the server shut the connection on us: the point
        took = (time.perf_counter() - started) * 1000
        tally.add("slow-client-body" if in_body else "slow-client-headers", status, took)


def _run_phase(
    client: Client, stubs: Stubs, port: int, seconds: float, concurrency: int, faults: bool, tally: Tally
) -> None:
    stop_at = time.monotonic() + seconds
    threads = [
        threading.Thread(target=_client, args=(client, stubs, port, seed, stop_at, faults, tally))
        for seed in range(concurrency)
    ]
    if faults:
        threads += [threading.Thread(target=_slow_client, args=(client, port, i, stop_at, tally)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1)


def _table(tally: Tally) -> list[dict[str, Any]]:
    rows = []
    for cat, counts in sorted(tally.statuses.items()):
        rows.append(
            {
                "class": cat,
                "requests": sum(counts.values()),
                "5xx": sum(n for s, n in counts.items() if s >= 500),
                "statuses": {str(s): n for s, n in sorted(counts.items())},
                "p50_ms": _pct(tally.latency_ms[cat], 0.5),
                "p99_ms": _pct(tally.latency_ms[cat], 0.99),
            }
        )
    return rows


def _print_table(title: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n{title}")
    print(f"{'class':<22}{'requests':>9}{'5xx':>6}{'p50 ms':>10}{'p99 ms':>10}  statuses")
    for row in rows:
        p50 = "-" if row["p50_ms"] is None else row["p50_ms"]
        p99 = "-" if row["p99_ms"] is None else row["p99_ms"]
        print(f"{row['class']:<22}{row['requests']:>9}{row['5xx']:>6}{p50:>10}{p99:>10}  {row['statuses']}")


def _gunicorn_cmd(root: Path, port: int, extra: list[str], legacy: bool) -> list[str]:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    if legacy:  # a tree from before gunicorn.conf.py (the "before" figures): its `make serve` command line
        return [gunicorn, "-b", f"127.0.0.1:{port}", "-w", "2", *extra, "service.app:create_app()"]
    return [gunicorn, "-c", str(root / "gunicorn.conf.py"), *extra]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--gunicorn-arg", action="append", default=[], help="one extra gunicorn option (repeatable)")
    parser.add_argument("--root", type=Path, default=ROOT, help="the source tree to serve (default: this one)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON too")
    args = parser.parse_args()
    if not 1 <= args.concurrency <= 64 or not 6 <= args.seconds <= 3600:
        raise SystemExit("use --concurrency 1..64 and --seconds 6..3600")
    root = args.root.resolve()
    legacy = not (root / "gunicorn.conf.py").exists()
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="ln-cds-soak-") as tmp:
        folder = Path(tmp)
        cert, key = _self_signed(folder)
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert, key)
        client = Client(public)
        stubs = Stubs.start(tls)
        env = {
            **os.environ,
            "PYTHONPATH": str(root),
            "CDS_AUTH": "jwt",
            "CDS_TRUSTED_ISSUERS": str(client.trust_file(folder)),
            "CDS_PUBLIC_URL": public,
            "CDS_HOST": "127.0.0.1",
            "CDS_PORT": str(port),
            "CDS_TODAY": "2026-06-15",
            "CDS_FHIR_ALLOWLIST": ",".join(stub.origin for stub in stubs.all()),
            "CDS_CALL_BUDGET_SECONDS": BUDGET_SECONDS,
            "CDS_FHIR_READ_TIMEOUT": "1",
            "CDS_RATE_LIMIT_PER_MINUTE": "0",  # one client issuer sends everything: the limiter is tested apart
            "CDS_LOG_LEVEL": "INFO",
            "REQUESTS_CA_BUNDLE": str(cert),
            # the shipped configuration keeps cards, feedback and jtis in a database: a throwaway migrated one
            "CDS_DATABASE_URL": f"sqlite:///{folder / 'soak.sqlite3'}",
        }
        if not legacy:
            _migrate(env["CDS_DATABASE_URL"])
        log_path = folder / "service.log"
        with log_path.open("wb") as log:
            cmd = _gunicorn_cmd(root, port, args.gunicorn_arg, legacy)
            proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=log, stderr=log)
            try:
                wait_ready(f"{public}/cds-services", proc, timeout_s=30)
                time.sleep(1)  # every worker booted
                workers = list(children(proc.pid))
                warm = Tally()
                _run_phase(client, stubs, port, 6, args.concurrency, True, warm)  # lazy imports, caches, pools
                time.sleep(BREAK_SECONDS)
                before = _worker_stats(workers)
                baseline, faulted = Tally(), Tally()
                started = time.monotonic()
                _run_phase(client, stubs, port, args.seconds / 3, args.concurrency, False, baseline)
                _run_phase(client, stubs, port, args.seconds * 2 / 3, args.concurrency, True, faulted)
                elapsed = time.monotonic() - started
                time.sleep(BREAK_SECONDS)  # calls to the hanging servers end within the budget; threads with them
                after = _worker_stats(list(children(proc.pid)))
            finally:
                proc.terminate()
                proc.wait(timeout=30)
                stubs.stop()
        service_log = log_path.read_text(errors="replace")
    rows_base, rows_fault = _table(baseline), _table(faulted)
    valid_base = _pct(baseline.latency_ms["valid"], 0.99)
    valid_fault = _pct(faulted.latency_ms["valid"], 0.99)
    five_xx = sum(r["5xx"] for r in rows_base + rows_fault)
    threads_before = sum(w["threads"] or 0 for w in before)
    threads_after = sum(w["threads"] or 0 for w in after)
    report = {
        "command": " ".join(Path(c).name if i == 0 else c for i, c in enumerate(cmd)),
        "seconds": round(elapsed, 1),
        "concurrency": args.concurrency,
        "no_fault": rows_base,
        "faults": rows_fault,
        "valid_p99_ms": {"no_fault": valid_base, "faults": valid_fault},
        "5xx_total": five_xx,
        "client_errors": dict(faulted.client_errors + baseline.client_errors),
        "service_log_unhandled_errors": service_log.count('"event": "unhandled_error"'),
        "workers_before": before,
        "workers_after": after,
        "workers_replaced": sorted({w["pid"] for w in after} - {w["pid"] for w in before}),
    }
    print(f"command: {report['command']}   ({report['seconds']} s, {args.concurrency} client threads)")
    _print_table("no faults (valid prefetched calls only):", rows_base)
    _print_table("faults (2 slow clients + the mix):", rows_fault)
    ratio = None if not valid_base or valid_fault is None else round(valid_fault / valid_base, 2)
    print(f"\nvalid p99: {valid_base} ms without faults, {valid_fault} ms with faults (x{ratio})")
    print(f"5xx: {five_xx}   unhandled errors in the service log: {report['service_log_unhandled_errors']}")
    print(f"client-side errors: {report['client_errors'] or 'none'}")
    print("workers (after warm-up -> after the run):")
    for b in before:
        a = next((w for w in after if w["pid"] == b["pid"]), None)
        a_rss, a_threads = ("gone", "gone") if a is None else (a["rss_mib"], a["threads"])
        print(f"  pid {b['pid']}: RSS {b['rss_mib']} -> {a_rss} MiB, threads {b['threads']} -> {a_threads}")
    if report["workers_replaced"]:
        print(f"  replaced during the run: {report['workers_replaced']}")
    if args.json:
        print(json.dumps(report, indent=2))
    failed = five_xx or report["service_log_unhandled_errors"] or threads_after > threads_before
    if failed or (ratio is not None and ratio > 2):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
