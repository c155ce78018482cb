"""On an ordinary week of the demo's three brands spike detection stays quiet (its rate over all
90 days, ramp-up of the backfilled history included, is in docs/alerts.md)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone
from django_tenants.utils import schema_context

from apps.alerts.services import spikes_replay
from apps.listening.models import Mention


def test_a_quiet_week_of_the_demo_raises_no_alert(db, fake_platforms):
    call_command("seed_demo", platforms_url=fake_platforms, stdout=StringIO())
    with schema_context("demo"):
        # Three weeks ago: a week with four weeks of history before it, checked as beat does.
        since = timezone.now() - timedelta(days=21)
        until = since + timedelta(days=7)
        week = Mention.objects.filter(posted_at__gte=since, posted_at__lt=until)
        assert week.filter(needs_acknowledgement=True).count() > 500  # real traffic
        alerts = spikes_replay(since=since, until=until, step=timedelta(minutes=15))
    assert alerts == []
