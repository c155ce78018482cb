"""Per-member figures of a period from roll-ups, without reading every acknowledgement.

``AcknowledgementHour`` counts each person's acknowledgements per UTC hour and quarter of it, so
a period's ``replies`` and its ``in_hours`` (acknowledged within the business hours) sum whole
quarters; only the pieces of the period or of the opening hours that do not start and end on a
quarter (opening at 09:10, a period starting at 10:07) are counted from the acknowledgements.
``FirstResponseDay`` counts each person's first responses per local day and bucket of minutes
(``core.buckets``, as ``apps.reporting.quantiles``): a percentile (``percentile_cont``: the
values at the two ranks around ``fraction * (n - 1)``, interpolated) finds the bucket of each
rank from those counts, and reads that bucket's acknowledgements of the period alone, in order,
through ``ack_member_bucket_idx``. The figures are the very numbers the reference query gives
(the same counts, the same doubles); the tests hold them equal. The migration
``0011_member_rollups`` keeps both tables in every change's transaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from apps.core.buckets import BUCKET_SQL, percentile_ranks, rank_place
from apps.core.triggers import delta_compaction

from .models import Acknowledgement, AcknowledgementHour, FirstResponseDay

QUARTER = timedelta(minutes=15)
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
_A = Acknowledgement._meta.db_table
_MULTIRANGE = "tstzmultirange(VARIADIC %({})s::tstzrange[])"
Span = tuple[datetime, datetime]

# (user, acknowledgements, in opening hours) of whole quarters of an hour: each hour's quarters
# in the period and in its opening hours are bits of the bytes ``period[i]`` and ``open[i]``
# (``_masks``), ``i`` the hour's place from ``first_hour`` — one read of the period's hours,
# whatever the opening hours.
_QUARTERS = " + ".join(
    f"CASE WHEN m.{{mask}} & {1 << n} <> 0 THEN h.quarter_{n} ELSE 0 END" for n in range(4)
)
_HOURS = f"""
    SELECT h.user_id,
           sum(CASE WHEN m.period = 15 THEN h.quarter_0 + h.quarter_1 + h.quarter_2 + h.quarter_3
                    ELSE {_QUARTERS.format(mask="period")} END),
           sum(CASE WHEN m.open = 15 THEN h.quarter_0 + h.quarter_1 + h.quarter_2 + h.quarter_3
                    WHEN m.open = 0 THEN 0 ELSE {_QUARTERS.format(mask="open")} END)
    FROM {AcknowledgementHour._meta.db_table} h,
         LATERAL (SELECT date_part('epoch', h.hour - %(first_hour)s)::int / 3600) i(place),
         LATERAL (SELECT get_byte(%(period)s, i.place), get_byte(%(open)s, i.place)) m(period, open)
    WHERE h.client_id = %(client)s AND h.hour >= %(first_hour)s AND h.hour < %(end_hour)s
    GROUP BY h.user_id
"""  # noqa: S608 - table name from model metadata
# (user, bucket, first responses) of the period's whole local days.
_DAYS = f"""
    SELECT user_id, bucket, sum(responses) FROM {FirstResponseDay._meta.db_table}
    WHERE client_id = %(client)s AND day >= %(first_day)s AND day < %(end_day)s
    GROUP BY 1, 2 HAVING sum(responses) <> 0
"""  # noqa: S608 - table name from model metadata
# What the roll-ups leave out, from the acknowledgements of those pieces of time alone (through
# ``ack_client_created_idx``): per user and bucket (NULL: no first response), the first
# responses outside the whole days, the acknowledgements outside the period's whole quarters and
# those outside the opening hours' whole quarters.
_PIECES = f"""
    SELECT a.user_id,
           CASE WHEN a.first_response_minutes IS NOT NULL
                THEN {BUCKET_SQL.format(v="a.first_response_minutes")} END,
           count(*) FILTER (WHERE a.created_at <@ w.days),
           count(*) FILTER (WHERE a.created_at <@ w.period),
           count(*) FILTER (WHERE a.created_at <@ w.open)
    FROM (SELECT {_MULTIRANGE.format("days")} AS days, {_MULTIRANGE.format("period")} AS period,
                 {_MULTIRANGE.format("open")} AS open) w,
         unnest({_MULTIRANGE.format("pieces")}) piece
         JOIN {_A} a ON a.client_id = %(client)s AND a.created_at >= lower(piece)
                    AND a.created_at < upper(piece)
    WHERE a.user_id IS NOT NULL
    GROUP BY 1, 2
