"""Where one payload's time goes: a pyinstrument profile of hook calls through the app in this process.

Run: .venv/bin/python -m bench.profile B --calls 30   (payload A, B or a scale count such as 1000)
Prints the milliseconds per call without the profiler first, then the profile (the text in docs/performance.md).
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

import orjson
from pyinstrument import Profiler

from bench import payloads
from service.app import create_app
from service.settings import Settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("payload", help="A, B, or an Observation count for the scale series")
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()
    name = args.payload.upper()
    body_of = {"A": payloads.payload_a, "B": payloads.payload_b}
    body = orjson.dumps(body_of[name]() if name in body_of else payloads.scale(int(name)))
    settings = Settings(
        today=payloads.TODAY, auth="open", log_level="WARNING", max_body_bytes=64 * 1024 * 1024, rate_limit_per_minute=0
    )
    client = create_app(settings, configure_logs=False).test_client()
    url = f"/cds-services/{payloads.SERVICE}"

    def call() -> None:
        reply = client.post(url, data=body, content_type="application/json")
        if reply.status_code != 200:
            raise SystemExit(f"the call answered {reply.status_code}")

    for _ in range(3):
        call()
    times = []
    for _ in range(args.calls):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    print(f"payload {name}: median {statistics.median(times):.2f} ms per call over {args.calls} ({date.today()})")
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(args.calls):
        call()
    profiler.stop()
    print(profiler.output_text(unicode=False, color=False))


if __name__ == "__main__":
    main()
