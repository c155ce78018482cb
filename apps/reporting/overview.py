"""The agency overview: every client the user may see, slipping ones first (volume,
acknowledgement rate and its trend, p90 time to acknowledge, SLA attainment, sentiment)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Avg, Case, Count, F, Q, Value, When
from django.utils import timezone

from apps.clients.selectors import client_list
from apps.core.db import Percentile
from apps.listening.models import Mention, needing_acknowledgement_q

from .selectors import Period, _ratio, _round

SLIPPING_RATE = 0.8  # acknowledgement rate below which a client is slipping
SLIPPING_DROP = 0.05  # … or a fall of this much against the previous window
SLIPPING_SLA = 0.9  # … or SLA attainment below this


def agency_overview(*, user, days: int = 30, now: datetime | None = None) -> list[dict]:
    """Every client the user may see over its last ``days`` local days, today included — the
    same days as the client's dashboard by default, so the figures agree — and the ``days``
    before: volume, acknowledgement rate, p90 time to acknowledge, SLA attainment and average
    sentiment, in one GROUP BY over the agency's mentions; the clients slipping the most come
    first."""
    now = now or timezone.now()
    clients = list(client_list(user=user).order_by("name"))
    windows = []  # (time zone, this window, the one before) for each time zone of the clients
    for zone in sorted({client.timezone for client in clients}):
        until = now.astimezone(ZoneInfo(zone)).date()
        window = Period(until - timedelta(days=days - 1), until, zone)
        windows.append((zone, window, window.previous()))
    side = Case(
        *(When(client__timezone=zone, posted_at__gte=window.start, then=Value(True))
          for zone, window, _ in windows),
        default=Value(False),
    )  # fmt: skip
    in_scope = Q(pk__in=[])
    for zone, window, earlier_window in windows:
        in_scope |= Q(
            client__timezone=zone, posted_at__gte=earlier_window.start, posted_at__lt=window.end
        )
    recent, earlier = Q(recent=True), Q(recent=False)
    needing = needing_acknowledgement_q()  # the definition Open is built on
    answered = needing & Q(acknowledged_at__isnull=False)
    due = needing & Q(sla_due_at__isnull=False) & (Q(acknowledged_at__isnull=False)
                                                   | Q(sla_due_at__lte=now))  # fmt: skip
    rows = {
        row["client"]: row
        for row in Mention.objects.filter(in_scope, client__in=[c.pk for c in clients])
        .annotate(recent=side)
        .values("client")
        .annotate(
            mentions=Count("pk", filter=recent),
            needing=Count("pk", filter=recent & needing),
            acknowledged=Count("pk", filter=recent & answered),
            needing_before=Count("pk", filter=earlier & needing),
            acknowledged_before=Count("pk", filter=earlier & answered),
            p90=Percentile(
                "time_to_acknowledge_minutes", 0.9, filter=recent & answered & Q(is_follow_up=False)
            ),
            sla_due=Count("pk", filter=recent & due),
            sla_met=Count("pk", filter=recent & due & Q(acknowledged_at__lte=F("sla_due_at"))),
            sentiment=Avg("sentiment_score", filter=recent),
        )
        .order_by()
    }
    overview = []
    for client in clients:
        row = rows.get(client.pk, {})
        rate = _ratio(row.get("acknowledged", 0), row.get("needing", 0))
        before_rate = _ratio(row.get("acknowledged_before", 0), row.get("needing_before", 0))
        attainment = _ratio(row.get("sla_met", 0), row.get("sla_due", 0))
        reasons = []
        if rate is not None and rate < SLIPPING_RATE:
            reasons.append(f"only {rate:.0%} acknowledged")
        if rate is not None and before_rate is not None and before_rate - rate >= SLIPPING_DROP:
            reasons.append(f"down from {before_rate:.0%}")
        if attainment is not None and attainment < SLIPPING_SLA:
            reasons.append(f"SLA met {attainment:.0%}")
        overview.append({
            "client": client, "mentions": row.get("mentions", 0), "acknowledgement_rate": rate,
            "previous_acknowledgement_rate": before_rate,
            "p90_time_to_acknowledge_minutes": _round(row.get("p90")),
            "sla_attainment": attainment,
            "average_sentiment": _round(row.get("sentiment")),
            "slipping": reasons,
        })  # fmt: skip
    return sorted(
        overview,
        key=lambda r: (
            not r["slipping"],
            r["acknowledgement_rate"] if r["acknowledgement_rate"] is not None else 2,
            r["client"].name,
        ),
    )
