"""The real FHIR server for the integration tests: installed (`npm ci`) if needed, started on a free loopback port,
loaded with the demo cohort, stopped after the session. Without Node.js the fixture fails with a message saying so:
these tests are part of `make test` and CI, never silently skipped.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask

from demo import fhir_server
from demo.paths import COHORT_DIR, MANIFEST
from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="session")
def manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(MANIFEST.read_text())
    return data


@pytest.fixture(scope="session")
def fhir_base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Yields the base URL of the running demo FHIR server, loaded with every cohort Bundle."""
    log = tmp_path_factory.mktemp("fhir-server") / "fhir-server.log"
    try:
        with fhir_server.running(0, log, sorted(COHORT_DIR.glob("*.json")), log_requests=False) as base:
            yield base
    except fhir_server.FhirServerError as exc:
        pytest.fail(f"the integration tests need the demo FHIR server: {exc}", pytrace=False)


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def cohort_environ(data: dict[str, Any]) -> dict[str, str]:
    """Returns the CDS_* variables the cohort's expectations hold for, as the demo sets them."""
    return {"CDS_TODAY": data["today"], "CDS_CRITERIA_SET": data["criteriaSet"], "CDS_AUTH": "open"}


def cohort_settings(data: dict[str, Any]) -> Settings:
    """Returns the settings the cohort's expectations hold for, read the way the demo sets them (CDS_* variables)."""
    return Settings.from_env(cohort_environ(data))


@pytest.fixture
def cohort_app(manifest: dict[str, Any], http: requests.Session) -> Flask:
    """Returns the real app with the cohort's settings, numbered uuids, and a FHIR session closed after the test."""
    counter, charts = itertools.count(1), itertools.count(1)
    return create_app(
        cohort_settings(manifest),
        environ=cohort_environ(manifest),  # the service's own CDS_CRITERIA_SET (an older name, still read)
        new_uuid=lambda: f"00000000-0000-4000-8000-{next(counter):012d}",
        new_chart_id=lambda: f"chart-{next(charts)}",  # numbered like the golden fixtures' chart links
        session=http,
    )


def expected(patient: dict[str, Any]) -> Any:
    """Returns the golden answer of the patient's scenario (status and body, uuids normalised)."""
    path = Path(__file__).resolve().parents[2] / "cards_fixtures" / patient["service"] / patient["scenario"]
    return json.loads((path / "expected.json").read_text())
