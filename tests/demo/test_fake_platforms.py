"""The demo's fake platform server answers the real connectors like the platforms would.

A threaded wsgiref server on 127.0.0.1 serves ``FakePlatforms`` with a settable clock, and every
channel of ``demo_channels`` is fetched through ``get_connector(platform)`` over real HTTP (the
test settings allow loopback URLs). No database is involved.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from apps.channels.connectors import REPLY_PLATFORMS, get_connector
from apps.channels.connectors.base import ConfigurationError, FetchPage, MentionData
from apps.demo.fake_platforms import (
    BRANDS,
    FakePlatforms,
    conversation,
    demo_channels,
    make_fake_server,
)

PLATFORMS = {"rss", "mastodon", "reddit", "bluesky", "youtube", "facebook_page", "instagram"}
CHANNEL_KEYS = {"client", "platform", "name", "config", "credentials", "listen_only"}
NAMES = [channel["name"] for channel in demo_channels("http://127.0.0.1:1")]
START = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=8)


@dataclass
class StandInChannel:
    """What a connector reads from a channel."""

    platform: str
    config: dict[str, Any]
    credentials: dict[str, Any] = field(default_factory=dict)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def serving(app: FakePlatforms) -> Iterator[str]:
    server = make_fake_server("127.0.0.1", 0, app)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def app(clock: Clock) -> FakePlatforms:
    return FakePlatforms(clock=clock)


@pytest.fixture(scope="module")
def base_url(app: FakePlatforms) -> Iterator[str]:
    with serving(app) as url:
        yield url


@pytest.fixture(autouse=True)
def stopped_clock(clock: Clock) -> Clock:
    """Every test starts eight hours ago, so moving the clock on never passes the real now."""
    clock.now = START
    return clock


def channel_named(base_url: str, name: str) -> StandInChannel:
    entry = next(c for c in demo_channels(base_url) if c["name"] == name)
    return StandInChannel(entry["platform"], entry["config"], entry["credentials"])


def sweep(channel: StandInChannel, cursor: dict[str, Any] | None) -> tuple[list[FetchPage], Any]:
    """Fetch pages as the pipeline does until the connector says nothing more is waiting."""
    pages: list[FetchPage] = []
    while not pages or pages[-1].has_more:
        assert len(pages) < 60, "the sweep never ends"
        pages.append(get_connector(channel.platform).fetch(channel, cursor))
        cursor = pages[-1].next_cursor
    return pages, cursor


def items_of(pages: list[FetchPage]) -> list[MentionData]:
    return [item for page in pages for item in page.items]


def test_demo_channels_cover_every_platform_and_brand() -> None:
    channels = demo_channels("http://127.0.0.1:8765/")

    assert {c["platform"] for c in channels} == PLATFORMS
    assert {c["client"] for c in channels} == set(BRANDS)
    for channel in channels:
        assert set(channel) == CHANNEL_KEYS
        target = channel["config"].get("base_url") or channel["config"]["url"]
        assert target.startswith("http://127.0.0.1:8765/")
        assert channel["listen_only"] or not BRANDS[channel["client"]].competitor
    assert len({c["name"] for c in channels}) == len(channels)


@pytest.mark.parametrize("name", NAMES)
def test_first_fetch_returns_complete_mentions_and_pages_back(base_url: str, name: str) -> None:
    channel = channel_named(base_url, name)

    pages, _ = sweep(channel, None)

    assert pages[0].items
    if channel.platform != "rss":  # a feed is one document; every API listing pages
        assert len(pages) >= 2 and all(page.items for page in pages[:2])
    items = items_of(pages)
    assert len({item.external_id for item in items}) == len(items)
    for item in items:
        assert item.author.handle and item.text and item.url.startswith("https://")
        assert item.posted_at.utcoffset() == timedelta(0)
        assert START - timedelta(days=90) <= item.posted_at <= START


@pytest.mark.parametrize("name", NAMES)
def test_fetch_after_catching_up_returns_nothing_new(base_url: str, name: str) -> None:
    channel = channel_named(base_url, name)
    pages, cursor = sweep(channel, None)
    seen = {item.external_id for item in items_of(pages)}

    again, _ = sweep(channel, cursor)

    assert {item.external_id for item in items_of(again)} <= seen  # at most the overlap, again


def test_new_mentions_arrive_as_time_passes(base_url: str, clock: Clock) -> None:
    channels = [channel_named(base_url, name) for name in NAMES]
    caught_up = [sweep(channel, None) for channel in channels]
    clock.now = START + timedelta(hours=6)

    fresh: list[MentionData] = []
    for channel, (pages, cursor) in zip(channels, caught_up, strict=True):
        seen = {item.external_id for item in items_of(pages)}
        fresh += [i for i in items_of(sweep(channel, cursor)[0]) if i.external_id not in seen]

    assert len(fresh) >= 10  # even overnight, dozens of conversations move on in six hours
    assert all(START - timedelta(minutes=5) < item.posted_at <= clock.now for item in fresh)


def test_the_same_moment_gives_the_same_ids_and_words(base_url: str, clock: Clock) -> None:
    name = "Mastodon @northwind"
    first = get_connector("mastodon").fetch(channel_named(base_url, name), None)
    conversation.cache_clear()  # the second server regenerates everything from the seed
    with serving(FakePlatforms(clock=clock)) as other_url:
        second = get_connector("mastodon").fetch(channel_named(other_url, name), None)

    assert [(i.external_id, i.text) for i in first.items] == [
        (i.external_id, i.text) for i in second.items
    ]


def test_threads_ratings_and_languages_are_where_platforms_have_them(base_url: str) -> None:
    by_name = {name: items_of(sweep(channel_named(base_url, name), None)[0]) for name in NAMES}
    everything = [item for items in by_name.values() for item in items]

    for name, items in by_name.items():
        if "reviews" in name:
            assert all(item.kind == "review" and 1 <= item.rating <= 5 for item in items)
        elif name.startswith("Reddit search"):  # search lists links (type=link), never comments
            assert all(item.kind == "post" for item in items)
        else:
            assert any(item.parent_external_id for item in items), name
            assert any(item.kind in ("reply", "comment") for item in items), name
    assert {item.language for item in everything} >= {"en", "es", "fr", "de"}
    assert any("example" in item.text and "fans" in item.text for item in everything)  # spam
    brand_handles = {"northwind", "harborbank", "brewhaus.bsky.social", "brewhaus"}
    assert any(item.author.handle in brand_handles for item in everything)


def test_mastodon_reply_is_accepted_recorded_and_idempotent(
    base_url: str, app: FakePlatforms
) -> None:
    channel = channel_named(base_url, "Mastodon @northwind")
    mention = get_connector("mastodon").fetch(channel, None).items[0]

    result = get_connector("mastodon").reply(channel, mention.external_id, "Thanks, on it!")
    retried = get_connector("mastodon").reply(channel, mention.external_id, "Thanks, on it!")

    assert result.external_id.isdigit() and int(result.external_id) > int(mention.external_id)
    assert result.url.endswith(f"/@northwind/{result.external_id}")
    assert retried == result
    recorded = [reply for reply in app.replies if reply["id"] == result.external_id]
    assert len(recorded) == 1
    assert recorded[0]["in_reply_to"] == mention.external_id
    assert recorded[0]["text"].endswith("Thanks, on it!")


@pytest.mark.parametrize(
    "name",
    [
        c["name"]
        for c in demo_channels("http://127.0.0.1:1")
        if c["platform"] in REPLY_PLATFORMS and not c["listen_only"]
    ],
)
def test_every_reply_platform_accepts_a_reply(base_url: str, app: FakePlatforms, name: str) -> None:
    channel = channel_named(base_url, name)
    mention = get_connector(channel.platform).fetch(channel, None).items[0]

    result = get_connector(channel.platform).reply(channel, mention.external_id, "Thank you!")

    assert result.external_id and result.external_id != mention.external_id
    assert any(
        reply["platform"] == channel.platform and reply["text"].endswith("Thank you!")
        for reply in app.replies
    )


@pytest.mark.parametrize("platform", ["mastodon", "youtube", "facebook_page", "instagram"])
def test_a_wrong_token_is_refused_like_the_platform_does(base_url: str, platform: str) -> None:
    entry = next(c for c in demo_channels(base_url) if c["platform"] == platform)
    wrong = {key: "not-a-demo-token" for key in entry["credentials"]}

    with pytest.raises(ConfigurationError):
        get_connector(platform).fetch(StandInChannel(platform, entry["config"], wrong), None)
