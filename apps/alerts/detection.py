"""How a spike is told from an ordinary busy hour — pure functions, no database.

Volume: the hour just ended is compared with the same hour of the week in each of the previous
``BASELINE_WEEKS`` weeks, so Monday mornings are compared with Monday mornings and weekly cycles
are not spikes. The usual count ``u`` is the median of those hours, or the hourly average of the
last seven days when that is higher (a brand that is growing is not spiking every hour). Its
spread ``s`` is the largest of: the median absolute deviation of those same hours scaled to a
standard deviation (1.4826 * MAD), the standard deviation of the last 168 hourly counts (social
traffic comes in clumps — a thread, a busy evening — far more than a Poisson count would), and
``sqrt(max(u, 1))``. The hour is a spike when its count ``n`` is at least ``min_volume``, at
least ``volume_factor * max(u, 1)`` and at least ``u + 4 * s``.

Negative share: the hour's negative mentions are compared with the client's negative share
``p`` over the previous 28 days. It is a spike when at least ``min_negative`` of them are
negative, the share exceeds ``p`` by ``negative_share_rise`` or more, and that many negative
mentions or more among ``n`` would come by chance, at share ``p``, no more often than a count
four standard deviations above its mean (``NEGATIVE_CHANCE``, about 1 in 31,600). The chance is
the exact binomial tail: a normal approximation is far too lenient for an hour of a dozen
mentions (8 negative of 9 at a usual 27% is chance about 1 in 5,200, though more than four
"standard deviations" above 2.4).

Either makes the hour a spike; consecutive spiking hours of a client are one episode (one
alert). Spam never counts.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

BASELINE_WEEKS = 4
SHARE_DAYS = 28
SPREAD_MULTIPLE = 4.0
NEGATIVE_CHANCE = 0.5 * math.erfc(SPREAD_MULTIPLE / math.sqrt(2))  # a normal tail past 4 s.d.


@dataclass(frozen=True)
class Thresholds:
    """A client's thresholds (``SpikePolicy``'s fields, or their defaults)."""

    min_volume: int = 12
    volume_factor: float = 3.0
    min_negative: int = 6
    negative_share_rise: float = 0.25


@dataclass(frozen=True)
class HourMeasure:
    """What was counted for one client: the hour just ended and its baselines."""

    client_id: int
    mentions: int
    negative: int
    same_hour_before: tuple[int, ...]  # the same hour of the week, 1..BASELINE_WEEKS weeks ago
    mentions_7d: int  # the seven days before the hour…
    squares_7d: int  # …and the sum of the squares of its 168 hourly counts
    mentions_28d: int
    negative_28d: int


@dataclass(frozen=True)
class Spike:
    """What was unusual in one client's hour, and against which usual levels."""

    is_volume: bool
    is_negative: bool
    mentions: int
    negative: int
    usual_volume: float
    usual_negative_share: float


def usual_volume(measure: HourMeasure) -> tuple[float, float]:
    """The usual count of the hour and its robust spread (see the module's docstring)."""
    counts = measure.same_hour_before
    median = statistics.median(counts) if counts else 0.0
    mad = statistics.median(abs(count - median) for count in counts) if counts else 0.0
    hours = 7 * 24
    mean = measure.mentions_7d / hours
    variance = max(measure.squares_7d - hours * mean * mean, 0.0) / (hours - 1)
    usual = max(float(median), mean)
    return usual, max(1.4826 * mad, math.sqrt(variance), math.sqrt(max(usual, 1.0)))


def assess(measure: HourMeasure, thresholds: Thresholds) -> Spike | None:
    """The spike in ``measure`` under ``thresholds``, or ``None`` for an ordinary hour."""
    usual, spread = usual_volume(measure)
    n, negative = measure.mentions, measure.negative
    is_volume = (
        n >= thresholds.min_volume
        and n >= thresholds.volume_factor * max(usual, 1.0)
        and n >= usual + SPREAD_MULTIPLE * spread
    )
    share = measure.negative_28d / measure.mentions_28d if measure.mentions_28d else 0.0
    is_negative = (
        n > 0
        and negative >= thresholds.min_negative
        and negative / n >= share + thresholds.negative_share_rise
        and binomial_tail(n, negative, share) <= NEGATIVE_CHANCE
    )
    if not (is_volume or is_negative):
        return None
    return Spike(is_volume, is_negative, n, negative, usual, share)


def binomial_tail(n: int, k: int, p: float) -> float:
    """The chance of ``k`` or more successes in ``n`` trials of chance ``p`` each (exact, summed
    from the first term in log space, so a busy hour's large ``n`` neither overflows nor
    underflows)."""
    if k <= 0 or p >= 1.0:
        return 1.0
    if k > n or p <= 0.0:
        return 0.0
    term = math.exp(
        math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
        + k * math.log(p) + (n - k) * math.log1p(-p)
    )  # fmt: skip
    total, odds = 0.0, p / (1.0 - p)
    for successes in range(k, n + 1):
        total += term
        term *= (n - successes) / (successes + 1) * odds
        if term <= total * 1e-17:  # the rest no longer changes the sum
            break
    return min(total, 1.0)
