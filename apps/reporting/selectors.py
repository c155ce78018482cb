"""A client's report for a period (SPEC §6), computed by SQL aggregation, with the previous
period of the same length for comparison. Metric names are the contract's."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Sum

from apps.acknowledgements.selectors import (
    advocacy_comparison,
    advocacy_funnel,
    member_figures,
)
from apps.channels.models import Channel
from apps.clients.models import Client, Customer
from apps.core.buckets import FRACTIONS
from apps.listening.influence import ranked_authors
from apps.listening.models import Author, ListeningQuery, Mention

from . import breakdowns, quantiles, rollups
from .figures import dict_rows, ratio, rounded
from .models import MentionDay

TOP = 10
SENTIMENTS = ("positive", "neutral", "negative")
# Time to acknowledge, in business minutes: (label, upper bound) of each bar of its chart.
TIME_BUCKETS = (("< 15 min", 15), ("15-60 min", 60), ("1-4 h", 240), ("4-24 h", 1440),
                ("> 1 day", None))  # fmt: skip


@dataclass(frozen=True)
class Period:
    """Whole local days ``since``..``until`` (both included) in the client's time zone."""

    since: date
    until: date
    timezone: str

    @property
    def start(self) -> datetime:
        return datetime.combine(self.since, time.min, tzinfo=ZoneInfo(self.timezone))

    @property
    def end(self) -> datetime:
        return datetime.combine(
            self.until + timedelta(days=1), time.min, tzinfo=ZoneInfo(self.timezone)
        )

    def previous(self) -> Period:
        days = (self.until - self.since).days + 1
        return Period(
            self.since - timedelta(days=days), self.since - timedelta(days=1), self.timezone
        )


