"""A client's report for a period (SPEC §6), computed by SQL aggregation, with the previous
period of the same length for comparison. Metric names are the contract's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Avg, Count, F, Q, Sum
from django.db.models.functions import TruncDate

from apps.acknowledgements.selectors import advocacy_funnel, member_figures
from apps.clients.models import Client, Customer
from apps.core.db import Percentile
from apps.listening.models import Author, ListeningQuery, Mention

TOP = 10
# Words too common to say anything about a brand (the search index keeps every word).
_STOP = """
a an and are as at be but by for from has have i if in is it its just me my no not of on or our so
that the their them they this to too was we were what when with you your im can do does did get
got will would there here all about out up one very really been had how any more some than then
who why which also after again
"""
STOP_WORDS = frozenset(_STOP.split())


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


def _ratio(part, whole) -> float | None:
    return round(part / whole, 4) if whole else None


def _round(value) -> float | None:
    return None if value is None else round(value, 1)


def _headline(client: Client, period: Period) -> dict:
    """The figures compared period on period, in one aggregate over the period's mentions."""
    needing = Q(needs_acknowledgement=True)
    answered = needing & Q(acknowledged_at__isnull=False)
    first = answered & Q(is_follow_up=False)
    due = needing & Q(sla_due_at__isnull=False) & (Q(acknowledged_at__isnull=False)
                                                   | Q(sla_due_at__lte=period.end))  # fmt: skip
    row = Mention.objects.filter(
        client=client, posted_at__gte=period.start, posted_at__lt=period.end
    ).aggregate(
        mentions=Count("pk"),
        needing=Count("pk", filter=needing),
        acknowledged=Count("pk", filter=answered),
        median=Percentile("time_to_acknowledge_minutes", 0.5, filter=first),
        p90=Percentile("time_to_acknowledge_minutes", 0.9, filter=first),
        next_median=Percentile("time_to_acknowledge_minutes", 0.5, filter=answered & ~first),
        next_p90=Percentile("time_to_acknowledge_minutes", 0.9, filter=answered & ~first),
        sla_due=Count("pk", filter=due),
        sla_met=Count("pk", filter=due & Q(acknowledged_at__lte=F("sla_due_at"))),
        positive=Count("pk", filter=Q(sentiment="positive")),
        neutral=Count("pk", filter=Q(sentiment="neutral")),
        negative=Count("pk", filter=Q(sentiment="negative")),
        average_sentiment=Avg("sentiment_score"),
    )
    return {
        "mention_count": row["mentions"],
        "needing_acknowledgement": row["needing"],
        "acknowledged": row["acknowledged"],
        "acknowledgement_rate": _ratio(row["acknowledged"], row["needing"]),
        "median_time_to_acknowledge_minutes": _round(row["median"]),
        "p90_time_to_acknowledge_minutes": _round(row["p90"]),
        "median_next_response_minutes": _round(row["next_median"]),
        "p90_next_response_minutes": _round(row["next_p90"]),
        "sla_attainment": _ratio(row["sla_met"], row["sla_due"]),
        "sentiment": {
            "positive": row["positive"],
            "neutral": row["neutral"],
            "negative": row["negative"],
            "average_score": None
            if row["average_sentiment"] is None
            else round(row["average_sentiment"], 3),
        },
        "advocates_gained": Author.objects.filter(
            advocate_since__gte=period.start,
            advocate_since__lt=period.end,
            mentions__client=client,
        )
        .distinct()
        .count(),
    }


def _in_period(client: Client, period: Period):
    return Mention.objects.filter(
        client=client, posted_at__gte=period.start, posted_at__lt=period.end
    )


def _volume(client: Client, period: Period) -> dict:
    mentions = _in_period(client, period)
    by_day = {
        row["day"]: row["count"]
        for row in mentions.annotate(day=TruncDate("posted_at", tzinfo=ZoneInfo(period.timezone)))
        .values("day")
        .annotate(count=Count("pk"))
    }
    days = (period.until - period.since).days + 1
    return {
        "by_channel": [
            {"channel": row["channel"], "name": row["channel__name"], "count": row["count"]}
            for row in mentions.values("channel", "channel__name")
            .annotate(count=Count("pk"))
            .order_by("-count", "channel")
        ],
        "by_day": [
            {"date": day.isoformat(), "count": by_day.get(day, 0)}
            for day in (period.since + timedelta(days=n) for n in range(days))
        ],
    }


