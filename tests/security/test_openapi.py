"""openapi.yaml describes the app exactly: a valid OpenAPI 3.1 document, the same routes and methods as the Flask
url_map, examples that validate against their schemas, and example requests that get a documented answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
import yaml
from flask import Flask
from openapi_spec_validator import validate as validate_openapi

from service.app import create_app
from tests.service.conftest import service_settings

ROOT = Path(__file__).resolve().parents[2]
DOC: dict[str, Any] = yaml.safe_load((ROOT / "openapi.yaml").read_text())
METHODS = ("get", "post", "put", "patch", "delete", "options", "head")


class _NoNetwork(requests.adapters.BaseAdapter):
    """A transport that refuses every request: the fuzzed app must never reach a network."""

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        raise requests.ConnectionError("no network in the fuzz tests")

    def close(self) -> None:
        return None


def doc_app(**settings: Any) -> Flask:
    """Returns the real app, open mode, no FHIR server allowed, no network: the app the document describes."""
    session = requests.Session()
    session.mount("http://", _NoNetwork())
    session.mount("https://", _NoNetwork())
    return create_app(service_settings(**{"fhir_allowlist": (), **settings}), session=session)


def schema_validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """Returns a validator for a schema of the document, its `#/components/...` references resolvable."""
    rooted = {**schema, "components": DOC["components"]}
    return jsonschema.Draft202012Validator(rooted, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = DOC
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _examples() -> Iterator[tuple[str, dict[str, Any], Any]]:
    """Yields (where, schema, example value) for every example of a request or response body."""
    for path, item in DOC["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            bodies = [("request", operation.get("requestBody", {}))]
            bodies += [(f"response {code}", _resolve(r)) for code, r in operation["responses"].items()]
            for label, body in bodies:
                for media, content in _resolve(body).get("content", {}).items():
                    for name, example in content.get("examples", {}).items():
                        yield f"{method.upper()} {path} {label} {media} {name}", content["schema"], example["value"]


EXAMPLES = list(_examples())


def test_the_document_is_valid_openapi() -> None:
    validate_openapi(DOC)


def test_every_route_is_documented_and_every_documented_path_is_a_route() -> None:
    app = doc_app()
    routes = {
        rule.rule.replace("<", "{").replace(">", "}"): {m.lower() for m in rule.methods or ()} - {"head"}
        for rule in app.url_map.iter_rules()
    }
    documented = {path: {m for m in METHODS if m in item} for path, item in DOC["paths"].items()}
    assert routes == documented


def test_authenticated_operations_are_exactly_invoke_feedback_and_report() -> None:
    secured = {
        f"{method} {path}"
        for path, item in DOC["paths"].items()
        for method in METHODS
        if method in item and item[method].get("security", DOC.get("security"))
    }
    assert secured == {
        "post /cds-services/{service_id}",
        "post /cds-services/{service_id}/feedback",
        "get /cds-services/{service_id}/report",
    }


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 6


@pytest.mark.parametrize(("where", "schema", "value"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_every_example_validates_against_its_schema(where: str, schema: dict[str, Any], value: Any) -> None:
    errors = [error.message for error in schema_validator(schema).iter_errors(value)]
    assert errors == []


def _documented_answer(operation: dict[str, Any], status: int) -> dict[str, Any]:
    responses = operation["responses"]
    assert str(status) in responses, f"status {status} is not documented"
    return _resolve(responses[str(status)])


REQUESTS = [
    (path, method, name, example["value"])
    for path, item in DOC["paths"].items()
    for method in ("post",)
    if method in item
    for name, example in item[method]["requestBody"]["content"]["application/json"].get("examples", {}).items()
]


@pytest.mark.parametrize(("path", "method", "name", "body"), REQUESTS, ids=[f"{r[0]} {r[2]}" for r in REQUESTS])
def test_example_requests_get_a_documented_answer(path: str, method: str, name: str, body: Any) -> None:
    url = path.replace("{service_id}", "lupus-nephritis-response")
    reply = doc_app().test_client().open(url, method=method.upper(), json=body)
    answer = _documented_answer(DOC["paths"][path][method], reply.status_code)
    content = answer.get("content")
    if content is None:
        assert reply.get_data() == b""
        return
    [(media, spec)] = content.items()
    assert reply.mimetype == media
    assert list(schema_validator(spec["schema"]).iter_errors(reply.get_json(force=True))) == []


def test_discovery_answers_as_documented() -> None:
    reply = doc_app().test_client().get("/cds-services")
    answer = _documented_answer(DOC["paths"]["/cds-services"]["get"], reply.status_code)
    schema = answer["content"]["application/json"]["schema"]
    assert list(schema_validator(schema).iter_errors(reply.get_json())) == []
