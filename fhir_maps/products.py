"""The RxNorm product table (`data/rxnorm_products.tsv`): RxCUI -> agent, term type, unit strength, route.

The table is package data, read once on first use and checked as it is read: a malformed row raises at startup
rather than mis-mapping a drug later. Its header comment says where the codes came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources

from fhir_maps.domain import Agent

COLUMNS = ("rxcui", "tty", "agent", "strength_mg", "systemic", "display")
TERM_TYPES = frozenset({"IN", "SCD", "SBD", "GPCK", "BPCK", "SCDF", "SBDF"})
# Dose-form words that mean a local, non-systemic product (the same rule that set the table's `systemic` column).
NON_SYSTEMIC_FORM = re.compile(r"\b(?:ophthalmic|topical|otic)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Product:
    """One row of the product table."""

    rxcui: str
    tty: str
    agent: Agent
    strength_mg: Decimal | None  # mg per tablet/capsule; None for other forms
    systemic: bool
    display: str

    @property
    def is_ingredient(self) -> bool:
        """Returns True for an ingredient (TTY IN) row rather than a product."""
        return self.tty == "IN"


def parse_products(text: str) -> dict[str, Product]:
    """Returns the rows of a product table in our TSV format, keyed by RxCUI; raises ValueError on a bad row."""
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if not lines or tuple(lines[0].split("\t")) != COLUMNS:
        raise ValueError("product table: the header line must be " + "\\t".join(COLUMNS))
    table: dict[str, Product] = {}
    for number, line in enumerate(lines[1:], start=2):
        product = _parse_row(line.split("\t"), number)
        if product.rxcui in table:
            raise ValueError(f"product table row {number}: RxCUI {product.rxcui} appears twice")
        table[product.rxcui] = product
    return table


def _parse_row(fields: list[str], number: int) -> Product:
    if len(fields) != len(COLUMNS):
        raise ValueError(f"product table row {number}: expected {len(COLUMNS)} columns, got {len(fields)}")
    rxcui, tty, agent, strength, systemic, display = fields
    if not rxcui.isdigit() or tty not in TERM_TYPES or systemic not in ("0", "1") or not display:
        raise ValueError(f"product table row {number}: bad rxcui, tty, systemic or display")
    try:
        strength_mg = Decimal(strength) if strength else None
        if strength_mg is not None and not strength_mg > 0:
            raise ValueError("strength must be positive")
        return Product(rxcui, tty, Agent(agent), strength_mg, systemic == "1", display)
    except (ValueError, InvalidOperation) as error:
        raise ValueError(f"product table row {number}: bad agent or strength") from error


@cache
def products() -> dict[str, Product]:
    """Returns the packaged product table, keyed by RxCUI (read once)."""
    text = resources.files("fhir_maps").joinpath("data", "rxnorm_products.tsv").read_text(encoding="utf-8")
    return parse_products(text)