# Both periods' mentions read live (``cut``/``cut_before`` on: the days not in the roll-ups),
# a row of figures per period. ``%(rivals)s`` are the competitor queries; ``{rival_counts}`` one
# count per competitor query.
_PERIODS_SQL = """
    SELECT current, false AS detail, count(*) AS mentions,
           count(*) FILTER (WHERE needing) AS needing,
           count(*) FILTER (WHERE answered) AS acknowledged,
           count(*) FILTER (WHERE due) AS sla_due,
           count(*) FILTER (WHERE due AND acknowledged_at <= sla_due_at) AS sla_met,
           sum(sentiment_score) AS score_sum, count(sentiment_score) AS score_count,
           count(*) FILTER (WHERE sentiment = 'positive') AS positive,
           count(*) FILTER (WHERE sentiment = 'negative') AS negative,
           count(*) FILTER (WHERE NOT matched_queries && %(rivals)s::bigint[]) AS own,
           {buckets}{rival_counts}
    FROM (
        SELECT m.sentiment, m.sentiment_score, m.time_to_acknowledge_minutes, m.is_follow_up,
               m.acknowledged_at, m.sla_due_at, m.matched_queries,
               m.posted_at >= %(start)s AS current,
               m.needs_acknowledgement AS needing,
               m.needs_acknowledgement AND m.acknowledged_at IS NOT NULL AS answered,
               m.needs_acknowledgement AND m.sla_due_at IS NOT NULL
                   AND (m.acknowledged_at IS NOT NULL OR m.sla_due_at <= CASE
                        WHEN m.posted_at >= %(start)s THEN %(due_by)s ELSE %(due_by_before)s
                        END) AS due
        FROM {table} m
        WHERE m.client_id = %(client)s AND (m.posted_at >= %(cut)s AND m.posted_at < %(end)s
                                            OR m.posted_at >= %(cut_before)s
                                               AND m.posted_at < %(start)s)
    ) m
    GROUP BY current
"""
# What does not add up over days, from the answered mentions of both periods: the percentiles
# (read this way only for the reference pass; ``quantiles`` otherwise) and the distinct customers.
_WALL_CLOCK = quantiles.WALL_CLOCK_SQL.format(m=Mention._meta.db_table)
_ANSWERED_SQL = f"""
    SELECT posted_at >= %(start)s AS current,
           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY time_to_acknowledge_minutes)
               FILTER (WHERE NOT is_follow_up) AS first_response,
           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY time_to_acknowledge_minutes)
               FILTER (WHERE is_follow_up) AS next_response,
           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {_WALL_CLOCK})
               FILTER (WHERE NOT is_follow_up) AS wall_first_response,
           percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY {_WALL_CLOCK})
               FILTER (WHERE is_follow_up) AS wall_next_response,
           array_agg(DISTINCT customer_id) FILTER (WHERE customer_id IS NOT NULL) AS customers
    FROM {Mention._meta.db_table}
    WHERE client_id = %(client)s AND posted_at >= %(before)s AND posted_at < %(end)s
      AND needs_acknowledgement AND acknowledged_at IS NOT NULL
    GROUP BY 1
"""  # noqa: S608 - table name from model metadata
_CUSTOMERS_SQL = f"""
    SELECT posted_at >= %(start)s AS current, array_agg(DISTINCT customer_id) AS customers
    FROM {Mention._meta.db_table}
    WHERE client_id = %(client)s AND posted_at >= %(before)s AND posted_at < %(end)s
      AND customer_id IS NOT NULL AND needs_acknowledgement AND acknowledged_at IS NOT NULL
    GROUP BY 1
"""  # noqa: S608 - table name from model metadata
# Mentions of the rolled-up days whose SLA clock was still running when their day ended (the
# roll-up counts only those it saw missed within the day): due once their time has passed by
# the period's end or by now.
_RUNNING_PART = f"""
    SELECT {{current}} AS current FROM {Mention._meta.db_table}
    WHERE client_id = %(client)s AND needs_acknowledgement AND acknowledged_at IS NULL
      AND posted_at >= %({{starts}})s AND posted_at < %({{ends}})s
      AND sla_due_at <= %({{due_by}})s
      AND sla_due_at >= ((posted_at AT TIME ZONE %(zone)s)::date + 1)::timestamp
                        AT TIME ZONE %(zone)s
"""  # noqa: S608 - table name from model metadata
_RUNNING_NOW = _RUNNING_PART.format(current="true", starts="start", ends="cut", due_by="due_by")
_RUNNING_BEFORE = _RUNNING_PART.format(
    current="false", starts="before", ends="cut_before", due_by="due_by_before"
)
_RUNNING_SQL = f"""
    SELECT current, count(*) AS sla_due_late FROM ({_RUNNING_NOW} UNION ALL {_RUNNING_BEFORE}) r
    GROUP BY 1
"""  # noqa: S608 - built from the constants above
# The period's mentions per channel, local day and sentiment, for its charts.
_CELLS_SQL = f"""
    SELECT true AS current, true AS detail, channel_id,
           (posted_at AT TIME ZONE %(zone)s)::date AS day, sentiment, count(*) AS mentions
    FROM {Mention._meta.db_table}
    WHERE client_id = %(client)s AND posted_at >= %(start)s AND posted_at < %(end)s
    GROUP BY 3, 4, 5
"""  # noqa: S608 - table name from model metadata
# Figures added up over the roll-ups and the mentions read live.
_ADDED = ("mentions", "needing", "acknowledged", "sla_due", "sla_met", "score_count", "positive",
          "negative", "own", *(f"bucket_{n}" for n in range(len(TIME_BUCKETS))))  # fmt: skip


def _bucket_counts(rolled: bool = False) -> str:
    if rolled:
        return ", ".join(f"sum(bucket_{n}) AS bucket_{n}" for n in range(len(TIME_BUCKETS)))
    counts, lower = [], 0
    for n, (_, upper) in enumerate(TIME_BUCKETS):
        bound = f" AND time_to_acknowledge_minutes < {upper}" if upper is not None else ""
        counts.append(
            f"count(*) FILTER (WHERE answered AND NOT is_follow_up AND "
            f"time_to_acknowledge_minutes >= {lower}{bound}) AS bucket_{n}"
        )
        lower = upper
    return ", ".join(counts)


