"""Reads of acknowledgement tracking: saved replies, response times, per-member figures and the
acknowledgement → advocacy funnel, each for one client and period ``[since, until)``."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from django.db import connection
from django.db.models import Count, F, Q, QuerySet

from apps.accounts.models import User
from apps.clients.models import Client
from apps.clients.selectors import client_list
from apps.core.db import Percentile
from apps.listening.models import Author, Mention

from .business_time import ALWAYS_OPEN
from .models import Acknowledgement, AuditEntry, SavedReply, SlaPolicy


def saved_reply_list(*, user: User, client_id: int | None = None) -> QuerySet[SavedReply]:
    """Saved replies for every client plus those of the clients the user may see (of one
    client with ``client_id``)."""
    replies = SavedReply.objects.filter(
        Q(client__isnull=True) | Q(client__in=client_list(user=user).values("pk"))
    )
    if client_id is not None:
        replies = replies.filter(Q(client__isnull=True) | Q(client_id=client_id))
    return replies


def _timing(mentions: QuerySet[Mention]) -> dict:
    return mentions.aggregate(
        count=Count("pk"),
        median_minutes=Percentile("time_to_acknowledge_minutes", 0.5),
        p90_minutes=Percentile("time_to_acknowledge_minutes", 0.9),
    )


def response_times(*, client: Client, since: datetime, until: datetime) -> dict[str, dict]:
    """Business minutes to the first response (mentions that opened a conversation) and to the
    next response (follow-ups in an acknowledged thread), for mentions acknowledged in the
    period: ``{"first_response": {count, median_minutes, p90_minutes}, "next_response": …}``."""
    answered = Mention.objects.filter(
        client=client, acknowledged_at__gte=since, acknowledged_at__lt=until
    )
    return {
        "first_response": _timing(answered.filter(is_follow_up=False)),
        "next_response": _timing(answered.filter(is_follow_up=True)),
    }


def member_figures(*, client: Client, since: datetime, until: datetime) -> list[dict]:
    """Per person who acknowledged the client's mentions in the period: ``replies`` (every
    acknowledgement), ``median_minutes`` and ``p90_minutes`` (business time to the first
    acknowledgements they gave) and how many acknowledgements fell ``in_hours`` or
    ``off_hours`` of the client's business hours. Busiest first."""
    acknowledgements = Acknowledgement.objects.filter(
        mention__client=client, created_at__gte=since, created_at__lt=until, user__isnull=False
    )
    times = {
        row["user"]: row
        for row in acknowledgements.filter(created_at=F("mention__acknowledged_at"))
        .values("user")
        .annotate(
            median=Percentile("mention__time_to_acknowledge_minutes", 0.5),
            p90=Percentile("mention__time_to_acknowledge_minutes", 0.9),
        )
    }
    policy = SlaPolicy.objects.filter(client=client).first()
    hours = policy.business_hours() if policy else ALWAYS_OPEN
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"in_hours": 0, "off_hours": 0})
    for user_id, at in acknowledgements.values_list("user", "created_at").iterator():
        counts[user_id]["in_hours" if hours.is_open_at(at) else "off_hours"] += 1
    users = User.objects.in_bulk(list(counts))
    figures = [
        {
            "user": users[user_id],
            "replies": tally["in_hours"] + tally["off_hours"],
            "median_minutes": times.get(user_id, {}).get("median"),
            "p90_minutes": times.get(user_id, {}).get("p90"),
            **tally,
        }
        for user_id, tally in counts.items()
    ]
    return sorted(figures, key=lambda row: (-row["replies"], row["user"].email))


_FUNNEL = f"""
    WITH acknowledged AS (
        SELECT author_id, min(acknowledged_at) AS first_at
        FROM {Mention._meta.db_table}
        WHERE client_id = %(client)s AND acknowledged_at >= %(since)s
          AND acknowledged_at < %(until)s
        GROUP BY author_id
    ), later AS (
        SELECT acknowledged.author_id,
               bool_or(m.sentiment = 'positive') AS positive
        FROM acknowledged
        JOIN {Mention._meta.db_table} m ON m.author_id = acknowledged.author_id
             AND m.client_id = %(client)s AND m.posted_at > acknowledged.first_at
        GROUP BY acknowledged.author_id
    )
    SELECT (SELECT count(*) FROM acknowledged),
           count(*),
           count(*) FILTER (WHERE later.positive),
           count(*) FILTER (WHERE later.positive AND author.is_advocate)
    FROM later JOIN {Author._meta.db_table} author ON author.id = later.author_id
"""  # noqa: S608 - names from model metadata


def advocacy_funnel(*, client: Client, since: datetime, until: datetime) -> dict[str, int]:
    """Of the people the client acknowledged in the period: how many ``returned`` (spoke of it
    again), how many of those spoke ``positive``ly, and how many are ``advocate``s now."""
    with connection.cursor() as cursor:
        cursor.execute(_FUNNEL, {"client": client.pk, "since": since, "until": until})
        acknowledged, returned, positive, advocate = cursor.fetchone()
    return {
        "acknowledged": acknowledged,
        "returned": returned,
        "positive": positive,
        "advocate": advocate,
    }


def audit_list(*, object_type: str, object_id: int) -> QuerySet[AuditEntry]:
    """An object's history, newest first."""
    return AuditEntry.objects.filter(object_type=object_type, object_id=object_id).select_related(
        "actor"
    )


def acknowledgement_list(*, user: User) -> QuerySet[Acknowledgement]:
    """Acknowledgements of the mentions the user may see, newest first."""
    from apps.listening.selectors import mention_list

    visible = mention_list(user=user).order_by().values("pk")
    return (
        Acknowledgement.objects.filter(mention__in=visible)
        .select_related("mention")
        .order_by("-created_at", "-pk")
    )
