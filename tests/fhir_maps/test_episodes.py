from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from fhir_maps.domain import Agent, MatchedBy, MedicationOrder, OrderStatus
from fhir_maps.episodes import ADHERENCE_GAP_DAYS, EPISODE_MERGE_GAP_DAYS, build_episodes
from fhir_maps.medications import build_episodes as reexported

D0 = date(2024, 1, 1)


def mmf(
    start: date,
    end: date | None,
    *,
    status: OrderStatus = OrderStatus.COMPLETED,
    dose: str | None = None,
    agent: Agent = Agent.MYCOPHENOLATE_MOFETIL,
    matched_by: MatchedBy = MatchedBy.PRODUCT_CODE,
    systemic: bool = True,
) -> MedicationOrder:
    return MedicationOrder(
        agent=agent,
        start=start,
        end=end,
        status=status,
        matched_by=matched_by,
        daily_dose_mg=Decimal(dose) if dose else None,
        route_systemic=systemic,
    )


def days(n: int) -> timedelta:
    return timedelta(days=n)


def test_constants_cite_the_response_model() -> None:
    assert (EPISODE_MERGE_GAP_DAYS, ADHERENCE_GAP_DAYS) == (60, 30)
    assert reexported is build_episodes


@pytest.mark.parametrize(
    ("gap", "episodes"),
    [pytest.param(60, 1, id="gap-60-days-merges"), pytest.param(61, 2, id="gap-61-days-splits")],
)
def test_orders_merge_when_the_gap_is_at_most_60_days(gap: int, episodes: int) -> None:
    first = mmf(D0, D0 + days(90))
    second = mmf(D0 + days(90 + gap), D0 + days(200 + gap))
    result = build_episodes([second, first])
    assert len(result) == episodes
    assert result[0].start == D0
    assert result[-1].end == D0 + days(200 + gap)


@pytest.mark.parametrize(
    ("gap", "gaps"),
    [pytest.param(30, (), id="gap-30-days-not-flagged"), pytest.param(31, ((91, 122),), id="gap-31-days-flagged")],
)
def test_gaps_over_30_days_inside_an_episode_are_recorded(gap: int, gaps: tuple[tuple[int, int], ...]) -> None:
    (episode,) = build_episodes([mmf(D0, D0 + days(91)), mmf(D0 + days(91 + gap), D0 + days(300))])
    assert episode.gaps_over_30_days == tuple((D0 + days(a), D0 + days(b)) for a, b in gaps)


def test_overlapping_orders_cover_the_gap() -> None:
    long = mmf(D0, D0 + days(300))
    short = mmf(D0 + days(10), D0 + days(20))
    late = mmf(D0 + days(100), D0 + days(150))
    (episode,) = build_episodes([long, short, late])
    assert episode.gaps_over_30_days == ()
    assert episode.end == D0 + days(300)


def test_open_ended_order_makes_the_episode_ongoing_and_absorbs_later_orders() -> None:
    (episode,) = build_episodes([mmf(D0, None, status=OrderStatus.ACTIVE), mmf(D0 + days(400), D0 + days(430))])
    assert episode.end is None
    assert episode.gaps_over_30_days == ()
    assert len(episode.orders) == 2


@pytest.mark.parametrize(
    ("orders", "interrupted"),
    [
        pytest.param(
            [mmf(D0, D0 + days(30), status=OrderStatus.STOPPED), mmf(D0 + days(40), D0 + days(200))],
            True,
            id="stopped-then-restarted",
        ),
        pytest.param([mmf(D0, None, status=OrderStatus.ON_HOLD)], True, id="on-hold-now"),
        pytest.param(
            [mmf(D0, None, status=OrderStatus.ACTIVE), mmf(D0 + days(10), D0 + days(20), status=OrderStatus.STOPPED)],
            True,
            id="stopped-inside-an-ongoing-episode",
        ),
        pytest.param(
            [mmf(D0, D0 + days(100)), mmf(D0 + days(100), D0 + days(200), status=OrderStatus.STOPPED)],
            False,
            id="stopped-at-the-end-of-the-course",
        ),
        pytest.param(
            [mmf(D0, D0 + days(100)), mmf(D0 + days(100), None, status=OrderStatus.ACTIVE)], False, id="active"
        ),
    ],
)
def test_interruption_is_a_stopped_or_on_hold_order_before_the_episode_ends(
    orders: list[MedicationOrder], interrupted: bool
) -> None:
    (episode,) = build_episodes(orders)
    assert episode.interrupted is interrupted


def test_episode_dose_is_the_latest_computable_dose() -> None:
    orders = [
        mmf(D0, D0 + days(30), dose="1000"),
        mmf(D0 + days(30), D0 + days(60), dose="2000"),
        mmf(D0 + days(60), D0 + days(90)),
    ]
    (episode,) = build_episodes(orders)
    assert episode.daily_dose_mg == Decimal(2000)


def test_episode_without_any_dose_has_none() -> None:
    (episode,) = build_episodes([mmf(D0, D0 + days(30))])
    assert episode.daily_dose_mg is None


def test_any_order_matched_by_name_marks_the_episode() -> None:
    orders = [mmf(D0, D0 + days(30)), mmf(D0 + days(30), D0 + days(60), matched_by=MatchedBy.NAME)]
    assert build_episodes(orders)[0].matched_by_name is True
    assert build_episodes(orders[:1])[0].matched_by_name is False


def test_non_systemic_orders_form_no_episode() -> None:
    eye_drops = mmf(D0, None, agent=Agent.CYCLOSPORINE, systemic=False)
    assert build_episodes([eye_drops]) == ()


def test_each_agent_has_its_own_episodes_sorted_by_start() -> None:
    tac = mmf(D0 + days(5), D0 + days(50), agent=Agent.TACROLIMUS)
    cyc = mmf(D0, D0 + days(180), agent=Agent.CYCLOPHOSPHAMIDE)
    mmf_order = mmf(D0 + days(5), D0 + days(50))
    result = build_episodes([tac, mmf_order, cyc])
    assert [e.agent for e in result] == [Agent.CYCLOPHOSPHAMIDE, Agent.MYCOPHENOLATE_MOFETIL, Agent.TACROLIMUS]


def test_no_orders_give_no_episodes() -> None:
    assert build_episodes([]) == ()
