"""On an ordinary week of the demo's three brands spike detection stays quiet (its rate over all
90 days, ramp-up of the backfilled history included, is in docs/alerts.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import time_machine
from django.core.management import call_command
from django_tenants.utils import schema_context

from apps.alerts.selectors import WEEK, established_channels
from apps.alerts.services import describe, spikes_replay
from apps.listening.models import Mention

# The demo's world is the same at the same instant: seeded at this one, the week three weeks
# before holds an hour where 8 of Lumen Bikes' 9 mentions are negative (usually 27%) — chance
# about once in 5,200 such hours, which a normal approximation of the binomial took for a spike
# (``tests/alerts/test_detection.py``); its channels are backfilled from one to 90 days deep.
SEEDED_AT = datetime(2026, 12, 6, 9, 46, 54, tzinfo=UTC)


def test_a_quiet_week_of_the_demo_raises_no_alert(db, fake_platforms):
    with time_machine.travel(SEEDED_AT, tick=False):
        call_command("seed_demo", platforms_url=fake_platforms, stdout=StringIO())
    with schema_context("demo"):
        # Three weeks ago: a week with four weeks of history before it, checked as beat does.
        since = SEEDED_AT - timedelta(days=21)
        until = since + timedelta(days=7)
        week = Mention.objects.filter(
            posted_at__gte=since, posted_at__lt=until, needs_acknowledgement=True
        )
        assert week.count() > 500  # real traffic …
        # … of which the channels with four weeks of history before it are compared
        compared = week.filter(channel_id__in=established_channels(since=since - 4 * WEEK))
        assert compared.count() > 250
        assert len({client for (client,) in compared.values_list("client_id")}) >= 2
        alerts = spikes_replay(since=since, until=until, step=timedelta(minutes=15))
        assert [describe(alert) for alert in alerts] == []
