"""Settings from CDS_* variables: safe defaults, and every bad value stops startup naming the variable."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from hooks import REGISTRY
from hooks.lupus_nephritis_response.config import LupusNephritisConfig
from service.app import service_configs
from service.outbound import AllowedBase
from service.settings import Settings, SettingsError
from service.store.charts import ChartLimits
from service.trust import IssuerTrust

LN = "lupus-nephritis-response"


@dataclass(frozen=True)
class _Loaded:
    """The generic settings and the lupus nephritis service's own, read from one environment."""

    settings: Settings
    ln: LupusNephritisConfig

    def __getattr__(self, name: str) -> Any:
        return getattr(self.ln if name in LupusNephritisConfig.model_fields else self.settings, name)


def _read(env: Mapping[str, str]) -> _Loaded:
    return _Loaded(Settings.from_env(env), service_configs(REGISTRY, env)[LN])


def _load(**env: str) -> Any:
    return _read(env)


def test_defaults_are_safe_for_a_local_run() -> None:
    settings = _load()
    assert settings.settings == Settings()
    assert settings.ln == LupusNephritisConfig()
    assert settings.host == "127.0.0.1"
    assert settings.public_url == "http://127.0.0.1:8000"
    assert settings.feedback_log is False
    assert settings.today is None
    assert settings.max_body_bytes == 1024 * 1024
    assert (settings.fhir_connect_timeout, settings.fhir_read_timeout) == (3.05, 10.0)
    assert (settings.fhir_page_cap, settings.fhir_workers) == (10, 8)
    assert settings.fhir_fetch_ahead is False  # nothing but the gate is asked for a patient without LN
    limits = ChartLimits()  # the chart store's own defaults are the settings' defaults
    assert (settings.chart_ttl_seconds, settings.chart_max_count, settings.chart_max_bytes) == (
        limits.ttl,
        limits.max_count,
        limits.max_bytes,
    )
    assert settings.auth == "jwt"  # client authentication is on unless switched off
    assert settings.trusted_issuers == ()
    assert settings.jwt_algorithms == ("ES384", "RS384")
    assert settings.effective_fhir_allowlist() == ()  # no FHIR server is called until one is allowlisted
    assert (settings.fhir_max_bytes, settings.fhir_max_entries) == (20 * 1024 * 1024, 2000)
    assert (settings.call_budget_seconds, settings.max_json_depth) == (8.0, 64)


