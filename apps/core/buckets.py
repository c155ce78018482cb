"""Exact percentiles from values counted per bucket — the arithmetic shared by the report's
response times (``reporting.quantiles``) and the per-member figures
(``acknowledgements.rollups``). A value's bucket is ``BUCKET_SQL`` (about 6 % wide on a log
scale: the same expression as the migrations that keep the counts; tests hold them equal). A
percentile (``percentile_cont``) needs the values at the one or two ranks around
``fraction * (n - 1)`` of the sorted values: ``percentile_ranks`` says which, ``rank_place``
in which bucket and where in it, and the caller reads that bucket alone, in order."""

from __future__ import annotations

import math

FRACTIONS = (0.5, 0.9)
BUCKET_SQL = "least(floor(ln(1 + greatest({v}, 0)) * 16), 255)::smallint"


def rank_place(counts: list[tuple[int, int]], rank: int) -> tuple[int, int]:
    """(bucket, offset in it) of the 0-based ``rank`` among sorted values counted per bucket."""
    below = 0
    for bucket, count in counts:
        if rank < below + count:
            return bucket, rank - below
        below += count
    raise ValueError(f"rank {rank} beyond {below} values")


def percentile_ranks(
    total: int, fractions: tuple[float, ...] = FRACTIONS
) -> list[tuple[float, int, int]]:
    """(position, lower rank, upper rank) of each of ``fractions`` among ``total`` values."""
    found = []
    for fraction in fractions if total else ():
        position = fraction * (total - 1)
        found.append((position, math.floor(position), math.ceil(position)))
    return found
