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
_IN = "client_id = %(client)s AND posted_at >= %({0})s AND posted_at < %({1})s"
# Both periods' mentions in one plain aggregate (no grouping, so no sort but the percentiles'
# own of the acknowledged mentions): the wall-clock minutes from posting to the first
# acknowledgement per period, and ``{channels}``: counts per channel (the client's channels
# are few). Every column read is in mention_client_posted_idx: an index-only scan.
_PERIODS = f"""
    SELECT {{wall_clock}}{{channels}}
    FROM (
        SELECT posted_at >= %(start)s AS current, channel_id, needs_acknowledgement, sentiment,
               is_follow_up, needs_acknowledgement AND acknowledged_at IS NOT NULL AS answered,
               date_part('epoch', acknowledged_at - posted_at) / 60 AS wall_clock
        FROM {_M} WHERE {_IN.format("before", "end")}
    ) m
"""  # noqa: S608 - table name from model metadata
_PERCENTILES = (
    "percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY wall_clock) "
    "FILTER (WHERE {period} AND answered AND {follow_up}is_follow_up) AS {name}"
)
_CHANNEL_COUNTS = {
    "mentions": "current", "previous_mentions": "NOT current",
    "needing_acknowledgement": "current AND needs_acknowledgement",
    "acknowledged": "current AND answered", "negative": "current AND sentiment = 'negative'",
}  # fmt: skip
# The period's mentions routed to a team, per team (the rest: the totals less these). No
# percentile here: the report's business-time percentiles come from ``quantiles``' buckets.
_BY_TEAM = f"""
    SELECT team_id, count(*) AS mentions,
           count(*) FILTER (WHERE needs_acknowledgement) AS needing,
           count(*) FILTER (WHERE needs_acknowledgement AND acknowledged_at IS NOT NULL)
               AS acknowledged
    FROM {_M}
    WHERE {_IN.format("start", "end")} AND team_id IS NOT NULL
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


def _periods_sql(channel_ids: list[int]) -> str:
    wall_clock = ", ".join(
        _PERCENTILES.format(period=period, follow_up=follow_up, name=f"{label}_{which}")
        for label, period in (("now", "current"), ("before", "NOT current"))
        for which, follow_up in (("first", "NOT "), ("next", ""))
    )
    channels = "".join(
        f", count(*) FILTER (WHERE {condition} AND channel_id = {int(pk)}) AS c{int(pk)}_{key}"
        for pk in channel_ids
        for key, condition in _CHANNEL_COUNTS.items()
    )
    return _PERIODS.format(wall_clock=wall_clock, channels=channels)


def _wall_clock(row: dict, label: str) -> dict:
    first = row[f"{label}_first"] or [None, None]
    following = row[f"{label}_next"] or [None, None]
    return {
        "median_time_to_acknowledge_wall_clock_minutes": _round(first[0]),
        "p90_time_to_acknowledge_wall_clock_minutes": _round(first[1]),
        "median_next_response_wall_clock_minutes": _round(following[0]),
        "p90_next_response_wall_clock_minutes": _round(following[1]),
    }


def report_breakdowns(*, client: Client, start: datetime, end: datetime, before: datetime) -> dict:
    """For the period ``[start, end)`` (and the one ``[before, start)``): ``current`` and
    ``previous`` (the wall-clock response times), ``channels`` (per channel with mentions:
    mentions then and before, acknowledged of those needing it, negative mentions) and ``teams``
    (per team routed to, the period only; last, ``team`` None: routed to none).
    Two queries: both periods' mentions once, and the period's routed to a team."""
    params = {"client": client.pk, "start": start, "end": end, "before": before}
    names = dict(Channel.objects.filter(client=client).values_list("pk", "name"))
    row = _rows(_periods_sql(list(names)), params)[0]
    channels = []
    for pk, name in names.items():
        figures = {key: row[f"c{pk}_{key}"] for key in _CHANNEL_COUNTS}
        if figures["mentions"] or figures["previous_mentions"]:
            rate = _ratio(figures["acknowledged"], figures["needing_acknowledgement"])
            channels.append({"channel": pk, "name": name, **figures, "acknowledgement_rate": rate})
    channels.sort(key=lambda c: (-c["mentions"], -c["previous_mentions"], c["name"], c["channel"]))
    totals = {
        key: sum(c[key] for c in channels)
        for key in ("mentions", "needing_acknowledgement", "acknowledged")
    }
    return {
        "current": _wall_clock(row, "now"),
        "previous": _wall_clock(row, "before"),
        "channels": channels,
        "teams": _teams(params, totals),
    }


def _teams(params: dict, totals: dict) -> list[dict]:
    rows = _rows(_BY_TEAM, params)
    names = dict(Team.objects.filter(pk__in=[r["team_id"] for r in rows]).values_list("pk", "name"))
    teams = [
        {
            "team": row["team_id"],
            "name": names.get(row["team_id"], ""),
            "mentions": row["mentions"],
            "needing_acknowledgement": row["needing"],
            "acknowledged": row["acknowledged"],
            "acknowledgement_rate": _ratio(row["acknowledged"], row["needing"]),
        }
        for row in rows
    ]
    teams.sort(key=lambda t: (t["name"], t["team"]))
    rest = {key: value - sum(t[key] for t in teams) for key, value in totals.items()}
    if rest["mentions"]:
        teams.append({
            "team": None, "name": "", **rest,
            "acknowledgement_rate": _ratio(rest["acknowledged"], rest["needing_acknowledgement"]),
        })  # fmt: skip
    return teams