def _pass(
    client: Client,
    period: Period,
    competitors: list[ListeningQuery],
    now: datetime,
    rolled: bool = True,
    detail: bool = True,
    times: set[tuple] | None = None,
    fractions: tuple[float, ...] = FRACTIONS,
) -> list[dict]:
    """The rows of figures of both periods (``detail``: the volume cells of the current one):
    whole ended days from the roll-ups, the rest and the percentiles from the mentions (only the
    ``times`` kinds of ``quantiles.response_percentiles``, if given)."""
    before = period.previous()
    due_by, due_by_before = min(period.end, now), min(period.start, now)
    cut = rollups.first_live_day(period.since, period.until, period.timezone, due_by, rolled)
    cut_before = rollups.first_live_day(
        before.since, before.until, before.timezone, due_by_before, rolled
    )
    rival_counts = "".join(
        f", count(*) FILTER (WHERE matched_queries @> "
        f"ARRAY[%(rival_{q.pk})s]::bigint[]) AS rival_{q.pk}"
        for q in competitors
    )
    rolled_rivals = "".join(
        f", coalesce(sum(mentions) FILTER (WHERE matched_queries @> "
        f"ARRAY[%(rival_{q.pk})s]::bigint[]), 0) AS rival_{q.pk}"
        for q in competitors
    )
    live = _PERIODS_SQL.format(
        table=Mention._meta.db_table, buckets=_bucket_counts(), rival_counts=rival_counts
    )
    summed = rollups.DAYS_SQL.format(
        table=MentionDay._meta.db_table, buckets=_bucket_counts(rolled=True),
        rival_counts=rolled_rivals,
    )  # fmt: skip
    params = {
        "client": client.pk, "zone": period.timezone, "start": period.start, "end": period.end,
        "before": before.start, "rivals": [q.pk for q in competitors],
        # a mention is due once its SLA time has passed, by the period's end or by now
        "due_by": due_by, "due_by_before": due_by_before,
        "cut": rollups.midnight(cut, period.timezone),
        "cut_before": rollups.midnight(cut_before, period.timezone),
        "since": period.since, "until": period.until, "since_before": before.since,
        "cut_day": cut, "cut_day_before": cut_before,
        **{f"rival_{q.pk}": q.pk for q in competitors},
    }  # fmt: skip
    if rolled:
        queries = {"live": live, "customers": _CUSTOMERS_SQL, "summed": summed,
                   "running": _RUNNING_SQL, "cells": rollups.DAY_CELLS_SQL}  # fmt: skip
    else:
        queries = {"live": live, "customers": _ANSWERED_SQL, "cells": _CELLS_SQL}
    if not detail:  # the headline figures alone: no customers, no chart cells
        del queries["customers"], queries["cells"]
    with connection.cursor() as cursor:
        results = {name: dict_rows(query, params, cursor) for name, query in queries.items()}
    totals = {current: {"current": current, "detail": False} for current in (True, False)}
    for name in ("live", "customers", "running"):
        for row in results.get(name, []):
            totals[row["current"]].update(row)
    if rolled or not detail:
        _percentiles(totals, params, period, rolled, times, fractions)
    rolled_sums = {row["current"]: row for row in results.get("summed", [])}
    for current, row in totals.items():
        _add(row, rolled_sums.get(current, {}))
    return [*totals.values(), *results.get("cells", [])]


