"""Reddit connector: subreddit posts and comments, search, ``after`` paging and replies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from apps.channels.connectors import reddit
from apps.channels.connectors.base import (
    ConfigurationError,
    MalformedResponse,
    RateLimited,
    RequestRejected,
    TransientError,
)

from .fakeplatform import Canned, FakeChannel, json_response

NEW = "/r/ebikes/new.json"
COMMENTS = "/r/ebikes/comments.json"


def reddit_channel(server, token: str | None = "reddit-token", **config) -> FakeChannel:  # noqa: S107
    config = {"base_url": server.url, **config}
    return FakeChannel("reddit", config, {"access_token": token} if token else {})


def test_reddit_subreddit_posts_and_comments_are_parsed(platform_server) -> None:
    platform_server.route("GET", NEW, json_response("reddit/new_page1.json"))
    platform_server.route("GET", COMMENTS, json_response("reddit/comments_page1.json"))
    page = reddit.fetch(reddit_channel(platform_server, subreddit="r/ebikes"), None)

    post, link_post, ana, kai = page.items
    assert post.external_id == "t3_1h8kq2a"
    assert post.kind == "post"
    assert (
        post.text == "Lumen Commuter 2 battery drain\n\n"
        "Mine loses 20% overnight when parked. Firmware 4.0. Anyone else?"
    )
    assert post.posted_at == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
    assert (
        post.url
        == "https://www.reddit.com/r/ebikes/comments/1h8kq2a/lumen_commuter_2_battery_drain/"
    )
    assert post.author.handle == "kai_rides"
    assert post.author.profile_url == "https://www.reddit.com/user/kai_rides/"
    assert post.engagement == 42 + 17
    assert link_post.text == "Lumen vs Brompton Electric for a 5 mile commute"

    assert ana.external_id == "t1_lz0x3c9"
    assert ana.kind == "reply"
    assert ana.parent_external_id == "t1_lz0w111"
    assert ana.engagement == 12
    assert kai.kind == "comment"
    assert kai.parent_external_id == "t3_1h8kq2a"
    assert kai.text == "Same problem & no reply from Lumen yet"

    for request in platform_server.requests:
        assert request.headers["authorization"] == "bearer reddit-token"
        assert request.headers["user-agent"] == reddit.USER_AGENT
        assert request.param("limit") == "100"
        assert request.param("raw_json") == "1"
    # A first fetch backfills: posts have an older page to read, comments reached their end.
    assert page.has_more is True
    assert page.next_cursor == {
        "posts": {"top": "2026-11-24T11:00:00+00:00", "page": "t3_1h8jz7b", "pages": 1},
        "comments": {"mark": "2026-11-24T11:06:40+00:00"},
    }


def test_reddit_pages_with_after_until_the_previous_mark(platform_server) -> None:
    platform_server.route(
        "GET",
        NEW,
        json_response("reddit/new_page1.json"),
        json_response("reddit/new_page2.json"),
        json_response("reddit/new_page1.json"),
    )
    platform_server.route("GET", COMMENTS, json_response("reddit/empty.json"))
    channel = reddit_channel(platform_server, subreddit="ebikes")
    cursor = {
        "posts": {"mark": "2026-11-23T00:00:00+00:00"},
        "comments": {"mark": "2026-11-23T00:00:00+00:00"},
    }

    first = reddit.fetch(channel, cursor)
    assert [m.external_id for m in first.items] == ["t3_1h8kq2a", "t3_1h8jz7b"]
    assert first.has_more is True
    assert first.next_cursor["posts"] == {
        "mark": "2026-11-23T00:00:00+00:00",
        "top": "2026-11-24T11:00:00+00:00",
        "page": "t3_1h8jz7b",
        "pages": 1,
    }

    second = reddit.fetch(channel, first.next_cursor)  # only the posts sweep is under way
    assert [m.external_id for m in second.items] == ["t3_1h8h001"]
    assert second.items[0].author.handle == "[deleted]"
    assert second.items[0].author.profile_url == ""
    assert second.has_more is False
    assert second.next_cursor["posts"] == {"mark": "2026-11-24T11:00:00+00:00"}

    follow_up = reddit.fetch(channel, second.next_cursor)
    assert [m.external_id for m in follow_up.items] == [
        "t3_1h8kq2a"
    ]  # the mark's own item, for de-dup
    assert follow_up.has_more is False

    new_requests = platform_server.requests_to("GET", NEW)
    assert [r.param("after") for r in new_requests] == [None, "t3_1h8jz7b", None]
    assert len(platform_server.requests_to("GET", COMMENTS)) == 2  # not while posts were paging


def test_reddit_query_searches_newest_first(platform_server) -> None:
    platform_server.route("GET", "/search.json", json_response("reddit/search.json"))
    page = reddit.fetch(reddit_channel(platform_server, query='"northwind coffee"'), None)
    request = platform_server.requests[0]
    assert (request.param("q"), request.param("sort"), request.param("restrict_sr")) == (
        '"northwind coffee"',
        "new",
        None,
    )
    assert page.items[0].external_id == "t3_1h9aa01"
    assert set(page.next_cursor) == {"search"}


def test_reddit_query_with_subreddit_searches_within_it(platform_server) -> None:
    platform_server.route("GET", "/r/Coffee/search.json", json_response("reddit/search.json"))
    reddit.fetch(reddit_channel(platform_server, subreddit="Coffee", query="northwind"), None)
    assert platform_server.requests[0].param("restrict_sr") == "1"


def test_reddit_without_token_reads_public_json_listings(platform_server) -> None:
    platform_server.route("GET", "/search.json", json_response("reddit/search.json"))
    reddit.fetch(reddit_channel(platform_server, token=None, query="northwind"), None)
    assert "authorization" not in platform_server.requests[0].headers
    assert reddit._root(FakeChannel("reddit", {}, {})) == "https://www.reddit.com"
    assert (
        reddit._root(FakeChannel("reddit", {}, {"access_token": "t"})) == "https://oauth.reddit.com"
    )


def test_reddit_reply_posts_a_comment_with_thing_id_and_text(platform_server) -> None:
    platform_server.route("POST", "/api/comment", json_response("reddit/comment_created.json"))
    result = reddit.reply(
        reddit_channel(platform_server),
        "t1_lz0x3c9",
        "Thanks Ana for sharing the fix! Kai, we have DM'd you the 4.1 update.",
    )
    request = platform_server.requests[0]
    assert request.headers["authorization"] == "bearer reddit-token"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form() == {
        "thing_id": "t1_lz0x3c9",
        "text": "Thanks Ana for sharing the fix! Kai, we have DM'd you the 4.1 update.",
        "api_type": "json",
    }
    assert result.external_id == "t1_lz0z999"
    assert (
        result.url
        == "https://www.reddit.com/r/ebikes/comments/1h8kq2a/lumen_commuter_2_battery_drain/lz0z999/"
    )


def test_reddit_reply_ratelimit_error_raises_rate_limited(platform_server) -> None:
    platform_server.route("POST", "/api/comment", json_response("reddit/comment_ratelimited.json"))
    with pytest.raises(RateLimited) as caught:
        reddit.reply(reddit_channel(platform_server), "t1_lz0x3c9", "hi")
    assert caught.value.retry_after == 9 * 60


def test_reddit_reply_other_errors_raise_request_rejected(platform_server) -> None:
    body = {"json": {"errors": [["DELETED_COMMENT", "that comment has been deleted", "parent"]]}}
    platform_server.route("POST", "/api/comment", json_response(body))
    with pytest.raises(RequestRejected, match="DELETED_COMMENT"):
        reddit.reply(reddit_channel(platform_server), "t1_gone", "hi")


def test_reddit_reply_requires_an_access_token(platform_server) -> None:
    with pytest.raises(ConfigurationError, match="'access_token'"):
        reddit.reply(reddit_channel(platform_server, token=None), "t1_x", "hi")


def test_reddit_429_with_retry_after_raises_rate_limited(platform_server) -> None:
    platform_server.route("GET", "/search.json", Canned(429, "", {"Retry-After": "42"}))
    with pytest.raises(RateLimited) as caught:
        reddit.fetch(reddit_channel(platform_server, query="x"), None)
    assert caught.value.retry_after == 42


def test_reddit_500_raises_transient_error(platform_server) -> None:
    platform_server.route(
        "GET", "/search.json", Canned(503, "<html>all our servers are busy</html>")
    )
    with pytest.raises(TransientError):
        reddit.fetch(reddit_channel(platform_server, query="x"), None)


def test_reddit_malformed_listing_raises_malformed_response(platform_server) -> None:
    platform_server.route(
        "GET",
        "/search.json",
        json_response({"kind": "Listing", "data": {"children": [{"kind": "t3"}]}}),
    )
    with pytest.raises(MalformedResponse, match="documented shape"):
        reddit.fetch(reddit_channel(platform_server, query="x"), None)


def test_reddit_invalid_json_raises_malformed_response(platform_server) -> None:
    platform_server.route("GET", "/search.json", Canned(200, "<!doctype html><p>blocked</p>"))
    with pytest.raises(MalformedResponse, match="invalid JSON"):
        reddit.fetch(reddit_channel(platform_server, query="x"), None)


def test_reddit_401_raises_configuration_error(platform_server) -> None:
    platform_server.route(
        "GET", "/search.json", json_response("reddit/error_unauthorized.json", 401)
    )
    with pytest.raises(ConfigurationError, match="Unauthorized"):
        reddit.fetch(reddit_channel(platform_server, query="x"), None)


def test_reddit_needs_a_subreddit_or_query(platform_server) -> None:
    with pytest.raises(ConfigurationError, match="'subreddit' or 'query'"):
        reddit.fetch(reddit_channel(platform_server), None)


def test_reddit_refuses_a_subreddit_name_that_is_a_path(platform_server) -> None:
    with pytest.raises(ConfigurationError, match="not a subreddit name"):
        reddit.fetch(reddit_channel(platform_server, subreddit="ebikes/../../api/me"), None)
