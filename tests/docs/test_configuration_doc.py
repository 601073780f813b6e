"""docs/configuration.md and .env.example list exactly the variables the settings classes read, with their defaults.

The variables come from the code, not from a list kept here: every field of `service.settings.Settings` and of
each registered service's own config class (its spec's `config_from_env`), older alias names included.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hooks import REGISTRY
from scripts.services_doc import config_class, variable_names
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "configuration.md"
ENV_EXAMPLE = ROOT / ".env.example"
_VARIABLE = re.compile(r"\bCDS_[A-Z0-9]+(?:_[A-Z0-9]+)*(?![A-Z0-9_*])")
_ASSIGNMENT = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")

# Variables of the developer tools, documented on the page but read by no settings class; each with the file that
# reads it, so a tool variable that is no longer read is stale too.
TOOL_VARIABLES = {
    "FHIR_PORT": "demo/launcher.py",
    "DEMO_LOG_DIR": "demo/launcher.py",
    "UPDATE_GOLDEN": "tests/test_golden.py",
    "CDS_FUZZ_PROFILE": "tests/security/test_fuzz.py",
}


def _names_per_setting() -> list[tuple[str, ...]]:
    """Returns each setting's variable names (current first, older after), generic settings then each service's."""
    names = list(dict.fromkeys(variable_names(Settings)))  # CDS_TRUSTED_ISSUERS feeds two fields
    for spec in REGISTRY:
        model = config_class(spec.config_from_env)
        if model is not None:
            names += variable_names(model)
    return names


CURRENT = [names[0] for names in _names_per_setting()]
OLDER = [old for names in _names_per_setting() for old in names[1:]]


def _table_rows(text: str) -> dict[str, list[str]]:
    """Returns the page's table rows whose first cell is one backticked variable: variable -> the other cells."""
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        if cells and re.fullmatch(r"`[A-Z][A-Z0-9_]*`", cells[0]):
            rows.setdefault(cells[0].strip("`"), cells[1:])
    return rows


def _env_example() -> dict[str, tuple[str, bool]]:
    """Returns .env.example's assignments: variable -> (value, commented out)."""
    found: dict[str, tuple[str, bool]] = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = _ASSIGNMENT.match(line.strip())
        if match:
            found[match.group(2)] = (match.group(3), match.group(1) is not None)
    return found


def test_the_settings_classes_read_variables() -> None:
    assert "CDS_PORT" in CURRENT
    assert "CDS_LN_CRITERIA_SET" in CURRENT
    assert "CDS_CRITERIA_SET" in OLDER
    assert len(CURRENT) == len(set(CURRENT))


@pytest.mark.parametrize("variable", CURRENT)
def test_every_setting_has_a_row_on_the_configuration_page(variable: str) -> None:
    assert variable in _table_rows(PAGE.read_text()), f"docs/configuration.md has no table row for {variable}"


@pytest.mark.parametrize("variable", OLDER)
def test_every_older_name_is_documented_beside_its_current_name(variable: str) -> None:
    current = next(names[0] for names in _names_per_setting() if variable in names[1:])
    assert f"| `{current}` | `{variable}` |" in PAGE.read_text(), (
        f"docs/configuration.md's table of older names has no row {current} -> {variable}"
    )


@pytest.mark.parametrize("variable", CURRENT + OLDER)
def test_every_setting_is_in_env_example(variable: str) -> None:
    assert variable in _env_example(), f".env.example has no line {variable}=..."


def test_the_configuration_page_lists_nothing_stale() -> None:
    text = PAGE.read_text()
    known = set(CURRENT) | set(OLDER) | set(TOOL_VARIABLES)
    assert set(_VARIABLE.findall(text)) - known == set()
    assert set(_table_rows(text)) - known == set()


def test_env_example_lists_nothing_stale() -> None:
    assert set(_env_example()) - (set(CURRENT) | set(OLDER)) == set()


def test_env_example_values_are_the_defaults() -> None:
    """The lines not commented out hold each variable's default: reading them changes nothing."""
    values = {name: value for name, (value, commented) in _env_example().items() if not commented}
    assert values, ".env.example sets no default"
    assert Settings.from_env(values) == Settings.from_env({})
    for spec in REGISTRY:
        assert spec.config_from_env(values) == spec.config_from_env({}), spec.id


def test_older_names_are_commented_out_in_env_example() -> None:
    """An older name set beside the current one would be ignored; .env.example only mentions them."""
    example = _env_example()
    assert all(example[name][1] for name in OLDER)


def test_the_page_gives_the_same_default_as_env_example() -> None:
    rows = _table_rows(PAGE.read_text())
    for name, (value, commented) in _env_example().items():
        if not commented and name in CURRENT:
            assert rows[name][0] == f"`{value}`", f"{name}: the page says {rows[name][0]}, .env.example {value}"


@pytest.mark.parametrize("variable", sorted(TOOL_VARIABLES))
def test_every_tool_variable_is_still_read_where_the_page_says(variable: str) -> None:
    assert variable in (ROOT / TOOL_VARIABLES[variable]).read_text()
    assert TOOL_VARIABLES[variable] in PAGE.read_text()
