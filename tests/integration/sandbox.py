"""What the CDS Hooks Sandbox sends, rebuilt from its documented and observed behaviour (no Sandbox code).

It fills prefetch from the FHIR server itself: an instance read is a GET; a search is a `POST [type]/_search` with
form-encoded parameters, then a GET if that fails; a key whose query fails is left out. It signs each call with an
ES384 JWT whose key (`jku`) lives on its public website; with client authentication open (the demo), the service
does not verify it, so a JWT of the same shape with a placeholder signature stands in for it here.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlencode

import requests

ISSUER = "https://sandbox.cds-hooks.org"
KID = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"
ORIGIN = "https://sandbox.cds-hooks.org"
USER_ID = "Practitioner/COREPRACTITIONER1"
SANDBOX_ACCEPT = "application/json+fhir"  # sic: the Sandbox's own (pre-R4) FHIR media type


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(audience: str) -> str:
    """Returns a JWT shaped like the Sandbox's (ES384, its iss, kid and jku) with a placeholder signature."""
    now = int(time.time())
    header = {"alg": "ES384", "typ": "JWT", "kid": KID, "jku": f"{ISSUER}/.well-known/jwks.json"}
    claims = {"iss": ISSUER, "aud": audience, "exp": now + 300, "iat": now, "jti": str(uuid.uuid4())}
    parts = [_b64(json.dumps(header).encode()), _b64(json.dumps(claims).encode()), _b64(bytes(96))]
    return ".".join(parts)


def prefetch(session: requests.Session, fhir_base: str, templates: dict[str, str], patient_id: str) -> dict[str, Any]:
    """Returns the prefetch the Sandbox would send for `templates`, queried from `fhir_base` its way."""
    out: dict[str, Any] = {}
    for key, template in templates.items():
        rendered = template.replace("{{context.patientId}}", patient_id).replace("{{context.userId}}", USER_ID)
        path, _, query = rendered.partition("?")
        if not query:
            reply = session.get(f"{fhir_base}/{path}", headers={"Accept": SANDBOX_ACCEPT}, timeout=30)
        else:
            reply = session.post(
                f"{fhir_base}/{path}/_search",
                data=urlencode(parse_qsl(query, keep_blank_values=True)),
                headers={"Accept": SANDBOX_ACCEPT, "Content-Type": "application/x-www-form-urlencoded"},
                timeout=30,
            )
            if not reply.ok:
                reply = session.get(f"{fhir_base}/{rendered}", headers={"Accept": SANDBOX_ACCEPT}, timeout=30)
        if reply.ok and reply.json():
            out[key] = reply.json()
    return out


def hook_request(fhir_base: str, patient_id: str, prefetched: dict[str, Any]) -> dict[str, Any]:
    """Returns the Sandbox's patient-view request (open mode: no fhirAuthorization)."""
    request: dict[str, Any] = {
        "hookInstance": str(uuid.uuid4()),
        "hook": "patient-view",
        "fhirServer": fhir_base,
        "context": {"patientId": patient_id, "userId": USER_ID},
    }
    if prefetched:
        request["prefetch"] = prefetched
    return request


def dismissal(card: dict[str, Any]) -> dict[str, Any]:
    """Returns the feedback the Sandbox posts when a card is dismissed with its first override reason."""
    feedback: dict[str, Any] = {
        "card": card["uuid"],
        "outcome": "overridden",
        "outcomeTimestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
    }
    reasons = card.get("overrideReasons") or []
    if reasons:
        feedback["overrideReason"] = {"reason": {"code": reasons[0]["code"], "system": reasons[0]["system"]}}
    return {"feedback": [feedback]}
