"""The agency overview: every client the user may see, slipping ones first (volume,
acknowledgement rate and its trend, p90 time to acknowledge, SLA attainment, sentiment)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from apps.clients.selectors import client_list

from .figures import ratio, rounded
from .selectors import FIRST_RESPONSE_NOW, period_totals

SLIPPING_RATE = 0.8  # acknowledgement rate below which a client is slipping
SLIPPING_DROP = 0.05  # … or a fall of this much against the previous window
SLIPPING_SLA = 0.9  # … or SLA attainment below this
P90 = 0.9  # the one time shown: p90 of the first responses (their median is not read)


def agency_overview(*, user, days: int = 30, now: datetime | None = None) -> list[dict]:
    """Every client the user may see over its last ``days`` local days, today included — the
    same days and the same figures as the client's dashboard (``period_totals``: whole days from
    the roll-ups) — and the ``days`` before: volume, acknowledgement rate, p90 time to
    acknowledge, SLA attainment and average sentiment; the clients slipping the most first."""
    now = now or timezone.now()
    clients = list(client_list(user=user).order_by("name"))
    overview = []
    for client in clients:
        until = now.astimezone(ZoneInfo(client.timezone)).date()
        row, before = period_totals(
            client=client, since=until - timedelta(days=days - 1), until=until, now=now,
            times={FIRST_RESPONSE_NOW}, fractions=(P90,),
        )  # fmt: skip
        rate = ratio(row["acknowledged"], row["needing"])
        before_rate = ratio(before["acknowledged"], before["needing"])
        attainment = ratio(row["sla_met"], row["sla_due"])
        reasons = []
        if rate is not None and rate < SLIPPING_RATE:
            reasons.append(f"only {rate:.0%} acknowledged")
        if rate is not None and before_rate is not None and before_rate - rate >= SLIPPING_DROP:
            reasons.append(f"down from {before_rate:.0%}")
        if attainment is not None and attainment < SLIPPING_SLA:
            reasons.append(f"SLA met {attainment:.0%}")
        overview.append({
            "client": client, "mentions": row["mentions"], "acknowledgement_rate": rate,
            "previous_acknowledgement_rate": before_rate,
            "p90_time_to_acknowledge_minutes": rounded((row["first_response"] or [None, None])[1]),
            "sla_attainment": attainment,
            "average_sentiment": rounded(row["average_sentiment"]),
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