def _percentiles(
    totals: dict,
    params: dict,
    period: Period,
    rolled: bool,
    times: set[tuple] | None = None,
    fractions: tuple[float, ...] = FRACTIONS,
) -> None:
    """Both periods' median and p90 times to first and next response (``times``: only those
    kinds), from the day buckets and the mentions of the buckets they fall in (all answered
    mentions read when not ``rolled``, or when that fails)."""
    periods = {True: (period.start, period.end), False: (period.previous().start, period.start)}
    found = None
    if rolled:
        found = quantiles.response_percentiles(
            params, periods=periods, kinds=times, fractions=fractions
        )
    if found is None:
        found = {}
        with connection.cursor() as cursor:
            cursor.execute(_ANSWERED_SQL, params)
            for current, first, following, wall_first, wall_next, _ in cursor.fetchall():
                found[current, False, False], found[current, False, True] = first, following
                found[current, True, False], found[current, True, True] = wall_first, wall_next
    for current, row in totals.items():
        row["first_response"] = found.get((current, False, False))
        row["next_response"] = found.get((current, False, True))
        row["wall_first_response"] = found.get((current, True, False))
        row["wall_next_response"] = found.get((current, True, True))


def _add(row: dict, rolled: dict) -> dict:
    """``row`` (read live) with the rolled-up figures added, and its average sentiment."""
    for key in [*_ADDED, *(k for k in rolled if k.startswith("rival_"))]:
        row[key] = int(row.get(key) or 0) + int(rolled.get(key) or 0)
    row["sla_due"] += row.pop("sla_due_late", 0) or 0
    score = float(row.pop("score_sum", None) or 0) + float(rolled.get("score_sum") or 0)
    row["average_sentiment"] = score / row["score_count"] if row["score_count"] else None
    return row


def _headline(client: Client, period: Period, row: dict, competitors) -> dict:
    row = row or {}
    first = row.get("first_response") or [None, None]
    following = row.get("next_response") or [None, None]
    wall_first = row.get("wall_first_response") or [None, None]
    wall_next = row.get("wall_next_response") or [None, None]
    rivals = {query.name: row.get(f"rival_{query.pk}", 0) for query in competitors}
    own = row.get("own", 0)
    gained = Author.objects.filter(
        Exists(Mention.objects.filter(author=OuterRef("pk"), client=client)),
        advocate_since__gte=period.start,
        advocate_since__lt=period.end,
    )
    average = row.get("average_sentiment")
    mentions, positive, negative = (row.get(key, 0) for key in ("mentions", "positive", "negative"))
    return {
        "mention_count": row.get("mentions", 0),
        "needing_acknowledgement": row.get("needing", 0),
        "acknowledged": row.get("acknowledged", 0),
        "acknowledgement_rate": ratio(row.get("acknowledged", 0), row.get("needing", 0)),
        "median_time_to_acknowledge_minutes": rounded(first[0]),
        "p90_time_to_acknowledge_minutes": rounded(first[1]),
        "median_next_response_minutes": rounded(following[0]),
        "p90_next_response_minutes": rounded(following[1]),
        "median_time_to_acknowledge_wall_clock_minutes": rounded(wall_first[0]),
        "p90_time_to_acknowledge_wall_clock_minutes": rounded(wall_first[1]),
        "median_next_response_wall_clock_minutes": rounded(wall_next[0]),
        "p90_next_response_wall_clock_minutes": rounded(wall_next[1]),
        "sla_attainment": ratio(row.get("sla_met", 0), row.get("sla_due", 0)),
        "sentiment": {  # unlabelled mentions count as neutral
            "positive": positive,
            "neutral": mentions - positive - negative,
            "negative": negative,
            "average_score": rounded(average),
        },
        "advocates_gained": gained.count(),
        "share_of_voice": {
            "brand": own,
            "competitors": rivals,
            "share": ratio(own, own + sum(rivals.values())),
        },
    }


def _crm_value(row: dict | None) -> float:
    customers = (row or {}).get("customers") or []
    if not customers:
        return 0.0
    total = Customer.objects.filter(pk__in=customers).aggregate(total=Sum("lifetime_value"))
    return rounded(total["total"] or 0)


