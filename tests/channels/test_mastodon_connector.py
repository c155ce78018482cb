"""Mastodon connector against recorded-shape API responses on the local fake platform."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from apps.channels.connectors import mastodon
from apps.channels.connectors.base import (
    ConfigurationError,
    MalformedResponse,
    RateLimited,
    TransientError,
)

from .fakeplatform import Canned, FakeChannel, json_response

NOTIFICATIONS = "/api/v1/notifications"
TOKEN = {"access_token": "mastodon-token-123"}


def mastodon_channel(server, **config) -> FakeChannel:
    return FakeChannel("mastodon", {"base_url": server.url, **config}, dict(TOKEN))


def link(server, max_id: str, min_id: str) -> str:
    return (
        f'<{server.url}{NOTIFICATIONS}?max_id={max_id}>; rel="next", '
        f'<{server.url}{NOTIFICATIONS}?min_id={min_id}>; rel="prev"'
    )


def test_mastodon_mentions_are_parsed_from_notifications(platform_server) -> None:
    platform_server.route("GET", NOTIFICATIONS, json_response("mastodon/notifications_page1.json"))
    page = mastodon.fetch(mastodon_channel(platform_server), None)

    request = platform_server.requests[0]
    assert request.param("types[]") == "mention"
    assert request.param("limit") == "40"
    assert request.headers["authorization"] == "Bearer mastodon-token-123"

    joe, mark = page.items
    assert joe.external_id == "113500000000000900"
    assert joe.text == (
        "@northwind thanks for the fast refund & the handwritten note!\nMade my week.\n\n"
        "Order #nw 4471"
    )
    assert joe.posted_at == datetime(2026, 11, 24, 10, 15, 30, tzinfo=UTC)
    assert joe.kind == "reply"
    assert joe.parent_external_id == "113499000000000100"
    assert joe.url == "https://coffee.town/@joe/113500000000000900"
    assert joe.language == "en"
    assert joe.engagement == 1 + 2 + 14
    assert joe.author.handle == "joe@coffee.town"
    assert joe.author.display_name == "Joe Parker ☕"
    assert joe.author.followers == 1532
    assert joe.author.profile_url == "https://coffee.town/@joe"

    assert mark.kind == "message"  # a direct mention
    assert mark.text.startswith("coupon typo\n\n@northwind your NW10 coupon")
    assert mark.author.handle == "markb"
    assert mark.parent_external_id == ""


def test_mastodon_first_fetch_takes_the_newest_page_and_sets_the_floor(platform_server) -> None:
    platform_server.route(
        "GET",
        NOTIFICATIONS,
        json_response(
            "mastodon/notifications_page1.json", Link=link(platform_server, "5118", "5120")
        ),
    )
    page = mastodon.fetch(mastodon_channel(platform_server), None)
    assert page.has_more is False
    assert page.next_cursor == {"since_id": "5120"}


def test_mastodon_pages_back_with_max_id_until_the_floor(platform_server, monkeypatch) -> None:
    monkeypatch.setattr(mastodon, "PAGE_SIZE", 2)
    platform_server.route(
        "GET",
        NOTIFICATIONS,
        json_response(
            "mastodon/notifications_page1.json", Link=link(platform_server, "5118", "5120")
        ),
        json_response(
            "mastodon/notifications_page2.json", Link=link(platform_server, "5109", "5109")
        ),
        json_response([]),
    )
    channel = mastodon_channel(platform_server)

    first = mastodon.fetch(channel, {"since_id": "5000"})
    assert [m.external_id for m in first.items] == ["113500000000000900", "113499800000000800"]
    assert first.has_more is True
    assert first.next_cursor == {"since_id": "5000", "max_id": "5118", "top": "5120"}

    second = mastodon.fetch(channel, first.next_cursor)
    assert [m.external_id for m in second.items] == ["113497000000000700"]
    assert second.has_more is False
    assert second.next_cursor == {"since_id": "5120"}

    follow_up = mastodon.fetch(channel, second.next_cursor)
    assert follow_up.items == []
    assert follow_up.has_more is False
    assert follow_up.next_cursor == {"since_id": "5120"}

    queries = [
        (r.param("since_id"), r.param("max_id"), r.param("limit")) for r in platform_server.requests
    ]
    assert queries == [("5000", None, "2"), ("5000", "5118", "2"), ("5120", None, "2")]


def test_mastodon_first_fetch_backfills_up_to_backfill_pages(platform_server, monkeypatch) -> None:
    monkeypatch.setattr(mastodon, "PAGE_SIZE", 2)
    platform_server.route(
        "GET",
        NOTIFICATIONS,
        json_response(
            "mastodon/notifications_page1.json", Link=link(platform_server, "5118", "5120")
        ),
        json_response(
            "mastodon/notifications_page1.json", Link=link(platform_server, "5100", "5118")
        ),
    )
    channel = mastodon_channel(platform_server, backfill_pages=2)

    first = mastodon.fetch(channel, None)
    assert first.has_more is True  # a full page: older history is waiting
    assert first.next_cursor == {"max_id": "5118", "top": "5120", "pages": 1}

    second = mastodon.fetch(channel, first.next_cursor)
    assert second.has_more is False  # the backfill depth is reached
    assert second.next_cursor == {"since_id": "5120"}  # the newest id of the first page
    queries = [(r.param("since_id"), r.param("max_id")) for r in platform_server.requests]
    assert queries == [(None, None), (None, "5118")]


def test_mastodon_first_fetch_stops_at_the_start_of_the_stream(
    platform_server, monkeypatch
) -> None:
    monkeypatch.setattr(mastodon, "PAGE_SIZE", 2)
    platform_server.route(
        "GET",
        NOTIFICATIONS,
        json_response(
            "mastodon/notifications_page1.json", Link=link(platform_server, "5118", "5120")
        ),
        json_response(
            "mastodon/notifications_page2.json", Link=link(platform_server, "5109", "5109")
        ),
    )
    channel = mastodon_channel(platform_server)
    first = mastodon.fetch(channel, None)
    second = mastodon.fetch(channel, first.next_cursor)
    assert [m.external_id for m in second.items] == ["113497000000000700"]
    assert (first.has_more, second.has_more) == (True, False)
    assert second.next_cursor == {"since_id": "5120"}


def test_mastodon_skips_notifications_that_are_not_mentions(platform_server) -> None:
    follow = {
        "id": "5121",
        "type": "follow",
        "created_at": "2026-11-24T11:00:00.000Z",
        "account": {},
    }
    platform_server.route("GET", NOTIFICATIONS, json_response([follow]))
    page = mastodon.fetch(mastodon_channel(platform_server), None)
    assert page.items == []
    assert page.next_cursor == {"since_id": "5121"}


def test_mastodon_hashtag_mode_reads_the_tag_timeline_without_boosts(platform_server) -> None:
    platform_server.route(
        "GET", "/api/v1/timelines/tag/NorthwindWinter", json_response("mastodon/tag_timeline.json")
    )
    channel = FakeChannel(
        "mastodon",
        {"base_url": platform_server.url, "mode": "hashtag", "hashtag": "#NorthwindWinter"},
    )
    page = mastodon.fetch(channel, None)

    (status,) = page.items
    assert status.text == (
        "Morning pour-over with the #NorthwindWinter blend. "
        "Link: https://brewnotes.example/2026/11/northwind-winter-blend/"
    )
    assert status.author.handle == "lena@fedi.example"
    assert status.author.display_name == "lena"  # empty display name: the username
    assert "authorization" not in platform_server.requests[0].headers  # public timeline
    assert page.next_cursor == {"since_id": "113501000000000950"}


def test_mastodon_search_mode_uses_v2_search_with_min_id_floor(platform_server) -> None:
    platform_server.route("GET", "/api/v2/search", json_response("mastodon/search_statuses.json"))
    channel = mastodon_channel(platform_server, mode="search", query="northwind coffee")
    page = mastodon.fetch(channel, {"since_id": "113490000000000000"})

    request = platform_server.requests[0]
    assert request.param("q") == "northwind coffee"
    assert request.param("type") == "statuses"
    assert request.param("min_id") == "113490000000000000"
    assert [m.text for m in page.items] == ["Is Northwind Coffee shipping to Ireland yet?"]
    assert page.next_cursor == {"since_id": "113502000000000960"}


def test_mastodon_reply_posts_in_reply_to_status(platform_server) -> None:
    platform_server.route(
        "GET", "/api/v1/statuses/113499800000000800", json_response("mastodon/status_private.json")
    )
    platform_server.route("POST", "/api/v1/statuses", json_response("mastodon/status_created.json"))
    result = mastodon.reply(
        mastodon_channel(platform_server),
        "113499800000000800",
        "good catch, Mark! Fixed: NW10 runs to 30 November.",
    )

    post = platform_server.requests_to("POST", "/api/v1/statuses")[0]
    assert post.headers["authorization"] == "Bearer mastodon-token-123"
    assert post.headers["content-type"] == "application/json"
    assert len(post.headers["idempotency-key"]) == 64
    assert post.json() == {
        "status": "@markb good catch, Mark! Fixed: NW10 runs to 30 November.",
        "in_reply_to_id": "113499800000000800",
        "visibility": "private",  # never widen a followers-only conversation
    }
    assert result.external_id == "113502100000000999"
    assert result.url.endswith("/113502100000000999")


def test_mastodon_reply_keeps_an_existing_mention_of_the_author(platform_server) -> None:
    platform_server.route(
        "GET", "/api/v1/statuses/113500000000000900", json_response("mastodon/status_public.json")
    )
    platform_server.route("POST", "/api/v1/statuses", json_response("mastodon/status_created.json"))
    mastodon.reply(
        mastodon_channel(platform_server), "113500000000000900", "@joe@coffee.town thanks Joe!"
    )
    body = platform_server.requests_to("POST", "/api/v1/statuses")[0].json()
    assert body["status"] == "@joe@coffee.town thanks Joe!"
    assert body["visibility"] == "public"


def test_mastodon_429_with_retry_after_raises_rate_limited(platform_server) -> None:
    platform_server.route(
        "GET",
        NOTIFICATIONS,
        json_response({"error": "Too many requests"}, 429, **{"Retry-After": "300"}),
    )
    with pytest.raises(RateLimited) as caught:
        mastodon.fetch(mastodon_channel(platform_server), None)
    assert caught.value.retry_after == 300


def test_mastodon_500_raises_transient_error(platform_server) -> None:
    platform_server.route("GET", NOTIFICATIONS, Canned(500, "<html>We're sorry</html>"))
    with pytest.raises(TransientError):
        mastodon.fetch(mastodon_channel(platform_server), None)


def test_mastodon_malformed_json_raises_malformed_response(platform_server) -> None:
    platform_server.route(
        "GET",
        NOTIFICATIONS,
        Canned(200, '[{"id": "5120", "type": "mention"', {"Content-Type": "application/json"}),
    )
    with pytest.raises(MalformedResponse):
        mastodon.fetch(mastodon_channel(platform_server), None)


def test_mastodon_unexpected_shape_raises_malformed_response(platform_server) -> None:
    platform_server.route("GET", NOTIFICATIONS, json_response({"notifications": []}))
    with pytest.raises(MalformedResponse, match="list"):
        mastodon.fetch(mastodon_channel(platform_server), None)


def test_mastodon_401_raises_configuration_error_with_the_server_message(platform_server) -> None:
    platform_server.route(
        "GET", NOTIFICATIONS, json_response("mastodon/error_invalid_token.json", 401)
    )
    with pytest.raises(ConfigurationError, match="The access token is invalid"):
        mastodon.fetch(mastodon_channel(platform_server), None)


def test_mastodon_mentions_mode_requires_an_access_token(platform_server) -> None:
    with pytest.raises(ConfigurationError, match="'access_token'"):
        mastodon.fetch(FakeChannel("mastodon", {"base_url": platform_server.url}), None)


@pytest.mark.parametrize(
    ("config", "missing"),
    [
        ({"mode": "hashtag"}, "'hashtag'"),
        ({"mode": "search"}, "'query'"),
        ({"mode": "boosts"}, "'mode'"),
    ],
)
def test_mastodon_config_errors_name_the_key(platform_server, config, missing) -> None:
    with pytest.raises(ConfigurationError, match=missing):
        mastodon.fetch(mastodon_channel(platform_server, **config), None)


def test_mastodon_base_url_defaults_to_the_public_instance() -> None:
    assert mastodon.DEFAULT_BASE_URL == "https://mastodon.social"
