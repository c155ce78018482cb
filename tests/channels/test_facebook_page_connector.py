"""Facebook Page connector: feed with nested comments, Graph paging, errors and comment replies."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from apps.channels.connectors import facebook_page
from apps.channels.connectors.base import (
    ConfigurationError,
    MalformedResponse,
    RateLimited,
    RequestRejected,
    TransientError,
)

from .fakeplatform import Canned, FakeChannel, json_response

PAGE_ID = "104882391112233"
FEED = f"/v19.0/{PAGE_ID}/feed"


def page_channel(server, **credentials) -> FakeChannel:
    return FakeChannel(
        "facebook_page",
        {"base_url": server.url + "/v19.0", "page_id": PAGE_ID},
        {"access_token": "EAAB-page-token", **credentials},
    )


def test_facebook_feed_yields_visitor_posts_and_comments_but_not_the_pages_own(
    platform_server,
) -> None:
    platform_server.route("GET", FEED, json_response("facebook_page/feed_page1.json"))
    page = facebook_page.fetch(page_channel(platform_server), None)

    request = platform_server.requests[0]
    assert request.param("access_token") == "EAAB-page-token"
    assert request.param("limit") == "25"
    assert request.param("fields").startswith(
        "id,message,created_time,updated_time,permalink_url,from{id,name},"
    )
    assert "comments.limit(100).order(reverse_chronological).filter(stream){" in request.param(
        "fields"
    )

    joe, ana, kai = page.items
    assert joe.external_id == "901200000000101_1600000000000002"
    assert joe.kind == "reply"
    assert joe.parent_external_id == "901200000000101_1600000000000001"
    assert joe.text == "Will the Commuter 3 ship before spring?"
    assert joe.posted_at == datetime(2026, 11, 24, 9, 40, tzinfo=UTC)
    assert joe.author.handle == "Joe Parker"
    assert joe.author.profile_url == "https://www.facebook.com/7744120033551001"
    assert joe.url.endswith("?comment_id=1600000000000002")

    assert ana.kind == "comment"
    assert ana.parent_external_id == f"{PAGE_ID}_901200000000101"
    assert ana.engagement == 12 + 2

    assert kai.kind == "post"
    assert kai.external_id == f"{PAGE_ID}_901200000000099"
    assert kai.text.startswith("My Lumen's rear light stopped working")
    assert kai.url == f"https://www.facebook.com/{PAGE_ID}/posts/901200000000099"
    assert page.has_more is True  # a first fetch backfills older feed pages
    assert page.next_cursor == {
        "top": "2026-11-24T09:40:00+00:00",
        "page": "QVFIUkFGVEVSMQ",
        "pages": 1,
    }


def test_facebook_pages_with_the_after_cursor_until_the_mark(platform_server) -> None:
    platform_server.route(
        "GET",
        FEED,
        json_response("facebook_page/feed_page1.json"),
        json_response("facebook_page/feed_page2.json"),
        json_response("facebook_page/feed_page1.json"),
    )
    channel = page_channel(platform_server)

    first = facebook_page.fetch(channel, {"mark": "2026-09-01T00:00:00+00:00"})
    assert len(first.items) == 3
    assert first.has_more is True  # paging.next is present
    assert first.next_cursor["page"] == "QVFIUkFGVEVSMQ"

    second = facebook_page.fetch(channel, first.next_cursor)
    assert [m.text for m in second.items] == ["Great list, printed it for the garage."]
    assert second.has_more is False  # no paging.next: the last page
    assert second.next_cursor == {"mark": "2026-11-24T09:40:00+00:00"}

    follow_up = facebook_page.fetch(channel, second.next_cursor)
    assert [m.external_id for m in follow_up.items] == [
        "901200000000101_1600000000000002"
    ]  # overlap
    assert follow_up.has_more is False  # the page reached posts last updated before the mark
    assert [r.param("after") for r in platform_server.requests] == [None, "QVFIUkFGVEVSMQ", None]


def test_facebook_app_secret_adds_appsecret_proof(platform_server) -> None:
    platform_server.route("GET", FEED, json_response("facebook_page/feed_page2.json"))
    facebook_page.fetch(page_channel(platform_server, app_secret="app-secret-1"), None)
    expected = hmac.new(b"app-secret-1", b"EAAB-page-token", hashlib.sha256).hexdigest()
    assert platform_server.requests[0].param("appsecret_proof") == expected


def test_facebook_reply_posts_a_message_to_the_comment(platform_server) -> None:
    comment_id = "901200000000101_1600000000000002"
    platform_server.route(
        "POST", f"/v19.0/{comment_id}/comments", json_response("facebook_page/comment_created.json")
    )
    result = facebook_page.reply(
        page_channel(platform_server), comment_id, "Thanks Joe, it ships in March!"
    )

    request = platform_server.requests[0]
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form() == {
        "message": "Thanks Joe, it ships in March!",
        "access_token": "EAAB-page-token",
    }
    assert result.external_id == "901200000000101_1600000000000009"


def test_facebook_expired_token_raises_configuration_error(platform_server) -> None:
    platform_server.route("GET", FEED, json_response("facebook_page/error_expired_token.json", 400))
    with pytest.raises(ConfigurationError, match="Session has expired"):
        facebook_page.fetch(page_channel(platform_server), None)


def test_facebook_application_request_limit_raises_rate_limited(platform_server) -> None:
    platform_server.route("GET", FEED, json_response("facebook_page/error_rate_limit.json", 403))
    with pytest.raises(RateLimited, match="request limit reached") as caught:
        facebook_page.fetch(page_channel(platform_server), None)
    assert caught.value.retry_after == 300


def test_facebook_429_with_retry_after_raises_rate_limited(platform_server) -> None:
    platform_server.route("GET", FEED, Canned(429, "", {"Retry-After": "61"}))
    with pytest.raises(RateLimited) as caught:
        facebook_page.fetch(page_channel(platform_server), None)
    assert caught.value.retry_after == 61


def test_facebook_other_graph_errors_raise_request_rejected(platform_server) -> None:
    body = {
        "error": {
            "message": "(#100) Tried accessing nonexisting field (feeds)",
            "type": "OAuthException",
            "code": 100,
        }
    }
    platform_server.route("GET", FEED, json_response(body, 400))
    with pytest.raises(RequestRejected, match="nonexisting field"):
        facebook_page.fetch(page_channel(platform_server), None)


def test_facebook_401_raises_configuration_error(platform_server) -> None:
    platform_server.route(
        "GET",
        FEED,
        json_response({"error": {"message": "Invalid OAuth access token.", "code": 2500}}, 401),
    )
    with pytest.raises(ConfigurationError, match="Invalid OAuth access token"):
        facebook_page.fetch(page_channel(platform_server), None)


def test_facebook_500_raises_transient_error(platform_server) -> None:
    platform_server.route(
        "GET",
        FEED,
        json_response({"error": {"message": "An unknown error occurred", "code": 1}}, 500),
    )
    with pytest.raises(TransientError):
        facebook_page.fetch(page_channel(platform_server), None)


def test_facebook_malformed_body_raises_malformed_response(platform_server) -> None:
    platform_server.route("GET", FEED, json_response({"data": [{"id": "x"}]}))
    with pytest.raises(MalformedResponse):
        facebook_page.fetch(page_channel(platform_server), None)


def test_facebook_needs_a_page_id() -> None:
    with pytest.raises(ConfigurationError, match="'page_id'"):
        facebook_page.fetch(FakeChannel("facebook_page", {}, {"access_token": "t"}), None)


def test_facebook_needs_an_access_token(platform_server) -> None:
    channel = FakeChannel(
        "facebook_page", {"base_url": platform_server.url, "page_id": PAGE_ID}, {}
    )
    with pytest.raises(ConfigurationError, match="'access_token'"):
        facebook_page.fetch(channel, None)
