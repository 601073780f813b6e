"""The project's own CDS Hooks 2.0 contract checks (JSON Schema plus the spec's invariants), strict by default.

Written from the spec (https://cds-hooks.hl7.org/2.0/: "CDS Service Response", "Card Attributes", "Discovery",
"Feedback") so the suite needs nothing outside the repository. Strict mode forbids members the spec does not
define (catching typos such as `overrideReason` on a card); `extension` is always allowed.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

_URI = {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9+.-]*:"}
_EXT = {"type": "object"}
_CODING = {
    "type": "object",
    "properties": {
        "system": _URI,
        "code": {"type": "string"},
        "display": {"type": "string"},
        "extension": _EXT,
    },
}
_ACTION = {
    "type": "object",
    "required": ["type", "description"],
    "properties": {
        "type": {"enum": ["create", "update", "delete"]},
        "description": {"type": "string", "minLength": 1},
        "resource": {"type": "object", "required": ["resourceType"]},
        "resourceId": {"type": "string"},
        "extension": _EXT,
    },
}
_LINK = {
    "type": "object",
    "required": ["label", "url", "type"],
    "properties": {
        "label": {"type": "string", "minLength": 1},
        "url": _URI,
        "type": {"enum": ["absolute", "smart"]},
        "appContext": {"type": "string"},
        "autolaunchable": {"type": "boolean"},
        "extension": _EXT,
    },
}
_SUGGESTION = {
    "type": "object",
    "required": ["label"],
    "properties": {
        "label": {"type": "string", "minLength": 1},
        "uuid": {"type": "string"},
        "isRecommended": {"type": "boolean"},
        "actions": {"type": "array", "items": _ACTION},
        "extension": _EXT,
    },
}
_CARD = {
    "type": "object",
    "required": ["summary", "indicator", "source"],
    "properties": {
        "uuid": {"type": "string"},
        "summary": {"type": "string", "minLength": 1, "maxLength": 139},
        "detail": {"type": "string", "minLength": 1},
        "indicator": {"enum": ["info", "warning", "critical"]},
        "source": {
            "type": "object",
            "required": ["label"],
            "properties": {
                "label": {"type": "string", "minLength": 1},
                "url": _URI,
                "icon": _URI,
                "topic": _CODING,
                "extension": _EXT,
            },
        },
        "suggestions": {"type": "array", "minItems": 1, "items": _SUGGESTION},
        "selectionBehavior": {"enum": ["at-most-one", "any"]},
        "overrideReasons": {
            "type": "array",
            "minItems": 1,
            "items": {**_CODING, "required": ["system", "code", "display"]},
        },
        "links": {"type": "array", "minItems": 1, "items": _LINK},
        "extension": _EXT,
    },
}
RESPONSE_SCHEMA = {
    "type": "object",
    "required": ["cards"],
    "properties": {
        "cards": {"type": "array", "items": _CARD},
        "systemActions": {"type": "array", "minItems": 1, "items": _ACTION},
        "extension": _EXT,
    },
}
DISCOVERY_SCHEMA = {
    "type": "object",
    "required": ["services"],
    "properties": {
        "services": {
            "type": "array",
            "minItems": 1,  # the Sandbox treats an empty list as a failed discovery
            "items": {
                "type": "object",
                "required": ["hook", "description", "id"],
                "properties": {
                    "hook": {"type": "string", "minLength": 1},
                    "title": {"type": "string"},
                    "description": {"type": "string", "minLength": 1},
                    "id": {"type": "string", "pattern": r"^[^/?#\s]+$"},
                    "prefetch": {"type": "object", "additionalProperties": {"type": "string"}},
                    "usageRequirements": {"type": "string"},
                    "extension": _EXT,
                },
            },
        },
        "extension": _EXT,
    },
}
OPERATION_OUTCOME_SCHEMA = {
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"const": "OperationOutcome"},
        "issue": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["severity", "code"],
                "properties": {
                    "severity": {"enum": ["fatal", "error", "warning", "information"]},
                    "code": {"type": "string", "minLength": 1},
                    "diagnostics": {"type": "string"},
                },
            },
        },
    },
}


def _strict(schema: Any) -> Any:
    """Returns a copy of `schema` that forbids unknown members wherever it lists properties."""
    if isinstance(schema, dict):
        out = {k: _strict(v) for k, v in schema.items()}
        if "properties" in schema and "additionalProperties" not in schema:
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [_strict(v) for v in schema]
    return schema


def _errors(schema: dict[str, Any], obj: Any, strict: bool) -> list[str]:
    validator = Draft202012Validator(_strict(schema) if strict else schema)
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(obj)]


def check_response(obj: Any, strict: bool = True) -> list[str]:
    """Returns the contract violations of a CDS Service response (empty when it conforms)."""
    errors = _errors(RESPONSE_SCHEMA, obj, strict)
    if errors:
        return errors
    uuids: list[str] = []
    for i, card in enumerate(obj["cards"]):
        if "uuid" not in card:
            errors.append(f"cards/{i}: no uuid (feedback cannot name the card)")
        else:
            uuids.append(card["uuid"])
        suggestions = card.get("suggestions", [])
        if suggestions and "selectionBehavior" not in card:
            errors.append(f"cards/{i}: suggestions without selectionBehavior")
        if (
            card.get("selectionBehavior") == "at-most-one"
            and sum(s.get("isRecommended", False) for s in suggestions) > 1
        ):
            errors.append(f"cards/{i}: more than one recommended suggestion with at-most-one")
        for j, link in enumerate(card.get("links", [])):
            if link["type"] != "smart" and "appContext" in link:
                errors.append(f"cards/{i}/links/{j}: appContext is only for smart links")
        for j, suggestion in enumerate(suggestions):
            for k, action in enumerate(suggestion.get("actions", [])):
                where = f"cards/{i}/suggestions/{j}/actions/{k}"
                if action["type"] in ("create", "update") and "resource" not in action:
                    errors.append(f"{where}: {action['type']} needs a resource")
                if action["type"] == "delete" and "resourceId" not in action:
                    errors.append(f"{where}: delete needs a resourceId")
    if len(uuids) != len(set(uuids)):
        errors.append("cards: duplicate card uuid")
    return errors


def check_discovery(obj: Any, strict: bool = True) -> list[str]:
    """Returns the contract violations of a discovery document (empty when it conforms)."""
    errors = _errors(DISCOVERY_SCHEMA, obj, strict)
    if not errors:
        ids = [s["id"] for s in obj["services"]]
        if len(ids) != len(set(ids)):
            errors.append("services: duplicate id")
    return errors


def check_operation_outcome(obj: Any) -> list[str]:
    """Returns the violations of an error body, which must be a FHIR OperationOutcome without internals."""
    errors = _errors(OPERATION_OUTCOME_SCHEMA, obj, strict=False)
    text = repr(obj)
    for leak in ("Traceback", 'File "', "Exception", "Error("):
        if leak in text:
            errors.append(f"error body leaks internals ({leak!r})")
    return errors
