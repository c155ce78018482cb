"""What people said, rolled up per client and local day: the top terms and hashtags of each
day, so that a 90-day report sums a few thousand rows instead of re-reading every mention.

A day is rolled up the first time a report needs it once it has ended in the client's time
zone (``TermDay`` marks it); the current day is always read live. Ingest forgets the roll-up of
any ended day it adds mentions to (a back-fill), and the next report rolls it up again. Each day
keeps its ``KEEP_PER_DAY`` most used terms (stop words of every supported language left out)
and hashtags: a period's top ten is exact unless a term never reaches a single day's top 200
yet adds up over many — for a top ten, not a worry.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from contextlib import nullcontext
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from apps.clients.models import Client
from apps.core.replica import on_primary
from apps.core.triggers import delta_compaction
from apps.listening.models import Mention
from apps.listening.stopwords import ALL_STOP_WORDS

from .models import MentionDay, ResponseTimeDay, TermCount, TermDay

KEEP_PER_DAY = 200
# Left out of the top terms (the search index keeps every word): every language's stop words.
STOP_WORDS = sorted(ALL_STOP_WORDS)
# … sent as one array literal, written once: as a list, its 3,280 words were adapted one by one
# on every report.
_STOP_ARRAY = (
    "{"
    + ",".join('"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"' for w in STOP_WORDS)
    + "}"
)
_M = Mention._meta.db_table
# (day, is_hashtag, term, uses) of a client's mentions posted in [start, end), at most
# ``keep`` of each kind per day.
_DAILY_TERMS = f"""
    WITH said AS (
        SELECT (posted_at AT TIME ZONE %(zone)s)::date AS day, search_vector, text
        FROM {_M}
        WHERE client_id = %(client)s AND posted_at >= %(start)s AND posted_at < %(end)s
    ), counted AS (
        SELECT day, false AS is_hashtag, word AS term, count(*) AS uses
        FROM said, unnest(tsvector_to_array(said.search_vector)) AS word
        WHERE length(word) >= 3 AND word !~ '^[0-9]+$'
          AND word NOT IN (SELECT unnest(%(stop)s::text[]))  -- hashed: one probe a word
        GROUP BY day, word
        UNION ALL
        SELECT day, true, lower(tag[1]), count(*)
        FROM said, regexp_matches(said.text, '#(\\w+)', 'g') AS tag
        GROUP BY day, lower(tag[1])
    ), ranked AS (
        SELECT *, row_number() OVER (
            PARTITION BY day, is_hashtag ORDER BY uses DESC, term
        ) AS place
        FROM counted
    )
    SELECT day, is_hashtag, term, uses FROM ranked WHERE place <= %(keep)s
"""  # noqa: S608 - table name from model metadata


def _bounds(client: Client, first: date, last: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(client.timezone)
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
    )


def _params(client: Client, first: date, last: date) -> dict:
    start, end = _bounds(client, first, last)
    return {
        "zone": client.timezone, "client": client.pk, "start": start, "end": end,
        "stop": _STOP_ARRAY, "keep": KEEP_PER_DAY,
    }  # fmt: skip


def term_days_roll_up(*, client: Client, days: Iterable[date]) -> int:
    """Roll up the given ended days (concurrent roll-ups of the same day are harmless)."""
    days = sorted(set(days))
    if not days:
        return 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {TermCount._meta.db_table} (client_id, day, is_hashtag, term, uses)
            SELECT %(client)s, day, is_hashtag, term, uses FROM ({_DAILY_TERMS}) daily
            WHERE day = ANY(%(days)s)
            ON CONFLICT DO NOTHING
            """,  # noqa: S608
            {**_params(client, days[0], days[-1]), "days": days},
        )
        cursor.execute(
            f"INSERT INTO {TermDay._meta.db_table} (client_id, day) "
            "SELECT %s, unnest(%s::date[]) ON CONFLICT DO NOTHING",
            [client.pk, days],
        )
    return len(days)


def page_days_forget(*, channel, page, run: dict) -> None:
    """New mentions on days that have ended (a back-fill) make those days' roll-ups stale (the
    ``page_stored`` event)."""
    if not page.posted_at:
        return
    zone = ZoneInfo(channel.client.timezone)
    today = timezone.now().astimezone(zone).date()
    ended = {at.astimezone(zone).date() for at in page.posted_at}
    ended = {day for day in ended if day < today}
    if ended:
        term_days_forget(client_id=channel.client_id, days=ended)


def term_days_forget(*, client_id: int, days: Iterable[date]) -> None:
    """Drop the roll-ups of days that gained (or lost) mentions after they were made (one
    statement: ingest calls this for every page of a back-fill)."""
    days = list(set(days))
    if days:
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH forgotten AS (
                    DELETE FROM {TermDay._meta.db_table}
                    WHERE client_id = %(client)s AND day = ANY(%(days)s) RETURNING day
                )
                DELETE FROM {TermCount._meta.db_table}
                WHERE client_id = %(client)s AND day IN (SELECT day FROM forgotten)
                """,  # noqa: S608 - names from model metadata
                {"client": client_id, "days": days},
            )


def _own_words(client: Client) -> set[str]:
    """The words of the client's name and handles, as the search index spells them."""
    names = [client.name, *client.brand_handles]
    return {word for name in names for word in re.split(r"[\W_]+", name.lower()) if word}


