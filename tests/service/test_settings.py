"""Settings from CDS_* variables: safe defaults, and every bad value stops startup naming the variable."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from service.settings import Settings, SettingsError

SETS = ("seed-eular-era-edta-2012", "kdigo-2024")


def _load(**env: str) -> Settings:
    return Settings.from_env(env, criteria_sets=SETS)


def test_defaults_are_safe_for_a_local_run() -> None:
    settings = _load()
    assert settings == Settings()
    assert settings.host == "127.0.0.1"
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.feedback_log is False
    assert settings.today is None
    assert settings.max_body_bytes == 1024 * 1024
    assert (settings.fhir_connect_timeout, settings.fhir_read_timeout) == (3.05, 10.0)
    assert (settings.fhir_page_cap, settings.fhir_workers) == (10, 4)


def test_every_variable_is_read() -> None:
    settings = _load(
        CDS_HOST="127.0.0.2",
        CDS_PORT="9001",
        CDS_PUBLIC_URL="https://cds.example.org/",
        CDS_CRITERIA_SET="kdigo-2024",
        CDS_STATUS_CARD="off",
        CDS_SUPPORTIVE_CARD="0",
        CDS_CORS_ORIGINS="https://ehr.example.org, https://sandbox.cds-hooks.org",
        CDS_MAX_BODY_BYTES="2048",
        CDS_FHIR_CONNECT_TIMEOUT="1.5",
        CDS_FHIR_READ_TIMEOUT="20",
        CDS_FHIR_PAGE_CAP="3",
        CDS_FHIR_WORKERS="8",
        CDS_TODAY="2026-06-15",
        CDS_LOG_LEVEL="debug",
        CDS_FEEDBACK_LOG="true",
    )
    assert settings == Settings(
        host="127.0.0.2",
        port=9001,
        public_url="https://cds.example.org",
        criteria_set="kdigo-2024",
        show_status_card=False,
        show_supportive_card=False,
        cors_origins=("https://ehr.example.org", "https://sandbox.cds-hooks.org"),
        max_body_bytes=2048,
        fhir_connect_timeout=1.5,
        fhir_read_timeout=20.0,
        fhir_page_cap=3,
        fhir_workers=8,
        today=date(2026, 6, 15),
        log_level="DEBUG",
        feedback_log=True,
    )


def test_public_url_defaults_to_loopback_on_the_configured_port() -> None:
    assert _load(CDS_PORT="8123").public_url == "http://127.0.0.1:8123"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("on", True), ("TRUE", True), ("1", True), ("off", False), ("False", False), ("0", False)],
)
def test_switches_accept_on_off_true_false_1_0(value: str, expected: bool) -> None:
    assert _load(CDS_STATUS_CARD=value).show_status_card is expected


def test_blank_value_means_the_default() -> None:
    assert _load(CDS_PORT="  ").port == 8000


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("CDS_PORT", "eighty", "1 to 65535"),
        ("CDS_PORT", "0", "1 to 65535"),
        ("CDS_PUBLIC_URL", "cds.example.org", "http(s) URL"),
        ("CDS_CRITERIA_SET", "acr-1999", "kdigo-2024, seed-eular-era-edta-2012"),
        ("CDS_STATUS_CARD", "yes", "on, off, true, false, 1, 0"),
        ("CDS_SUPPORTIVE_CARD", "maybe", "on, off, true, false, 1, 0"),
        ("CDS_CORS_ORIGINS", "https://ehr.example.org/path", "comma list"),
        ("CDS_CORS_ORIGINS", "*,https://ehr.example.org", "comma list"),
        ("CDS_CORS_ORIGINS", ",", "comma list"),
        ("CDS_MAX_BODY_BYTES", "10", "1024 to"),
        ("CDS_FHIR_CONNECT_TIMEOUT", "0", "0.1 to 120"),
        ("CDS_FHIR_READ_TIMEOUT", "soon", "0.1 to 120"),
        ("CDS_FHIR_PAGE_CAP", "0", "1 to 100"),
        ("CDS_FHIR_WORKERS", "64", "1 to 32"),
        ("CDS_TODAY", "15/06/2026", "YYYY-MM-DD"),
        ("CDS_LOG_LEVEL", "LOUD", "DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("CDS_FEEDBACK_LOG", "2", "on, off, true, false, 1, 0"),
    ],
)
def test_bad_value_fails_naming_the_variable_and_allowed_values(name: str, value: str, allowed: str) -> None:
    with pytest.raises(SettingsError) as caught:
        _load(**{name: value})
    message = str(caught.value)
    assert message.startswith(f"{name}: ")
    assert allowed in message


class _RecordingEnv(dict[str, str]):
    """An environment that remembers which variables were asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.add(key)
        return super().get(key, default)


def test_env_example_lists_every_variable_with_its_default() -> None:
    env = _RecordingEnv()
    Settings.from_env(env, criteria_sets=SETS)
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    listed = dict(re.findall(r"^#? ?(CDS_\w+)=(.*)$", example, flags=re.MULTILINE))
    assert set(listed) == env.asked
    active = dict(re.findall(r"^(CDS_\w+)=(.*)$", example, flags=re.MULTILINE))
    assert Settings.from_env(active, criteria_sets=SETS) == Settings()
