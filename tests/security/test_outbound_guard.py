"""The outbound guard (SSRF): only allowlisted FHIR bases, no private addresses, no redirects, the bearer stays home."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient

from service.app import create_app
from service.outbound import AllowedBase, OutboundPolicy, OutboundRefused, loopback_bases, parse_networks, split_url
from service.settings import Settings, SettingsError
from tests.service.conftest import (
    FHIR_BASE,
    SERVICE_ID,
    TOKEN,
    Rules,
    SpyMapper,
    assert_outcome,
    bundle,
    counter_uuids,
    expect_fetch,
    fake_spec,
    fhir_call,
    hook_request,
    log_lines,
    prefetch_without,
    public_resolver,
    service_settings,
)

URL = f"/cds-services/{SERVICE_ID}"


# --- allowlist entries ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "url", "allowed"),
    [
        ("https://fhir.example.org/r4", "https://fhir.example.org/r4", True),
        ("https://fhir.example.org/r4", "https://fhir.example.org/r4/Patient/1", True),
        ("https://fhir.example.org/r4", "https://FHIR.example.org:443/r4/Patient/1", True),
        ("https://fhir.example.org/r4/", "https://fhir.example.org/r4/Patient/1", True),
        ("https://fhir.example.org/r4", "https://fhir.example.org/r4x/Patient/1", False),
        ("https://fhir.example.org/r4", "https://fhir.example.org/", False),
        ("https://fhir.example.org/r4", "http://fhir.example.org/r4", False),
        ("https://fhir.example.org/r4", "https://fhir.example.org:8443/r4", False),
        ("https://fhir.example.org/r4", "https://fhir.example.org.evil.example/r4", False),
        ("https://fhir.example.org/r4", "https://fhir.example.org@evil.example/r4", False),
        ("https://fhir.example.org/r4", "https://evil.example#@fhir.example.org/r4", False),
        ("https://fhir.example.org/r4", "https://fhir.example.org/r4/../admin", False),
        ("https://fhir.example.org/r4", "https://fhir.example.org/r4/%2e%2e/admin", False),
        ("https://fhir.example.org/r4", "https://fhir.example.org/r4/..%2Fadmin", False),
        ("https://fhir.example.org/r4", "https://fhir.example.org\\@evil.example/r4", False),
        ("https://fhir.example.org", "https://fhir.example.org/anything", True),
        ("http://127.0.0.1:*", "http://127.0.0.1:8090/fhir", True),
        ("http://127.0.0.1:8090", "http://127.0.0.1:8091/fhir", False),
        ("http://[::1]:*", "http://[::1]:8090/fhir", True),
        ("https://fhir.example.org/r4", "https://fhir.example.org:notaport/r4", False),
        ("https://fhir.example.org/r4", "file:///etc/passwd", False),
        ("https://fhir.example.org/r4", "gopher://fhir.example.org/r4", False),
    ],
)
def test_allowlist_entries_match_scheme_host_port_and_path_by_segment(entry: str, url: str, allowed: bool) -> None:
    parts = split_url(url)
    assert (parts is not None and AllowedBase.parse(entry).matches(parts)) is allowed


@pytest.mark.parametrize("entry", ["fhir.example.org", "ftp://fhir.example.org", "https://", "https://h/r4?x=1"])
def test_a_bad_allowlist_entry_stops_startup(entry: str) -> None:
    with pytest.raises(SettingsError, match=r"CDS_FHIR_ALLOWLIST: .*scheme://host"):
        Settings.from_env({"CDS_FHIR_ALLOWLIST": entry})


def test_http_bases_are_allowed_only_in_open_mode() -> None:
    with pytest.raises(SettingsError, match="CDS_FHIR_ALLOWLIST: only https"):
        Settings.from_env({"CDS_FHIR_ALLOWLIST": "http://fhir.internal/r4"})
    open_mode = Settings.from_env({"CDS_AUTH": "open", "CDS_FHIR_ALLOWLIST": "http://fhir.internal/r4"})
    assert open_mode.effective_fhir_allowlist() == (AllowedBase("http", "fhir.internal", 80, "/r4"),)


def test_mode_defaults_jwt_allows_nothing_open_allows_loopback() -> None:
    assert Settings().effective_fhir_allowlist() == ()
    assert Settings().effective_private_networks() == ()
    assert Settings(auth="open").effective_fhir_allowlist() == loopback_bases()
    assert [str(n) for n in Settings(auth="open").effective_private_networks()] == ["127.0.0.0/8", "::1/128"]


def test_private_networks_setting() -> None:
    settings = Settings.from_env({"CDS_FHIR_PRIVATE_NETWORKS": "10.20.0.0/16, fd00::/8"})
    assert settings.effective_private_networks() == parse_networks("10.20.0.0/16,fd00::/8")
    with pytest.raises(SettingsError, match="CDS_FHIR_PRIVATE_NETWORKS: 'ten' is not a network"):
        Settings.from_env({"CDS_FHIR_PRIVATE_NETWORKS": "ten"})


# --- address checks --------------------------------------------------------------------------------------------------


def _policy(addresses: Sequence[str] | Exception, networks: str = "") -> OutboundPolicy:
    def resolve(host: str) -> Sequence[str]:
        if isinstance(addresses, Exception):
            raise addresses
        return addresses

    return OutboundPolicy((AllowedBase.parse(FHIR_BASE),), parse_networks(networks), resolve)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # carrier-grade NAT
        "0.0.0.0",
        "::1",
        "fe80::1",
        "fd00::1",
        "::ffff:127.0.0.1",  # loopback spelled as IPv4-mapped IPv6
        "224.0.0.1",
    ],
)
def test_a_name_resolving_to_a_non_public_address_is_refused(address: str) -> None:
    with pytest.raises(OutboundRefused) as caught:
        _policy(["93.184.215.14", address]).check_addresses("fhir.example.org")
    assert caught.value.reason == "private-address"


def test_a_listed_private_network_is_allowed() -> None:
    _policy(["10.20.1.5"], networks="10.20.0.0/16").check_addresses("fhir.example.org")
    with pytest.raises(OutboundRefused):
        _policy(["10.21.1.5"], networks="10.20.0.0/16").check_addresses("fhir.example.org")


def test_a_failed_lookup_is_refused_as_transient() -> None:
    with pytest.raises(OutboundRefused) as caught:
        _policy(OSError("no such host")).check_addresses("fhir.example.org")
    assert (caught.value.reason, caught.value.transient) == ("dns", True)
    with pytest.raises(OutboundRefused):
        _policy([]).check_addresses("fhir.example.org")


def test_a_literal_address_that_the_operator_allowlisted_needs_no_lookup() -> None:
    _policy(OSError("must not be called")).check_addresses("10.0.0.5")


# --- through the app ----------------------------------------------------------------------------------------------


class CountingResolver:
    def __init__(self, addresses: Sequence[str]) -> None:
        self.addresses = list(addresses)
        self.hosts: list[str] = []

    def __call__(self, host: str) -> Sequence[str]:
        self.hosts.append(host)
        return self.addresses


def _client(resolver: Any = public_resolver, **settings: Any) -> tuple[FlaskClient, SpyMapper]:
    mapper = SpyMapper()
    app = create_app(
        service_settings(**settings), [fake_spec(Rules())], mapper=mapper, new_uuid=counter_uuids(), resolver=resolver
    )
    return app.test_client(), mapper


@pytest.mark.parametrize(
    "server",
    [
        "https://evil.example.org/r4",
        "https://fhir.example.org/r4x",
        "http://fhir.example.org/r4",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.1/r4",
        "https://fhir.example.org:8443/r4",
    ],
)
def test_a_fhir_server_off_the_allowlist_gets_412_and_no_call(
    fhir: responses.RequestsMock, caplog: pytest.LogCaptureFixture, server: str
) -> None:
    client, _ = _client()
    reply = client.post(URL, json=hook_request(fhirServer=server, prefetch=prefetch_without("conditions")))
    assert_outcome(reply, 412, "forbidden")
    assert len(fhir.calls) == 0
    assert [line["reason"] for line in log_lines(caplog.records, "fhir_unavailable")] == ["not-allowed"]


def test_an_unlisted_fhir_server_is_harmless_when_prefetch_is_complete(fhir: responses.RequestsMock) -> None:
    client, _ = _client()
    assert client.post(URL, json=hook_request(fhirServer="https://evil.example.org/r4")).status_code == 200
    assert len(fhir.calls) == 0


def test_an_allowlisted_name_that_resolves_inside_is_refused(fhir: responses.RequestsMock) -> None:
    client, _ = _client(CountingResolver(["169.254.169.254"]))
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("conditions")))
    body = assert_outcome(reply, 412, "forbidden")
    assert TOKEN not in str(body)
    assert len(fhir.calls) == 0


def test_the_host_is_resolved_once_per_hook_call(fhir: responses.RequestsMock) -> None:
    resolver = CountingResolver(["93.184.215.14"])
    client, _ = _client(resolver)
    page2 = f"{FHIR_BASE}/Observation?page=2"
    expect_fetch(fhir, "conditions", bundle())
    expect_fetch(fhir, "proteinuria", bundle(next_url=page2))
    fhir.get(page2, json=bundle())
    expect_fetch(fhir, "medications", bundle())
    request = hook_request(prefetch=prefetch_without("conditions", "proteinuria", "medications"))
    assert client.post(URL, json=request).status_code == 200
    assert resolver.hosts == ["fhir.example.org"]  # four GETs over two gathers and a next page: one lookup


def test_redirects_are_not_followed_and_the_bearer_stays_home(fhir: responses.RequestsMock) -> None:
    client, _ = _client()
    url, _ = fhir_call("conditions")
    fhir.get(url, status=302, headers={"Location": "https://evil.example.org/steal"})
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("conditions")))
    assert_outcome(reply, 412, "exception")
    assert [call.request.url.split("?")[0] for call in fhir.calls] == [url]


def test_a_next_link_off_the_base_path_on_the_same_host_is_refused(fhir: responses.RequestsMock) -> None:
    client, _ = _client()
    expect_fetch(fhir, "conditions", bundle(next_url="https://fhir.example.org/admin/export"))
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("conditions")))
    assert_outcome(reply, 412, "forbidden")
    assert len(fhir.calls) == 1


def test_a_prefetched_bundle_cannot_steer_the_bearer_elsewhere(fhir: responses.RequestsMock) -> None:
    client, _ = _client()
    lure = bundle(next_url="https://evil.example.org/collect")
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("conditions", conditions=lure)))
    assert_outcome(reply, 412, "forbidden")
    assert len(fhir.calls) == 0


def test_a_declared_oversized_reply_is_refused_unread(fhir: responses.RequestsMock) -> None:
    client, _ = _client(fhir_max_bytes=2048)
    url, _ = fhir_call("conditions")
    fhir.get(url, body="x" * 4096, content_type="application/fhir+json")
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("conditions")))
    assert_outcome(reply, 412, "too-long")


def test_entries_over_the_cap_are_refused(fhir: responses.RequestsMock) -> None:
    client, _ = _client(fhir_max_entries=3)
    expect_fetch(fhir, "conditions", bundle(*({"resourceType": "Condition", "id": str(i)} for i in range(4))))
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("conditions")))
    assert_outcome(reply, 412, "too-costly")


def test_a_lookup_that_hangs_is_cut_at_the_budget(fhir: responses.RequestsMock) -> None:
    def slow_resolver(host: str) -> Sequence[str]:
        time.sleep(2.0)  # no timeout reaches getaddrinfo: the caller stops waiting instead
        return ["93.184.215.14"]

    client, _ = _client(slow_resolver, call_budget_seconds=0.5)
    started = time.monotonic()
    reply = client.post(URL, json=hook_request(prefetch=prefetch_without("conditions")))
    assert_outcome(reply, 412, "timeout")
    assert time.monotonic() - started < 1.5
    assert len(fhir.calls) == 0