def _headlines(
    client: Client, period: Period, now: datetime, rolled: bool = True
) -> tuple[dict, dict, dict]:
    """The period's figures (with the share of voice, the spread of times to acknowledge and
    the volume by channel and day), and the previous period's: one pass over the mentions (and
    one over the roll-ups)."""
    competitors = list(ListeningQuery.objects.filter(client=client, is_competitor=True))
    rows = _pass(client, period, competitors, now, rolled)
    totals = {row["current"]: row for row in rows if not row["detail"]}
    current = _headline(client, period, totals.get(True), competitors)
    before = _headline(client, period.previous(), totals.get(False), competitors)
    cells = [row for row in rows if row["detail"]]
    current["crm_value_of_acknowledged_customers"] = _crm_value(totals.get(True))
    before["crm_value_of_acknowledged_customers"] = _crm_value(totals.get(False))
    row = totals.get(True) or {}
    current["time_to_acknowledge_distribution"] = [
        {"bucket": label, "count": row.get(f"bucket_{n}", 0)}
        for n, (label, _) in enumerate(TIME_BUCKETS)
    ]
    volume = _volume(period, [cell for cell in cells if cell["current"]])
    return current, before, volume


# (current period, wall clock, follow-up): the one time the agency overview shows, the
# current period's business time to first response.
FIRST_RESPONSE_NOW = (True, False, False)


def period_totals(
    *,
    client: Client,
    since: date,
    until: date,
    now: datetime,
    times: set[tuple] | None = None,
    fractions: tuple[float, ...] = FRACTIONS,
) -> tuple[dict, dict]:
    """The additive figures, median/p90 times (only the ``times`` kinds and the ``fractions``,
    if given: see ``quantiles.response_percentiles``) and SLA counts of local days
    ``since``..``until`` and of the period as long before it — the report's own headline pass
    without its chart cells, customers or share of voice (the agency overview's figures, equal
    to the dashboard's)."""
    period = Period(since, until, client.timezone)
    rows = _pass(client, period, [], now, detail=False, times=times, fractions=fractions)
    totals = {row["current"]: row for row in rows}
    return totals[True], totals[False]


def _in_period(client: Client, period: Period):
    return Mention.objects.filter(
        client=client, posted_at__gte=period.start, posted_at__lt=period.end
    )


def _volume(period: Period, cells: list[dict]) -> dict:
    """Mentions by channel and by local day, and sentiment by day, from the pass's cells."""
    names = dict(
        Channel.objects.filter(pk__in={c["channel_id"] for c in cells}).values_list("pk", "name")
    )
    by_day: dict[date, int] = defaultdict(int)
    by_channel: dict[int, int] = defaultdict(int)
    feeling: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for cell in cells:
        by_day[cell["day"]] += cell["mentions"]
        by_channel[cell["channel_id"]] += cell["mentions"]
        feeling[cell["day"]][cell["sentiment"] or "neutral"] += cell["mentions"]
    days = (period.until - period.since).days + 1
    dates = [period.since + timedelta(days=n) for n in range(days)]
    return {
        "sentiment_by_day": [
            {"date": day.isoformat(), **{k: feeling[day][k] for k in SENTIMENTS}} for day in dates
        ],
        "by_channel": [
            {"channel": channel, "name": names.get(channel, ""), "count": count}
            for channel, count in sorted(by_channel.items(), key=lambda item: (-item[1], item[0]))
        ],
        "by_day": [{"date": day.isoformat(), "count": by_day.get(day, 0)} for day in dates],
    }


