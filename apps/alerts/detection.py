"""How a spike is told from an ordinary busy hour — pure functions, no database.

Volume: the hour just ended is compared with the same hour of the week in each of the previous
``BASELINE_WEEKS`` weeks (so Monday mornings are compared with Monday mornings, and weekly cycles
are not spikes). The usual count is the median ``m`` of those hours; its spread is
``s = max(1.4826 * MAD, sqrt(max(m, 1)))`` (the median absolute deviation scaled to a standard
deviation, never below the Poisson noise of a count). The hour is a spike when its count ``n`` is
at least ``min_volume``, at least ``volume_factor * max(m, 1)`` and at least ``m + 4 * s``.

Negative share: the hour's share of negative mentions is compared with the client's share over
the previous 28 days. It is a spike when at least ``min_negative`` mentions of the hour are
negative and the share exceeds the usual one by ``negative_share_rise`` or more.

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


def usual_volume(counts: tuple[int, ...]) -> tuple[float, float]:
    """The usual count of an hour (median of the same hours before) and its robust spread."""
    if not counts:
        return 0.0, 1.0
    median = statistics.median(counts)
    mad = statistics.median(abs(count - median) for count in counts)
    return float(median), max(1.4826 * mad, math.sqrt(max(median, 1.0)))


def assess(measure: HourMeasure, thresholds: Thresholds) -> Spike | None:
    """The spike in ``measure`` under ``thresholds``, or ``None`` for an ordinary hour."""
    median, spread = usual_volume(measure.same_hour_before)
    n = measure.mentions
    is_volume = (
        n >= thresholds.min_volume
        and n >= thresholds.volume_factor * max(median, 1.0)
        and n >= median + SPREAD_MULTIPLE * spread
    )
    usual_share = measure.negative_28d / measure.mentions_28d if measure.mentions_28d else 0.0
    is_negative = (
        n > 0
        and measure.negative >= thresholds.min_negative
        and measure.negative / n >= usual_share + thresholds.negative_share_rise
    )
    if not (is_volume or is_negative):
        return None
    return Spike(is_volume, is_negative, n, measure.negative, median, usual_share)
