"""Reads of spike alerts: the hourly measures the detector compares, the alerts a user may see
and the mentions behind one."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Count, Min, Q, QuerySet

from apps.accounts.models import User
from apps.clients.selectors import of_clients_seen
from apps.listening.models import Mention
from apps.listening.selectors import mention_list
from apps.reporting.models import MentionDay

from .detection import BASELINE_WEEKS, SHARE_DAYS, HourMeasure, Thresholds
from .models import SpikeAlert, SpikePolicy

HOUR = timedelta(hours=1)
WEEK = timedelta(days=7)


def hour_measures(*, end: datetime, client_ids: list[int] | None = None) -> list[HourMeasure]:
    """For every client with mentions in the hour before ``end``: that hour's mentions and
    negative ones, the same hour of each of the previous weeks, the previous 7 and 28 days —
    one aggregate over the ``(client, posted_at)`` index. Spam is left out, and so are the
    channels without that much history (``established_channels``): a channel connected last
    week, its backfill a few days deep, is no rise in what people say."""
    start = end - HOUR
    channels = established_channels(since=start - BASELINE_WEEKS * WEEK)
    windows = {
        f"w{week}": Q(posted_at__gte=start - week * WEEK, posted_at__lt=end - week * WEEK)
        for week in range(1, BASELINE_WEEKS + 1)
    }
    history = Q(posted_at__gte=start - timedelta(days=SHARE_DAYS), posted_at__lt=start)
    now = Q(posted_at__gte=start, posted_at__lt=end)
    mentions = Mention.objects.filter(
        needs_acknowledgement=True,
        channel_id__in=channels,
        posted_at__gte=min(start - BASELINE_WEEKS * WEEK, start - timedelta(days=SHARE_DAYS)),
        posted_at__lt=end,
    )
    if client_ids is not None:
        mentions = mentions.filter(client_id__in=client_ids)
    negative = Q(sentiment=Mention.Sentiment.NEGATIVE)
    rows = list(
        mentions.values("client_id")
        .annotate(
            mentions=Count("pk", filter=now),
            negative=Count("pk", filter=now & negative),
            mentions_28d=Count("pk", filter=history),
            negative_28d=Count("pk", filter=history & negative),
            **{name: Count("pk", filter=window) for name, window in windows.items()},
        )
        .filter(mentions__gt=0)
        .order_by("client_id")
    )
    week = _hourly_counts_of_week(
        end=start, client_ids=[row["client_id"] for row in rows], channel_ids=channels
    )
    return [
        HourMeasure(
            client_id=row["client_id"],
            mentions=row["mentions"],
            negative=row["negative"],
            same_hour_before=tuple(row[name] for name in windows),
            mentions_7d=week.get(row["client_id"], (0, 0))[0],
            squares_7d=week.get(row["client_id"], (0, 0))[1],
            mentions_28d=row["mentions_28d"],
            negative_28d=row["negative_28d"],
        )
        for row in rows
    ]


def established_channels(*, since: datetime) -> list[int]:
    """The channels whose mentions reach back to ``since`` (by the first local day of their
    mentions, ``MentionDay``): only they have a usual level to be compared with."""
    firsts = (
        MentionDay.objects.filter(mentions__gt=0)
        .values("channel_id")
        .annotate(first=Min("day"))
        .filter(first__lte=since.date())
    )
    return [row["channel_id"] for row in firsts]


def _hourly_counts_of_week(
    *, end: datetime, client_ids: list[int], channel_ids: list[int]
) -> dict[int, tuple[int, int]]:
    """Per client, the sum and the sum of squares of its mention counts (of ``channel_ids``) in
    each of the 168 hours before ``end`` (hours without mentions count zero)."""
    if not client_ids:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT client_id, sum(n), sum(n * n) FROM (
                SELECT client_id, count(*) AS n FROM {Mention._meta.db_table}
                WHERE client_id = ANY(%(clients)s) AND channel_id = ANY(%(channels)s)
                  AND needs_acknowledgement AND posted_at >= %(since)s AND posted_at < %(end)s
                GROUP BY client_id, floor(extract(epoch FROM %(end)s - posted_at) / 3600)
            ) hourly GROUP BY client_id
            """,  # noqa: S608
            {"clients": client_ids, "channels": channel_ids, "since": end - WEEK, "end": end},
        )
        return {client: (int(total), int(squares)) for client, total, squares in cursor}


def thresholds_by_client() -> dict[int, Thresholds | None]:
    """Each client's thresholds where it set them (``None``: alerts turned off)."""
    return {
        policy.client_id: (
            Thresholds(
                min_volume=policy.min_volume,
                volume_factor=policy.volume_factor,
                min_negative=policy.min_negative,
                negative_share_rise=policy.negative_share_rise,
            )
            if policy.is_enabled
            else None
        )
        for policy in SpikePolicy.objects.all()
    }


def alert_list(*, user: User, open_only: bool = False) -> QuerySet[SpikeAlert]:
    """The alerts of the clients ``user`` may see (team members: none — they see only what is
    routed to them, not a client's whole volume)."""
    if user.role == User.Role.TEAM_MEMBER:
        return SpikeAlert.objects.none()
    alerts = SpikeAlert.objects.select_related("client").defer("client__logo")  # named by name
    alerts = of_clients_seen(alerts, user=user)
    return alerts.filter(is_open=True) if open_only else alerts


def alert_get(*, user: User, alert_id: int) -> SpikeAlert:
    """One alert the user may see; ``SpikeAlert.DoesNotExist`` otherwise (→ 404)."""
    return alert_list(user=user).get(pk=alert_id)


def alert_mentions(*, user: User, alert: SpikeAlert) -> QuerySet[Mention]:
    """The mentions behind an alert: its client's (only the negative ones when only negativity
    rose)
    posted from the start of its first hour to the end of its latest, newest first."""
    filters = {
        "client": alert.client_id,
        "since": alert.started_at,
        "until": alert.last_seen_at,
    }
    if alert.is_negative and not alert.is_volume:
        filters["sentiment"] = Mention.Sentiment.NEGATIVE
    filters["needs_acknowledgement"] = True
    return mention_list(user=user, filters=filters).order_by("-posted_at")
