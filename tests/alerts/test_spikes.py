"""Spike alerts: a client's sudden rise in mentions or in negative ones is told once per
episode — by e-mail, as a banner in the inbox with the mentions behind it, and as the
``alert.spike`` webhook — while an ordinary busy hour of the week is not a spike."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from apps.alerts.models import SpikeAlert, SpikePolicy
from apps.alerts.services import spike_policy_update, spikes_detect, spikes_replay
from apps.listening.models import Author, Mention
from apps.webhooks.models import WebhookDelivery, WebhookSubscription
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel
from tests.clients.factories import ClientFactory, ClientMembershipFactory
from tests.conftest import PASSWORD, host_client

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # a Monday, 10:00
HOUR = timedelta(hours=1)
WEEK = timedelta(days=7)
_ids = itertools.count()


def post(channel, at: datetime, n: int, *, sentiment="positive", text="Love the new menu"):
    """``n`` mentions of ``channel``'s client by different people, spread over the minutes
    after ``at``."""
    authors = Author.objects.bulk_create(
        Author(platform=channel.platform, handle=f"p{next(_ids)}") for _ in range(n)
    )
    Mention.objects.bulk_create(
        Mention(
            client=channel.client,
            channel=channel,
            platform=channel.platform,
            external_id=f"s{next(_ids)}",
            author=author,
            text=text,
            posted_at=at + timedelta(minutes=i % 59),
            fetched_at=at,
            sentiment=sentiment,
        )
        for i, author in enumerate(authors)
    )


def usual_month(channel, *, per_hour_this_hour: int = 3):
    """Four ordinary weeks: a few mentions at this hour every Monday, a tenth of the month's
    mentions negative."""
    for week in range(1, 5):
        post(channel, NOW - HOUR - week * WEEK, per_hour_this_hour)
    for day in range(1, 28):
        post(channel, NOW - timedelta(days=day, hours=5), 9, text="A fine flat white as ever")
        post(channel, NOW - timedelta(days=day, hours=3), 1, sentiment="negative")


@pytest.fixture
def channel(in_agency_a):
    return make_channel(client=ClientFactory(name="Northwind Coffee"))


def test_a_burst_of_complaints_raises_one_alert_by_email_banner_and_webhook(channel, agency_a):
    usual_month(channel)
    WebhookSubscription.objects.create(
        url="https://example.com/hook", events=["alert.spike"], secret="s" * 32
    )
    post(channel, NOW - HOUR, 25, sentiment="negative", text="Charged twice, nobody answers")
    post(channel, NOW - HOUR, 3)

    opened = spikes_detect(now=NOW)
    # Checks running again — at once, and a quarter of an hour later — extend the same episode.
    assert spikes_detect(now=NOW) == []
    assert spikes_detect(now=NOW + timedelta(minutes=15)) == []

    [alert] = opened
    assert SpikeAlert.objects.count() == 1
    assert alert.is_volume and alert.is_negative
    assert (alert.mentions, alert.negative, alert.usual_volume) == (28, 25, 3)
    # 27 negative of the 28 days' 270 mentions and four Mondays' 3 at this hour.
    assert alert.usual_negative_share == pytest.approx(27 / 282)
    [email] = mail.outbox
    assert email.to == ["owner@alpha.test"]
    assert "Northwind Coffee" in email.subject
    assert "25 of 28 mentions negative (89%), usually 10%" in email.body
    [delivery] = WebhookDelivery.objects.filter(event="alert.spike")
    assert delivery.payload["client"] == channel.client_id
    assert delivery.payload["negative_mentions"] == 25

    browser = host_client(agency_a)
    assert browser.login(username="owner@alpha.test", password=PASSWORD)
    inbox = browser.get("/inbox/").content.decode()
    assert "Volume and negativity spike — Northwind Coffee" in inbox
    assert f'href="/alerts/{alert.pk}/"' in inbox
    behind = browser.get(f"/alerts/{alert.pk}/").content.decode()
    assert behind.count("Charged twice, nobody answers") == 25
    assert behind.count("Love the new menu") == 3  # the whole hour: volume rose too
    assert "A fine flat white as ever" not in behind  # the month before is not behind it


def test_the_same_busy_hour_every_week_is_not_a_spike(channel):
    usual_month(channel, per_hour_this_hour=30)
    post(channel, NOW - HOUR, 34)
    assert spikes_detect(now=NOW) == []
    assert mail.outbox == []


def test_a_quiet_hour_after_it_ends_the_episode_and_a_new_spike_alerts_again(channel):
    usual_month(channel)
    post(channel, NOW - HOUR, 40)
    [first] = spikes_detect(now=NOW)
    assert first.is_volume and not first.is_negative

    assert spikes_detect(now=NOW + 2 * HOUR) == []  # the burst is over
    first.refresh_from_db()
    assert not first.is_open and first.closed_at == NOW + 2 * HOUR

    post(channel, NOW + 5 * HOUR, 40)
    [second] = spikes_detect(now=NOW + 6 * HOUR)
    assert second.pk != first.pk and len(mail.outbox) == 2


def test_a_channel_connected_last_week_is_no_spike_but_a_burst_beside_it_is(channel):
    """A busy forum added to the client, its backfill a week deep, has no usual level yet: its
    mentions are no rise in what people say. The client's established channels are compared
    alone — and a burst of complaints there is still told."""
    usual_month(channel)
    forum = make_channel(client=channel.client, name="Busy forum")
    for day in range(1, 8):
        post(forum, NOW - timedelta(days=day, hours=2), 12)
    post(forum, NOW - HOUR, 30)
    post(channel, NOW - HOUR, 3)
    assert spikes_detect(now=NOW) == []

    post(channel, NOW - HOUR, 25, sentiment="negative", text="Charged twice, nobody answers")
    [alert] = spikes_detect(now=NOW)
    assert (alert.mentions, alert.negative, alert.usual_volume) == (28, 25, 3)


def test_spam_waves_and_the_brands_own_replies_are_not_spikes(channel):
    """Only people who need an answer count: not spam, not the brand answering a busy hour."""
    usual_month(channel)
    post(channel, NOW - HOUR, 60, text="Get 10,000 followers now")
    Mention.objects.filter(text__startswith="Get 10,000").update(
        is_spam=True, needs_acknowledgement=False
    )
    post(channel, NOW - HOUR, 40, text="Thanks for telling us, we are on it")
    Mention.objects.filter(text__startswith="Thanks for telling").update(
        needs_acknowledgement=False
    )
    assert spikes_detect(now=NOW) == []


def test_each_client_sets_its_thresholds_or_turns_alerts_off(channel):
    usual_month(channel)
    post(channel, NOW - HOUR, 20)
    spike_policy_update(client=channel.client, min_volume=50)
    assert spikes_detect(now=NOW) == []
    spike_policy_update(client=channel.client, min_volume=10, is_enabled=False)
    assert spikes_detect(now=NOW) == []
    SpikePolicy.objects.filter(client=channel.client).update(is_enabled=True)
    assert len(spikes_detect(now=NOW)) == 1


def test_bad_thresholds_are_refused_with_field_errors(channel):
    with pytest.raises(Exception) as refused:
        spike_policy_update(client=channel.client, min_volume=0, volume_factor=0.5)
    assert set(refused.value.message_dict) == {"min_volume", "volume_factor"}


def test_a_client_user_sees_only_their_clients_alerts(channel, agency_a):
    usual_month(channel)
    post(channel, NOW - HOUR, 40)
    [alert] = spikes_detect(now=NOW)
    stranger = UserFactory(role="client_viewer")
    ClientMembershipFactory(user=stranger, client=ClientFactory())
    stranger.set_password(PASSWORD)
    stranger.save()
    browser = host_client(agency_a)
    assert browser.login(username=stranger.email, password=PASSWORD)
    assert "spike" not in browser.get("/inbox/").content.decode()
    assert browser.get(f"/alerts/{alert.pk}/").status_code == 404
    # Nor does a responder of another client; a manager sees every client's.
    for role, member, shown in (("responder", True, False), ("manager", False, True)):
        person = UserFactory(role=role)
        if member:
            ClientMembershipFactory(user=person, client=ClientFactory())
        browser.force_login(person)
        assert ("spike — Northwind Coffee" in browser.get("/inbox/").content.decode()) is shown


def test_replaying_history_counts_alerts_without_keeping_or_sending_any(channel):
    usual_month(channel)
    post(channel, NOW - 3 * HOUR, 40)
    alerts = spikes_replay(since=NOW - 2 * WEEK, until=NOW, step=HOUR)
    assert len(alerts) == 1
    assert SpikeAlert.objects.count() == 0 and mail.outbox == []
