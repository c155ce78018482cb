"""How a spike is told from chance, as pure functions: the negative share is judged by the exact
binomial chance of the hour, not by a normal approximation that small hours defeat."""

from __future__ import annotations

import math

import pytest

from apps.alerts.detection import NEGATIVE_CHANCE, HourMeasure, Thresholds, assess, binomial_tail


def hour(mentions: int, negative: int, *, usual_share: float) -> HourMeasure:
    """An hour of ``mentions`` against a steady month (three an hour, ``usual_share`` negative)."""
    month = 28 * 24 * 3
    return HourMeasure(
        client_id=1,
        mentions=mentions,
        negative=negative,
        same_hour_before=(3, 3, 3, 3),
        mentions_7d=7 * 24 * 3,
        squares_7d=7 * 24 * 9,
        mentions_28d=month,
        negative_28d=round(month * usual_share),
    )


def test_eight_negative_of_nine_at_a_usual_quarter_is_chance_not_a_spike():
    # 8 is more than four "standard deviations" (1.3) above 9 x 27% = 2.4, yet one hour in 5,200.
    assert assess(hour(9, 8, usual_share=0.27), Thresholds()) is None


def test_nine_negative_of_nine_and_a_burst_of_complaints_are_spikes():
    spike = assess(hour(9, 9, usual_share=0.27), Thresholds())
    assert spike is not None and spike.is_negative and not spike.is_volume
    burst = assess(hour(28, 25, usual_share=0.10), Thresholds())
    assert burst is not None and burst.is_negative and burst.is_volume


def test_a_client_that_was_never_criticised_is_told_of_its_first_complaints():
    spike = assess(hour(8, 6, usual_share=0.0), Thresholds())
    assert spike is not None and spike.is_negative


@pytest.mark.parametrize(("n", "k", "p"), [(9, 8, 0.27), (12, 6, 0.5), (30, 0, 0.2), (40, 40, 0.9)])
def test_the_binomial_tail_is_the_exact_sum(n, k, p):
    exact = sum(math.comb(n, i) * p**i * (1 - p) ** (n - i) for i in range(k, n + 1))
    assert binomial_tail(n, k, p) == pytest.approx(exact, rel=1e-12)


def test_the_binomial_tail_of_a_busy_hour_neither_overflows_nor_underflows():
    # 5,000 mentions in an hour: math.comb(5000, 2500) is far beyond a float.
    assert binomial_tail(5000, 1400, 0.3) == pytest.approx(0.9991, abs=1e-4)  # 3 s.d. below
    assert 0.0 < binomial_tail(5000, 1700, 0.3) < NEGATIVE_CHANCE  # 6 s.d. above
    assert binomial_tail(5000, 1560, 0.3) > NEGATIVE_CHANCE  # under 2 s.d. above
    assert (binomial_tail(10, 0, 0.5), binomial_tail(10, 11, 0.5)) == (1.0, 0.0)
