"""docs/services.md lists exactly the services of `hooks.REGISTRY`: its table is generated and cannot drift."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from hooks import REGISTRY
from hooks.spec import no_config
from scripts import services_doc
from tests.service import egfr_latest


def test_services_page_matches_the_registry() -> None:
    doc = services_doc.DOC.read_text()
    assert services_doc.doc_with_table(doc, services_doc.services_table()) == doc, (
        "docs/services.md drifted from hooks.REGISTRY: run `make docs` (.venv/bin/python -m scripts.services_doc)"
    )


def test_every_registered_service_has_a_row() -> None:
    doc = services_doc.DOC.read_text()
    for spec in REGISTRY:
        assert f"| `{spec.id}` | `{spec.hook}` |" in doc


def test_a_second_service_would_get_its_row_with_its_own_setting(tmp_path: Path) -> None:
    registry: tuple[Any, ...] = (*REGISTRY, egfr_latest.SPEC)
    (tmp_path / "egfr-latest" / "latest-egfr-shown").mkdir(parents=True)
    table = services_doc.services_table(registry, fixtures=tmp_path)
    [row] = [line for line in table.splitlines() if line.startswith("| `egfr-latest` |")]
    assert "`CDS_EGFR_LOW`" in row
    assert "[`cards_fixtures/egfr-latest/`](../cards_fixtures/egfr-latest/)" in row
    assert "Latest eGFR" in row


def test_a_service_without_settings_or_fixtures_says_none(tmp_path: Path) -> None:
    bare = dataclasses.replace(egfr_latest.SPEC, config_from_env=no_config)
    row = services_doc.services_table((bare,), fixtures=tmp_path).splitlines()[2]
    assert row.startswith("| `egfr-latest` |")
    assert row.endswith("| none | none |")


def test_the_generator_refuses_a_page_without_markers() -> None:
    with pytest.raises(ValueError, match="markers"):
        services_doc.doc_with_table("# Services\n", "| table |")
