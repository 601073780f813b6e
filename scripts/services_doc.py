"""Writes the services table of docs/services.md from `hooks.REGISTRY`, between the `services-table` markers.

The table is what discovery says (id, hook, title, description, prefetch keys) plus where each service lives, the
`CDS_*` variables its own config reads (current name first, older names after) and its golden fixture folder.
tests/docs/test_services_doc.py compares the committed page with a fresh rendering, so it cannot drift.

Run: .venv/bin/python -m scripts.services_doc   (or `make docs`)
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel

from hooks import REGISTRY
from hooks.spec import CdsServiceSpec

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "services.md"
FIXTURES = ROOT / "cards_fixtures"
TABLE_START = "<!-- services-table: written by `python -m scripts.services_doc` from hooks.REGISTRY -->"
TABLE_END = "<!-- /services-table -->"


def variable_names(model: type[BaseModel]) -> list[tuple[str, ...]]:
    """Returns, per field of a settings class, its variable names: the current one first, older aliases after."""
    names: list[tuple[str, ...]] = []
    for info in model.model_fields.values():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.append(tuple(str(choice) for choice in alias.choices))
        elif alias is not None:
            names.append((str(alias),))
    return names


def config_class(config_from_env: Callable[..., Any]) -> type[BaseModel] | None:
    """Returns the settings class whose `from_env` a spec's `config_from_env` is, or None (no own settings)."""
    owner = getattr(config_from_env, "__self__", None)
    return owner if isinstance(owner, type) and issubclass(owner, BaseModel) else None


def _module_doc(spec: CdsServiceSpec[Any]) -> str:
    """Returns the service's package README (or module file), relative to docs/."""
    parts = spec.evaluate.__module__.split(".")
    package = ROOT.joinpath(*parts[:2])
    if (package / "README.md").exists():
        return f"../{parts[0]}/{parts[1]}/README.md"
    return f"../{parts[0]}/{parts[1]}.py"


def _settings_cell(spec: CdsServiceSpec[Any]) -> str:
    model = config_class(spec.config_from_env)
    if model is None:
        return "none"
    cells = []
    for current, *older in variable_names(model):
        old = f" (older name {', '.join(f'`{name}`' for name in older)})" if older else ""
        cells.append(f"`{current}`{old}")
    return "<br>".join(cells) or "none"


def _fixtures_cell(spec: CdsServiceSpec[Any], fixtures: Path) -> str:
    # No scenario count: adding a scenario should not make this page drift.
    if not (fixtures / spec.id).is_dir():
        return "none"
    return f"[`cards_fixtures/{spec.id}/`](../cards_fixtures/{spec.id}/)"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def services_table(registry: Sequence[CdsServiceSpec[Any]] = REGISTRY, fixtures: Path = FIXTURES) -> str:
    """Returns the services table (markdown) and each service's discovery description."""
    lines = [
        "| id | hook | title | code | prefetch keys | own settings | golden fixtures |",
        "|---|---|---|---|---|---|---|",
    ]
    for spec in registry:
        keys = ", ".join(f"`{key}`" for key in spec.prefetch) or "none"
        code = f"[{spec.evaluate.__module__.split('.')[1]}]({_module_doc(spec)})"
        lines.append(
            f"| `{spec.id}` | `{spec.hook}` | {_cell(spec.title)} | {code} | {keys} | {_settings_cell(spec)} "
            f"| {_fixtures_cell(spec, fixtures)} |"
        )
    for spec in registry:
        lines += ["", f"**`{spec.id}`** (discovery description): {_cell(spec.description)}"]
    return "\n".join(lines)


def doc_with_table(doc: str, table: str) -> str:
    """Returns `doc` with the text between the services-table markers replaced by `table`."""
    start, end = doc.find(TABLE_START), doc.find(TABLE_END)
    if start < 0 or end < start:
        raise ValueError(f"docs/services.md has no services table markers ({TABLE_START} ... {TABLE_END})")
    return doc[: start + len(TABLE_START)] + "\n" + table + "\n" + doc[end:]


def main() -> None:
    """Rewrites the generated part of docs/services.md."""
    DOC.write_text(doc_with_table(DOC.read_text(), services_table()))
    sys.stdout.write(f"wrote the table of {len(REGISTRY)} service(s) to {DOC.relative_to(ROOT)}\n")


if __name__ == "__main__":
    main()
