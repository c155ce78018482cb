"""Exact percentiles of the times to acknowledge without reading every answered mention.

``ResponseTimeDay`` counts a client's answered mentions per local day and bucket of time (about
6 % wide, ``BUCKET_SQL``), in business and in wall-clock minutes. A percentile needs the values
at one or two ranks of the period's sorted times (``percentile_cont``: the two values around
``fraction * (n - 1)``, interpolated): the bucket holding each rank comes from the day counts
(plus the live days' mentions, counted the same way), and the value from that bucket's mentions
alone, read in order through ``mention_response_time_idx`` (``mention_wall_clock_idx``). The
result is the very number ``percentile_cont`` gives over all the mentions (the same doubles, the
same interpolation); the report tests hold them equal.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import connection

from apps.core.buckets import BUCKET_SQL, FRACTIONS, percentile_ranks, rank_place
from apps.listening.models import Mention

from .models import ResponseTimeDay

# The bucket of a time to acknowledge is ``core.buckets.BUCKET_SQL``; the wall-clock minutes from
# posting to the first acknowledgement (mention ``{m}``) as in the migration
# ``0006_response_time_days`` that keeps ``ResponseTimeDay`` and indexes them.
WALL_CLOCK_SQL = "date_part('epoch', {m}.acknowledged_at - {m}.posted_at) / 60"
# The minutes of each clock (False: business time, True: wall-clock), of mention ``m``.
CLOCKS = {False: "m.time_to_acknowledge_minutes", True: WALL_CLOCK_SQL.format(m="m")}
_M = Mention._meta.db_table
_ANSWERED = "m.needs_acknowledgement AND m.acknowledged_at IS NOT NULL"
# (current, wall_clock, is_follow_up, bucket, answers) of the rolled-up days of each wanted
# period (``{periods}``: one ``_ROLLED_PERIOD`` each) …
_ROLLED = f"""
    SELECT day >= %(since)s AS current, wall_clock, is_follow_up, bucket, sum(answers)::bigint
    FROM {ResponseTimeDay._meta.db_table}
    WHERE client_id = %(client)s AND ({{periods}})
    GROUP BY 1, 2, 3, 4 HAVING sum(answers) <> 0
"""  # noqa: S608 - table name from model metadata
_ROLLED_PERIOD = "day >= %({since})s AND day < %({cut})s AND ({kinds})"
_ROLLED_BOUNDS = {True: ("since", "cut_day"), False: ("since_before", "cut_day_before")}
# … and of the days read live, counted from the mentions: one time range per wanted period, so
# that each is read through the time index, with only the wanted clocks (``{clocks}``).
_LIVE_PART = f"""
    SELECT {{current}} AS current, t.wall_clock, m.is_follow_up,
           {BUCKET_SQL.format(v="t.minutes")} AS bucket
    FROM {_M} m, LATERAL (VALUES {{clocks}}) t(wall_clock, minutes)
    WHERE m.client_id = %(client)s AND {_ANSWERED} AND t.minutes IS NOT NULL
      AND m.posted_at >= %({{starts}})s AND m.posted_at < %({{ends}})s AND ({{kinds}})
"""  # noqa: S608 - table name from model metadata
_LIVE_BOUNDS = {True: ("cut", "end"), False: ("cut_before", "start")}
_LIVE = """
    SELECT current, wall_clock, is_follow_up, bucket, count(*) FROM ({parts}) live
    GROUP BY 1, 2, 3, 4
"""
# Every kind of percentile: (current, wall_clock, is_follow_up).
KINDS = frozenset((current, clock, follow_up) for current in (True, False)
                  for clock in (False, True) for follow_up in (False, True))  # fmt: skip


def _counts_sql(kinds: set[tuple]) -> tuple[str, str]:
    """The rolled and the live bucket counts of ``kinds`` alone (the agency overview wants one
    kind of four, of one period of two: an eighth of the rows)."""
    rolled, live = [], []
    for current in (True, False):
        wanted = sorted((clock, follow_up) for now, clock, follow_up in kinds if now == current)
        if not wanted:
            continue
        every = len(wanted) == 4  # both clocks, first responses and follow-ups: no condition
        since, cut = _ROLLED_BOUNDS[current]
        either = " OR ".join(
            f"wall_clock = {clock} AND is_follow_up = {follow_up}" for clock, follow_up in wanted
        )
        rolled.append(
            _ROLLED_PERIOD.format(since=since, cut=cut, kinds="true" if every else either)
        )
        starts, ends = _LIVE_BOUNDS[current]
        clocks = ", ".join(
            f"({clock}, {CLOCKS[clock]})" for clock in sorted({c for c, _ in wanted})
        )
        either = " OR ".join(
            f"t.wall_clock = {clock} AND m.is_follow_up = {follow_up}"
            for clock, follow_up in wanted
        )
        live.append(_LIVE_PART.format(
            current=str(current).lower(), starts=starts, ends=ends, clocks=clocks,
            kinds="true" if every else either,
        ))  # fmt: skip
    return (
        _ROLLED.format(periods=" OR ".join(f"({part})" for part in rolled)),
        _LIVE.format(parts=" UNION ALL ".join(live)),
    )


# The values at each wanted rank of one clock: for each (key, follow-up, bucket, offset, how
# many, period), the bucket's mentions of the period in order (through mention_response_time_idx
# or mention_wall_clock_idx), the one or two from the offset. The bucket's bounds, widened by a
# hair (and open at the first and last bucket), give the index range; the bucket expression
# decides.
_VALUES = """
    SELECT want.key, ARRAY(
        SELECT {minutes} FROM {table} m
        WHERE m.client_id = %(client)s AND m.is_follow_up = want.follow_up AND {answered}
          AND {minutes} >= CASE WHEN want.bucket = 0 THEN '-Infinity'::float8
                                ELSE exp(want.bucket / 16.0) - 1 - 1e-6 END
          AND {minutes} < CASE WHEN want.bucket = 255 THEN 'Infinity'::float8
                               ELSE exp((want.bucket + 1) / 16.0) - 1 + 1e-6 END
          AND {bucket} = want.bucket
          AND m.posted_at >= want.starts AND m.posted_at < want.ends
        ORDER BY {minutes} OFFSET want.skip LIMIT want.take
    )
    FROM unnest(%(keys)s::text[], %(follow_ups)s::boolean[], %(buckets)s::int[],
                %(skips)s::bigint[], %(takes)s::int[], %(starts)s::timestamptz[],
                %(ends)s::timestamptz[])
         AS want(key, follow_up, bucket, skip, take, starts, ends)
