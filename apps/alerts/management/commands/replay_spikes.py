"""``manage.py replay_spikes --agency demo --days 90``: how many spike alerts the current
thresholds would have raised over an agency's stored history (a dry run: nothing is kept)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.alerts.services import describe, spikes_replay
from apps.tenants.commands import agency_or_error


class Command(BaseCommand):
    help = "Replay spike detection over an agency's history and count the alerts it would raise."

    def add_arguments(self, parser):
        parser.add_argument("--agency", required=True)
        parser.add_argument("--days", type=int, default=90)
        parser.add_argument("--step-minutes", type=int, default=60)

    def handle(self, *args, agency: str, days: int, step_minutes: int, **options):
        if days < 1 or step_minutes < 1:
            raise CommandError("--days and --step-minutes must be at least 1.")
        tenant = agency_or_error(agency)
        until = timezone.now()
        since = until - timedelta(days=days)
        with schema_context(tenant.schema_name):
            alerts = spikes_replay(since=since, until=until, step=timedelta(minutes=step_minutes))
            for alert in alerts:
                self.stdout.write(
                    f"{alert.started_at:%Y-%m-%d %H:%M} {alert.client}: {describe(alert)}"
                )
            per_client = Counter(str(alert.client) for alert in alerts)
        weeks = days / 7
        self.stdout.write(
            f"{len(alerts)} alert(s) in {days} days ({len(alerts) / weeks:.2f} per week) "
            f"checking every {step_minutes} min"
            + "".join(f"; {name}: {count}" for name, count in sorted(per_client.items()))
        )
