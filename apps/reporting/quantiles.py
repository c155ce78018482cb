"""Exact percentiles of the times to acknowledge without reading every answered mention.

``ResponseTimeDay`` counts a client's answered mentions per local day and bucket of time (about
6 % wide, ``BUCKET_SQL``). A percentile needs the values at one or two ranks of the period's
sorted times (``percentile_cont``: the two values around ``fraction * (n - 1)``, interpolated):
the bucket holding each rank comes from the day counts (plus the live days' mentions, counted the
same way), and the value from that bucket's mentions alone, read in order through
``mention_response_time_idx``. The result is the very number ``percentile_cont`` gives over all
the mentions (the same doubles, the same interpolation); the report tests hold them equal.
"""

from __future__ import annotations

import math
from collections import defaultdict

from django.db import connection

from apps.listening.models import Mention

from .models import ResponseTimeDay

FRACTIONS = (0.5, 0.9)
# The bucket of a time to acknowledge (minutes, alias ``m``): the same expression as in the
# migration ``0006_response_time_days`` that keeps ``ResponseTimeDay``.
BUCKET_SQL = (
    "least(floor(ln(1 + greatest({m}.time_to_acknowledge_minutes, 0)) * 16), 255)::smallint"
)
_M = Mention._meta.db_table
_ANSWERED = (
    "{m}.needs_acknowledgement AND {m}.acknowledged_at IS NOT NULL "
    "AND {m}.time_to_acknowledge_minutes IS NOT NULL"
)
# (current, is_follow_up, bucket, answers) of the rolled-up days of both periods …
_ROLLED = f"""
    SELECT day >= %(since)s AS current, is_follow_up, bucket, sum(answers)::bigint
    FROM {ResponseTimeDay._meta.db_table}
    WHERE client_id = %(client)s AND (day >= %(since_before)s AND day < %(cut_day_before)s
                                      OR day >= %(since)s AND day < %(cut_day)s)
    GROUP BY 1, 2, 3 HAVING sum(answers) <> 0
"""  # noqa: S608 - table name from model metadata
# … and of the days read live, counted from the mentions: one time range per period, so that
# each is read through the time index.
_LIVE_PART = f"""
    SELECT {{current}} AS current, m.is_follow_up, {BUCKET_SQL.format(m="m")} AS bucket
    FROM {_M} m
    WHERE m.client_id = %(client)s AND {_ANSWERED.format(m="m")}
      AND m.posted_at >= %({{starts}})s AND m.posted_at < %({{ends}})s
"""  # noqa: S608 - table name from model metadata
_LIVE = f"""
    SELECT current, is_follow_up, bucket, count(*) FROM (
        {_LIVE_PART.format(current="true", starts="cut", ends="end")}
        UNION ALL {_LIVE_PART.format(current="false", starts="cut_before", ends="start")}
    ) live
    GROUP BY 1, 2, 3
"""  # noqa: S608 - built from the constants above
# The value at each wanted rank: for each (key, follow-up, bucket, offset, period), the bucket's
# mentions of the period in order, the one at the offset. The bucket's bounds are widened by a hair
# for the index range, and the bucket expression itself decides.
_VALUES = f"""
    SELECT want.key, ARRAY(
        SELECT m.time_to_acknowledge_minutes FROM {_M} m
        WHERE m.client_id = %(client)s AND m.is_follow_up = want.follow_up
          AND {_ANSWERED.format(m="m")}
          AND m.time_to_acknowledge_minutes >= exp(want.bucket / 16.0) - 1 - 1e-6
          AND m.time_to_acknowledge_minutes < exp((want.bucket + 1) / 16.0) - 1 + 1e-6
          AND {BUCKET_SQL.format(m="m")} = want.bucket
          AND m.posted_at >= want.starts AND m.posted_at < want.ends
        ORDER BY m.time_to_acknowledge_minutes OFFSET want.skip LIMIT 1
    )
    FROM unnest(%(keys)s::text[], %(follow_ups)s::boolean[], %(buckets)s::int[],
                %(skips)s::bigint[], %(starts)s::timestamptz[], %(ends)s::timestamptz[])
         AS want(key, follow_up, bucket, skip, starts, ends)
"""  # noqa: S608 - table name from model metadata


def _rank_place(counts: list[tuple[int, int]], rank: int) -> tuple[int, int]:
    """(bucket, offset in it) of the 0-based ``rank`` among sorted values counted per bucket."""
    below = 0
    for bucket, count in counts:
        if rank < below + count:
            return bucket, rank - below
        below += count
    raise ValueError(f"rank {rank} beyond {below} values")


def _ranks(total: int) -> list[tuple[float, int, int]]:
    """(position, lower rank, upper rank) of each of ``FRACTIONS`` among ``total`` values."""
    found = []
    for fraction in FRACTIONS:
        position = fraction * (total - 1)
        found.append((position, math.floor(position), math.ceil(position)))
    return found


def response_percentiles(params: dict, *, periods: dict[bool, tuple]) -> dict[tuple, list] | None:
    """``{(current, is_follow_up): [median, p90]}`` for both periods, exactly as
    ``percentile_cont(ARRAY[0.5, 0.9])`` over their answered mentions (a kind with none is left
    out). ``params`` are the report pass's (client, cut-off days and instants); ``periods`` maps
    ``current`` to its ``(start, end)``. None when a mention changed between the reads (a rank
    no longer found): read the percentiles from the mentions then."""
    counts: dict[tuple, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    with connection.cursor() as cursor:
        for query in (_ROLLED, _LIVE):
            cursor.execute(query, params)
            for current, follow_up, bucket, answers in cursor.fetchall():
                counts[current, follow_up][bucket] += answers
        sorted_counts = {
            kind: sorted((b, n) for b, n in per_bucket.items() if n > 0)
            for kind, per_bucket in counts.items()
        }
        wanted = {}  # key → (follow-up, bucket, offset, start, end)
        for (current, follow_up), ordered in sorted_counts.items():
            total = sum(n for _, n in ordered)
            for _, low, high in _ranks(total) if total else ():
                for rank in (low, high):
                    bucket, offset = _rank_place(ordered, rank)
                    wanted[f"{current:d}{follow_up:d}:{rank}"] = (
                        follow_up,
                        bucket,
                        offset,
                        *periods[current],
                    )
        values = {}
        if wanted:
            columns = list(zip(*wanted.values(), strict=True))
            cursor.execute(
                _VALUES,
                {**params, "keys": list(wanted), "follow_ups": list(columns[0]),
                 "buckets": list(columns[1]), "skips": list(columns[2]),
                 "starts": list(columns[3]), "ends": list(columns[4])},
            )  # fmt: skip
            values = {key: found[0] for key, found in cursor.fetchall() if found}
    if len(values) < len(wanted):
        return None
    result: dict[tuple, list] = {}
    for (current, follow_up), ordered in sorted_counts.items():
        total = sum(n for _, n in ordered)
        figures = []
        for position, low, high in _ranks(total) if total else ():
            first = values[f"{current:d}{follow_up:d}:{low}"]
            second = values[f"{current:d}{follow_up:d}:{high}"]
            figures.append(first + (second - first) * (position - low))  # as PostgreSQL does
        if figures:
            result[current, follow_up] = figures
    return result