def _share_of_voice(client: Client, period: Period) -> dict:
    competitors = list(ListeningQuery.objects.filter(client=client, is_competitor=True))
    mentions = _in_period(client, period)
    ids = [query.pk for query in competitors]
    counts = mentions.aggregate(
        own=Count("pk", filter=~Q(matched_queries__overlap=ids)) if ids else Count("pk"),
        **{f"q{query.pk}": Count("pk", filter=Q(matched_queries__contains=[query.pk]))
           for query in competitors},
    )  # fmt: skip
    rivals = {query.name: counts[f"q{query.pk}"] for query in competitors}
    return {
        "brand": counts["own"],
        "competitors": rivals,
        "share": _ratio(counts["own"], counts["own"] + sum(rivals.values())),
    }


def _top_terms(client: Client, period: Period) -> tuple[list[dict], list[dict]]:
    table = Mention._meta.db_table
    params = {"client": client.pk, "start": period.start, "end": period.end}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT word, count(*) AS uses
            FROM {table} m, unnest(tsvector_to_array(m.search_vector)) AS word
            WHERE m.client_id = %(client)s AND m.posted_at >= %(start)s
              AND m.posted_at < %(end)s AND length(word) >= 3 AND word !~ '^[0-9]+$'
            GROUP BY word ORDER BY uses DESC, word LIMIT 200
            """,  # noqa: S608 - table name from model metadata
            params,
        )
        words = [(w, n) for w, n in cursor.fetchall() if w not in STOP_WORDS][:TOP]
        cursor.execute(
            f"""
            SELECT lower(tag[1]) AS hashtag, count(*) AS uses
            FROM {table} m, regexp_matches(m.text, '#(\\w+)', 'g') AS tag
            WHERE m.client_id = %(client)s AND m.posted_at >= %(start)s
              AND m.posted_at < %(end)s
            GROUP BY 1 ORDER BY uses DESC, hashtag LIMIT %(top)s
            """,  # noqa: S608
            {**params, "top": TOP},
        )
        hashtags = cursor.fetchall()
    return (
        [{"term": w, "count": n} for w, n in words],
        [{"hashtag": f"#{h}", "count": n} for h, n in hashtags],
    )


def client_report(*, client: Client, since: date, until: date) -> dict:
    """Every figure of the client's report for local days ``since``..``until``."""
    period = Period(since, until, client.timezone)
    headline = _headline(client, period)
    mentions = _in_period(client, period)
    top_terms, top_hashtags = _top_terms(client, period)
    acknowledged = mentions.filter(acknowledged_at__isnull=False, customer__isnull=False)
    crm_value = Customer.objects.filter(pk__in=acknowledged.values("customer_id")).aggregate(
        total=Sum("lifetime_value")
    )["total"]
    return {
        "client": client.pk,
        "since": period.since.isoformat(),
        "until": period.until.isoformat(),
        "timezone": period.timezone,
        **headline,
        "mention_volume": _volume(client, period),
        "top_authors": [
            {
                "id": a["author"],
                "handle": a["author__handle"],
                "influence": a["author__influence"],
                "mentions": a["mentions"],
            }
            for a in mentions.values("author", "author__handle", "author__influence")
            .annotate(mentions=Count("pk"))
            .order_by("-author__influence", "-mentions", "author")[:TOP]
        ],
        "advocacy_funnel": advocacy_funnel(client=client, since=period.start, until=period.end),
        "share_of_voice": _share_of_voice(client, period),
        "top_terms": top_terms,
        "top_hashtags": top_hashtags,
        "crm_value_of_acknowledged_customers": float(crm_value or 0),
        "members": [
            {**row, "user": row["user"].pk, "email": row["user"].email}
            for row in member_figures(client=client, since=period.start, until=period.end)
        ],
        "previous_period": {
            "since": period.previous().since.isoformat(),
            "until": period.previous().until.isoformat(),
            **_headline(client, period.previous()),
        },
    }