def _top_authors(mentions) -> list[dict]:
    """The most influential people who spoke in the period, with how often they did: walks
    authors by influence (index) and stops at the first ``TOP`` who said something needing an
    answer (so never the brand itself, nor a spammer). Brand and competitor accounts are never
    ranked."""
    authors = list(
        ranked_authors(
            Author.objects.filter(
                Exists(mentions.filter(author_id=OuterRef("pk"), needs_acknowledgement=True))
            )
        )
        .order_by("-influence", "pk")
        .values("pk", "handle", "influence")[:TOP]
    )
    counts = dict(
        mentions.filter(author_id__in=[a["pk"] for a in authors])
        .values("author_id")
        .annotate(n=Count("pk"))
        .values_list("author_id", "n")
    )
    return [
        {"id": a["pk"], "handle": a["handle"], "influence": rounded(a["influence"]),
         "mentions": counts.get(a["pk"], 0)}
        for a in authors
    ]  # fmt: skip


def _members(client: Client, period: Period, rolled: bool) -> list[dict]:
    return [
        {
            "user": row["user"].pk,
            "name": row["user"].get_full_name(),
            "email": row["user"].email,
            "replies": row["replies"],
            "median_minutes": rounded(row["median_minutes"]),
            "p90_minutes": rounded(row["p90_minutes"]),
            "in_hours": row["in_hours"],
            "off_hours": row["off_hours"],
        }
        for row in member_figures(
            client=client, since=period.start, until=period.end, rolled=rolled
        )
    ]


def client_report(
    *, client: Client, since: date, until: date, now: datetime | None = None, rolled: bool = True
) -> dict:
    """Every figure of the client's report for local days ``since``..``until``; ``previous``
    holds every headline figure of the period of the same length just before. Whole days come
    from the daily roll-ups (``MentionDay``) unless ``rolled`` is False: then every figure is
    read from the mentions (the reference the roll-ups are tested against)."""
    from django.utils import timezone

    period = Period(since, until, client.timezone)
    before = period.previous()
    headline, previous, volume = _headlines(client, period, now or timezone.now(), rolled)
    extra = breakdowns.report_breakdowns(client=client, period=period, rolled=rolled)
    comparison = advocacy_comparison(client=client, since=period.start, until=period.end)
    compared_before = advocacy_comparison(client=client, since=before.start, until=before.end)
    mentions = _in_period(client, period)
    top_terms, top_hashtags = rollups.top_terms(
        client=client, since=period.since, until=period.until, top=TOP
    )
    return {
        "client": client.pk,
        "since": period.since.isoformat(),
        "until": period.until.isoformat(),
        "timezone": period.timezone,
        **headline,
        "advocacy_lift": comparison["positive_return_lift"],
        "mention_volume": volume,
        "top_authors": _top_authors(mentions),
        "advocacy_funnel": advocacy_funnel(client=client, since=period.start, until=period.end),
        "advocacy_comparison": comparison,
        "top_terms": [{"term": term, "count": n} for term, n in top_terms],
        "top_hashtags": [{"hashtag": f"#{tag}", "count": n} for tag, n in top_hashtags],
        "members": _members(client, period, rolled),
        "channels": extra["channels"],
        "teams": extra["teams"],
        "previous": {
            "since": before.since.isoformat(),
            "until": before.until.isoformat(),
            **previous,
            "advocacy_lift": compared_before["positive_return_lift"],
        },
    }


def report_for_client_users(report: dict) -> dict:
    """The report as a client's own people may see it: the agency's staff by name only when
    the agency allows it (otherwise the per-member figures are left out — the headline figures
    are the team's), and never their e-mail addresses."""
    from apps.accounts.selectors import portal_shows_staff_names

    members = []
    if portal_shows_staff_names():
        members = [
            {key: value for key, value in member.items() if key not in ("email", "user")}
            for member in report["members"]
            if member["name"]
        ]
    return {**report, "members": members}


def report_for(report: dict, *, viewer) -> dict:
    """The report as ``viewer`` may see it (``None``: a client's contacts, by e-mail)."""
    if viewer is None or viewer.is_client_user:
        return report_for_client_users(report)
    return report
