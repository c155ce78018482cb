"""Bluesky connector: searchPosts / getAuthorFeed paging and createRecord replies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apps.channels.connectors import bluesky
from apps.channels.connectors.base import (
    ConfigurationError,
    MalformedResponse,
    RateLimited,
    RequestRejected,
    TransientError,
)

from .fakeplatform import Canned, FakeChannel, json_response

SEARCH = "/xrpc/app.bsky.feed.searchPosts"
JOE_URI = "at://did:plc:joeparker0000000000000/app.bsky.feed.post/3lbsa7kq2c22a"
MARK_URI = "at://did:plc:marksmith00000000000000/app.bsky.feed.post/3lbs7tt4xyz2b"
SESSION = {"identifier": "northwind.coffee", "app_password": "abcd-efgh-ijkl-mnop"}


def bluesky_channel(server, credentials=None, **config) -> FakeChannel:
    config = {"base_url": server.url, "pds_url": server.url, **config}
    return FakeChannel("bluesky", config, credentials or {})


def test_bluesky_search_posts_are_parsed(platform_server) -> None:
    platform_server.route("GET", SEARCH, json_response("bluesky/search_page1.json"))
    page = bluesky.fetch(bluesky_channel(platform_server, query="northwind coffee"), None)

    request = platform_server.requests[0]
    assert (request.param("q"), request.param("sort"), request.param("limit")) == (
        "northwind coffee",
        "latest",
        "100",
    )
    joe, mark = page.items
    assert joe.external_id == JOE_URI
    assert joe.text == "Thanks @northwind.coffee for swapping my grinder so fast!"
    assert joe.posted_at == datetime(2026, 11, 24, 10, 20, tzinfo=UTC)
    assert joe.kind == "reply"
    assert (
        joe.parent_external_id
        == "at://did:plc:northwindcoffee00000000/app.bsky.feed.post/3lbr2root0000"
    )
    assert joe.url == "https://bsky.app/profile/joe.coffee.town/post/3lbsa7kq2c22a"
    assert joe.author.handle == "joe.coffee.town"
    assert joe.author.display_name == "Joe Parker"
    assert joe.author.profile_url == "https://bsky.app/profile/joe.coffee.town"
    assert joe.language == "en"
    assert joe.engagement == 7 + 0 + 1 + 0

    assert mark.kind == "post"
    assert mark.language == ""
    assert mark.engagement == 3 + 2 + 0 + 1
    # createdAt claims 2030; a post is never placed later than the AppView indexed it.
    assert mark.posted_at == datetime(2026, 11, 24, 9, 5, 12, tzinfo=UTC)
    # A first fetch backfills: the older page is next, and the newest time seen is kept as "top".
    assert page.has_more is True
    assert page.next_cursor == {
        "top": "2026-11-24T10:20:01.512000+00:00",
        "page": "2026-11-24T09:05:12.000Z::bafyreia2222",
        "pages": 1,
    }


def test_bluesky_search_pages_with_cursor_until_the_mark(platform_server) -> None:
    platform_server.route(
        "GET",
        SEARCH,
        json_response("bluesky/search_page1.json"),
        json_response("bluesky/search_page2.json"),
        json_response("bluesky/search_empty.json"),
    )
    channel = bluesky_channel(platform_server, query="northwind")

    first = bluesky.fetch(channel, {"mark": "2026-11-20T00:00:00+00:00"})
    assert len(first.items) == 2
    assert first.has_more is True
    assert first.next_cursor["page"] == "2026-11-24T09:05:12.000Z::bafyreia2222"

    second = bluesky.fetch(channel, first.next_cursor)
    assert [m.author.handle for m in second.items] == ["lena.fedi.example"]
    assert second.items[0].language == "en"
    assert second.has_more is False  # no cursor: the end of the results
    assert second.next_cursor == {"mark": "2026-11-24T10:20:01.512000+00:00"}

    follow_up = bluesky.fetch(channel, second.next_cursor)
    assert follow_up.items == []
    assert follow_up.next_cursor == second.next_cursor

    assert [r.param("cursor") for r in platform_server.requests] == [
        None,
        "2026-11-24T09:05:12.000Z::bafyreia2222",
        None,
    ]


def test_bluesky_actor_feed_skips_reposts(platform_server) -> None:
    platform_server.route(
        "GET", "/xrpc/app.bsky.feed.getAuthorFeed", json_response("bluesky/author_feed.json")
    )
    page = bluesky.fetch(
        bluesky_channel(platform_server, actor="northwind.coffee"), {"mark": "2026-11-24T00:00:00Z"}
    )
    assert [m.text for m in page.items] == ["Winter blend is back 🎄"]
    request = platform_server.requests[0]
    assert request.param("actor") == "northwind.coffee"
    assert request.param("filter") == "posts_with_replies"
    assert page.has_more is True  # the repost's time (10:45) is still after the mark


def test_bluesky_reply_creates_a_post_record_with_root_and_parent(platform_server) -> None:
    platform_server.route(
        "GET", "/xrpc/app.bsky.feed.getPosts", json_response("bluesky/get_posts_reply.json")
    )
    platform_server.route(
        "POST",
        "/xrpc/com.atproto.server.createSession",
        json_response("bluesky/create_session.json"),
    )
    platform_server.route(
        "POST", "/xrpc/com.atproto.repo.createRecord", json_response("bluesky/create_record.json")
    )
    result = bluesky.reply(
        bluesky_channel(platform_server, SESSION), JOE_URI, "Thanks Joe, enjoy the new grinder!"
    )

    session = platform_server.requests_to("POST", "/xrpc/com.atproto.server.createSession")[0]
    assert session.json() == {"identifier": "northwind.coffee", "password": "abcd-efgh-ijkl-mnop"}
    assert (
        platform_server.requests_to("GET", "/xrpc/app.bsky.feed.getPosts")[0].param("uris")
        == JOE_URI
    )

    create = platform_server.requests_to("POST", "/xrpc/com.atproto.repo.createRecord")[0]
    assert create.headers["authorization"] == "Bearer eyJhbGciOiJFUzI1NksifQ.fake-access.sig"
    assert create.headers["content-type"] == "application/json"
    body = create.json()
    record = body.pop("record")
    assert body == {"repo": "did:plc:northwindcoffee00000000", "collection": "app.bsky.feed.post"}
    created_at = datetime.fromisoformat(record.pop("createdAt"))
    assert abs(datetime.now(UTC) - created_at) < timedelta(minutes=1)
    assert record == {
        "$type": "app.bsky.feed.post",
        "text": "Thanks Joe, enjoy the new grinder!",
        "reply": {
            "root": {
                "uri": "at://did:plc:northwindcoffee00000000/app.bsky.feed.post/3lbr2root0000",
                "cid": "bafyreiroot000000000000000000000000000000000000000000000",
            },
            "parent": {
                "uri": JOE_URI,
                "cid": "bafyreia1111111111111111111111111111111111111111111111111",
            },
        },
    }
    assert (
        result.external_id
        == "at://did:plc:northwindcoffee00000000/app.bsky.feed.post/3lbsc2reply01"
    )
    assert (
        result.url == "https://bsky.app/profile/did:plc:northwindcoffee00000000/post/3lbsc2reply01"
    )


def test_bluesky_reply_to_a_top_level_post_uses_it_as_root(platform_server) -> None:
    platform_server.route(
        "GET", "/xrpc/app.bsky.feed.getPosts", json_response("bluesky/get_posts_root.json")
    )
    platform_server.route(
        "POST", "/xrpc/com.atproto.repo.createRecord", json_response("bluesky/create_record.json")
    )
    credentials = {"access_token": "jwt-from-vault", "did": "did:plc:northwindcoffee00000000"}
    bluesky.reply(bluesky_channel(platform_server, credentials), MARK_URI, "Good catch, Mark!")

    create = platform_server.requests_to("POST", "/xrpc/com.atproto.repo.createRecord")[0]
    reply = create.json()["record"]["reply"]
    assert (
        reply["root"]
        == reply["parent"]
        == {
            "uri": MARK_URI,
            "cid": "bafyreia2222222222222222222222222222222222222222222222222",
        }
    )
    assert create.headers["authorization"] == "Bearer jwt-from-vault"
    assert platform_server.requests_to("POST", "/xrpc/com.atproto.server.createSession") == []


def test_bluesky_reply_with_token_but_no_did_asks_the_session(platform_server) -> None:
    platform_server.route(
        "GET", "/xrpc/app.bsky.feed.getPosts", json_response("bluesky/get_posts_root.json")
    )
    platform_server.route(
        "GET", "/xrpc/com.atproto.server.getSession", json_response("bluesky/create_session.json")
    )
    platform_server.route(
        "POST", "/xrpc/com.atproto.repo.createRecord", json_response("bluesky/create_record.json")
    )
    bluesky.reply(bluesky_channel(platform_server, {"access_token": "jwt"}), MARK_URI, "hi")
    create = platform_server.requests_to("POST", "/xrpc/com.atproto.repo.createRecord")[0]
    assert create.json()["repo"] == "did:plc:northwindcoffee00000000"


def test_bluesky_reply_to_a_deleted_post_is_rejected(platform_server) -> None:
    platform_server.route("GET", "/xrpc/app.bsky.feed.getPosts", json_response({"posts": []}))
    with pytest.raises(RequestRejected, match="no longer exists"):
        bluesky.reply(bluesky_channel(platform_server, SESSION), MARK_URI, "hi")


def test_bluesky_reply_without_credentials_names_them(platform_server) -> None:
    platform_server.route(
        "GET", "/xrpc/app.bsky.feed.getPosts", json_response("bluesky/get_posts_root.json")
    )
    with pytest.raises(ConfigurationError, match="'app_password'"):
        bluesky.reply(bluesky_channel(platform_server), MARK_URI, "hi")


def test_bluesky_429_with_retry_after_raises_rate_limited(platform_server) -> None:
    platform_server.route(
        "GET",
        SEARCH,
        json_response(
            {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
            429,
            **{"Retry-After": "17"},
        ),
    )
    with pytest.raises(RateLimited, match="RateLimitExceeded") as caught:
        bluesky.fetch(bluesky_channel(platform_server, query="x"), None)
    assert caught.value.retry_after == 17


def test_bluesky_500_raises_transient_error(platform_server) -> None:
    platform_server.route("GET", SEARCH, json_response({"error": "InternalServerError"}, 500))
    with pytest.raises(TransientError):
        bluesky.fetch(bluesky_channel(platform_server, query="x"), None)


def test_bluesky_malformed_body_raises_malformed_response(platform_server) -> None:
    platform_server.route("GET", SEARCH, json_response({"posts": [{"uri": "at://x"}]}))
    with pytest.raises(MalformedResponse):
        bluesky.fetch(bluesky_channel(platform_server, query="x"), None)


def test_bluesky_401_raises_configuration_error_with_the_xrpc_message(platform_server) -> None:
    platform_server.route(
        "POST",
        "/xrpc/com.atproto.server.createSession",
        json_response("bluesky/error_expired_token.json", 401),
    )
    platform_server.route(
        "GET", "/xrpc/app.bsky.feed.getPosts", json_response("bluesky/get_posts_root.json")
    )
    with pytest.raises(ConfigurationError, match="ExpiredToken: Token has expired"):
        bluesky.reply(bluesky_channel(platform_server, SESSION), MARK_URI, "hi")


def test_bluesky_needs_a_query_or_actor(platform_server) -> None:
    with pytest.raises(ConfigurationError, match="'query' or 'actor'"):
        bluesky.fetch(bluesky_channel(platform_server), None)


def test_bluesky_garbage_body_raises_malformed_response(platform_server) -> None:
    platform_server.route("GET", SEARCH, Canned(200, "not json"))
    with pytest.raises(MalformedResponse, match="invalid JSON"):
        bluesky.fetch(bluesky_channel(platform_server, query="x"), None)
