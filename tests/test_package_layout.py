"""Helpers live where they belong: the shipped packages never import developer code, and the tools never import
the test suite (issue 9, item 6). Read from the source with `ast`, so nothing here is imported to check it."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RUNTIME = ("service", "hooks", "fhir_maps")  # what setuptools ships
DEVELOPER = ("demo", "stories", "scripts", "bench", "ln_testing", "tests")


def _imported_top_levels(package: str) -> dict[str, set[str]]:
    """Returns, per module file of `package`, the top-level names of the modules it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def _offenders(package: str, banned: set[str]) -> dict[str, set[str]]:
    return {f: names & banned for f, names in _imported_top_levels(package).items() if names & banned}


@pytest.mark.parametrize("package", RUNTIME)
def test_shipped_packages_import_no_developer_code(package: str) -> None:
    assert _offenders(package, set(DEVELOPER)) == {}


@pytest.mark.parametrize("package", ["demo", "stories", "scripts", "bench", "ln_testing"])
def test_tools_do_not_import_the_test_suite(package: str) -> None:
    assert _offenders(package, {"tests"}) == {}


@pytest.mark.parametrize("package", ["demo", "stories"])
def test_demo_and_stories_do_not_import_scripts(package: str) -> None:
    assert _offenders(package, {"scripts"}) == {}


def test_no_demo_code_in_service() -> None:
    assert not (ROOT / "service" / "demo.py").exists()
    assert _offenders("service", {"demo"}) == {}


def test_only_the_runtime_packages_are_shipped() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert config["tool"]["setuptools"]["packages"]["find"]["include"] == [f"{p}*" for p in RUNTIME]