def test_settings_repr_is_short_and_holds_no_key_material() -> None:
    trust = IssuerTrust("https://ehr.example.org", keys=({"kty": "EC", "kid": "k", "x": "PUBLICX"},))
    assert "PUBLICX" not in repr(Settings(trusted_issuers=(trust,)))


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
        CDS_AUTH="OPEN",
        CDS_JWT_ALGORITHMS="es384, ps512",
        CDS_JWT_LEEWAY_SECONDS="5",
        CDS_JWT_MAX_LIFETIME_SECONDS="300",
        CDS_JWT_REPLAY_CACHE_SIZE="5000",
        CDS_JWKS_CACHE_SECONDS="60",
        CDS_FHIR_ALLOWLIST="http://127.0.0.1:8090/fhir, https://fhir.example.org/r4",
        CDS_FHIR_PRIVATE_NETWORKS="10.0.0.0/8",
        CDS_FHIR_MAX_BYTES="4096",
        CDS_FHIR_MAX_ENTRIES="500",
        CDS_CALL_BUDGET_SECONDS="2.5",
        CDS_MAX_JSON_DEPTH="32",
    )
    assert settings.ln == LupusNephritisConfig(
        criteria_set="kdigo-2024", show_status_card=False, show_supportive_card=False
    )
    assert settings.settings == Settings(
        host="127.0.0.2",
        port=9001,
        public_url="https://cds.example.org",
        cors_origins=("https://ehr.example.org", "https://sandbox.cds-hooks.org"),
        max_body_bytes=2048,
        fhir_connect_timeout=1.5,
        fhir_read_timeout=20.0,
        fhir_page_cap=3,
        fhir_workers=8,
        today=date(2026, 6, 15),
        log_level="DEBUG",
        feedback_log=True,
        auth="open",
        jwt_algorithms=("ES384", "PS512"),
        jwt_leeway_seconds=5,
        jwt_max_lifetime_seconds=300,
        jwt_replay_cache_size=5000,
        jwks_cache_seconds=60,
        fhir_allowlist=(
            AllowedBase("http", "127.0.0.1", 8090, "/fhir"),
            AllowedBase("https", "fhir.example.org", 443, "/r4"),
        ),
        fhir_private_networks=(ipaddress.ip_network("10.0.0.0/8"),),
        fhir_max_bytes=4096,
        fhir_max_entries=500,
        call_budget_seconds=2.5,
        max_json_depth=32,
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
    assert _load(CDS_LN_CRITERIA_SET="  ").criteria_set == "seed-eular-era-edta-2012"


@pytest.mark.parametrize(
    ("new", "old", "field"),
    [
        ("CDS_LN_CRITERIA_SET", "CDS_CRITERIA_SET", "criteria_set"),
        ("CDS_LN_SHOW_STATUS_CARD", "CDS_STATUS_CARD", "show_status_card"),
        ("CDS_LN_SHOW_SUPPORTIVE_CARD", "CDS_SUPPORTIVE_CARD", "show_supportive_card"),
    ],
)
def test_older_names_still_work_and_the_new_name_wins(new: str, old: str, field: str) -> None:
    values = {"criteria_set": ("kdigo-2024", "acr-2012")}.get(field, ("off", "on"))
    expect = {"off": False, "on": True}
    new_value, old_value = (expect.get(v, v) for v in values)
    assert getattr(_load(**{old: values[1]}), field) == old_value
    assert getattr(_load(**{new: values[0]}), field) == new_value
    assert getattr(_load(**{new: values[0], old: values[1]}), field) == new_value
    assert getattr(_load(**{new: " ", old: values[1]}), field) == old_value  # a blank new name is unset


def test_settings_read_nothing_of_a_service() -> None:
    source = (Path(__file__).resolve().parents[2] / "service/settings.py").read_text()
    assert re.search(r"^\s*(from|import) hooks\b", source, flags=re.MULTILINE) is None


@pytest.mark.parametrize(
    ("name", "value", "allowed"),
    [
        ("CDS_PORT", "eighty", "1 to 65535"),
        ("CDS_PORT", "0", "1 to 65535"),
        ("CDS_PUBLIC_URL", "cds.example.org", "http(s) URL"),
        ("CDS_CRITERIA_SET", "acr-1999", "kdigo-2024, seed-eular-era-edta-2012"),
        ("CDS_STATUS_CARD", "yes", "on, off, true, false, 1, 0"),
        ("CDS_SUPPORTIVE_CARD", "maybe", "on, off, true, false, 1, 0"),
        ("CDS_LN_CRITERIA_SET", "acr-1999", "kdigo-2024, seed-eular-era-edta-2012"),
        ("CDS_LN_SHOW_STATUS_CARD", "yes", "on, off, true, false, 1, 0"),
        ("CDS_LN_SHOW_SUPPORTIVE_CARD", "maybe", "on, off, true, false, 1, 0"),
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
        ("CDS_AUTH", "none", "jwt, open"),
        ("CDS_TRUSTED_ISSUERS", "/no/such/file.json", "cannot read trusted issuers file"),
        ("CDS_JWT_ALGORITHMS", "HS256", "asymmetric JWS algorithms"),
        ("CDS_JWT_ALGORITHMS", "none", "asymmetric JWS algorithms"),
        ("CDS_JWT_ALGORITHMS", ",", "asymmetric JWS algorithms"),
        ("CDS_JWT_LEEWAY_SECONDS", "3600", "0 to 300"),
        ("CDS_JWT_MAX_LIFETIME_SECONDS", "5", "10 to 86400"),
        ("CDS_JWT_REPLAY_CACHE_SIZE", "10", "100 to 10000000"),
        ("CDS_JWKS_CACHE_SECONDS", "1", "10 to 86400"),
        ("CDS_FHIR_ALLOWLIST", "http://fhir.example.org/r4", "only https"),
        ("CDS_FHIR_ALLOWLIST", "fhir.example.org", "scheme://host"),
        ("CDS_FHIR_PRIVATE_NETWORKS", "10.0.0.0/33", "CIDRs"),
        ("CDS_FHIR_MAX_BYTES", "10", "1024 to"),
        ("CDS_FHIR_MAX_ENTRIES", "0", "1 to 100000"),
        ("CDS_CALL_BUDGET_SECONDS", "0", "0.1 to 120"),
        ("CDS_MAX_JSON_DEPTH", "2", "8 to 512"),
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
    _read(env)
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text()
    listed = dict(re.findall(r"^#? ?(CDS_\w+)=(.*)$", example, flags=re.MULTILINE))
    assert set(listed) == env.asked
    active = dict(re.findall(r"^(CDS_\w+)=(.*)$", example, flags=re.MULTILINE))
    assert _read(active).settings == Settings()
    assert _read(active).ln == LupusNephritisConfig()
