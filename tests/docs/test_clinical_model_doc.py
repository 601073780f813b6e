"""docs/clinical-model.md lists exactly the criteria sets the code offers, and marks the code's default."""

from __future__ import annotations

import re
from pathlib import Path

from hooks.lupus_nephritis_response.config import DEFAULT_CRITERIA_SET
from hooks.lupus_nephritis_response.knowledge.criteria_sets import CRITERIA_SETS

PAGE = Path(__file__).resolve().parents[2] / "docs" / "clinical-model.md"


def _section(title: str) -> str:
    text = PAGE.read_text()
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else len(text)]


def _listed_sets() -> list[str]:
    return re.findall(r"^\| `([a-z0-9-]+)`", _section("Criteria sets"), flags=re.MULTILINE)


def test_the_page_lists_every_criteria_set_once() -> None:
    listed = _listed_sets()
    assert sorted(listed) == sorted(CRITERIA_SETS), "update the criteria set table of docs/clinical-model.md"
    assert len(listed) == len(set(listed))


def test_the_page_marks_the_default() -> None:
    assert f"| `{DEFAULT_CRITERIA_SET}` (default) |" in _section("Criteria sets")
