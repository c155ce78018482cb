"""YouTube connector: commentThreads paging with pageToken, quota errors and comment replies."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from apps.channels.connectors import youtube
from apps.channels.connectors.base import (
    ConfigurationError,
    MalformedResponse,
    RateLimited,
    TransientError,
)

from .fakeplatform import Canned, FakeChannel, json_response

THREADS = "/youtube/v3/commentThreads"
VIDEO = "nWcR0aSt3r1"
JOE_COMMENT = "UgzK1lqAaBbCc1dEeFf4AaABAg"


def youtube_channel(server, credentials=None, **config) -> FakeChannel:
    config = {"base_url": server.url, **(config or {"video_id": VIDEO})}
    return FakeChannel("youtube", config, {"api_key": "AIzaTestKey", **(credentials or {})})


def test_youtube_comment_threads_and_embedded_replies_are_parsed(platform_server) -> None:
    platform_server.route("GET", THREADS, json_response("youtube/comment_threads_page1.json"))
    page = youtube.fetch(youtube_channel(platform_server), None)

    request = platform_server.requests[0]
    assert request.query == {
        "part": ["snippet,replies"],
        "videoId": [VIDEO],
        "maxResults": ["100"],
        "order": ["time"],
        "textFormat": ["plainText"],
        "key": ["AIzaTestKey"],
    }
    joe, mark, lena = page.items
    assert joe.external_id == JOE_COMMENT
    assert joe.kind == "comment"
    assert joe.text == "The V60 tip at 3:12 changed my mornings. Thanks Northwind!"
    assert joe.posted_at == datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
    assert joe.author.handle == "@joeparker"
    assert joe.author.display_name == "joeparker"
    assert joe.author.profile_url == "http://www.youtube.com/@joeparker"
    assert joe.url == f"https://www.youtube.com/watch?v={VIDEO}&lc={JOE_COMMENT}"
    assert joe.parent_external_id == VIDEO
    assert joe.engagement == 25 + 3  # likes + total replies

    assert mark.kind == "reply"
    assert mark.external_id == f"{JOE_COMMENT}.9zX1abcDEF01"
    assert mark.parent_external_id == JOE_COMMENT
    assert mark.engagement == 2
    assert lena.posted_at == datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    assert page.has_more is True  # a first fetch backfills older threads
    assert page.next_cursor == {
        "top": "2026-11-24T11:00:00+00:00",
        "page": "QURTSl9pM0FfQnBHc2t0bnQ=",
        "pages": 1,
    }


def test_youtube_channel_id_lists_all_threads_related_to_the_channel(platform_server) -> None:
    platform_server.route("GET", THREADS, json_response("youtube/comment_threads_page2.json"))
    youtube.fetch(youtube_channel(platform_server, channel_id="UCnorthwindcoffee0000001"), None)
    request = platform_server.requests[0]
    assert request.param("allThreadsRelatedToChannelId") == "UCnorthwindcoffee0000001"
    assert request.param("videoId") is None


def test_youtube_pages_with_page_token_until_the_mark(platform_server) -> None:
    platform_server.route(
        "GET",
        THREADS,
        json_response("youtube/comment_threads_page1.json"),
        json_response("youtube/comment_threads_page2.json"),
        json_response("youtube/comment_threads_page1.json"),
    )
    channel = youtube_channel(platform_server)

    first = youtube.fetch(channel, {"mark": "2026-11-19T00:00:00+00:00"})
    assert len(first.items) == 3
    assert first.has_more is True
    assert first.next_cursor["page"] == "QURTSl9pM0FfQnBHc2t0bnQ="

    second = youtube.fetch(channel, first.next_cursor)
    assert [m.author.handle for m in second.items] == ["@kai_rides"]
    assert second.has_more is False
    assert second.next_cursor == {"mark": "2026-11-24T11:00:00+00:00"}

    follow_up = youtube.fetch(channel, second.next_cursor)
    assert [m.external_id for m in follow_up.items] == [
        f"{JOE_COMMENT}.9zX1abcDEF01"
    ]  # within the overlap
    assert follow_up.has_more is False
    assert [r.param("pageToken") for r in platform_server.requests] == [
        None,
        "QURTSl9pM0FfQnBHc2t0bnQ=",
        None,
    ]


def test_youtube_reply_posts_a_comment_with_parent_id(platform_server) -> None:
    platform_server.route(
        "POST", "/youtube/v3/comments", json_response("youtube/comment_inserted.json")
    )
    channel = youtube_channel(platform_server, {"access_token": "ya29.oauth-token"})
    result = youtube.reply(
        channel, f"{JOE_COMMENT}.9zX1abcDEF01", "Thanks Joe! Medium-fine, like table salt."
    )

    request = platform_server.requests[0]
    assert request.param("part") == "snippet"
    assert request.headers["authorization"] == "Bearer ya29.oauth-token"
    assert request.headers["content-type"] == "application/json"
    # A reply to a reply goes to the thread's top-level comment: YouTube threads are one level deep.
    assert request.json() == {
        "snippet": {
            "parentId": JOE_COMMENT,
            "textOriginal": "Thanks Joe! Medium-fine, like table salt.",
        }
    }
    assert result.external_id == f"{JOE_COMMENT}.9zX2nwReply99"
    assert result.url == f"https://www.youtube.com/watch?v={VIDEO}&lc={JOE_COMMENT}.9zX2nwReply99"


def test_youtube_reply_needs_an_oauth_access_token(platform_server) -> None:
    with pytest.raises(ConfigurationError, match="'access_token'"):
        youtube.reply(youtube_channel(platform_server), JOE_COMMENT, "hi")


def test_youtube_quota_exceeded_raises_rate_limited(platform_server) -> None:
    platform_server.route("GET", THREADS, json_response("youtube/error_quota.json", 403))
    with pytest.raises(RateLimited, match="quota") as caught:
        youtube.fetch(youtube_channel(platform_server), None)
    assert caught.value.retry_after == 3600


def test_youtube_429_with_retry_after_raises_rate_limited(platform_server) -> None:
    platform_server.route("GET", THREADS, Canned(429, "", {"Retry-After": "5"}))
    with pytest.raises(RateLimited) as caught:
        youtube.fetch(youtube_channel(platform_server), None)
    assert caught.value.retry_after == 5


def test_youtube_invalid_api_key_raises_configuration_error(platform_server) -> None:
    platform_server.route("GET", THREADS, json_response("youtube/error_bad_key.json", 400))
    with pytest.raises(ConfigurationError, match="API key not valid"):
        youtube.fetch(youtube_channel(platform_server), None)


def test_youtube_disabled_comments_raise_configuration_error(platform_server) -> None:
    platform_server.route(
        "GET", THREADS, json_response("youtube/error_comments_disabled.json", 403)
    )
    with pytest.raises(ConfigurationError, match="disabled comments"):
        youtube.fetch(youtube_channel(platform_server), None)


def test_youtube_401_raises_configuration_error(platform_server) -> None:
    body = {"error": {"code": 401, "message": "Request had invalid authentication credentials."}}
    platform_server.route("POST", "/youtube/v3/comments", json_response(body, 401))
    with pytest.raises(ConfigurationError, match="invalid authentication credentials"):
        youtube.reply(
            youtube_channel(platform_server, {"access_token": "expired"}), JOE_COMMENT, "hi"
        )


def test_youtube_500_raises_transient_error(platform_server) -> None:
    platform_server.route(
        "GET", THREADS, json_response({"error": {"code": 500, "message": "Backend Error"}}, 500)
    )
    with pytest.raises(TransientError, match="Backend Error"):
        youtube.fetch(youtube_channel(platform_server), None)


def test_youtube_malformed_body_raises_malformed_response(platform_server) -> None:
    platform_server.route(
        "GET", THREADS, json_response({"kind": "youtube#commentThreadListResponse"})
    )
    with pytest.raises(MalformedResponse):
        youtube.fetch(youtube_channel(platform_server), None)


def test_youtube_truncated_json_raises_malformed_response(platform_server) -> None:
    platform_server.route(
        "GET", THREADS, Canned(200, '{"items": [', {"Content-Type": "application/json"})
    )
    with pytest.raises(MalformedResponse, match="invalid JSON"):
        youtube.fetch(youtube_channel(platform_server), None)


def test_youtube_needs_a_video_or_channel_id(platform_server) -> None:
    with pytest.raises(ConfigurationError, match="'video_id' or 'channel_id'"):
        youtube.fetch(
            FakeChannel("youtube", {"base_url": platform_server.url}, {"api_key": "k"}), None
        )


def test_youtube_needs_an_api_key(platform_server) -> None:
    with pytest.raises(ConfigurationError, match="'api_key'"):
        youtube.fetch(FakeChannel("youtube", {"video_id": VIDEO}, {}), None)
