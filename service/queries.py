"""Pure prefetch-template rendering: tokens filled from the hook context, values URL-encoded. No network here.

Spec "Prefetch tokens" (https://cds-hooks.hl7.org/2.0/#prefetch-tokens): `{{context.<field>}}` and the user
tokens `{{userPractitionerId}}`, `{{userPractitionerRoleId}}`, `{{userPatientId}}`, `{{userRelatedPersonId}}`,
which name the id part of `context.userId` when it is a reference of that type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

_TOKEN = re.compile(r"\{\{\s*([^}]*?)\s*\}\}")
_INSTANCE_READ = re.compile(r"^[A-Z][A-Za-z]+/[^/?]+$")
_USER_TOKENS = {
    "userPractitionerId": "Practitioner",
    "userPractitionerRoleId": "PractitionerRole",
    "userPatientId": "Patient",
    "userRelatedPersonId": "RelatedPerson",
}


def _user_reference(context: Mapping[str, Any]) -> tuple[str, str] | None:
    user = context.get("userId")
    if not isinstance(user, str) or user.count("/") != 1:
        return None
    kind, _, ident = user.partition("/")
    return (kind, ident) if kind and ident else None


def _token_value(name: str, context: Mapping[str, Any]) -> str | None:
    if name in _USER_TOKENS:
        ref = _user_reference(context)
        return quote(ref[1], safe="") if ref and ref[0] == _USER_TOKENS[name] else None
    if name == "context.userId":  # a reference "Practitioner/x": encode each side, keep the one '/'
        ref = _user_reference(context)
        return f"{quote(ref[0], safe='')}/{quote(ref[1], safe='')}" if ref else None
    if name.startswith("context."):
        value = context.get(name.removeprefix("context."))
        return quote(value, safe="") if isinstance(value, str) and value else None
    return None


def render_query(template: str, context: Mapping[str, Any]) -> str | None:
    """Returns `template` with every token replaced by its URL-encoded value, or None when one has no value.

    None means the key cannot be fetched for this call (e.g. `{{context.encounterId}}` outside an encounter);
    the caller treats it like a key it has no server for.
    """
    missing = False

    def fill(match: re.Match[str]) -> str:
        nonlocal missing
        value = _token_value(match.group(1), context)
        if value is None:
            missing = True
            return ""
        return value

    rendered = _TOKEN.sub(fill, template)
    return None if missing else rendered


def is_instance_read(query: str) -> bool:
    """Returns True when `query` is an instance read such as `Patient/123` (not a type search)."""
    return bool(_INSTANCE_READ.match(query))
