"""Reads of acknowledgement tracking: saved replies, per-member figures and the
acknowledgement → advocacy funnel, each for one client and period ``[since, until)``."""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.db.models import Q, QuerySet

from apps.accounts.models import User
from apps.clients.models import Client
from apps.clients.selectors import client_list
from apps.listening.models import Author, Mention

from .business_time import ALWAYS_OPEN, add_business_minutes
from .models import Acknowledgement, AuditEntry, RoutingRule, SavedReply, SlaPolicy


def saved_reply_list(*, user: User, client_id: int | None = None) -> QuerySet[SavedReply]:
    """Saved replies for every client plus those of the clients the user may see (of one
    client with ``client_id``)."""
    replies = SavedReply.objects.filter(
        Q(client__isnull=True) | Q(client__in=client_list(user=user).values("pk"))
    )
    if client_id is not None:
        replies = replies.filter(Q(client__isnull=True) | Q(client_id=client_id))
    return replies


_MEMBERS = f"""
    SELECT a.user_id, count(*),
           count(*) FILTER (WHERE a.created_at <@ hours.open),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY a.first_response_minutes),
           percentile_cont(0.9) WITHIN GROUP (ORDER BY a.first_response_minutes)
    FROM {Acknowledgement._meta.db_table} a
    CROSS JOIN (SELECT tstzmultirange(VARIADIC %(open)s::tstzrange[]) AS open) hours
    WHERE a.client_id = %(client)s AND a.created_at >= %(since)s AND a.created_at < %(until)s
      AND a.user_id IS NOT NULL
    GROUP BY a.user_id
"""  # noqa: S608 - names from model metadata


def member_figures(*, client: Client, since: datetime, until: datetime) -> list[dict]:
    """Per person who acknowledged the client's mentions in the period: ``replies`` (every
    acknowledgement), ``median_minutes`` and ``p90_minutes`` (business time to the first
    acknowledgements they gave) and how many acknowledgements fell ``in_hours`` or
    ``off_hours`` of the client's business hours. Busiest first. One query: the opening hours
    of the period travel as a multirange."""
    policy = SlaPolicy.objects.filter(client=client).first()
    hours = policy.business_hours() if policy else ALWAYS_OPEN
    open_ranges = [
        f"[{max(opens, since).isoformat()},{min(closes, until).isoformat()})"
        for opens, closes in hours.open_intervals(since, until)
        if opens < until and closes > since
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            _MEMBERS,
            {"open": open_ranges, "client": client.pk, "since": since, "until": until},
        )
        rows = cursor.fetchall()
    users = User.objects.in_bulk([row[0] for row in rows])
    figures = [
        {
            "user": users[user_id],
            "replies": replies,
            "median_minutes": median,
            "p90_minutes": p90,
            "in_hours": in_hours,
            "off_hours": replies - in_hours,
        }
        for user_id, replies, in_hours, median, p90 in rows
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
        -- after a first acknowledgement in the period, so posted since the period began
        SELECT author_id, posted_at, sentiment FROM {Mention._meta.db_table}
        WHERE client_id = %(client)s AND posted_at > %(since)s
    ), outcome AS (
        SELECT acknowledged.author_id,
               bool_or(later.posted_at > acknowledged.first_at) AS returned,
               bool_or(later.posted_at > acknowledged.first_at
                       AND later.sentiment = 'positive') AS positive
        FROM acknowledged LEFT JOIN later ON later.author_id = acknowledged.author_id
        GROUP BY acknowledged.author_id
    )
    SELECT count(*),
           count(*) FILTER (WHERE outcome.returned),
           count(*) FILTER (WHERE outcome.positive),
           count(*) FILTER (WHERE outcome.positive AND author.is_advocate)
    FROM outcome JOIN {Author._meta.db_table} author ON author.id = outcome.author_id
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


def sla_policy_for(*, client: Client) -> SlaPolicy:
    """The client's SLA policy, or (unsaved) the defaults a new one starts from."""
    try:
        return client.sla_policy
    except SlaPolicy.DoesNotExist:
        return SlaPolicy(client=client)


def sla_due_examples(*, policy: SlaPolicy, now: datetime) -> dict[str, datetime]:
    """When a mention posted at ``now`` would be due, by priority."""
    hours = policy.business_hours()
    return {
        priority: add_business_minutes(now, policy.target_minutes(priority), hours)
        for priority in ("urgent", "high", "normal", "low")
    }


def routing_rule_list(*, client: Client) -> QuerySet[RoutingRule]:
    """A client's routing rules in the order they apply."""
    return (
        RoutingRule.objects.filter(client=client)
        .select_related("query", "set_team", "set_assignee")
        .order_by("position", "id")
    )


def routing_rule_get(*, client: Client, rule_id: int) -> RoutingRule:
    """One of the client's rules; ``RoutingRule.DoesNotExist`` otherwise (→ 404)."""
    return routing_rule_list(client=client).get(pk=rule_id)


# What each kind of audited object belongs to: the client whose entries a filter by client shows.
_CLIENT_OF_AUDITED = {
    "mention": Mention,
    "acknowledgement": Acknowledgement,
    "sla_policy": SlaPolicy,
    "routing_rule": RoutingRule,
    "saved_reply": SavedReply,
}


def audit_entry_list(
    *,
    actor_id: int | None = None,
    client_id: int | None = None,
    object_type: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEntry]:
    """The agency's audit log, newest first, narrowed by who, which client (entries about the
    client itself or about its mentions, acknowledgements, SLA policy or routing rules), what
    kind of object, and when (``since`` inclusive, ``until`` exclusive)."""
    entries = AuditEntry.objects.select_related("actor")
    if actor_id is not None:
        entries = entries.filter(actor_id=actor_id)
    if client_id is not None:
        about_client = Q(object_type="client", object_id=client_id)
        for kind, model in _CLIENT_OF_AUDITED.items():
            ids = model.objects.filter(client_id=client_id).values("pk")
            about_client |= Q(object_type=kind, object_id__in=ids)
        entries = entries.filter(about_client)
    if object_type:
        entries = entries.filter(object_type=object_type)
    if since is not None:
        entries = entries.filter(created_at__gte=since)
    if until is not None:
        entries = entries.filter(created_at__lt=until)
    return entries


def audit_object_types() -> list[str]:
    """The kinds of object the audit log holds entries about."""
    return list(
        AuditEntry.objects.order_by("object_type").values_list("object_type", flat=True).distinct()
    )
