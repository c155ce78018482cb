"""The shared connector HTTP layer: error mapping, size cap, redirects with SSRF checks, parsers."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta

import pytest

from apps.channels import ssrf
from apps.channels.connectors import http
from apps.channels.connectors.base import (
    ConfigurationError,
    MalformedResponse,
    RateLimited,
    RequestRejected,
    TransientError,
)

from .fakeplatform import Canned, json_response

P = "testplatform"


def test_get_json_returns_the_parsed_body_and_identifies_rapport(platform_server) -> None:
    platform_server.route("GET", "/api/items", json_response({"items": [1, 2]}))
    assert http.get_json(platform_server.url + "/api/items", platform=P) == {"items": [1, 2]}
    assert platform_server.requests[0].headers["user-agent"].startswith("Rapport/")


def test_params_are_merged_into_the_query_and_none_values_dropped(platform_server) -> None:
    platform_server.route("GET", "/search", json_response([]))
    http.get_json(
        platform_server.url + "/search?lang=en",
        platform=P,
        params={"q": "northwind coffee", "types[]": "mention", "cursor": None},
    )
    assert platform_server.requests[0].query == {
        "lang": ["en"],
        "q": ["northwind coffee"],
        "types[]": ["mention"],
    }


def test_post_json_sends_a_json_body(platform_server) -> None:
    platform_server.route("POST", "/things", json_response({"id": "7"}, 201))
    answer = http.post_json(platform_server.url + "/things", {"text": "hi ☕"}, platform=P)
    request = platform_server.requests[0]
    assert answer == {"id": "7"}
    assert request.headers["content-type"] == "application/json"
    assert request.json() == {"text": "hi ☕"}


def test_post_form_sends_an_urlencoded_body(platform_server) -> None:
    platform_server.route("POST", "/form", json_response({"ok": True}))
    http.post_form(platform_server.url + "/form", {"text": "a&b=c", "skip": None}, platform=P)
    request = platform_server.requests[0]
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form() == {"text": "a&b=c"}


def test_429_with_retry_after_seconds_raises_rate_limited(platform_server) -> None:
    platform_server.route(
        "GET", "/x", json_response({"error": "slow down"}, 429, **{"Retry-After": "120"})
    )
    with pytest.raises(RateLimited, match="slow down") as caught:
        http.get_json(platform_server.url + "/x", platform=P)
    assert caught.value.retry_after == 120
    assert caught.value.retryable


def test_429_with_http_date_retry_after_waits_until_that_time(platform_server) -> None:
    when = datetime.now(UTC) + timedelta(seconds=90)
    header = when.strftime("%a, %d %b %Y %H:%M:%S GMT")
    platform_server.route("GET", "/x", Canned(429, b"", {"Retry-After": header}))
    with pytest.raises(RateLimited) as caught:
        http.get(platform_server.url + "/x", platform=P)
    assert 80 <= caught.value.retry_after <= 91


def test_429_without_retry_after_uses_the_default_delay(platform_server) -> None:
    platform_server.route("GET", "/x", Canned(429))
    with pytest.raises(RateLimited) as caught:
        http.get(platform_server.url + "/x", platform=P)
    assert caught.value.retry_after == http.DEFAULT_RETRY_AFTER


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_raise_transient_error(platform_server, status: int) -> None:
    platform_server.route("GET", "/x", Canned(status, "upstream broke"))
    with pytest.raises(TransientError, match=str(status)) as caught:
        http.get(platform_server.url + "/x", platform=P)
    assert caught.value.retryable
    assert not isinstance(caught.value, RateLimited)


def test_timeout_raises_transient_error(platform_server) -> None:
    platform_server.route("GET", "/slow", Canned(200, "late", delay=1.0))
    with pytest.raises(TransientError, match="timed out"):
        http.get(platform_server.url + "/slow", platform=P, timeout=0.2)


def test_connection_refused_raises_transient_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(TransientError, match="connection"):
        http.get(f"http://127.0.0.1:{port}/", platform=P)


@pytest.mark.parametrize("status", [401, 403, 404])
def test_auth_and_not_found_errors_raise_configuration_error_with_platform_message(
    platform_server, status: int
) -> None:
    platform_server.route(
        "GET", "/x", json_response({"error": "The access token is invalid"}, status)
    )
    with pytest.raises(ConfigurationError, match="The access token is invalid") as caught:
        http.get(platform_server.url + "/x", platform=P)
    assert str(status) in str(caught.value)
    assert not caught.value.retryable


def test_other_client_errors_raise_request_rejected(platform_server) -> None:
    platform_server.route(
        "POST", "/x", json_response({"error": "Validation failed: Text too long"}, 422)
    )
    with pytest.raises(RequestRejected, match="Text too long"):
        http.post_json(platform_server.url + "/x", {}, platform=P)


def test_invalid_json_raises_malformed_response(platform_server) -> None:
    platform_server.route(
        "GET", "/x", Canned(200, '{"items": [1, 2', {"Content-Type": "application/json"})
    )
    with pytest.raises(MalformedResponse, match="invalid JSON"):
        http.get_json(platform_server.url + "/x", platform=P)


def test_declared_oversized_response_raises_malformed_response(platform_server) -> None:
    platform_server.route("GET", "/big", Canned(200, b"x" * 2048))
    with pytest.raises(MalformedResponse, match="exceeds the 1024 bytes size limit"):
        http.get(platform_server.url + "/big", platform=P, max_bytes=1024)


def test_streamed_oversized_response_is_cut_off_at_the_cap(platform_server) -> None:
    platform_server.route("GET", "/big", Canned(200, b"x" * (6 * 1024 * 1024), send_length=False))
    with pytest.raises(MalformedResponse, match="exceeds the 5 MB size limit"):
        http.get(platform_server.url + "/big", platform=P)


def test_error_messages_leave_out_the_query_string(platform_server) -> None:
    platform_server.route("GET", "/x", Canned(500))
    with pytest.raises(TransientError) as caught:
        http.get(platform_server.url + "/x", platform=P, params={"key": "SECRET-API-KEY"})
    assert "SECRET-API-KEY" not in str(caught.value)


def test_error_hook_can_reclassify_a_platform_error(platform_server) -> None:
    platform_server.route(
        "GET", "/x", json_response({"error": {"code": 4, "message": "limit"}}, 403)
    )

    def hook(status, body, message):
        return RateLimited(message, 300) if body["error"]["code"] == 4 else None

    with pytest.raises(RateLimited) as caught:
        http.get(platform_server.url + "/x", platform=P, error_hook=hook)
    assert caught.value.retry_after == 300


def test_redirects_are_followed(platform_server) -> None:
    platform_server.route("GET", "/old", Canned(301, headers={"Location": "/new?page=2"}))
    platform_server.route("GET", "/new", json_response({"moved": True}))
    assert http.get_json(platform_server.url + "/old", platform=P) == {"moved": True}
    assert platform_server.requests[1].param("page") == "2"


def test_redirect_to_a_private_address_is_refused(platform_server) -> None:
    platform_server.route(
        "GET", "/feed", Canned(302, headers={"Location": "http://10.0.0.7/admin"})
    )
    with pytest.raises(ConfigurationError, match=r"10\.0\.0\.7.*private"):
        http.get(platform_server.url + "/feed", platform=P)


def test_redirect_to_the_metadata_address_is_refused(platform_server) -> None:
    location = "http://169.254.169.254/latest/meta-data/iam/"
    platform_server.route("GET", "/feed", Canned(307, headers={"Location": location}))
    with pytest.raises(ConfigurationError, match="metadata"):
        http.get(platform_server.url + "/feed", platform=P)


def test_loopback_url_is_refused_before_any_request_when_not_allowed(
    platform_server, loopback_settings
) -> None:
    loopback_settings.RAPPORT_ALLOW_LOOPBACK_URLS = False
    with pytest.raises(ConfigurationError, match="loopback"):
        http.get(platform_server.url + "/feed", platform=P)
    assert platform_server.requests == []


def test_redirect_to_a_file_url_is_refused(platform_server) -> None:
    platform_server.route("GET", "/feed", Canned(302, headers={"Location": "file:///etc/passwd"}))
    with pytest.raises(ConfigurationError, match="scheme"):
        http.get(platform_server.url + "/feed", platform=P)


def test_more_than_five_redirects_are_refused(platform_server) -> None:
    platform_server.route("GET", "/loop", Canned(302, headers={"Location": "/loop"}))
    with pytest.raises(ConfigurationError, match="more than 5 redirects"):
        http.get(platform_server.url + "/loop", platform=P)
    assert len(platform_server.requests) == 6


def test_cross_origin_redirect_drops_the_authorization_header(platform_server) -> None:
    other_origin = platform_server.url.replace("127.0.0.1", "localhost") + "/landing"
    platform_server.route("GET", "/start", Canned(302, headers={"Location": other_origin}))
    platform_server.route("GET", "/landing", json_response({}))
    http.get(platform_server.url + "/start", platform=P, headers={"Authorization": "Bearer s3cret"})
    first, second = platform_server.requests
    assert first.headers["authorization"] == "Bearer s3cret"
    assert "authorization" not in second.headers


def test_same_origin_redirect_keeps_the_authorization_header(platform_server) -> None:
    platform_server.route("GET", "/start", Canned(302, headers={"Location": "/landing"}))
    platform_server.route("GET", "/landing", json_response({}))
    http.get(platform_server.url + "/start", platform=P, headers={"Authorization": "Bearer s3cret"})
    assert platform_server.requests[1].headers["authorization"] == "Bearer s3cret"


def test_303_after_post_continues_with_get_and_no_body(platform_server) -> None:
    platform_server.route("POST", "/submit", Canned(303, headers={"Location": "/result"}))
    platform_server.route("GET", "/result", json_response({"done": True}))
    assert http.post_json(platform_server.url + "/submit", {"a": 1}, platform=P) == {"done": True}
    assert platform_server.requests[1].method == "GET"
    assert platform_server.requests[1].body == b""


def test_307_repeats_the_post_with_its_body(platform_server) -> None:
    platform_server.route("POST", "/submit", Canned(307, headers={"Location": "/v2/submit"}))
    platform_server.route("POST", "/v2/submit", json_response({"done": True}))
    http.post_json(platform_server.url + "/submit", {"a": 1}, platform=P)
    assert platform_server.requests[1].method == "POST"
    assert platform_server.requests[1].json() == {"a": 1}


def test_host_re_resolving_to_loopback_at_connect_time_is_refused(
    monkeypatch, loopback_settings
) -> None:
    """DNS rebinding: the URL check sees a public address, the connection would get loopback."""
    loopback_settings.RAPPORT_ALLOW_LOOPBACK_URLS = False
    answers = iter(["1.1.1.1", "127.0.0.1", "127.0.0.1"])

    def getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(ssrf.socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(ConfigurationError, match="loopback"):
        http.get("http://rebind.example/feed", platform=P)


@pytest.mark.parametrize(
    ("header", "links"),
    [
        (None, {}),
        (
            '<https://social.example/api/v1/notifications?max_id=5118>; rel="next", '
            '<https://social.example/api/v1/notifications?min_id=5120>; rel="prev"',
            {
                "next": "https://social.example/api/v1/notifications?max_id=5118",
                "prev": "https://social.example/api/v1/notifications?min_id=5120",
            },
        ),
        ('<https://a.example/2>; rel=next; title="two"', {"next": "https://a.example/2"}),
        (
            '<https://a.example/s>; rel="self alternate"',
            {"self": "https://a.example/s", "alternate": "https://a.example/s"},
        ),
    ],
)
def test_parse_link_header(header, links) -> None:
    assert http.parse_link_header(header) == links


NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Tue, 24 Nov 2026 12:01:30 GMT", 90.0),
        ("Tue, 24 Nov 2026 11:00:00 GMT", 0.0),  # in the past
        ("-5", 0.0),
        ("9999999", http.MAX_RETRY_AFTER),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after(value, seconds) -> None:
    assert http.parse_retry_after(value, now=NOW) == seconds


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-24T10:15:30.000Z", datetime(2026, 11, 24, 10, 15, 30, tzinfo=UTC)),
        ("2026-11-24T10:15:30+0000", datetime(2026, 11, 24, 10, 15, 30, tzinfo=UTC)),
        ("2026-11-24T11:15:30+01:00", datetime(2026, 11, 24, 10, 15, 30, tzinfo=UTC)),
        ("2026-11-24T10:15:30.123456789Z", datetime(2026, 11, 24, 10, 15, 30, 123456, tzinfo=UTC)),
        ("2026-11-24T10:15:30", datetime(2026, 11, 24, 10, 15, 30, tzinfo=UTC)),
        ("Tue, 24 Nov 2026 10:15:30 GMT", datetime(2026, 11, 24, 10, 15, 30, tzinfo=UTC)),
        ("Tue, 24 Nov 2026 11:15:30 +0100", datetime(2026, 11, 24, 10, 15, 30, tzinfo=UTC)),
        (1795514400, datetime(2026, 11, 24, 10, 0, tzinfo=UTC)),
        (1795514400.5, datetime(2026, 11, 24, 10, 0, 0, 500000, tzinfo=UTC)),
    ],
)
def test_parse_timestamp_returns_aware_datetimes(value, expected) -> None:
    parsed = http.parse_timestamp(value)
    assert parsed == expected
    assert parsed.tzinfo is not None


@pytest.mark.parametrize("value", ["yesterday", "", None, True, "31/11/2026", 10**20])
def test_parse_timestamp_rejects_garbage(value) -> None:
    with pytest.raises(ValueError):
        http.parse_timestamp(value)


def test_parse_timestamp_can_require_an_offset() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        http.parse_timestamp("2026-11-24T10:15:30", naive_as_utc=False)