"""  # noqa: S608 - names from model metadata
# The values at the wanted ranks: for each (user, bucket, skip, take), the bucket's first
# responses of the period in order (``ack_member_bucket_idx``: the person's bucket, by time),
# ``take`` of them from the ``skip``-th.
_VALUES = f"""
    SELECT want.user_id, want.bucket, ARRAY(
        SELECT a.first_response_minutes FROM {_A} a
        WHERE a.client_id = %(client)s AND a.user_id = want.user_id
          AND a.first_response_minutes IS NOT NULL
          AND {BUCKET_SQL.format(v="a.first_response_minutes")} = want.bucket
          AND a.created_at >= %(since)s AND a.created_at < %(until)s
        ORDER BY a.first_response_minutes OFFSET want.skip LIMIT want.take
    )
    FROM unnest(%(users)s::bigint[], %(buckets)s::smallint[], %(skips)s::bigint[],
                %(takes)s::bigint[]) AS want(user_id, bucket, skip, take)
"""  # noqa: S608 - names from model metadata


def _floor(moment: datetime) -> datetime:
    """The start of the UTC quarter of an hour holding ``moment``."""
    return _EPOCH + (moment - _EPOCH) // QUARTER * QUARTER


def _ceil(moment: datetime) -> datetime:
    floor = _floor(moment)
    return floor if floor == moment else floor + QUARTER


def quarters(spans: Iterable[Span]) -> tuple[list[Span], list[Span]]:
    """``spans`` split into whole UTC quarters of an hour and the pieces left at their ends."""
    whole, pieces = [], []
    for start, end in spans:
        first, last = _ceil(start), _floor(end)
        if first < last:
            whole.append((first, last))
            pieces += [span for span in ((start, first), (last, end)) if span[0] < span[1]]
        elif start < end:
            pieces.append((start, end))
    return whole, pieces


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def whole_days(since: datetime, until: datetime, timezone: str) -> tuple[date, date, list[Span]]:
    """The local days ``[first, end)`` lying wholly in ``[since, until)`` in ``timezone``, and
    the pieces of the period outside them (none when the period runs midnight to midnight)."""
    zone = ZoneInfo(timezone)
    first = since.astimezone(zone).date()
    if _midnight(first, zone) < since:
        first += timedelta(days=1)
    end = until.astimezone(zone).date()
    if _midnight(end, zone) > until:
        end -= timedelta(days=1)
    if first >= end:
        return first, first, [(since, until)] if since < until else []
    edges = ((since, _midnight(first, zone)), (_midnight(end, zone), until))
    return first, end, [span for span in edges if span[0] < span[1]]


def _masks(spans: list[Span], first_hour: datetime, hours: int) -> bytes:
    """For each of ``hours`` hours from ``first_hour``, which of its quarters (bits 1, 2, 4, 8)
    lie in ``spans`` (made of whole quarters)."""
    masks = bytearray(hours)
    for start, end in spans:
        quarter, last = (start - first_hour) // QUARTER, (end - first_hour) // QUARTER
        while quarter < last and (quarter % 4 or quarter + 4 > last):  # the first hour's part
            masks[quarter // 4] |= 1 << quarter % 4
            quarter += 1
        whole = (last - quarter) // 4
        masks[quarter // 4 : quarter // 4 + whole] = b"\x0f" * whole
        quarter += 4 * whole
        while quarter < last:  # the last hour's part
            masks[quarter // 4] |= 1 << quarter % 4
            quarter += 1
    return bytes(masks)


def merged(spans: Iterable[Span]) -> list[Span]:
    """``spans`` in order, those that overlap or touch made one."""
    found: list[Span] = []
    for start, end in sorted(spans):
        if found and start <= found[-1][1]:
            found[-1] = (found[-1][0], max(found[-1][1], end))
        elif start < end:
            found.append((start, end))
    return found


def _ranges(spans: Iterable[Span]) -> list[str]:
    return [f"[{start.isoformat()},{end.isoformat()})" for start, end in spans]


def rolled_member_figures(
    *, client_id: int, timezone: str, since: datetime, until: datetime, open_spans: list[Span]
) -> list[tuple] | None:
    """``(user_id, replies, in_hours, median, p90)`` per person who acknowledged the client's
    mentions in ``[since, until)``, ``open_spans`` being the opening hours within it — exactly
    as the reference query (``selectors._MEMBERS``) gives them. Read in one snapshot unless
    called inside a transaction; there, None when an acknowledgement changed between the reads
    (a rank no longer found): read them from the acknowledgements."""
    first_day, end_day, day_pieces = whole_days(since, until, timezone)
    period_whole, period_pieces = quarters([(since, until)])
    open_whole, open_pieces = quarters(merged(open_spans))
    replies: dict[int, int] = defaultdict(int)
    in_hours: dict[int, int] = defaultdict(int)
    buckets: dict[int, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    params = {"client": client_id, "since": since, "until": until}
    alone = not connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if alone:  # one snapshot for every read: the counts and the values agree
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        # A few index probes per piece of time, which the planner prices high enough to
        # JIT-compile the query (~10 ms) — more than running it.
        cursor.execute("SET LOCAL jit = off")
        if period_whole:
            first_hour = period_whole[0][0].replace(minute=0)
            hours = -(-(period_whole[-1][1] - first_hour) // timedelta(hours=1))
            cursor.execute(
                _HOURS,
                {**params, "first_hour": first_hour, "end_hour": period_whole[-1][1],
                 "period": _masks(period_whole, first_hour, hours),
                 "open": _masks(open_whole, first_hour, hours)},
            )  # fmt: skip
            for user_id, acks, opened in cursor.fetchall():
                replies[user_id] += acks
                in_hours[user_id] += opened
        if first_day < end_day:
            cursor.execute(_DAYS, {**params, "first_day": first_day, "end_day": end_day})
            for user_id, bucket, responses in cursor.fetchall():
                buckets[user_id][bucket] += responses
        pieces = [*day_pieces, *period_pieces, *open_pieces]
        if pieces:
            cursor.execute(
                _PIECES,
                {**params, "days": _ranges(day_pieces), "period": _ranges(period_pieces),
                 "open": _ranges(open_pieces), "pieces": _ranges(pieces)},
            )  # fmt: skip
            for user_id, bucket, outside_days, acks, opened in cursor.fetchall():
                replies[user_id] += acks
                in_hours[user_id] += opened
                if bucket is not None and outside_days:
                    buckets[user_id][bucket] += outside_days
        ordered = {}
        for user_id, acks in replies.items():
            counts = sorted(buckets[user_id].items())
            if acks < 0 or any(count < 0 for _, count in counts):
                return None
            if acks:
                ordered[user_id] = [(bucket, count) for bucket, count in counts if count]
        values = _values(cursor, params, ordered)
    if values is None:
        return None
    rows = []
    for user_id, acks in replies.items():
        if user_id not in ordered:
            continue  # none in the period
        figures = []
        for position, low, high in percentile_ranks(sum(n for _, n in ordered[user_id])):
            first, second = values[user_id, low], values[user_id, high]
            # as PostgreSQL interpolates (float8_lerp), and only between two different ranks
            figures.append(first if low == high else first + (second - first) * (position - low))
        median, p90 = figures or (None, None)
        rows.append((user_id, acks, in_hours[user_id], median, p90))
    return rows


def _values(cursor, params: dict, ordered: dict) -> dict[tuple[int, int], float] | None:
    """``{(user, rank): value}`` of every rank the percentiles need, one read per bucket."""
    wanted: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)  # (user, bucket) → ranks
    for user_id, counts in ordered.items():
        for _, low, high in percentile_ranks(sum(n for _, n in counts)):
            for rank in (low, high):
                bucket, offset = rank_place(counts, rank)
                wanted[user_id, bucket][rank] = offset
    if not wanted:
        return {}
    keys = list(wanted)
    skips = [min(wanted[key].values()) for key in keys]
    takes = [max(wanted[key].values()) - skip + 1 for key, skip in zip(keys, skips, strict=True)]
    cursor.execute(
        _VALUES,
        {**params, "users": [user for user, _ in keys], "buckets": [b for _, b in keys],
         "skips": skips, "takes": takes},
    )  # fmt: skip
    found = {(user_id, bucket): read for user_id, bucket, read in cursor.fetchall()}
    values = {}
    for key, skip in zip(keys, skips, strict=True):
        read = found.get(key) or []
        for rank, offset in wanted[key].items():
            if offset - skip >= len(read):
                return None
            values[key[0], rank] = read[offset - skip]
    return values


_COMPACT_HOURS = delta_compaction(AcknowledgementHour, "client_id, user_id, hour")
_COMPACT_DAYS = delta_compaction(FirstResponseDay, "client_id, user_id, day, bucket")


def member_rollups_compact() -> int:
    """Merge the current agency's per-member roll-ups (delta rows written by the triggers) into
    one row per key, dropping keys that sum to nothing; returns the rows left. Safe beside
    writers."""
    rows = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in (_COMPACT_HOURS, _COMPACT_DAYS):
            cursor.execute(statement)
            rows += cursor.rowcount
    return rows