def top_terms(*, client: Client, since: date, until: date, top: int) -> tuple[list, list]:
    """The period's ``top`` terms and hashtags: ended days from their roll-ups (made now if
    missing), today live."""
    today = timezone.now().astimezone(ZoneInfo(client.timezone)).date()
    last_ended = min(until, today - timedelta(days=1))
    counts = {False: Counter(), True: Counter()}
    if since <= last_ended:
        ended = [since + timedelta(days=n) for n in range((last_ended - since).days + 1)]
        rolled = set(
            TermDay.objects.filter(client=client, day__gte=since, day__lte=last_ended).values_list(
                "day", flat=True
            )
        )
        missing = [day for day in ended if day not in rolled]
        # Rolled up on the primary, and read there while a replica may not have them yet.
        with on_primary() if missing else nullcontext():
            term_days_roll_up(client=client, days=missing)
            for is_hashtag, term, uses in (
                TermCount.objects.filter(client=client, day__gte=since, day__lte=last_ended)
                .values("is_hashtag", "term")
                .annotate(total=Sum("uses"))
                .values_list("is_hashtag", "term", "total")
            ):
                counts[is_hashtag][term] += uses
    if until > last_ended:  # today (and any later day asked for) is still being written
        with connection.cursor() as cursor:
            cursor.execute(_DAILY_TERMS, _params(client, max(since, today), until))
            for _, is_hashtag, term, uses in cursor.fetchall():
                counts[is_hashtag][term] += uses

    for word in _own_words(client):  # the brand's own name says nothing about what was said
        counts[False].pop(word, None)

    def ranked(counter: Counter) -> list[tuple[str, int]]:
        return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:top]

    return ranked(counts[False]), ranked(counts[True])


def term_rollups_drop(*, client_id: int) -> None:
    """Forget every roll-up of a client (its mentions were deleted wholesale)."""
    TermDay.objects.filter(client_id=client_id).delete()
    TermCount.objects.filter(client_id=client_id).delete()


# The report's additive figures of the rolled-up days (``MentionDay``), a row per period
# (``selectors._pass`` fills ``{buckets}``, ``{rival_counts}`` and ``{table}``).
DAYS_SQL = """
    SELECT day >= %(since)s AS current, sum(mentions) AS mentions, sum(needing) AS needing,
           sum(acknowledged) AS acknowledged,
           sum(sla_answered) + sum(sla_missed_in_day) AS sla_due, sum(sla_met) AS sla_met,
           sum(score_sum) AS score_sum, sum(score_count) AS score_count,
           coalesce(sum(mentions) FILTER (WHERE sentiment = 'positive'), 0) AS positive,
           coalesce(sum(mentions) FILTER (WHERE sentiment = 'negative'), 0) AS negative,
           coalesce(sum(mentions) FILTER (WHERE NOT matched_queries && %(rivals)s::bigint[]), 0)
               AS own,
           {buckets}{rival_counts}
    FROM {table}
    WHERE client_id = %(client)s AND (day >= %(since_before)s AND day < %(cut_day_before)s
                                      OR day >= %(since)s AND day < %(cut_day)s)
    GROUP BY 1
"""
# The period's mentions per channel, local day and sentiment, for its charts.
DAY_CELLS_SQL = f"""
    SELECT true AS current, true AS detail, channel_id, day, sentiment,
           sum(mentions)::bigint AS mentions
    FROM {MentionDay._meta.db_table}
    WHERE client_id = %(client)s AND day >= %(since)s AND day <= %(until)s
    GROUP BY 3, 4, 5 HAVING sum(mentions) <> 0
"""  # noqa: S608 - table name from model metadata


def first_live_day(since: date, until: date, zone: str, due_by: datetime, rolled: bool) -> date:
    """The first of the days ``since``..``until`` read live: those before it ended by ``due_by``
    (every SLA clock of theirs still running then is read from the mentions)."""
    if not rolled:
        return since
    local = due_by.astimezone(ZoneInfo(zone)).date()
    return max(since, min(local, until + timedelta(days=1)))


def midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone))


_COMPACT_DAYS = delta_compaction(
    MentionDay, "client_id, day, channel_id, sentiment, matched_queries"
)
_COMPACT_RESPONSE_DAYS = delta_compaction(
    ResponseTimeDay, "client_id, day, wall_clock, is_follow_up, bucket"
)


def mention_days_compact() -> int:
    """Merge the current agency's daily figures and response-time buckets (delta rows written
    by the triggers) into one row per key, dropping keys that sum to nothing; returns the daily
    figures' rows left. Safe beside writers."""
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_COMPACT_RESPONSE_DAYS)
        cursor.execute(_COMPACT_DAYS)
        return cursor.rowcount
