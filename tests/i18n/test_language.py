"""Which language a call is answered in: CDS_LANGUAGE, Accept-Language, the `org.example.ln-cds.language` request
extension; an unsupported value falls back and is logged; errors follow the call's language."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from service.language import LANGUAGE_EXTENSION, choose_language
from service.settings import LANGUAGES, Settings, SettingsError
from tests.golden_support import ROOT, normalise_uuids
from tests.support import make_app

DEMO = ROOT / "lupus-nephritis-response" / "demo-refractory-7-months"
URL = "/cds-services/lupus-nephritis-response"
FALLBACK = "language_fallback"


def _request(**extension: Any) -> dict[str, Any]:
    body: dict[str, Any] = json.loads((DEMO / "request.json").read_text())
    if extension:
        body["extension"] = extension
    return body


def _expected(name: str) -> Any:
    return json.loads((DEMO / name).read_text())["body"]


def _post(body: dict[str, Any], headers: dict[str, str] | None = None, **settings: Any) -> Any:
    reply = make_app(**settings).test_client().post(URL, json=body, headers=headers or {})
    return normalise_uuids(reply.get_json())


@pytest.mark.parametrize(
    ("site", "body", "header", "chosen"),
    [
        pytest.param("en", {}, None, ("en", "site"), id="site-default"),
        pytest.param("es", {}, None, ("es", "site"), id="site-es"),
        pytest.param("en", {"extension": {LANGUAGE_EXTENSION: "es"}}, None, ("es", "extension"), id="extension"),
        pytest.param("en", {"extension": {LANGUAGE_EXTENSION: "es-CO"}}, "en", ("es", "extension"), id="ext-wins"),
        pytest.param("es", {}, "en-US,en;q=0.9", ("en", "accept-language"), id="header"),
        pytest.param("en", {}, "fr-FR, es-CO;q=0.8", ("es", "accept-language"), id="header-second-choice"),
        pytest.param("en", {}, "es;q=0, en;q=0.5", ("en", "accept-language"), id="header-q0-refuses"),
        pytest.param("es", {}, "*", ("es", "site"), id="header-any"),
        pytest.param("es", {"extension": {LANGUAGE_EXTENSION: "fr"}}, "en", ("en", "accept-language"), id="bad-ext"),
        pytest.param("es", "not a dict", None, ("es", "site"), id="bad-body"),
    ],
)
def test_the_extension_wins_then_accept_language_then_the_site(
    site: str, body: Any, header: str | None, chosen: tuple[str, str]
) -> None:
    choice = choose_language(site, LANGUAGES, body, header)
    assert (choice.language, choice.source) == chosen


@pytest.mark.parametrize(
    ("body", "header", "source", "value"),
    [
        pytest.param({"extension": {LANGUAGE_EXTENSION: "fr"}}, None, "extension", "fr", id="extension-fr"),
        pytest.param({"extension": {LANGUAGE_EXTENSION: 7}}, None, "extension", "(not a tag)", id="extension-number"),
        pytest.param({}, "fr-FR,de;q=0.5", "accept-language", "(not a tag)", id="header-fr"),
        pytest.param({}, "fr", "accept-language", "fr", id="header-fr-tag"),
    ],
)
def test_an_unsupported_language_falls_back_to_the_site_and_is_logged(
    body: Any, header: str | None, source: str, value: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="service.language"):
        assert choose_language("es", LANGUAGES, body, header).language == "es"
    events = [
        r.__dict__["cds"] for r in caplog.records if r.__dict__.get("cds", {}).get("event") == "language_fallback"
    ]
    assert events == [{"event": "language_fallback", "source": source, "value": value, "language": "es"}]


def test_cds_language_is_validated_at_startup() -> None:
    assert Settings.from_env({"CDS_LANGUAGE": "es-CO"}).language == "es"
    assert Settings.from_env({}).language == "en"
    with pytest.raises(SettingsError, match=r"^CDS_LANGUAGE: 'fr' is not a language this service writes"):
        Settings.from_env({"CDS_LANGUAGE": "fr"})


def test_the_site_language_gives_the_spanish_golden_and_english_stays_the_default() -> None:
    assert _post(_request()) == _expected("expected.json")
    assert _post(_request(), language="es") == _expected("expected.es.json")


def test_accept_language_and_the_extension_choose_spanish_per_call() -> None:
    spanish = _expected("expected.es.json")
    assert _post(_request(), {"Accept-Language": "es-CO,es;q=0.9,en;q=0.5"}) == spanish
    assert _post(_request(**{LANGUAGE_EXTENSION: "es"})) == spanish
    assert _post(_request(**{LANGUAGE_EXTENSION: "en"}), language="es") == _expected("expected.json")


def test_an_unsupported_header_gets_the_site_language_and_a_log_line(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="service.language"):
        assert _post(_request(), {"Accept-Language": "fr-FR"}, language="es") == _expected("expected.es.json")
    assert any(r.__dict__.get("cds", {}).get("event") == "language_fallback" for r in caplog.records)


def test_the_hook_call_log_line_names_the_language(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        _post(_request(), {"Accept-Language": "es"})
    lines = [r.__dict__["cds"] for r in caplog.records if r.__dict__.get("cds", {}).get("event") == "hook_call"]
    assert lines
    assert lines[-1]["language"] == "es"


def _outcome(reply: Any) -> str:
    assert reply.mimetype == "application/fhir+json"
    return str(reply.get_json()["issue"][0]["diagnostics"])


def test_operation_outcomes_follow_the_call_header_and_site() -> None:
    client = make_app(language="es").test_client()
    assert _outcome(client.post("/cds-services/nope", json=_request())) == (
        "no hay ningún servicio CDS con este id; consulte GET /cds-services"
    )
    body = _request()
    del body["context"]["patientId"]
    assert _outcome(client.post(URL, json=body)) == "context.patientId debe ser una cadena no vacía"
    assert _outcome(client.post(URL, json=body, headers={"Accept-Language": "en"})) == (
        "context.patientId must be a non-empty string"
    )
    english = make_app().test_client()
    assert _outcome(english.get("/no-such-page")) == "Not Found"
    assert _outcome(english.get("/no-such-page", headers={"Accept-Language": "es"})) == "No encontrado"
    assert _outcome(
        english.post(URL, data="{", content_type="application/json", headers={"Accept-Language": "es"})
    ) == ("el cuerpo de la solicitud no es JSON válido")


def test_the_rule_context_carries_the_chosen_language() -> None:
    from service.cds_models import parse_hook_request
    from tests.golden_support import SPECS

    invoker = make_app(language="es").extensions["cds_hooks"].invoker
    request = parse_hook_request(_request())
    spec = SPECS["lupus-nephritis-response"]
    assert invoker.rule_context(spec, request).locale == "es"
    assert invoker.rule_context(spec, request, "en").locale == "en"


def test_the_spanish_golden_is_beside_every_english_one() -> None:
    english = sorted(p.parent for p in ROOT.glob("*/*/expected.json"))
    assert english == sorted(p.parent for p in ROOT.glob("*/*/expected.es.json"))
    assert Path(DEMO / "expected.es.json").exists()
