"""Figures of a client's report beside the headline pass of ``selectors`` (which also gives the
times in wall-clock minutes, through ``quantiles``): the period's figures per channel (from the
daily roll-ups, or the mentions for the reference report) and per team."""

from __future__ import annotations

from apps.accounts.models import Team
from apps.channels.models import Channel
from apps.clients.models import Client
from apps.listening.models import Mention

from .figures import dict_rows, ratio
from .models import MentionDay

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
# The same counts per channel and period from the daily roll-ups (``MentionDay``, always
# current: the triggers keep today's row too).
_DAYS = f"""
    SELECT channel_id, day >= %(since)s AS current, sum(mentions)::bigint AS mentions,
           sum(needing)::bigint AS needing, sum(acknowledged)::bigint AS acknowledged,
           coalesce(sum(mentions) FILTER (WHERE sentiment = 'negative'), 0)::bigint AS negative
    FROM {MentionDay._meta.db_table}
    WHERE client_id = %(client)s AND day >= %(since_before)s AND day <= %(until)s
    GROUP BY 1, 2
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


def _periods_sql(channel_ids: list[int]) -> str:
    channels = ", ".join(
        f"count(*) FILTER (WHERE {condition} AND channel_id = {int(pk)}) AS c{int(pk)}_{key}"
        for pk in channel_ids
        for key, condition in _CHANNEL_COUNTS.items()
    )
    return _PERIODS.format(channels=channels)


def _channel_figures(params: dict, channel_ids: list[int], rolled: bool) -> dict[int, dict]:
    """Per channel: the ``_CHANNEL_COUNTS`` of the period (and its mentions before)."""
    if not rolled:
        row = dict_rows(_periods_sql(channel_ids), params)[0] if channel_ids else {}
        return {pk: {key: row[f"c{pk}_{key}"] for key in _CHANNEL_COUNTS} for pk in channel_ids}
    figures = {pk: dict.fromkeys(_CHANNEL_COUNTS, 0) for pk in channel_ids}
    for row in dict_rows(_DAYS, params):
        counted = figures.get(row["channel_id"])
        if counted is None:  # a deleted channel's last deltas
            continue
        if not row["current"]:
            counted["previous_mentions"] += row["mentions"]
            continue
        counted["mentions"] += row["mentions"]
        counted["needing_acknowledgement"] += row["needing"]
        counted["acknowledged"] += row["acknowledged"]
        counted["negative"] += row["negative"]
    return figures


def report_breakdowns(*, client: Client, period, rolled: bool = True) -> dict:
    """For the ``period`` (``selectors.Period``; and the one as long before it): ``channels``
    (per channel with mentions: mentions then and before, acknowledged of those needing it,
    negative mentions) and ``teams`` (per team routed to, the period only; last, ``team`` None:
    routed to none). Channels from the daily roll-ups unless not ``rolled``."""
    before = period.previous()
    params = {
        "client": client.pk, "start": period.start, "end": period.end, "before": before.start,
        "since": period.since, "until": period.until, "since_before": before.since,
    }  # fmt: skip
    names = dict(Channel.objects.filter(client=client).values_list("pk", "name"))
    channels = []
    for pk, figures in _channel_figures(params, list(names), rolled).items():
        if figures["mentions"] or figures["previous_mentions"]:
            rate = ratio(figures["acknowledged"], figures["needing_acknowledgement"])
            channels.append(
                {"channel": pk, "name": names[pk], **figures, "acknowledgement_rate": rate}
            )
    channels.sort(key=lambda c: (-c["mentions"], -c["previous_mentions"], c["name"], c["channel"]))
    totals = {
        key: sum(c[key] for c in channels)
        for key in ("mentions", "needing_acknowledgement", "acknowledged")
    }
    return {"channels": channels, "teams": _teams(params, totals)}


def _teams(params: dict, totals: dict) -> list[dict]:
    rows = dict_rows(_BY_TEAM, params)
    names = dict(Team.objects.filter(pk__in=[r["team_id"] for r in rows]).values_list("pk", "name"))
    teams = [
        {
            "team": row["team_id"],
            "name": names.get(row["team_id"], ""),
            "mentions": row["mentions"],
            "needing_acknowledgement": row["needing"],
            "acknowledged": row["acknowledged"],
            "acknowledgement_rate": ratio(row["acknowledged"], row["needing"]),
        }
        for row in rows
    ]
    teams.sort(key=lambda t: (t["name"], t["team"]))
    rest = {key: value - sum(t[key] for t in teams) for key, value in totals.items()}
    if rest["mentions"]:
        teams.append({
            "team": None, "name": "", **rest,
            "acknowledgement_rate": ratio(rest["acknowledged"], rest["needing_acknowledgement"]),
        })  # fmt: skip
    return teams