"""


def _values_sql(wall_clock: bool) -> str:
    minutes = CLOCKS[wall_clock]
    return _VALUES.format(
        minutes=minutes, table=_M, answered=_ANSWERED, bucket=BUCKET_SQL.format(v=minutes)
    )


def response_percentiles(
    params: dict,
    *,
    periods: dict[bool, tuple],
    kinds: set[tuple] | None = None,
    fractions: tuple[float, ...] = FRACTIONS,
) -> dict[tuple, list] | None:
    """``{(current, wall_clock, is_follow_up): [median, p90]}`` for both periods and both
    clocks (only ``kinds`` of them, if given), exactly as ``percentile_cont(ARRAY[0.5, 0.9])``
    over their answered mentions (a kind with none is left out); a figure not among
    ``fractions`` is not read (None). ``params`` are the report pass's (client, cut-off days
    and instants); ``periods`` maps ``current`` to its ``(start, end)``. None when a mention
    changed between the reads (a rank no longer found): read the percentiles from the mentions
    then."""
    counts: dict[tuple, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    kinds = KINDS if kinds is None else set(kinds) & KINDS
    if not kinds:
        return {}
    with connection.cursor() as cursor:
        for query in _counts_sql(kinds):
            cursor.execute(query, params)
            for current, wall_clock, follow_up, bucket, answers in cursor.fetchall():
                counts[current, wall_clock, follow_up][bucket] += answers
        ordered = {
            kind: sorted((b, n) for b, n in per_bucket.items() if n > 0)
            for kind, per_bucket in counts.items()
        }
        # One read per rank, or per two neighbouring ranks of one bucket (``percentile_cont``
        # between them): clock → key of the first rank → (follow-up, bucket, offset, how many, …)
        wanted: dict[bool, dict] = {False: {}, True: {}}
        ranks_read: dict[str, tuple] = {}  # key of the first rank → (kind, first rank)
        ranks = {
            kind: percentile_ranks(sum(n for _, n in buckets), fractions)
            for kind, buckets in ordered.items()
        }
        needed = {_key(*kind, rank) for kind in ranks for _, *pair in ranks[kind] for rank in pair}
        for kind, buckets in ordered.items():
            current, wall_clock, follow_up = kind
            for _, low, high in ranks[kind]:
                places = {rank: rank_place(buckets, rank) for rank in (low, high)}
                together = high == low + 1 and places[high] == (places[low][0], places[low][1] + 1)
                for rank in (low,) if together else sorted({low, high}):
                    bucket, offset = places[rank]
                    key = _key(*kind, rank)
                    take = max(2 if together else 1, wanted[wall_clock].get(key, (0,) * 4)[3])
                    wanted[wall_clock][key] = (follow_up, bucket, offset, take, *periods[current])
                    ranks_read[key] = (kind, rank)
        values = {}
        for wall_clock, reads in wanted.items():
            if not reads:
                continue
            columns = list(zip(*reads.values(), strict=True))
            cursor.execute(
                _values_sql(wall_clock),
                {**params, "keys": list(reads), "follow_ups": list(columns[0]),
                 "buckets": list(columns[1]), "skips": list(columns[2]),
                 "takes": list(columns[3]), "starts": list(columns[4]),
                 "ends": list(columns[5])},
            )  # fmt: skip
            for key, found in cursor.fetchall():
                kind, rank = ranks_read[key]
                values.update({_key(*kind, rank + n): value for n, value in enumerate(found)})
    if not needed <= set(values):
        return None
    result: dict[tuple, list] = {}
    for kind in ordered:
        asked = dict(zip(fractions, ranks[kind], strict=False))  # none when there are no answers
        figures = []
        for fraction in FRACTIONS:
            if fraction not in asked:
                figures.append(None)
                continue
            position, low, high = asked[fraction]
            first, second = values[_key(*kind, low)], values[_key(*kind, high)]
            figures.append(first + (second - first) * (position - low))  # as PostgreSQL does
        if asked:
            result[kind] = figures
    return result


def _key(current: bool, wall_clock: bool, follow_up: bool, rank: int) -> str:
    return f"{current:d}{wall_clock:d}{follow_up:d}:{rank}"
