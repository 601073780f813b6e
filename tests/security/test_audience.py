"""The JWT `aud` is bound to the endpoint invoked (spec "Trusting CDS Clients"), never to the discovery URL.

The CDS Hooks Sandbox signs `{discovery}/{id}` for a hook call and `{discovery}/{id}/feedback` for feedback
(cds-hooks/sandbox: src/retrieve-data-helpers/service-exchange.js, src/components/CardList/card-list.jsx); it signs
the discovery URL only for `GET /cds-services`, which is not authenticated. A token minted for discovery must not
open a service.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from service.auth import audiences
from tests.security.conftest import (
    FEEDBACK_URL,
    PUBLIC_URL,
    SERVICE_URL,
    JwtApp,
    SigningKey,
    bearer,
    claims,
)
from tests.service.conftest import SERVICE_ID, hook_request, log_lines

URL = f"/cds-services/{SERVICE_ID}"
DISCOVERY_URL = f"{PUBLIC_URL}/cds-services"
FEEDBACK = {"feedback": [{"card": "c-1", "outcome": "overridden", "outcomeTimestamp": "2026-06-15T09:30:00Z"}]}


def test_the_discovery_url_is_never_an_accepted_audience() -> None:
    for feedback in (False, True):
        accepted = audiences(PUBLIC_URL, SERVICE_ID, feedback=feedback)
        assert DISCOVERY_URL not in accepted
        assert f"{DISCOVERY_URL}/" not in accepted
        assert SERVICE_URL in accepted


@pytest.mark.parametrize("aud", [DISCOVERY_URL, f"{DISCOVERY_URL}/", [DISCOVERY_URL]], ids=["bare", "slash", "array"])
def test_a_token_for_discovery_does_not_open_a_service(
    jwt_app: JwtApp, ec_key: SigningKey, caplog: pytest.LogCaptureFixture, aud: Any
) -> None:
    caplog.set_level(logging.INFO)
    client = jwt_app.app.test_client()
    reply = client.post(URL, json=hook_request(), headers=bearer(ec_key.sign(claims(aud=aud))))
    assert reply.status_code == 401
    assert reply.get_json(force=True)["resourceType"] == "OperationOutcome"
    assert jwt_app.mapper.batches == []
    [line] = log_lines(caplog.records, "auth_rejected")
    assert line["reason"] == "audience"


def test_a_token_for_discovery_does_not_open_feedback(jwt_app: JwtApp, ec_key: SigningKey) -> None:
    client = jwt_app.app.test_client()
    reply = client.post(f"{URL}/feedback", json=FEEDBACK, headers=bearer(ec_key.sign(claims(aud=DISCOVERY_URL))))
    assert reply.status_code == 401


def test_the_sandbox_audiences_are_accepted(jwt_app: JwtApp, ec_key: SigningKey) -> None:
    """What the Sandbox signs: the service URL for the hook call, `{service}/feedback` for feedback."""
    client = jwt_app.app.test_client()
    hook = client.post(URL, json=hook_request(), headers=bearer(ec_key.sign(claims(aud=SERVICE_URL))))
    assert hook.status_code == 200
    feedback = client.post(f"{URL}/feedback", json=FEEDBACK, headers=bearer(ec_key.sign(claims(aud=FEEDBACK_URL))))
    assert feedback.status_code == 200
