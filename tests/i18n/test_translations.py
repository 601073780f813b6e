"""Every English text has its Spanish translation, reviewed and current, and the .pot/.po files match the code.

Each catalogue key is its own test (the id is the key), so after a merge that adds English keys the failures name
exactly what to translate: run `make i18n`, fill in the empty msgstr (or review the fuzzy one) in the .po, rerun.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.pofile import read_po

import service
from hooks.i18n import SUPPORTED_LOCALES, po_path
from hooks.lupus_nephritis_response.cards import translations as cards
from hooks.lupus_nephritis_response.cards.catalogue_en import EN
from hooks.lupus_nephritis_response.cards.render import summary_samples
from hooks.lupus_nephritis_response.cards.words import words_for
from scripts import i18n
from service import errors
from service.errors import DIAGNOSTICS, localize
from service.settings import LANGUAGES

# Keys whose Spanish is rightly the English text: INN names spelt alike, acronyms, units, markup and punctuation.
SAME_IN_SPANISH = frozenset(
    {
        "set.kdigo-2024",
        "agent.rituximab",
        "agent.obinutuzumab",
        "agent.ofatumumab",
        "agent.belimumab",
        "agent.tacrolimus",
        "agent.anifrolumab",
        "agents.combined",
        "unit.upcr",
        "list.sep",
        "censored.with",
        "figures",
        "figures.no-change",
        "table.row",
        "table.value",
        "table.none",
        "sediment.sep",
        "therapy.rituximab.short",
        "guideline.kdigo-ln-2024",
        "guideline.eular-ln-2019",
        "guideline.eular-ln-2025",
        "link.option",
        "measure.mixed",
        "table.proteinuria",
    }
)
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _catalog(path: Path) -> dict[str | None, Message]:
    with path.open("rb") as fh:
        return {m.context: m for m in read_po(fh) if m.id}


SPANISH = {
    "cards": (EN, _catalog(po_path(cards.LOCALE_DIR, "es", cards.DOMAIN))),
    "errors": (DIAGNOSTICS, _catalog(po_path(errors.LOCALE_DIR, "es", errors.DOMAIN))),
}
KEYS = [(domain, key) for domain, (source, _) in SPANISH.items() for key in source]


@pytest.mark.parametrize(("domain", "key"), KEYS, ids=[f"{d}:{k}" for d, k in KEYS])
def test_every_english_text_has_a_current_reviewed_spanish_translation(domain: str, key: str) -> None:
    source, catalog = SPANISH[domain]
    message = catalog.get(key)
    hint = "run `make i18n`, then translate it in the es .po"
    assert message is not None, f"{domain} key {key!r} is missing from the Spanish catalogue: {hint}"
    assert message.id == source[key], f"{domain} key {key!r}: the .po has an older English text: {hint}"
    assert not message.fuzzy, f"{domain} key {key!r} is fuzzy (its English text changed): review it and drop the flag"
    assert message.string, f"{domain} key {key!r} has no Spanish text: {hint}"
    placeholders = sorted(_PLACEHOLDER.findall(str(message.string)))
    assert placeholders == sorted(_PLACEHOLDER.findall(source[key])), f"{domain} key {key!r}: placeholders differ"
    if key not in SAME_IN_SPANISH:
        assert message.string != message.id, f"{domain} key {key!r} is untranslated (Spanish equals English)"


def test_the_spanish_catalogues_hold_no_key_the_code_lacks() -> None:
    for domain, (source, catalog) in SPANISH.items():
        assert set(catalog) - set(source) == set(), domain


def test_the_same_in_spanish_list_names_only_real_keys() -> None:
    assert SAME_IN_SPANISH <= set(EN)


def test_pot_and_po_files_are_what_make_i18n_writes() -> None:
    assert i18n.stale() == [], "run `make i18n` and commit the .pot/.po files"


def test_the_installed_package_ships_every_catalogue() -> None:
    """package-data must list each .po and .pot: they are read from the installed package at import."""
    import fnmatch
    import tomllib

    root = Path(__file__).resolve().parents[2]
    package_data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    files = sorted(p for p in root.glob("*/**/locale/**/*.po*") if ".venv" not in p.parts)
    assert len(files) >= 4
    for path in files:
        package, inner = path.relative_to(root).parts[0], "/".join(path.relative_to(root).parts[1:])
        assert any(fnmatch.fnmatch(inner, pattern) for pattern in package_data.get(package, [])), inner


def test_the_service_and_the_cards_speak_the_same_languages() -> None:
    assert LANGUAGES == SUPPORTED_LOCALES
    assert all(words_for(locale).catalogue for locale in SUPPORTED_LOCALES)


@pytest.mark.parametrize("locale", SUPPORTED_LOCALES)
def test_every_summary_stays_under_140_characters_in_every_language(locale: str) -> None:
    for text in summary_samples(words_for(locale)):
        assert len(text) < 140, (locale, len(text), text)


def _raised_diagnostics() -> list[tuple[str, str]]:
    """Returns (file, template) for every diagnostic text given to an error class in service/: the first argument
    of a call to a CdsError subclass (or of super().__init__ inside one), f-string parts turned into `{}`."""
    names = {"CdsError", "super"}
    root = Path(service.__file__).parent
    trees = {path: ast.parse(path.read_text()) for path in sorted(root.rglob("*.py"))}
    for tree in trees.values():  # error classes, wherever declared (edge.py, store/records.py, ...)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(getattr(b, "id", "") in names for b in node.bases):
                names.add(node.name)
    for tree in trees.values():  # second pass: subclasses of subclasses
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and any(getattr(b, "id", "") in names for b in node.bases):
                names.add(node.name)
    # these take a fixed reason class for the log (their diagnostics are the literals of their own __init__)
    names -= {"FhirUnavailable", "FhirTransientError", "FhirFatalError", "Unauthenticated", "RateLimited"}
    out = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if isinstance(func, ast.Attribute) and called == "__init__":
                called = "super" if isinstance(func.value, ast.Call) else ""
            if called not in names - {"CdsError"} and called != "super":
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and " " in arg.value:
                out.append((path.name, arg.value))
            elif isinstance(arg, ast.JoinedStr):
                parts = [v.value if isinstance(v, ast.Constant) else "{}" for v in arg.values]
                out.append((path.name, "".join(str(p) for p in parts)))
    return out


def _shape(template: str) -> str:
    return _PLACEHOLDER.sub("{}", template)


RAISED = _raised_diagnostics()


@pytest.mark.parametrize(("module", "text"), RAISED, ids=[f"{m}:{t[:40]}" for m, t in RAISED])
def test_every_diagnostic_the_service_raises_is_in_the_catalogue(module: str, text: str) -> None:
    assert _shape(text) in {_shape(t) for t in DIAGNOSTICS.values()}, f"{module} raises {text!r}: add it to DIAGNOSTICS"


def test_the_diagnostic_walk_finds_the_raises() -> None:
    assert ("invoke.py", "no CDS service with this id; see GET /cds-services") in RAISED
    assert ("cds_models.py", "{} must be a JSON object") in RAISED
    assert len(RAISED) >= 30


@pytest.mark.parametrize(
    ("english", "spanish"),
    [
        ("context.patientId must be a non-empty string", "context.patientId debe ser una cadena no vacía"),
        ("the body exceeds 1048576 bytes", "el cuerpo supera los 1048576 bytes"),
        (
            "prefetch key 'conditions' is required but was not prefetched or fetchable",
            "la clave de prefetch 'conditions' es obligatoria pero no se precargó ni pudo obtenerse",
        ),
        ("Not Found", "No encontrado"),
        ("a text no template makes", "a text no template makes"),
    ],
)
def test_a_diagnostic_is_written_in_spanish_with_the_same_names_and_numbers(english: str, spanish: str) -> None:
    assert localize(english, "es") == spanish
    assert localize(english, "en") == english


def _glossary_terms() -> list[str]:
    text = (Path(__file__).resolve().parents[2] / "docs" / "glossary-es.md").read_text()
    rows = [line.split("|") for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    return [row[2].strip().strip("*") for row in rows[1:] if len(row) > 3]


def _all_spanish(source: Mapping[str, str]) -> str:
    return "\n".join(words_for("es").catalogue[k] for k in source)


def test_every_glossary_term_is_the_one_the_cards_use() -> None:
    spanish = _all_spanish(EN).lower()
    terms = _glossary_terms()
    assert len(terms) >= 20
    missing = [t for t in terms if t.lower() not in spanish]
    assert missing == []
