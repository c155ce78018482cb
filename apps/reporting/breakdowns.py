"""Figures of a client's report beside the headline pass of ``selectors``: times to first and
next response in wall-clock minutes (business time counts off-hours as zero), and the period's
figures per channel and per team. One grouped query each, by client and ``posted_at`` range."""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from apps.accounts.models import Team
from apps.channels.models import Channel
from apps.clients.models import Client
from apps.listening.models import Mention

_M = Mention._meta.db_table
# Both periods' mentions, grouped by period and by period and channel (totals: ``channel_id``
# null). Every column read is in mention_client_posted_idx: an index-only scan.
_BY_CHANNEL = f"""
    SELECT current, channel_id, GROUPING(channel_id) = 1 AS total, count(*) AS mentions,
           count(*) FILTER (WHERE needs_acknowledgement) AS needing,
           count(*) FILTER (WHERE answered) AS acknowledged,
           count(*) FILTER (WHERE sentiment = 'negative') AS negative,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY time_to_acknowledge_minutes)
               FILTER (WHERE answered AND NOT is_follow_up) AS median_business,
           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY wall_clock)
               FILTER (WHERE answered AND NOT is_follow_up) AS first_wall_clock,
           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY wall_clock)
               FILTER (WHERE answered AND is_follow_up) AS next_wall_clock
    FROM (
        SELECT posted_at >= %(start)s AS current, channel_id, needs_acknowledgement, sentiment,
               is_follow_up, time_to_acknowledge_minutes,
               needs_acknowledgement AND acknowledged_at IS NOT NULL AS answered,
               extract(epoch FROM acknowledged_at - posted_at) / 60 AS wall_clock
        FROM {_M}
        WHERE client_id = %(client)s AND posted_at >= %(before)s AND posted_at < %(end)s
    ) m
    GROUP BY GROUPING SETS ((current), (current, channel_id))
"""  # noqa: S608 - table name from model metadata
# The period's mentions per team they were routed to (null: none).
_BY_TEAM = f"""
    SELECT team_id, count(*) AS mentions,
           count(*) FILTER (WHERE needs_acknowledgement) AS needing,
           count(*) FILTER (WHERE needs_acknowledgement AND acknowledged_at IS NOT NULL)
               AS acknowledged,
           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY time_to_acknowledge_minutes)
               FILTER (WHERE needs_acknowledgement AND acknowledged_at IS NOT NULL
                       AND NOT is_follow_up) AS business
    FROM {_M}
    WHERE client_id = %(client)s AND posted_at >= %(start)s AND posted_at < %(end)s
    GROUP BY team_id
"""  # noqa: S608 - table name from model metadata


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _round(value) -> float | None:
    return None if value is None else round(float(value), 2)


def _rows(sql: str, params: dict) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _wall_clock(row: dict | None) -> dict:
    first = (row or {}).get("first_wall_clock") or [None, None]
    following = (row or {}).get("next_wall_clock") or [None, None]
    return {
        "median_time_to_acknowledge_wall_clock_minutes": _round(first[0]),
        "p90_time_to_acknowledge_wall_clock_minutes": _round(first[1]),
        "median_next_response_wall_clock_minutes": _round(following[0]),
        "p90_next_response_wall_clock_minutes": _round(following[1]),
    }


def report_breakdowns(*, client: Client, start: datetime, end: datetime, before: datetime) -> dict:
    """For the period ``[start, end)`` (and the one ``[before, start)``): ``current`` and
    ``previous`` (the wall-clock response times), ``channels`` (per channel: mentions then and
    before, acknowledgement rate, median business time to acknowledge, negative mentions) and
    ``teams`` (per team routed to, the period only; ``team`` None: routed to none)."""
    params = {"client": client.pk, "start": start, "end": end, "before": before}
    rows = _rows(_BY_CHANNEL, params)
    totals = {row["current"]: row for row in rows if row["total"]}
    per_channel: dict[int, dict[bool, dict]] = {}
    for row in rows:
        if not row["total"]:
            per_channel.setdefault(row["channel_id"], {})[row["current"]] = row
    names = dict(Channel.objects.filter(pk__in=per_channel).values_list("pk", "name"))
    channels = []
    for channel_id, periods in per_channel.items():
        now, then = periods.get(True, {}), periods.get(False, {})
        channels.append({
            "channel": channel_id, "name": names.get(channel_id, ""),
            "mentions": now.get("mentions", 0), "previous_mentions": then.get("mentions", 0),
            "needing_acknowledgement": now.get("needing", 0),
            "acknowledged": now.get("acknowledged", 0),
            "acknowledgement_rate": _ratio(now.get("acknowledged", 0), now.get("needing", 0)),
            "median_time_to_acknowledge_minutes": _round(now.get("median_business")),
            "negative": now.get("negative", 0),
        })  # fmt: skip
    channels.sort(key=lambda c: (-c["mentions"], -c["previous_mentions"], c["name"], c["channel"]))
    return {
        "current": _wall_clock(totals.get(True)),
        "previous": _wall_clock(totals.get(False)),
        "channels": channels,
        "teams": _teams(params),
    }


def _teams(params: dict) -> list[dict]:
    rows = _rows(_BY_TEAM, params)
    names = dict(Team.objects.filter(pk__in=[r["team_id"] for r in rows]).values_list("pk", "name"))
    teams = [
        {
            "team": row["team_id"],
            "name": names.get(row["team_id"], "") if row["team_id"] else "",
            "mentions": row["mentions"],
            "needing_acknowledgement": row["needing"],
            "acknowledged": row["acknowledged"],
            "acknowledgement_rate": _ratio(row["acknowledged"], row["needing"]),
            "median_time_to_acknowledge_minutes": _round((row["business"] or [None])[0]),
            "p90_time_to_acknowledge_minutes": _round((row["business"] or [None, None])[1]),
        }
        for row in rows
    ]
    # routed teams by name, then the mentions routed to none
    return sorted(teams, key=lambda t: (t["team"] is None, t["name"], t["team"] or 0))
