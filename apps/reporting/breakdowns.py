"""Figures of a client's report beside the headline pass of ``selectors`` (which also gives the
times in wall-clock minutes, through ``quantiles``): the period's figures per channel and per
team. One query each, by client and ``posted_at`` range."""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from apps.accounts.models import Team
from apps.channels.models import Channel
from apps.clients.models import Client
from apps.listening.models import Mention

_M = Mention._meta.db_table
_IN = "client_id = %(client)s AND posted_at >= %({0})s AND posted_at < %({1})s"
# Both periods' mentions in one plain aggregate (no grouping, so no sort): ``{channels}``,
# counts per channel (the client's channels are few). Every column read is in
# mention_client_posted_idx: an index-only scan.
_PERIODS = f"""
    SELECT {{channels}}
    FROM (
        SELECT posted_at >= %(start)s AS current, channel_id, needs_acknowledgement, sentiment,
               needs_acknowledgement AND acknowledged_at IS NOT NULL AS answered
        FROM {_M} WHERE {_IN.format("before", "end")}
    ) m
"""  # noqa: S608 - table name from model metadata
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


def _rows(sql: str, params: dict) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [column.name for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _periods_sql(channel_ids: list[int]) -> str:
    channels = ", ".join(
        f"count(*) FILTER (WHERE {condition} AND channel_id = {int(pk)}) AS c{int(pk)}_{key}"
        for pk in channel_ids
        for key, condition in _CHANNEL_COUNTS.items()
    )
    return _PERIODS.format(channels=channels)


def report_breakdowns(*, client: Client, start: datetime, end: datetime, before: datetime) -> dict:
    """For the period ``[start, end)`` (and the one ``[before, start)``): ``channels`` (per
    channel with mentions: mentions then and before, acknowledged of those needing it, negative
    mentions) and ``teams`` (per team routed to, the period only; last, ``team`` None: routed to
    none). Two queries: both periods' mentions once, and the period's routed to a team."""
    params = {"client": client.pk, "start": start, "end": end, "before": before}
    names = dict(Channel.objects.filter(client=client).values_list("pk", "name"))
    row = _rows(_periods_sql(list(names)), params)[0] if names else {}
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
    return {"channels": channels, "teams": _teams(params, totals)}


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
