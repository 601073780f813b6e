from __future__ import annotations

from decimal import Decimal

import pytest

from fhir_maps import codes
from fhir_maps.domain import Agent
from fhir_maps.products import COLUMNS, NON_SYSTEMIC_FORM, parse_products, products

HEADER = "\t".join(COLUMNS)


def test_packaged_table_loads_with_one_row_per_rxcui() -> None:
    table = products()
    assert len(table) == 443
    assert all(key == row.rxcui for key, row in table.items())


def test_ingredient_codes_in_the_table_agree_with_the_value_set() -> None:
    table = products()
    shared = [code for code in codes.INGREDIENTS if code in table]
    assert shared  # the table does carry IN rows
    assert all(table[code].is_ingredient and table[code].agent is codes.INGREDIENTS[code] for code in shared)


def test_non_systemic_rows_are_exactly_the_ophthalmic_topical_and_otic_forms() -> None:
    for row in products().values():
        assert row.systemic is not bool(NON_SYSTEMIC_FORM.search(row.display)), row.display


def test_strength_is_known_only_for_single_ingredient_tablets_and_capsules() -> None:
    for row in products().values():
        if row.strength_mg is not None:
            assert " / " not in row.display
            assert "Oral Tablet" in row.display or "Oral Capsule" in row.display, row.display


@pytest.mark.parametrize(
    ("display", "agent", "strength"),
    [
        pytest.param("mycophenolate mofetil 500 MG Oral Tablet", Agent.MYCOPHENOLATE_MOFETIL, "500", id="mmf-tablet"),
        pytest.param("mycophenolic acid 360 MG Delayed Release Oral Tablet", Agent.MYCOPHENOLIC_ACID, "360", id="mpa"),
        pytest.param("24 HR tacrolimus 0.75 MG Extended Release Oral Tablet", Agent.TACROLIMUS, "0.75", id="tac-xr"),
        pytest.param("10 ML rituximab-abbs 10 MG/ML Injection", Agent.RITUXIMAB, None, id="biosimilar"),
        pytest.param("prednisone 5 MG Oral Tablet", Agent.GLUCOCORTICOID, "5", id="prednisone"),
        pytest.param("sacubitril 49 MG / valsartan 51 MG Oral Tablet", Agent.RAAS_BLOCKER, None, id="arni"),
    ],
)
def test_known_products_map_to_agent_and_strength(display: str, agent: Agent, strength: str | None) -> None:
    (row,) = [p for p in products().values() if p.display == display]
    assert row.agent is agent
    assert row.strength_mg == (Decimal(strength) if strength else None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "header", id="empty"),
        pytest.param("rxcui\tagent\n", "header", id="wrong-header"),
        pytest.param(f"{HEADER}\n1\tSCD\tglucocorticoid\t5\t1\n", "columns", id="missing-column"),
        pytest.param(f"{HEADER}\nabc\tSCD\tglucocorticoid\t5\t1\tx\n", "bad rxcui", id="non-numeric-rxcui"),
        pytest.param(f"{HEADER}\n1\tSY\tglucocorticoid\t5\t1\tx\n", "bad rxcui", id="unknown-tty"),
        pytest.param(f"{HEADER}\n1\tSCD\tglucocorticoid\t5\t2\tx\n", "bad rxcui", id="bad-systemic"),
        pytest.param(f"{HEADER}\n1\tSCD\taspirin\t5\t1\tx\n", "bad agent", id="unknown-agent"),
        pytest.param(f"{HEADER}\n1\tSCD\tglucocorticoid\tfive\t1\tx\n", "bad agent or strength", id="bad-strength"),
        pytest.param(f"{HEADER}\n1\tSCD\tglucocorticoid\t0\t1\tx\n", "bad agent or strength", id="zero-strength"),
        pytest.param(
            f"{HEADER}\n1\tSCD\tglucocorticoid\t5\t1\tx\n1\tSCD\tglucocorticoid\t5\t1\tx\n", "twice", id="dup"
        ),
    ],
)
def test_malformed_product_table_raises(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_products(text)


def test_comment_and_blank_lines_are_skipped() -> None:
    table = parse_products(f"# a comment\n\n{HEADER}\n1\tSCD\tglucocorticoid\t5\t1\tprednisone 5 MG Oral Tablet\n")
    assert table["1"].strength_mg == Decimal(5)
    assert table["1"].systemic is True
