"""Instagram connector: recent media, their comments and replies, Graph paging, and replies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from apps.channels.connectors import instagram
from apps.channels.connectors.base import (
    ConfigurationError,
    MalformedResponse,
    RateLimited,
    TransientError,
)

from .fakeplatform import Canned, FakeChannel, json_response

IG_USER = "17841400000000001"
MEDIA = f"/v19.0/{IG_USER}/media"
COMMENTS_101 = "/v19.0/18000000000000101/comments"
COMMENTS_090 = "/v19.0/18000000000000090/comments"


def ig_channel(server, **config) -> FakeChannel:
    return FakeChannel(
        "instagram",
        {"base_url": server.url + "/v19.0", "ig_user_id": IG_USER, **config},
        {"access_token": "IGQW-token"},
    )


def route_media_comments(server) -> None:
    server.route(
        "GET",
        COMMENTS_101,
        json_response("instagram/comments_18000000000000101_page1.json"),
        json_response("instagram/comments_18000000000000101_page2.json"),
    )
    server.route("GET", COMMENTS_090, json_response("instagram/comments_18000000000000090.json"))


def test_instagram_comments_and_replies_on_recent_media_are_parsed(platform_server) -> None:
    platform_server.route("GET", MEDIA, json_response("instagram/media_page1.json"))
    route_media_comments(platform_server)
    page = instagram.fetch(ig_channel(platform_server), None)

    media_request = platform_server.requests_to("GET", MEDIA)[0]
    assert media_request.param("fields") == "id,caption,permalink,timestamp,username,comments_count"
    assert media_request.param("access_token") == "IGQW-token"
    comment_requests = platform_server.requests_to("GET", COMMENTS_101)
    assert comment_requests[0].param("fields") == (
        "id,text,username,timestamp,like_count,replies{id,text,username,timestamp,like_count}"
    )
    assert [r.param("after") for r in comment_requests] == [None, "QVFIUmMwMQ"]
    assert (
        platform_server.requests_to("GET", "/v19.0/18000000000000100/comments") == []
    )  # no comments

    joe, lena, mark = page.items  # the account's own reply is skipped
    assert joe.external_id == "17900000000000201"
    assert joe.kind == "comment"
    assert joe.parent_external_id == "18000000000000101"
    assert joe.text == "Ordered two bags! Does it come in decaf?"
    assert joe.posted_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert joe.author.handle == "joe.parker"
    assert joe.author.profile_url == "https://www.instagram.com/joe.parker/"
    assert joe.url == "https://www.instagram.com/p/C0wInTeR01/"
    assert joe.engagement == 4
    assert lena.kind == "reply"
    assert lena.parent_external_id == "17900000000000201"
    assert mark.text == "Finally!!"
    assert page.has_more is True  # a first fetch backfills the rest of the media window
    assert page.next_cursor == {
        "top": "2026-11-24T09:00:00+00:00",
        "page": "QVFIUm1lZGlhMQ",
        "pages": 1,
    }


def test_instagram_sweeps_the_media_window_page_by_page(platform_server) -> None:
    platform_server.route(
        "GET",
        MEDIA,
        json_response("instagram/media_page1.json"),
        json_response("instagram/media_page2.json"),
        json_response("instagram/media_page1.json"),
    )
    route_media_comments(platform_server)
    channel = ig_channel(platform_server)

    first = instagram.fetch(channel, {"mark": "2026-11-23T16:00:00+00:00"})
    assert [m.external_id for m in first.items] == ["17900000000000201", "17900000000000203"]
    assert first.has_more is True
    assert first.next_cursor["page"] == "QVFIUm1lZGlhMQ"

    second = instagram.fetch(channel, first.next_cursor)
    # An old post's new comment is found: media are not in comment order.
    assert [m.text for m in second.items] == ["Best Guji I have had this year"]
    assert second.has_more is False
    assert second.next_cursor == {"mark": "2026-11-24T09:00:00+00:00"}

    route_media_comments(platform_server)  # serve the comment pages afresh
    follow_up = instagram.fetch(channel, second.next_cursor)
    assert [m.external_id for m in follow_up.items] == ["17900000000000203"]  # within the overlap
    assert follow_up.has_more is True  # the window's second media page is still to check
    assert [r.param("after") for r in platform_server.requests_to("GET", MEDIA)] == [
        None,
        "QVFIUm1lZGlhMQ",
        None,
    ]


def test_instagram_media_window_bounds_the_sweep(platform_server) -> None:
    platform_server.route("GET", MEDIA, json_response("instagram/media_page1.json"))
    route_media_comments(platform_server)
    page = instagram.fetch(
        ig_channel(platform_server, media_window=10), {"mark": "2026-11-01T00:00:00Z"}
    )
    assert page.has_more is False  # ten media checked: the window is done despite paging.next


def test_instagram_reply_posts_a_message_to_the_comments_replies(platform_server) -> None:
    platform_server.route(
        "POST", "/v19.0/17900000000000201/replies", json_response("instagram/reply_created.json")
    )
    result = instagram.reply(
        ig_channel(platform_server), "17900000000000201", "Not this year, sorry Joe!"
    )
    request = platform_server.requests[0]
    assert request.form() == {"message": "Not this year, sorry Joe!", "access_token": "IGQW-token"}
    assert result.external_id == "17900000000000299"


def test_instagram_rate_limit_error_code_raises_rate_limited(platform_server) -> None:
    body = {
        "error": {
            "message": "(#4) Application request limit reached",
            "type": "OAuthException",
            "code": 4,
        }
    }
    platform_server.route("GET", MEDIA, json_response(body, 400))
    with pytest.raises(RateLimited):
        instagram.fetch(ig_channel(platform_server), None)


def test_instagram_429_with_retry_after_raises_rate_limited(platform_server) -> None:
    platform_server.route("GET", MEDIA, Canned(429, "", {"Retry-After": "600"}))
    with pytest.raises(RateLimited) as caught:
        instagram.fetch(ig_channel(platform_server), None)
    assert caught.value.retry_after == 600


def test_instagram_401_raises_configuration_error(platform_server) -> None:
    body = {
        "error": {
            "message": "Invalid OAuth access token - Cannot parse access token",
            "type": "OAuthException",
            "code": 190,
        }
    }
    platform_server.route("GET", MEDIA, json_response(body, 401))
    with pytest.raises(ConfigurationError, match="Cannot parse access token"):
        instagram.fetch(ig_channel(platform_server), None)


def test_instagram_500_raises_transient_error(platform_server) -> None:
    platform_server.route("GET", MEDIA, json_response("instagram/media_page1.json"))
    platform_server.route("GET", COMMENTS_101, Canned(502, "Bad Gateway"))
    with pytest.raises(TransientError):
        instagram.fetch(ig_channel(platform_server), None)


def test_instagram_malformed_comments_raise_malformed_response(platform_server) -> None:
    platform_server.route("GET", MEDIA, json_response("instagram/media_page1.json"))
    platform_server.route("GET", COMMENTS_101, json_response({"data": {"id": "not a list"}}))
    with pytest.raises(MalformedResponse):
        instagram.fetch(ig_channel(platform_server), None)


def test_instagram_needs_the_ig_user_id() -> None:
    with pytest.raises(ConfigurationError, match="'ig_user_id'"):
        instagram.fetch(FakeChannel("instagram", {}, {"access_token": "t"}), None)
