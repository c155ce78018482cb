"""RSS/Atom connector against feeds served by the local fake platform."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from apps.channels.connectors import get_connector, rss
from apps.channels.connectors.base import (
    ConfigurationError,
    MalformedResponse,
    RateLimited,
    ReplyNotSupported,
    TransientError,
)
from apps.channels.services import channel_fetch
from apps.listening.models import Mention

from .factories import make_channel
from .fakeplatform import Canned, FakeChannel, fixture

RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}
ATOM_TYPE = {"Content-Type": "application/atom+xml"}


def feed_channel(server, path: str = "/feed.xml", **config) -> FakeChannel:
    return FakeChannel("rss", {"url": server.url + path, **config})


def test_registry_returns_the_rss_module() -> None:
    assert get_connector("rss") is rss


def test_rss_items_are_parsed_into_posts(platform_server) -> None:
    platform_server.route(
        "GET", "/feed.xml", Canned(200, fixture("rss/brew_notes_rss20.xml"), RSS_TYPE)
    )
    page = rss.fetch(feed_channel(platform_server), None)

    assert page.has_more is False
    assert [m.external_id for m in page.items] == [
        "https://brewnotes.example/?p=4182",
        "https://brewnotes.example/2026/11/grinders/",
        "https://brewnotes.example/2026/11/coupons/",  # no guid: the link is the id
    ]
    first = page.items[0]
    assert first.text == (
        "Northwind's winter blend, tasted\n\n"
        "I picked up a bag of the Northwind Coffee Roasters winter blend.\n\n"
        "Dark chocolate, orange peel & a long finish.\nThe bag's roast date was smudged, though."
    )
    assert first.url == "https://brewnotes.example/2026/11/northwind-winter-blend/"
    assert first.posted_at == datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
    assert first.author.handle == "Priya Raman"
    assert first.kind == "post"
    assert first.language == "en-gb"
    assert page.items[1].posted_at == datetime(2026, 11, 19, 8, 30, tzinfo=UTC)
    assert page.items[2].author.handle == "Brew Notes"  # no author: the feed's title


def test_rss_review_feed_entries_become_reviews_with_ratings(platform_server) -> None:
    platform_server.route(
        "GET", "/feed.xml", Canned(200, fixture("rss/reviews_rss20.xml"), RSS_TYPE)
    )
    items = rss.fetch(feed_channel(platform_server), None).items
    assert [(m.external_id, m.kind, m.rating) for m in items] == [
        ("review-99120", "review", 3.0),
        ("review-99087", "review", 5.0),
    ]
    assert items[0].author.handle == "Mark D."


def test_atom_entries_are_parsed_with_authors_and_reply_threads(platform_server) -> None:
    platform_server.route(
        "GET", "/t/batteries.atom", Canned(200, fixture("rss/forum_atom.xml"), ATOM_TYPE)
    )
    items = rss.fetch(feed_channel(platform_server, "/t/batteries.atom"), None).items

    reply, opening = items
    assert reply.external_id == "tag:forum.lumenowners.example,2026:post-5512"
    assert reply.kind == "comment"
    assert reply.parent_external_id == "tag:forum.lumenowners.example,2026:post-5490"
    assert reply.posted_at == datetime(2026, 11, 23, 8, 40, tzinfo=UTC)  # published, not updated
    assert reply.author.handle == "gearhead_ana"
    assert reply.author.profile_url == "https://forum.lumenowners.example/u/gearhead_ana"
    assert reply.text.endswith("Same here on the Lumen Commuter 2. Firmware 4.1 fixed it for me.")
    assert opening.posted_at == datetime(2026, 11, 22, 21, 10, tzinfo=UTC)  # only updated given
    assert opening.kind == "post"
    assert opening.language == "en"


def test_configured_kind_labels_every_entry(platform_server) -> None:
    platform_server.route(
        "GET", "/feed.xml", Canned(200, fixture("rss/brew_notes_rss20.xml"), RSS_TYPE)
    )
    items = rss.fetch(feed_channel(platform_server, kind="review"), None).items
    assert {m.kind for m in items} == {"review"}


def test_rss_cursor_remembers_seen_entries_and_validators(platform_server) -> None:
    platform_server.route(
        "GET",
        "/feed.xml",
        Canned(
            200,
            fixture("rss/reviews_rss20.xml"),
            {**RSS_TYPE, "ETag": '"v1"', "Last-Modified": "Sun, 22 Nov 2026 11:12:00 GMT"},
        ),
    )
    channel = feed_channel(platform_server)
    first = rss.fetch(channel, None)
    assert len(first.items) == 2
    assert first.next_cursor["etag"] == '"v1"'
    assert first.next_cursor["modified"] == "Sun, 22 Nov 2026 11:12:00 GMT"
    assert len(first.next_cursor["seen"]) == 2

    again = rss.fetch(channel, first.next_cursor)
    assert again.items == []
    request = platform_server.requests[-1]
    assert request.headers["if-none-match"] == '"v1"'
    assert request.headers["if-modified-since"] == "Sun, 22 Nov 2026 11:12:00 GMT"


def test_rss_follow_up_fetch_returns_only_new_entries(platform_server) -> None:
    newer = fixture("rss/reviews_rss20.xml").replace(
        b"<item>",
        b'<item><title>Decaf done right</title><guid isPermaLink="false">review-99200</guid>'
        b"<pubDate>Mon, 23 Nov 2026 08:00:00 +0000</pubDate></item><item>",
        1,
    )
    platform_server.route(
        "GET",
        "/feed.xml",
        Canned(200, fixture("rss/reviews_rss20.xml"), RSS_TYPE),
        Canned(200, newer, RSS_TYPE),
    )
    channel = feed_channel(platform_server)
    cursor = rss.fetch(channel, None).next_cursor
    page = rss.fetch(channel, cursor)
    assert [m.external_id for m in page.items] == ["review-99200"]
    assert len(page.next_cursor["seen"]) == 3


def test_not_modified_feed_returns_nothing_and_keeps_the_cursor(platform_server) -> None:
    platform_server.route("GET", "/feed.xml", Canned(304))
    cursor = {"etag": '"v1"', "seen": ["0123456789abcdef"]}
    page = rss.fetch(feed_channel(platform_server), cursor)
    assert page.items == []
    assert page.next_cursor == cursor
    assert page.has_more is False


def test_malformed_feed_raises_malformed_response(platform_server) -> None:
    platform_server.route("GET", "/feed.xml", Canned(200, fixture("rss/broken.xml"), RSS_TYPE))
    with pytest.raises(MalformedResponse, match="not a readable feed"):
        rss.fetch(feed_channel(platform_server), None)


def test_cut_off_feed_is_refused_rather_than_half_read(platform_server) -> None:
    document = fixture("rss/brew_notes_rss20.xml")
    cut = document.index(b"<description>", document.index(b"Five grinders"))
    platform_server.route("GET", "/feed.xml", Canned(200, document[:cut], RSS_TYPE))
    with pytest.raises(MalformedResponse, match="ends early"):
        rss.fetch(feed_channel(platform_server), None)


def test_feed_with_a_recoverable_error_keeps_its_entries(platform_server) -> None:
    document = fixture("rss/brew_notes_rss20.xml").replace(b"Five grinders", b"Five&nbsp;grinders")
    platform_server.route("GET", "/feed.xml", Canned(200, document, RSS_TYPE))
    items = rss.fetch(feed_channel(platform_server), None).items
    assert [m.text.split("\n")[0] for m in items][1] == "Five\xa0grinders under £100"
    assert len(items) == 3


def test_html_page_instead_of_a_feed_raises_malformed_response(platform_server) -> None:
    platform_server.route(
        "GET", "/feed.xml", Canned(200, "<html><body><h1>Maintenance</h1></body></html>")
    )
    with pytest.raises(MalformedResponse, match="no RSS or Atom document"):
        rss.fetch(feed_channel(platform_server), None)


def test_feed_body_is_never_opened_as_a_local_file_path(platform_server, tmp_path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_bytes(fixture("rss/reviews_rss20.xml"))
    platform_server.route("GET", "/feed.xml", Canned(200, str(secret)))
    with pytest.raises(MalformedResponse):
        rss.fetch(feed_channel(platform_server), None)


def test_rss_server_error_raises_transient_error(platform_server) -> None:
    platform_server.route("GET", "/feed.xml", Canned(500, "oops"))
    with pytest.raises(TransientError):
        rss.fetch(feed_channel(platform_server), None)


def test_rss_429_with_retry_after_raises_rate_limited(platform_server) -> None:
    platform_server.route("GET", "/feed.xml", Canned(429, "", {"Retry-After": "30"}))
    with pytest.raises(RateLimited) as caught:
        rss.fetch(feed_channel(platform_server), None)
    assert caught.value.retry_after == 30


def test_rss_401_raises_configuration_error(platform_server) -> None:
    platform_server.route("GET", "/feed.xml", Canned(401, "members only"))
    with pytest.raises(ConfigurationError, match="401"):
        rss.fetch(feed_channel(platform_server), None)


def test_rss_feed_on_loopback_is_refused_when_not_allowed(
    platform_server, loopback_settings
) -> None:
    loopback_settings.RAPPORT_ALLOW_LOOPBACK_URLS = False
    with pytest.raises(ConfigurationError, match="loopback"):
        rss.fetch(feed_channel(platform_server), None)
    assert platform_server.requests == []


def test_rss_channel_without_url_names_the_missing_key() -> None:
    with pytest.raises(ConfigurationError, match="'url'"):
        rss.fetch(FakeChannel("rss", {}), None)


def test_rss_reply_is_not_supported() -> None:
    with pytest.raises(ReplyNotSupported):
        rss.reply(FakeChannel("rss", {"url": "https://x.example/feed"}), "id", "thanks")


THANKS_FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Forum</title><link>https://forum.example/</link>
<description>Replies</description>
<item><description>Thanks!</description><author>ana@example.com (Ana)</author>
  <pubDate>Mon, 23 Nov 2026 10:00:00 +0000</pubDate></item>
<item><description>Thanks!</description><author>ben@example.com (Ben)</author>
  <pubDate>Tue, 24 Nov 2026 10:00:00 +0000</pubDate></item>
<item><description>Thanks!</description><author>ana@example.com (Ana)</author>
  <pubDate>Wed, 25 Nov 2026 10:00:00 +0000</pubDate></item>
<item><pubDate>Wed, 25 Nov 2026 11:00:00 +0000</pubDate></item>
<item><guid isPermaLink="false">empty-42</guid></item>
</channel></rss>"""


def test_items_without_guid_or_link_are_told_apart_by_author_and_date(
    in_agency_a, platform_server
) -> None:
    platform_server.route("GET", "/thanks.xml", Canned(200, THANKS_FEED, RSS_TYPE))
    channel = make_channel(config={"url": platform_server.url + "/thanks.xml"})

    run = channel_fetch(channel_id=channel.pk)

    stored = Mention.objects.filter(channel=channel).order_by("posted_at")
    assert run.new == 3, run.error_message  # three people's "Thanks!", none lost
    assert [m.posted_at.day for m in stored] == [23, 24, 25]
    assert all(m.text == "Thanks!" for m in stored)  # no empty mention to acknowledge
