"""Builders shared by the end-to-end tests: the real app with pinned settings and deterministic uuids.

The app is built with client authentication off (`auth="open"`: these suites test clinical answers, not the JWT
check, which tests/security/ covers) and with the outbound guard allowing exactly what the suites call: the
golden fixtures' `https://fhir.example.org/r4` (served by `responses`, never resolved) and loopback on any port
(the integration suite's local FHIR server).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import requests
from flask import Flask

from hooks.spec import CdsServiceSpec
from service.app import create_app
from service.outbound import AllowedBase, loopback_bases, system_resolver
from service.settings import Settings

GOLDEN_FHIR_BASE = "https://fhir.example.org/r4"
GOLDEN_FHIR_HOST = "fhir.example.org"
# example.org's address: a public one, so the guard's resolution check passes; `responses` answers, nothing connects.
PUBLIC_ADDRESS = "93.184.215.14"


def counter_uuids() -> itertools.count[int]:
    return itertools.count(1)


def golden_resolver(host: str) -> Sequence[str]:
    """Returns a public address for the mocked golden FHIR host; any other name goes to the system resolver."""
    return [PUBLIC_ADDRESS] if host == GOLDEN_FHIR_HOST else system_resolver(host)


def make_app(
    today: str = "2026-06-15",
    criteria_set: str | None = None,
    *,
    session: requests.Session | None = None,
    registry: Sequence[CdsServiceSpec[Any]] | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: object,
) -> Flask:
    """Returns the real app (real registry, mappers and rules) with `today` pinned and numbered uuids.

    `overrides` replace Settings fields; `session` is the requests session for FHIR calls (default: a new one);
    `criteria_set` is the lupus nephritis service's CDS_LN_CRITERIA_SET; `registry` (default: the app's own)
    and `environ` (each service's own variables, added to CDS_LN_CRITERIA_SET) are passed to `create_app`.
    """
    counter, charts = counter_uuids(), counter_uuids()
    fields: dict[str, object] = {
        "today": date.fromisoformat(today),
        "auth": "open",
        "fhir_allowlist": (AllowedBase.parse(GOLDEN_FHIR_BASE), *loopback_bases()),
        **overrides,
    }
    settings = Settings(**fields)  # type: ignore[arg-type]
    return create_app(
        settings,
        registry,
        environ={**(environ or {}), **({} if criteria_set is None else {"CDS_LN_CRITERIA_SET": criteria_set})},
        new_uuid=lambda: f"00000000-0000-4000-8000-{next(counter):012d}",
        new_chart_id=lambda: f"chart-{next(charts)}",
        session=session,
        resolver=golden_resolver,
    )
