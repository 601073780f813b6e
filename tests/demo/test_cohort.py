"""The demo cohort comes from the golden scenarios and cannot drift from them, from FHIR R4, or from the README."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from demo import cohort
from stories.scenarios import SCENARIOS
from stories.story import REFERENCE_TODAY

# The clinical matrix the demo must show (issue #5), by scenario; the therapy stories join when they exist.
REQUIRED = (
    "responder-complete-12-months",
    "partial-on-track-6-months",
    "no-improvement-4-months",
    "demo-refractory-7-months",
    "partial-no-complete-25-months",
    "aps-condition-flagged",
    "missing-baseline",
    "no-ln-sle-only",
    "si-units-mg-mmol-umol",
)


def _manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(cohort.MANIFEST.read_text())
    return data


def _bundles() -> list[Path]:
    return sorted(cohort.COHORT_DIR.glob("*.json"))


def test_committed_cohort_equals_what_the_generator_writes(tmp_path: Path) -> None:
    cohort.write(tmp_path / "cohort", tmp_path / "manifest.json", readme_path=None)
    fresh = sorted(p.name for p in (tmp_path / "cohort").iterdir())
    assert fresh == [p.name for p in _bundles()], "run .venv/bin/python -m demo.cohort"
    for name in fresh:
        assert (tmp_path / "cohort" / name).read_text() == (cohort.COHORT_DIR / name).read_text(), (
            f"demo/cohort/{name} drifted from stories/scenarios.py: run .venv/bin/python -m demo.cohort"
        )
    assert (tmp_path / "manifest.json").read_text() == cohort.MANIFEST.read_text(), (
        "run .venv/bin/python -m demo.cohort"
    )


def test_readme_cohort_table_matches_the_manifest() -> None:
    readme = cohort.README.read_text()
    assert cohort.readme_with_table(readme, cohort.cohort_table(_manifest())) == readme, (
        "README cohort table drifted: run .venv/bin/python -m demo.cohort"
    )


def test_cohort_covers_the_clinical_matrix_with_one_story_per_patient() -> None:
    patients = _manifest()["patients"]
    scenarios = [p["scenario"] for p in patients]
    assert len(patients) >= 12
    assert set(REQUIRED) <= set(scenarios)
    assert len({p["patientId"] for p in patients}) == len(patients)
    assert {p["patientId"] for p in patients} == {path.stem for path in _bundles()}


def test_every_selected_scenario_that_exists_is_in_the_cohort_or_left_out_for_a_reason() -> None:
    _, notes = cohort.select()
    existing = {sc.name for sc in SCENARIOS}
    in_cohort = {p["scenario"] for p in _manifest()["patients"]}
    for name in cohort.COHORT:
        if name in existing and name not in in_cohort:
            assert any(note.startswith(f"{name}: ") for note in notes), name


def test_expectations_hold_for_the_pinned_today_and_the_default_criteria_set() -> None:
    data = _manifest()
    assert data["today"] == REFERENCE_TODAY.isoformat() == "2026-06-15"
    assert data["criteriaSet"] == "seed-eular-era-edta-2012"


@pytest.mark.parametrize("path", _bundles(), ids=lambda p: p.stem)
def test_each_cohort_file_is_a_valid_r4_transaction_of_puts(path: Path) -> None:
    raw = json.loads(path.read_text())
    bundle = Bundle.model_validate(raw)
    assert bundle.type == "transaction"
    entries = raw["entry"]
    assert entries[0]["resource"] == {**entries[0]["resource"], "resourceType": "Patient", "id": path.stem}
    for entry in entries:
        resource = entry["resource"]
        assert entry["request"] == {"method": "PUT", "url": f"{resource['resourceType']}/{resource['id']}"}
        assert cohort.SYNTHETIC_TAG in resource["meta"]["tag"]
        if resource["resourceType"] != "Patient":
            assert resource["subject"] == {"reference": f"Patient/{path.stem}"}
    assert len({e["request"]["url"] for e in entries}) == len(entries)


def test_cohort_data_carry_no_names_or_identifiers() -> None:
    for path in _bundles():
        text = path.read_text()
        assert '"name"' not in text, path
        assert '"identifier"' not in text, path


def test_select_leaves_out_failure_modes_other_criteria_sets_and_repeated_patients() -> None:
    names = (
        "null-prefetch",
        "threshold-exactly-50-percent-kdigo",
        "demo-refractory-7-months",
        "omitted-prefetch-fhir-fallback",
        "no-such-scenario",
    )
    members, notes = cohort.select(names=names)
    assert [m.scenario for m, _ in members] == ["demo-refractory-7-months"]
    assert notes == [
        "null-prefetch: tests a prefetch or FHIR failure mode, not a patient",
        "threshold-exactly-50-percent-kdigo: needs settings {'criteria_set': 'kdigo-2024'}; the demo runs the defaults",
        "omitted-prefetch-fhir-fallback: tests a prefetch or FHIR failure mode, not a patient",
        "no-such-scenario: not in stories/scenarios.py (yet)",
    ]


def test_select_needs_a_golden_answer_with_cards(tmp_path: Path) -> None:
    folder = tmp_path / "some-service" / "responder-complete-12-months"
    folder.mkdir(parents=True)
    (folder / "expected.json").write_text('{"status": 412, "body": {"resourceType": "OperationOutcome"}}')
    members, notes = cohort.select(
        names=["responder-complete-12-months", "partial-on-track-6-months"], fixtures=tmp_path
    )
    assert members == []
    assert notes == [
        "responder-complete-12-months: its golden answer is an error, not cards",
        "partial-on-track-6-months: no expected.json yet (run the golden tests with UPDATE_GOLDEN=1)",
    ]


def test_a_repeated_patient_keeps_its_first_story() -> None:
    members, notes = cohort.select(names=["no-improvement-4-months", "no-improvement-4-months"])
    assert [m.patient_id for m, _ in members] == ["ln-fx-4m"]
    assert notes == ["no-improvement-4-months: patient ln-fx-4m is already in the cohort"]


def test_readme_without_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="cohort table markers"):
        cohort.readme_with_table("# no table here\n", "| table |")


def test_cohort_table_escapes_pipes_and_says_when_there_is_no_card() -> None:
    table = cohort.cohort_table(
        {
            "patients": [
                {"patientId": "p1", "scenario": "s", "story": "a | b", "cards": []},
                {"patientId": "p2", "scenario": "t", "story": "c", "cards": [{"indicator": "info", "summary": "x"}]},
            ]
        }
    )
    assert '| `p1` | **s**: a \\| b | none (`{"cards": []}`) |' in table
    assert "| `p2` | **t**: c | info: x |" in table
