"""'Fetch now' on a channel's page: a real worker fetches, the page shows progress and the result
in place."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from apps.channels.models import FetchRun
from apps.channels.services import channel_create
from apps.clients.models import Client
from apps.listening.models import Author, Mention
from tests.channels.fakeplatform import Canned, fixture
from tests.conftest import PASSWORD
from tests.support import CeleryWorker, subprocess_env

from .conftest import sign_in

pytestmark = pytest.mark.e2e
RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}


class PageReloaded(AssertionError):
    """The page navigated (a full reload) instead of updating in place."""


@pytest.fixture
def feed_channel(committed, platform_server):
    """An RSS channel committed in agency A whose feed answers slowly, so progress shows."""
    feed = Canned(200, fixture("rss/brew_notes_rss20.xml"), RSS_TYPE, delay=2.5)
    platform_server.route("GET", "/feed.xml", feed)
    with committed():
        client = Client.objects.create(name="Brew Notes", slug=f"ui-{uuid.uuid4().hex[:6]}")
        channel = channel_create(
            client=client, platform="rss", name="Brew notes blog",
            config={"url": f"{platform_server.url}/feed.xml"},
        ).channel  # fmt: skip
    yield channel
    with committed():
        authors = list(Mention.objects.filter(client=client).values_list("author_id", flat=True))
        client.delete()
        Author.objects.filter(pk__in=authors).delete()


def test_fetch_now_shows_progress_and_the_new_mentions_without_a_reload(
    page, feed_channel, committed, server_queue
):
    sign_in(page, "owner@alpha.test", PASSWORD)
    with CeleryWorker(server_queue, subprocess_env(CELERY_DEFAULT_QUEUE=server_queue)) as worker:
        page.goto(f"/channels/{feed_channel.pk}/")
        expect(page.get_by_text("Not fetched yet.")).to_be_visible()
        page.evaluate("window.rapportMarker = 'set before the click'")

        page.get_by_role("button", name="Fetch now").click()
        run = page.locator("#fetch-runs tbody tr").first
        expect(run.locator(".run-status")).to_have_text(re.compile("running", re.I))
        try:
            expect(run.locator(".run-status")).to_have_text("succeeded", timeout=30_000)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{worker.output()}") from None
        shown_new = int(run.locator(".run-new").inner_text())
        # …and the way to the new mentions themselves.
        link = page.get_by_role("link", name="See the new mentions")
        expect(link).to_be_visible()
        assert f"channel={feed_channel.pk}" in link.get_attribute("href")

    with committed():
        stored = Mention.objects.filter(channel=feed_channel).count()
        assert FetchRun.objects.get(channel=feed_channel).trigger == FetchRun.Trigger.MANUAL
    assert shown_new == stored > 0
    if page.evaluate("window.rapportMarker") != "set before the click":
        raise PageReloaded("the page was reloaded by 'Fetch now'")
