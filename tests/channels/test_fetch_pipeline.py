"""The fetch pipeline stores what a platform offers exactly once and records how it went."""

from __future__ import annotations

from django.core import mail

from apps.channels.models import Channel, FetchRun
from apps.channels.services import FAILING_AFTER, channel_fetch
from apps.listening.models import Mention
from tests.accounts.factories import UserFactory

from .factories import make_channel
from .fakeplatform import Canned, fixture

RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}


def _rss_channel(server, path="/feed.xml"):
    return make_channel(platform="rss", config={"url": server.url + path})


def test_rss_fetch_stores_each_item_once_with_author_url_and_time(in_agency_a, platform_server):
    platform_server.route(
        "GET", "/feed.xml", Canned(200, fixture("rss/brew_notes_rss20.xml"), RSS_TYPE)
    )
    channel = _rss_channel(platform_server)

    first = channel_fetch(channel_id=channel.pk)
    second = channel_fetch(channel_id=channel.pk)

    stored = Mention.objects.filter(channel=channel)
    assert first.status == FetchRun.Status.SUCCEEDED and first.new == stored.count() > 0
    assert second.new == 0
    for mention in stored:
        assert mention.author.handle and mention.url and mention.posted_at.tzinfo
        assert mention.client_id == channel.client_id and mention.status == "new"
    channel.refresh_from_db()
    assert channel.health == Channel.Health.OK and channel.last_success_at


def test_server_error_degrades_health_keeps_cursor_and_stores_nothing(in_agency_a, platform_server):
    platform_server.route("GET", "/feed.xml", Canned(500, b"oops"))
    channel = _rss_channel(platform_server)

    run = channel_fetch(channel_id=channel.pk)

    channel.refresh_from_db()
    assert run.status == FetchRun.Status.FAILED and run.errors == 1 and "500" in run.error_message
    assert channel.health == Channel.Health.DEGRADED and channel.consecutive_failures == 1
    assert channel.cursor is None and not Mention.objects.filter(channel=channel).exists()
    assert channel.next_fetch_at > run.finished_at


def test_repeated_failures_mark_channel_failing_and_alert_owners_once(in_agency_a, platform_server):
    UserFactory(email="manager@alpha.test", role="manager")
    platform_server.route("GET", "/feed.xml", Canned(503, b"down"))
    channel = _rss_channel(platform_server)

    for _ in range(FAILING_AFTER + 1):
        channel_fetch(channel_id=channel.pk)

    channel.refresh_from_db()
    assert channel.health == Channel.Health.FAILING
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {"owner@alpha.test", "manager@alpha.test"}
    assert "is failing" in mail.outbox[0].subject


def test_rate_limit_waits_as_long_as_retry_after_asks(in_agency_a, platform_server):
    platform_server.route("GET", "/feed.xml", Canned(429, b"slow down", {"Retry-After": "600"}))
    channel = _rss_channel(platform_server)

    run = channel_fetch(channel_id=channel.pk)

    channel.refresh_from_db()
    wait = (channel.next_fetch_at - run.finished_at).total_seconds()
    assert 590 <= wait <= 610
    assert channel.health == Channel.Health.DEGRADED


def test_success_after_failures_restores_health(in_agency_a, platform_server):
    platform_server.route(
        "GET",
        "/feed.xml",
        Canned(500, b"x"),
        Canned(200, fixture("rss/brew_notes_rss20.xml"), RSS_TYPE),
    )
    channel = _rss_channel(platform_server)
    channel_fetch(channel_id=channel.pk)
    run = channel_fetch(channel_id=channel.pk)
    channel.refresh_from_db()
    assert run.status == FetchRun.Status.SUCCEEDED
    assert (channel.health, channel.consecutive_failures, channel.last_error) == ("ok", 0, "")


def test_feed_redirecting_to_cloud_metadata_is_refused_and_marks_channel_failing(
    in_agency_a, platform_server
):
    platform_server.route(
        "GET", "/feed.xml", Canned(302, b"", {"Location": "http://169.254.169.254/latest/"})
    )
    channel = _rss_channel(platform_server)

    run = channel_fetch(channel_id=channel.pk)

    channel.refresh_from_db()
    assert run.status == FetchRun.Status.FAILED
    assert "169.254.169.254" in run.error_message
    assert channel.health == Channel.Health.FAILING  # retrying will not make it safe
    assert not Mention.objects.filter(channel=channel).exists()
