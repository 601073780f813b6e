"""The fixture inputs are generated from the clinical stories in stories/scenarios.py: keep the two in step."""

from __future__ import annotations

import json
from pathlib import Path

from scripts.build_fixtures import ROOT, write_all
from stories.scenarios import SCENARIOS

GENERATED = ("request.json", "fhir.json", "settings.json", "README.md")


def test_committed_fixture_inputs_equal_what_the_scenarios_generate(tmp_path: Path) -> None:
    write_all(SCENARIOS, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in ROOT.iterdir() if p.is_dir())
    for folder in tmp_path.iterdir():
        for name in GENERATED:
            fresh, committed = folder / name, ROOT / folder.name / name
            assert fresh.exists() == committed.exists(), f"{folder.name}/{name}"
            if fresh.exists():
                assert fresh.read_text() == committed.read_text(), (
                    f"{folder.name}/{name}: run python -m scripts.build_fixtures"
                )


def test_fixture_data_carry_no_names_or_identifiers() -> None:
    for path in ROOT.glob("*/request.json"):
        text = path.read_text()
        request = json.loads(text)
        patient = (request.get("prefetch") or {}).get("patient") or {}
        assert not {"name", "identifier", "telecom", "address"} & set(patient), path
        assert '"name"' not in text, path
        assert '"identifier"' not in text, path
