"""Reads of acknowledgement tracking: saved replies, per-member figures and the
acknowledgement → advocacy funnel, each for one client and period ``[since, until)``."""

from __future__ import annotations

from datetime import datetime

from django.db import connection, transaction
from django.db.models import Q, QuerySet

from apps.accounts.models import User
from apps.clients.models import Client
from apps.clients.selectors import client_list, sees_every_client
from apps.listening.models import AcknowledgedMention, AuthorActivity, Mention

from .advocacy import advocacy, unprompted
from .business_time import ALWAYS_OPEN, add_business_minutes
from .models import (
    Acknowledgement,
    AuditEntry,
    MentionNote,
    Notification,
    RoutingRule,
    SavedReply,
    SlaPolicy,
)
from .rollups import rolled_member_figures


def saved_reply_list(*, user: User, client_id: int | None = None) -> QuerySet[SavedReply]:
    """Saved replies for every client plus those of the clients the user may see (of one
    client with ``client_id``)."""
    replies = SavedReply.objects.all()
    if not sees_every_client(user):
        replies = replies.filter(
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


def member_figures(
    *, client: Client, since: datetime, until: datetime, rolled: bool = True
) -> list[dict]:
    """Per person who acknowledged the client's mentions in the period: ``replies`` (every
    acknowledgement), ``median_minutes`` and ``p90_minutes`` (business time to the first
    acknowledgements they gave) and how many acknowledgements fell ``in_hours`` or
    ``off_hours`` of the client's business hours. Busiest first. From the roll-ups
    (``rollups``: a cost of days and people, not of acknowledgements) unless ``rolled`` is
    False: then from the acknowledgements in one query, the opening hours of the period
    travelling as a multirange (the reference the roll-ups are tested against)."""
    policy = SlaPolicy.objects.filter(client=client).first()
    hours = policy.business_hours() if policy else ALWAYS_OPEN
    open_spans = [
        (max(opens, since), min(closes, until))
        for opens, closes in hours.open_intervals(since, until)
        if opens < until and closes > since
    ]
    rows = None
    if rolled:
        rows = rolled_member_figures(
            client_id=client.pk, timezone=client.timezone, since=since, until=until,
            open_spans=open_spans,
        )  # fmt: skip
    if rows is None:  # the reference, or an acknowledgement changed between the rolled reads
        open_ranges = [
            f"[{opens.isoformat()},{closes.isoformat()})" for opens, closes in open_spans
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


# The funnel and the comparison probe each person's history through an index: quick, but the
# planner prices those probes high enough to JIT-compile the query, which costs more (~150 ms)
# than running it.
_NO_JIT = "SET LOCAL jit = off"
_ACTIVITY = AuthorActivity._meta.db_table
# Who was acknowledged in the period: each person's first acknowledgement in it is the one row
# of ``AcknowledgedMention`` with no earlier acknowledgement of theirs since the period began (an
# index-only scan, no grouping), against when each last spoke of the client (``AuthorActivity``):
# a row per person, not their histories. Only a person whose later positive words were all
# replies is probed for advocacy mention by mention.
_FUNNEL = f"""
    WITH acknowledged AS (
        SELECT author_id, acknowledged_at AS first_at
        FROM {AcknowledgedMention._meta.db_table}
        WHERE client_id = %(client)s AND acknowledged_at >= %(since)s
          AND acknowledged_at < %(until)s
          AND (previous_at IS NULL OR previous_at < %(since)s)
    ), outcome AS (
        SELECT acknowledged.author_id, acknowledged.first_at,
               coalesce(spoke.last_posted_at > acknowledged.first_at, false) AS returned,
               coalesce(spoke.last_positive_at > acknowledged.first_at, false) AS positive,
               coalesce(spoke.last_advocacy_at > acknowledged.first_at, false) AS advocate
        FROM acknowledged LEFT JOIN {_ACTIVITY} spoke
          ON spoke.client_id = %(client)s AND spoke.author_id = acknowledged.author_id
    )
    SELECT count(*),
           count(*) FILTER (WHERE returned),
           count(*) FILTER (WHERE positive),
           count(*) FILTER (WHERE advocate OR positive AND EXISTS (
               -- after a first acknowledgement in the period, so posted since the period began
               SELECT 1 FROM {Mention._meta.db_table} later
               WHERE later.author_id = outcome.author_id AND later.client_id = %(client)s
                 AND later.posted_at > outcome.first_at AND later.parent_external_id <> ''
                 AND {advocacy("later")}
           ))
    FROM outcome
"""  # noqa: S608 - names from model metadata


def advocacy_funnel(*, client: Client, since: datetime, until: datetime) -> dict[str, int]:
    """Of the people the client acknowledged in the period: how many ``returned`` (spoke of it
    again since), how many of those said something ``positive`` (a thank-you under our reply
    counts), and how many became ``advocate``s — positive of their own accord, not in answer to
    the brand (``advocacy``). Spam never counts."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_NO_JIT)
        cursor.execute(_FUNNEL, {"client": client.pk, "since": since, "until": until})
        acknowledged, returned, positive, advocate = cursor.fetchone()
    return {
        "acknowledged": acknowledged,
        "returned": returned,
        "positive": positive,
        "advocate": advocate,
    }


# People whose first mention of the client (one that needs acknowledgement) falls in the period,
# split by whether that first mention was acknowledged; whether each came back unprompted — after
# our acknowledgement, or after their first mention when there was none — and positively. The
# first mention and its acknowledgement are kept on ``AuthorActivity``: a row per person, counted
# in one pass (no grouping sort).
_COMPARISON = f"""
    WITH newcomers AS (
        SELECT first.author_id, first.first_acknowledged_at IS NOT NULL AS acknowledged,
               coalesce(first.first_acknowledged_at, first.first_posted_at) AS since,
               first.last_unprompted_at, first.last_advocacy_at
        FROM {_ACTIVITY} first
        WHERE first.client_id = %(client)s AND first.first_posted_at >= %(since)s
          AND first.first_posted_at < %(until)s AND first.first_mention_id IS NOT NULL
    ), outcome AS (
        -- came back unprompted (positively): a later post of their own says so at once; only
        -- people whose later words were all replies are probed, reply by reply
        SELECT newcomer.acknowledged,
               coalesce(newcomer.last_unprompted_at > newcomer.since, false) OR EXISTS (
                   SELECT 1 FROM {Mention._meta.db_table} later
                   WHERE later.author_id = newcomer.author_id AND later.client_id = %(client)s
                     AND later.posted_at > newcomer.since AND later.parent_external_id <> ''
                     AND {unprompted("later")}
               ) AS returned,
               coalesce(newcomer.last_advocacy_at > newcomer.since, false) OR EXISTS (
                   SELECT 1 FROM {Mention._meta.db_table} later
                   WHERE later.author_id = newcomer.author_id AND later.client_id = %(client)s
                     AND later.posted_at > newcomer.since AND later.parent_external_id <> ''
                     AND {advocacy("later")}
               ) AS positive
        FROM newcomers newcomer
        OFFSET 0  -- each person probed once, not once per count below
    )
    SELECT count(*) FILTER (WHERE acknowledged),
           count(*) FILTER (WHERE acknowledged AND returned),
           count(*) FILTER (WHERE acknowledged AND positive),
           count(*) FILTER (WHERE NOT acknowledged),
           count(*) FILTER (WHERE NOT acknowledged AND returned),
           count(*) FILTER (WHERE NOT acknowledged AND positive)
    FROM outcome
"""  # noqa: S608 - names from model metadata


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _lift(treated: dict, untreated: dict, outcome: str) -> float | None:
    """How many times likelier ``outcome`` is for the treated group (from the counts)."""
    if not treated["people"] or not untreated["people"] or not untreated[outcome]:
        return None
    base = untreated[outcome] / untreated["people"]
    return round(treated[outcome] / treated["people"] / base, 2)


def advocacy_comparison(*, client: Client, since: datetime, until: datetime) -> dict:
    """What acknowledging changes: of the people whose first mention of the client falls in the
    period, those whose first mention was ``acknowledged`` against those whose was
    ``not_acknowledged`` — how many ``returned`` (spoke of the client again unprompted) and
    ``returned_positive`` (did so positively), their rates, and the ``return_lift`` and
    ``positive_return_lift`` (acknowledged rate ÷ not acknowledged rate; None without a base)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_NO_JIT)
        cursor.execute(_COMPARISON, {"client": client.pk, "since": since, "until": until})
        counts = cursor.fetchone()
    treated, untreated = (
        {"people": people, "returned": returned, "returned_positive": positive}
        for people, returned, positive in (counts[:3], counts[3:])
    )
    for group in (treated, untreated):
        group["return_rate"] = _rate(group["returned"], group["people"])
        group["positive_return_rate"] = _rate(group["returned_positive"], group["people"])
    return {
        "acknowledged": treated,
        "not_acknowledged": untreated,
        "return_lift": _lift(treated, untreated, "returned"),
        "positive_return_lift": _lift(treated, untreated, "returned_positive"),
    }


def audit_list(*, object_type: str, object_id: int) -> QuerySet[AuditEntry]:
    """An object's history, newest first."""
    return AuditEntry.objects.filter(object_type=object_type, object_id=object_id).select_related(
        "actor"
    )


def acknowledgement_list(*, user: User) -> QuerySet[Acknowledgement]:
    """Acknowledgements of the mentions the user may see, newest first (``ack_created_idx``).
    Scoped by the acknowledgement's client — as ``mention_list`` scopes mentions — rather than by
    a semi-join with every visible mention; team members see those of mentions routed to them."""
    if user.role == User.Role.TEAM_MEMBER:
        from apps.listening.selectors import mention_list

        scope = Q(mention__in=mention_list(user=user).order_by().values("pk"))
    else:
        scope = Q(client__in=client_list(user=user))
    return (
        Acknowledgement.objects.filter(scope)
        .select_related("mention")
        .defer("mention__search_vector")
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


def note_list(*, user: User, mention: Mention) -> QuerySet[MentionNote]:
    """A mention's internal notes, oldest first — none for client users (notes are internal)."""
    if user.is_client_user:
        return MentionNote.objects.none()
    return (
        MentionNote.objects.filter(mention=mention)
        .select_related("author")
        .prefetch_related("mentioned")
        .order_by("created_at", "pk")
    )


def notification_list(*, user: User) -> QuerySet[Notification]:
    """The user's notifications, newest first."""
    return Notification.objects.filter(user=user).select_related("mention__author")


def notification_unread_count(*, user: User) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


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
