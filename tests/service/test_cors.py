"""CORS for browser clients such as the CDS Hooks Sandbox: preflights answer 204, responses carry the origin."""

from __future__ import annotations

import pytest

from tests.service.conftest import SERVICE_ID, AppFactory, hook_request, service_settings

ROUTES = ["/cds-services", f"/cds-services/{SERVICE_ID}", f"/cds-services/{SERVICE_ID}/feedback"]
PREFLIGHT = {
    "Origin": "https://sandbox.cds-hooks.org",
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


@pytest.mark.parametrize("path", ROUTES)
def test_preflight_is_204_with_allow_headers(make_app: AppFactory, path: str) -> None:
    reply = make_app().test_client().options(path, headers=PREFLIGHT)
    assert reply.status_code == 204
    assert reply.headers["Access-Control-Allow-Origin"] == "*"
    assert reply.headers["Access-Control-Allow-Methods"] == "GET, POST, OPTIONS"
    assert reply.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type"
    assert reply.get_data() == b""
    assert "Content-Type" not in reply.headers


def test_preflight_for_an_unknown_service_is_still_204(make_app: AppFactory) -> None:
    reply = make_app().test_client().options("/cds-services/not-registered", headers=PREFLIGHT)
    assert reply.status_code == 204


def test_discovery_and_invoke_responses_carry_allow_origin(make_app: AppFactory) -> None:
    client = make_app().test_client()
    origin = {"Origin": "https://sandbox.cds-hooks.org"}
    assert client.get("/cds-services", headers=origin).headers["Access-Control-Allow-Origin"] == "*"
    reply = client.post(f"/cds-services/{SERVICE_ID}", json=hook_request(), headers=origin)
    assert reply.headers["Access-Control-Allow-Origin"] == "*"


def test_error_responses_carry_allow_origin_so_browsers_can_read_them(make_app: AppFactory) -> None:
    reply = make_app().test_client().post(f"/cds-services/{SERVICE_ID}", json={"hook": 1})
    assert reply.status_code == 400
    assert reply.headers["Access-Control-Allow-Origin"] == "*"


def test_listed_origin_is_echoed_with_vary(make_app: AppFactory) -> None:
    settings = service_settings(cors_origins=("https://ehr.example.org", "https://sandbox.cds-hooks.org"))
    client = make_app(settings=settings).test_client()
    reply = client.options("/cds-services", headers={**PREFLIGHT, "Origin": "https://ehr.example.org"})
    assert reply.headers["Access-Control-Allow-Origin"] == "https://ehr.example.org"
    assert "Origin" in reply.headers["Vary"]


def test_unlisted_origin_gets_no_allow_origin(make_app: AppFactory) -> None:
    client = make_app(settings=service_settings(cors_origins=("https://ehr.example.org",))).test_client()
    reply = client.get("/cds-services", headers={"Origin": "https://evil.example.com"})
    assert reply.status_code == 200
    assert "Access-Control-Allow-Origin" not in reply.headers


ASK_PRIVATE = {**PREFLIGHT, "Access-Control-Request-Private-Network": "true"}


def test_private_network_preflight_is_granted_to_an_origin_listed_by_name(make_app: AppFactory) -> None:
    settings = service_settings(cors_origins=("https://sandbox.cds-hooks.org",))
    reply = make_app(settings=settings).test_client().options(f"/cds-services/{SERVICE_ID}", headers=ASK_PRIVATE)
    assert reply.status_code == 204
    assert reply.headers["Access-Control-Allow-Private-Network"] == "true"


@pytest.mark.parametrize(
    ("origins", "headers"),
    [
        pytest.param(("*",), ASK_PRIVATE, id="wildcard-never-grants-it"),
        pytest.param(("https://ehr.example.org",), ASK_PRIVATE, id="unlisted-origin"),
        pytest.param(("https://sandbox.cds-hooks.org",), PREFLIGHT, id="not-asked"),
    ],
)
def test_private_network_is_not_granted_otherwise(
    make_app: AppFactory, origins: tuple[str, ...], headers: dict[str, str]
) -> None:
    client = make_app(settings=service_settings(cors_origins=origins)).test_client()
    assert "Access-Control-Allow-Private-Network" not in client.options("/cds-services", headers=headers).headers
