"""The inbox narrowed to a period ("Posted from/until", ``since``/``until``): whole local days of
the chosen client, as its report counts them, so a report's figure links to its own mentions."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Mention
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory
from tests.conftest import PASSWORD, host_client

NEW_YORK = ZoneInfo("America/New_York")


def test_the_period_is_the_clients_local_days(in_agency_a, agency_a):
    client = ClientFactory(timezone="America/New_York")
    channel = make_channel(platform="webhook", config={}, client=client)
    times = {
        "late-on-the-2nd": datetime(2026, 11, 2, 23, 30, tzinfo=NEW_YORK),  # the 3rd in UTC
        "early-on-the-3rd": datetime(2026, 11, 3, 0, 30, tzinfo=NEW_YORK),
        "on-the-1st": datetime(2026, 11, 1, 12, 0, tzinfo=NEW_YORK),
    }
    store_mentions(channel, [
        MentionData(external_id=key, text="Where is my order?", posted_at=at,
                    author=AuthorData(handle=key))
        for key, at in times.items()
    ])  # fmt: skip
    manager = UserFactory(role="manager")
    manager.set_password(PASSWORD)
    manager.save()
    browser = host_client(agency_a)
    assert browser.login(username=manager.email, password=PASSWORD)

    page = browser.get(
        f"/inbox/?client={client.pk}&status=all&since={date(2026, 11, 2)}&until=2026-11-02"
    ).content.decode()

    listed = {int(pk) for pk in re.findall(r'data-mention="(\d+)"', page)}
    assert listed == {Mention.objects.get(external_id="late-on-the-2nd").pk}
    assert 'name="since" value="2026-11-02"' in page  # the filter shows, so it can be cleared
