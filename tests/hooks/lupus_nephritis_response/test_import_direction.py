"""Imports inside hooks/lupus_nephritis_response run one way: cards -> rules -> knowledge.

An AST walk over every module of the package (no import-linter: one more tool for a rule this small). A wrong-way
import (rules importing cards, knowledge importing rules or cards) fails here, and so does an import of the package
root or of its service settings (`config.py`) from inside a layer, which would hide a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import hooks.lupus_nephritis_response as package

ROOT = Path(package.__file__).parent
NAME = package.__name__
LAYERS = ("knowledge", "rules", "cards")  # lowest first: a layer may import only itself and those before it
# Outside the package, each layer may use only these: knowledge is data (plus the domain types), rules add the spec's
# RuleContext, cards add the wire models of hooks.cards and the languages and .po reader of hooks.i18n (issue 16).
OUTSIDE = {
    "knowledge": ("fhir_maps",),
    "rules": ("fhir_maps", "hooks.spec"),
    "cards": ("fhir_maps", "hooks.spec", "hooks.cards", "hooks.i18n"),
}


def imported(source: str) -> list[str]:
    """Returns every absolute module name `source` imports (relative imports are not used in this project)."""
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def violations(layer: str, source: str) -> list[str]:
    """Returns the imports of a module of `layer` that break the direction."""
    allowed_inside = LAYERS[: LAYERS.index(layer) + 1]
    out = []
    for name in imported(source):
        if name == NAME or name.startswith(f"{NAME}."):
            inner = name.removeprefix(NAME).lstrip(".").split(".")[0]
            if inner not in allowed_inside:
                out.append(name)
        elif name.startswith(("hooks", "fhir_maps", "service")) and not name.startswith(OUTSIDE[layer]):
            out.append(name)
    return out


MODULES = sorted(p for layer in LAYERS for p in (ROOT / layer).glob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=[str(p.relative_to(ROOT)) for p in MODULES])
def test_imports_run_cards_to_rules_to_knowledge(path: Path) -> None:
    layer = path.relative_to(ROOT).parts[0]
    assert violations(layer, path.read_text()) == []


def test_every_module_of_the_package_is_in_a_layer() -> None:
    top = sorted(p.name for p in ROOT.glob("*.py"))
    # __init__ builds the SPEC from all three layers; config.py reads the service's own settings at startup.
    assert top == ["__init__.py", "config.py"]
    assert sorted(p.name for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith("__")) == sorted(LAYERS)


@pytest.mark.parametrize(
    ("layer", "source"),
    [
        pytest.param("rules", "from hooks.lupus_nephritis_response.cards.words import t", id="rules-imports-cards"),
        pytest.param("knowledge", "from hooks.lupus_nephritis_response.rules import measures", id="knowledge-rules"),
        pytest.param("knowledge", "import hooks.lupus_nephritis_response.cards.words", id="knowledge-imports-cards"),
        pytest.param("rules", "from hooks.lupus_nephritis_response import SPEC", id="rules-imports-package-root"),
        pytest.param(
            "rules", "from hooks.lupus_nephritis_response.config import LupusNephritisConfig", id="rules-config"
        ),
        pytest.param("knowledge", "from hooks.cards import Card", id="knowledge-imports-wire-models"),
        pytest.param("rules", "from service.settings import Settings", id="rules-imports-service"),
    ],
)
def test_a_wrong_way_import_is_caught(layer: str, source: str) -> None:
    assert violations(layer, source) != []


def test_right_way_imports_pass() -> None:
    source = (
        "from hooks.lupus_nephritis_response.knowledge.criteria_sets import CriteriaSet\n"
        "from hooks.lupus_nephritis_response.rules.assessment import Assessment\n"
        "from hooks.cards import Card\nfrom hooks.spec import RuleContext\nfrom fhir_maps.domain import Agent\n"
    )
    assert violations("cards", source) == []
