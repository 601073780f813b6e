"""A censored proteinuria value has no precise relative change: `Proteinuria.change` is None, and the summary,
the figures sentence and the table leave the percentage out ("UPCR 3.00 → < 0.10 g/g"), never "\u221297%"."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from fhir_maps.domain import LabResult
from tests.hooks.builders import ago, assess, cards, days_for, story, upcr

BASE = ago(days_for(7)) - timedelta(days=5)


@pytest.mark.parametrize(
    ("labs", "change", "figures"),
    [
        pytest.param(
            [upcr(BASE, "3.0"), upcr(ago(5), "0.10", comparator="<")], None, "UPCR 3.00 → < 0.10 g/g)", id="cur-lt"
        ),
        pytest.param(
            [upcr(BASE, "3.0", comparator=">"), upcr(ago(5), "0.10")], None, "UPCR > 3.00 → 0.10 g/g)", id="base-gt"
        ),
        pytest.param([upcr(BASE, "3.0"), upcr(ago(5), "0.10")], Decimal("-0.9667"), "0.10 g/g, \u221297%)", id="exact"),
    ],
)
def test_change_is_none_and_the_percentage_is_left_out_for_a_censored_value(
    labs: list[LabResult], change: Decimal | None, figures: str
) -> None:
    data = story(7, "3.0", "2.9", kind=None, labs=labs)
    a = assess(data)
    assert a.proteinuria is not None
    got = a.proteinuria.change
    assert (got if got is None else round(got, 4)) == change
    card = next(c for c in cards(data) if c.rule_id.startswith("ln-"))
    assert card.summary.endswith(figures)
    detail = card.detail or ""
    sentence = next(x for x in detail.splitlines() if x.startswith("UPCR: "))
    assert ("%" in sentence) is (change is not None)
    assert "97%" not in detail if change is None else "97%" in detail
