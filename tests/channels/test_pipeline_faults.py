"""Connector faults injected by the local fake platform, through the real fetch pipeline.

Each test ends, once the server recovers, with exactly the mentions the server offered — none lost,
none stored twice — and checks that the channel's health and its ``FetchRun`` rows tell what
happened: 429 with Retry-After, 5xx, timeouts, malformed JSON and XML, overlapping pages, bodies
cut off mid-page, and a page the database rejects part-way through its transaction.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from apps.channels.connectors import http, mastodon
from apps.channels.connectors.base import AuthorData, MentionData
from apps.channels.models import Channel, FetchRun
from apps.channels.services import channel_fetch
from apps.listening.models import Author, Mention

from .factories import make_channel, store_mentions
from .fakeplatform import Canned, FakePlatform, fixture, fixture_json, json_response

JSON_TYPE = {"Content-Type": "application/json; charset=utf-8"}
RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}


def stored_ids(channel: Channel) -> list[str]:
    """Every stored external id of the channel, repeats included, sorted."""
    return sorted(Mention.objects.filter(channel=channel).values_list("external_id", flat=True))


def reloaded(channel: Channel) -> Channel:
    channel.refresh_from_db()
    return channel


def assert_healthy(channel: Channel) -> None:
    channel = reloaded(channel)
    assert (channel.health, channel.consecutive_failures, channel.last_error) == ("ok", 0, "")


def assert_degraded(channel: Channel, run: FetchRun, message: str, failures: int = 1) -> None:
    """The run and the channel both name the failure; the next fetch waits (backoff)."""
    channel = reloaded(channel)
    assert run.errors == 1 and message in run.error_message
    assert channel.health == Channel.Health.DEGRADED
    assert channel.consecutive_failures == failures
    assert message in channel.last_error
    assert channel.next_fetch_at > run.finished_at


# --- bluesky pages -----------------------------------------------------------------------------

SEARCH = "/xrpc/app.bsky.feed.searchPosts"
BSKY_PAGE2_TOKEN = "2026-11-24T09:05:12.000Z::bafyreia2222"
JOE_URI = "at://did:plc:joeparker0000000000000/app.bsky.feed.post/3lbsa7kq2c22a"
MARK_URI = "at://did:plc:marksmith00000000000000/app.bsky.feed.post/3lbs7tt4xyz2b"
LENA_URI = "at://did:plc:lenavogel0000000000000/app.bsky.feed.post/3lbrzz0aa1b2c"


def bluesky_channel(server: FakePlatform) -> Channel:
    return make_channel(platform="bluesky", config={"base_url": server.url, "query": "northwind"})


# (1) --------------------------------------------------------------------------------------------


def test_rate_limit_on_page_two_keeps_page_one_and_resumes_at_page_two_after_retry_after(
    in_agency_a, platform_server: FakePlatform
) -> None:
    platform_server.route(
        "GET",
        SEARCH,
        json_response("bluesky/search_page1.json"),
        json_response({"error": "RateLimitExceeded"}, 429, **{"Retry-After": "120"}),
        json_response("bluesky/search_page2.json"),
    )
    channel = bluesky_channel(platform_server)

    limited = channel_fetch(channel_id=channel.pk)

    assert limited.status == FetchRun.Status.PARTIAL
    assert (limited.pages, limited.new) == (1, 2)
    assert_degraded(channel, limited, "429")
    assert stored_ids(channel) == sorted([JOE_URI, MARK_URI])  # page 1 kept
    assert channel.cursor == {  # after page 1
        "top": "2026-11-24T10:20:01.512000+00:00",
        "page": BSKY_PAGE2_TOKEN,
        "pages": 1,
    }
    wait = (channel.next_fetch_at - limited.finished_at).total_seconds()
    assert 110 <= wait <= 130  # as long as Retry-After asked, not the exponential backoff

    resumed = channel_fetch(channel_id=channel.pk)

    assert resumed.status == FetchRun.Status.SUCCEEDED
    assert (resumed.pages, resumed.new, resumed.duplicates) == (1, 1, 0)
    assert [r.param("cursor") for r in platform_server.requests] == [
        None,
        BSKY_PAGE2_TOKEN,
        BSKY_PAGE2_TOKEN,  # the second run starts where the first stopped, not at the top
    ]
    assert stored_ids(channel) == sorted([JOE_URI, MARK_URI, LENA_URI])
    assert_healthy(channel)
    assert reloaded(channel).cursor == {"mark": "2026-11-24T10:20:01.512000+00:00"}


# (2) --------------------------------------------------------------------------------------------

THREADS = "/youtube/v3/commentThreads"
YOUTUBE_IDS = sorted(
    [
        "UgzK1lqAaBbCc1dEeFf4AaABAg",
        "UgzK1lqAaBbCc1dEeFf4AaABAg.9zX1abcDEF01",
        "UgyH7pQrStUv8wXyZ9AaBbCC",
        "UgxOldComment0000000004AaABAg",
    ]
)


def test_server_errors_store_nothing_of_their_page_and_recovery_stores_every_page_once(
    in_agency_a, platform_server: FakePlatform
) -> None:
    error = json_response({"error": {"code": 500, "message": "Backend Error"}}, 500)
    platform_server.route(
        "GET",
        THREADS,
        error,  # run 1: the first page fails
        json_response("youtube/comment_threads_page1.json"),  # run 2: page 1 ...
        Canned(503, "<html>Service Unavailable</html>"),  # ... then page 2 fails
        json_response("youtube/comment_threads_page2.json"),  # run 3: page 2
    )
    channel = make_channel(
        platform="youtube",
        config={"base_url": platform_server.url, "video_id": "nWcR0aSt3r1"},
        credentials={"api_key": "AIzaTestKey"},
    )

    failed = channel_fetch(channel_id=channel.pk)
    assert (failed.status, failed.pages, failed.new) == (FetchRun.Status.FAILED, 0, 0)
    assert_degraded(channel, failed, "500")
    assert stored_ids(channel) == [] and reloaded(channel).cursor is None

    partial = channel_fetch(channel_id=channel.pk)
    assert (partial.status, partial.pages, partial.new) == (FetchRun.Status.PARTIAL, 1, 3)
    assert_degraded(channel, partial, "503", failures=2)
    assert reloaded(channel).cursor["page"] == "QURTSl9pM0FfQnBHc2t0bnQ="

    recovered = channel_fetch(channel_id=channel.pk)
    assert (recovered.status, recovered.pages, recovered.new) == ("succeeded", 1, 1)
    assert stored_ids(channel) == YOUTUBE_IDS
    assert_healthy(channel)
    assert [r.param("pageToken") for r in platform_server.requests] == [
        None,
        None,
        "QURTSl9pM0FfQnBHc2t0bnQ=",
        "QURTSl9pM0FfQnBHc2t0bnQ=",
    ]


# (3) --------------------------------------------------------------------------------------------

PAGE_ID = "104882391112233"
FEED = f"/v19.0/{PAGE_ID}/feed"
FACEBOOK_IDS = sorted(
    [
        "901200000000101_1600000000000002",
        "901200000000101_1600000000000001",
        f"{PAGE_ID}_901200000000099",
        "901200000000050_1500000000000001",
    ]
)


def test_timeout_keeps_the_pages_already_stored_and_the_next_run_resumes(
    in_agency_a, platform_server: FakePlatform, monkeypatch
) -> None:
    monkeypatch.setattr(http, "TIMEOUT", httpx.Timeout(0.3))
    page2 = fixture("facebook_page/feed_page2.json")
    platform_server.route(
        "GET",
        FEED,
        json_response("facebook_page/feed_page1.json"),
        Canned(200, page2, JSON_TYPE, delay=1.5),  # longer than the connector waits
        Canned(200, page2, JSON_TYPE),
    )
    channel = make_channel(
        platform="facebook_page",
        config={"base_url": platform_server.url + "/v19.0", "page_id": PAGE_ID},
        credentials={"access_token": "EAAB-page-token"},
    )

    timed_out = channel_fetch(channel_id=channel.pk)

    assert (timed_out.status, timed_out.pages, timed_out.new) == (FetchRun.Status.PARTIAL, 1, 3)
    assert_degraded(channel, timed_out, "timed out")
    assert reloaded(channel).cursor["page"] == "QVFIUkFGVEVSMQ"

    resumed = channel_fetch(channel_id=channel.pk)

    assert (resumed.status, resumed.pages, resumed.new) == ("succeeded", 1, 1)
    assert [r.param("after") for r in platform_server.requests] == [
        None,
        "QVFIUkFGVEVSMQ",
        "QVFIUkFGVEVSMQ",
    ]
    assert stored_ids(channel) == FACEBOOK_IDS
    assert_healthy(channel)


# (4) --------------------------------------------------------------------------------------------

NEW = "/r/ebikes/new.json"
COMMENTS = "/r/ebikes/comments.json"
REDDIT_PAGE1_IDS = ["t3_1h8kq2a", "t3_1h8jz7b", "t1_lz0x3c9", "t1_lz0w111"]


def reddit_channel(server: FakePlatform) -> Channel:
    return make_channel(
        platform="reddit",
        config={"base_url": server.url, "subreddit": "ebikes"},
        credentials={"access_token": "reddit-token"},
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"kind": "Listing", "data": {"after": null, "children": [{"kind": "t3", "da', "JSON"),
        (
            json.dumps({"kind": "Listing", "data": {"children": [{"kind": "t3", "data": {}}]}}),
            "documented shape",
        ),
        ("[" * 100_000, "nested too deeply"),
    ],
    ids=["invalid-json", "wrong-shape", "deep-nesting"],
)
def test_malformed_json_page_stores_nothing_from_it_and_degrades_health(
    in_agency_a, platform_server: FakePlatform, body: str, message: str
) -> None:
    platform_server.route(
        "GET",
        NEW,
        json_response("reddit/new_page1.json"),
        Canned(200, body, JSON_TYPE),
        json_response("reddit/new_page2.json"),
    )
    platform_server.route("GET", COMMENTS, json_response("reddit/comments_page1.json"))
    channel = reddit_channel(platform_server)

    broken = channel_fetch(channel_id=channel.pk)

    assert (broken.status, broken.pages, broken.new) == (FetchRun.Status.PARTIAL, 1, 4)
    assert_degraded(channel, broken, message)
    assert "MalformedResponse" not in broken.error_message  # a sentence, not a class name
    assert stored_ids(channel) == sorted(REDDIT_PAGE1_IDS)
    assert reloaded(channel).cursor["posts"]["page"] == "t3_1h8jz7b"

    recovered = channel_fetch(channel_id=channel.pk)

    assert (recovered.status, recovered.new) == ("succeeded", 1)
    assert stored_ids(channel) == sorted([*REDDIT_PAGE1_IDS, "t3_1h8h001"])
    assert_healthy(channel)


BREW_NOTES_IDS = sorted(
    [
        "https://brewnotes.example/?p=4182",
        "https://brewnotes.example/2026/11/grinders/",
        "https://brewnotes.example/2026/11/coupons/",
    ]
)


def test_malformed_xml_feed_stores_nothing_and_the_next_good_document_is_stored_once(
    in_agency_a, platform_server: FakePlatform
) -> None:
    platform_server.route(
        "GET",
        "/feed.xml",
        Canned(200, fixture("rss/broken.xml"), RSS_TYPE),
        Canned(200, fixture("rss/brew_notes_rss20.xml"), RSS_TYPE),
    )
    channel = make_channel(platform="rss", config={"url": platform_server.url + "/feed.xml"})

    broken = channel_fetch(channel_id=channel.pk)

    assert (broken.status, broken.pages, broken.new) == (FetchRun.Status.FAILED, 0, 0)
    assert_degraded(channel, broken, "not a readable feed")
    assert stored_ids(channel) == [] and reloaded(channel).cursor is None

    recovered = channel_fetch(channel_id=channel.pk)
    again = channel_fetch(channel_id=channel.pk)

    assert (recovered.status, recovered.new, again.new) == ("succeeded", 3, 0)
    assert stored_ids(channel) == BREW_NOTES_IDS
    assert_healthy(channel)


# (5) --------------------------------------------------------------------------------------------


def test_items_repeated_across_and_within_pages_are_stored_once_and_counted_as_duplicates(
    in_agency_a, platform_server: FakePlatform
) -> None:
    page1 = fixture_json("bluesky/search_page1.json")  # joe, mark
    page2 = fixture_json("bluesky/search_page2.json")  # lena
    mark = copy.deepcopy(page1["posts"][1])
    lena = page2["posts"][0]
    # The listing shifted between requests: mark is served again, and lena twice on one page.
    page2["posts"] = [mark, lena, copy.deepcopy(lena)]
    platform_server.route("GET", SEARCH, json_response(page1), json_response(page2))
    channel = bluesky_channel(platform_server)

    run = channel_fetch(channel_id=channel.pk)

    assert run.status == FetchRun.Status.SUCCEEDED
    assert (run.pages, run.fetched, run.new, run.duplicates) == (2, 5, 3, 2)
    assert stored_ids(channel) == sorted([JOE_URI, MARK_URI, LENA_URI])
    assert_healthy(channel)

    platform_server.route("GET", SEARCH, json_response(page1))
    follow_up = channel_fetch(channel_id=channel.pk)
    # joe's post is within the overlap below the mark: offered again, counted, not stored again.
    assert (follow_up.fetched, follow_up.new, follow_up.duplicates) == (1, 0, 1)
    assert stored_ids(channel) == sorted([JOE_URI, MARK_URI, LENA_URI])


# (6) --------------------------------------------------------------------------------------------

NOTIFICATIONS = "/api/v1/notifications"
MASTODON_IDS = sorted(["113500000000000900", "113499800000000800", "113497000000000700"])


def cut_off_without_length(body: bytes) -> Canned:
    """Half the body, then the connection closes: no Content-Length says anything is missing."""
    return Canned(200, body[: len(body) // 2], JSON_TYPE, send_length=False)


def cut_off_short_of_length(body: bytes) -> Canned:
    """Content-Length promises the whole body; half of it arrives before the connection closes."""
    headers = {**JSON_TYPE, "Content-Length": str(len(body))}
    return Canned(200, body[: len(body) // 2], headers, send_length=False)


@pytest.mark.parametrize(
    ("cut_off", "message"),
    [(cut_off_without_length, "invalid JSON"), (cut_off_short_of_length, "connection")],
    ids=["no-content-length", "short-of-content-length"],
)
def test_page_cut_off_mid_body_stores_nothing_of_it_and_the_next_run_stores_it_once(
    in_agency_a, platform_server: FakePlatform, monkeypatch, cut_off, message: str
) -> None:
    monkeypatch.setattr(mastodon, "PAGE_SIZE", 2)
    page2 = fixture("mastodon/notifications_page2.json")
    platform_server.route(
        "GET",
        NOTIFICATIONS,
        json_response("mastodon/notifications_page1.json"),
        cut_off(page2),
        Canned(200, page2, JSON_TYPE),
    )
    channel = make_channel(
        platform="mastodon",
        config={"base_url": platform_server.url},
        credentials={"access_token": "mastodon-token-123"},
    )

    cut = channel_fetch(channel_id=channel.pk)

    assert (cut.status, cut.pages, cut.new) == (FetchRun.Status.PARTIAL, 1, 2)
    assert_degraded(channel, cut, message)
    assert stored_ids(channel) == sorted(["113500000000000900", "113499800000000800"])
    # The cursor still points after page 1: the cut-off page moved nothing.
    assert reloaded(channel).cursor == {"max_id": "5118", "top": "5120", "pages": 1}

    resumed = channel_fetch(channel_id=channel.pk)

    assert (resumed.status, resumed.pages, resumed.new, resumed.duplicates) == (
        "succeeded",
        1,
        1,
        0,
    )
    assert [r.param("max_id") for r in platform_server.requests] == [None, "5118", "5118"]
    assert stored_ids(channel) == MASTODON_IDS
    assert reloaded(channel).cursor == {"since_id": "5120"}
    assert_healthy(channel)


def test_feed_cut_off_mid_entry_is_refused_and_stored_whole_next_time(
    in_agency_a, platform_server: FakePlatform
) -> None:
    document = fixture("rss/brew_notes_rss20.xml")
    cut = document.index(b"<description>", document.index(b"Five grinders"))
    platform_server.route(
        "GET",
        "/feed.xml",
        Canned(200, document[:cut], RSS_TYPE, send_length=False),  # the grinders entry half there
        Canned(200, document, RSS_TYPE),
    )
    channel = make_channel(platform="rss", config={"url": platform_server.url + "/feed.xml"})

    cut_off = channel_fetch(channel_id=channel.pk)

    assert (cut_off.status, cut_off.new) == (FetchRun.Status.FAILED, 0)
    assert_degraded(channel, cut_off, "ends early")
    assert stored_ids(channel) == [] and reloaded(channel).cursor is None

    whole = channel_fetch(channel_id=channel.pk)

    assert (whole.status, whole.new) == ("succeeded", 3)
    assert stored_ids(channel) == BREW_NOTES_IDS
    grinders = Mention.objects.get(external_id="https://brewnotes.example/2026/11/grinders/")
    assert grinders.posted_at == datetime(2026, 11, 19, 8, 30, tzinfo=UTC)  # not the fetch time
    assert "Burr grinders" in grinders.text  # the body, not just the title
    assert_healthy(channel)


IG_USER = "17841400000000001"
MEDIA = f"/v19.0/{IG_USER}/media"
COMMENTS_101 = "/v19.0/18000000000000101/comments"
COMMENTS_090 = "/v19.0/18000000000000090/comments"


def test_failure_after_half_a_page_was_read_stores_none_of_that_page(
    in_agency_a, platform_server: FakePlatform
) -> None:
    platform_server.route("GET", MEDIA, json_response("instagram/media_page1.json"))
    comments_page2 = fixture("instagram/comments_18000000000000101_page2.json")
    platform_server.route(
        "GET",
        COMMENTS_101,
        json_response("instagram/comments_18000000000000101_page1.json"),  # read: joe, lena ...
        cut_off_short_of_length(comments_page2),  # ... then the page's last request breaks
        json_response("instagram/comments_18000000000000101_page1.json"),
        Canned(200, comments_page2, JSON_TYPE),
    )
    channel = make_channel(
        platform="instagram",
        # One media page per run: this test is about what happens inside one page.
        config={
            "base_url": platform_server.url + "/v19.0",
            "ig_user_id": IG_USER,
            "backfill_pages": 1,
        },
        credentials={"access_token": "IGQW-token"},
    )

    broken = channel_fetch(channel_id=channel.pk)

    assert (broken.status, broken.pages, broken.new) == (FetchRun.Status.FAILED, 0, 0)
    assert_degraded(channel, broken, "connection")
    assert stored_ids(channel) == []  # joe's and lena's comments were read, but not stored
    assert not Author.objects.filter(platform="instagram", handle="joe.parker").exists()

    recovered = channel_fetch(channel_id=channel.pk)

    assert (recovered.status, recovered.new) == ("succeeded", 3)
    assert stored_ids(channel) == sorted(
        ["17900000000000201", "17900000000000203", "17900000000000190"]
    )
    assert_healthy(channel)


# (7) --------------------------------------------------------------------------------------------


def review_rated(rating: int) -> bytes:
    return f"""
    <item>
      <title>A late review</title>
      <link>https://reviews.example/northwind/r/99160</link>
      <guid isPermaLink="false">review-99160</guid>
      <dc:creator>Rita S.</dc:creator>
      <rev:rating>{rating}</rev:rating>
      <pubDate>Tue, 24 Nov 2026 10:00:00 +0000</pubDate>
      <description>Rated on a ten-point scale, which this site does not use.</description>
    </item>""".encode()


def reviews_with(item: bytes) -> bytes:
    document = fixture("rss/reviews_rss20.xml")
    marker = b"<description>Latest customer reviews</description>"
    return document.replace(marker, marker + item)


def test_item_the_database_would_refuse_is_left_out_and_counted_while_its_page_is_stored(
    in_agency_a, platform_server: FakePlatform
) -> None:
    # The connector passes a rating of 7 through; the mentions table only takes 0-5.
    platform_server.route(
        "GET",
        "/reviews.xml",
        Canned(200, reviews_with(review_rated(7)), RSS_TYPE),
        Canned(200, reviews_with(review_rated(4)), RSS_TYPE),
    )
    channel = make_channel(platform="rss", config={"url": platform_server.url + "/reviews.xml"})

    run = channel_fetch(channel_id=channel.pk)

    assert stored_ids(channel) == ["review-99087", "review-99120"]  # the valid reviews
    assert (run.status, run.new, run.errors) == (FetchRun.Status.PARTIAL, 2, 1)
    assert "review-99160: rating 7.0 outside 0-5" in run.error_message
    assert reloaded(channel).health == Channel.Health.OK  # the channel itself works

    later = channel_fetch(channel_id=channel.pk)

    # The refused item was consumed with its page, as recorded on the first run: it is not
    # retried forever, and the channel carries on cleanly.
    assert (later.status, later.new, later.errors) == ("succeeded", 0, 0)
    assert stored_ids(channel) == ["review-99087", "review-99120"]
    assert_healthy(channel)


def test_value_too_long_for_the_database_refuses_only_that_item(
    in_agency_a, platform_server: FakePlatform
) -> None:
    page2: dict[str, Any] = fixture_json("reddit/new_page2.json")
    poisoned = copy.deepcopy(page2)
    poisoned["data"]["children"][0]["data"]["name"] = "t3_" + "x" * 600  # external_id is 500 max
    platform_server.route(
        "GET", NEW, json_response("reddit/new_page1.json"), json_response(poisoned)
    )
    platform_server.route("GET", COMMENTS, json_response("reddit/comments_page1.json"))
    channel = reddit_channel(platform_server)

    run = channel_fetch(channel_id=channel.pk)

    assert stored_ids(channel) == sorted(REDDIT_PAGE1_IDS)  # page 2 held only the bad item
    assert (run.status, run.pages, run.new, run.errors) == (FetchRun.Status.PARTIAL, 2, 4, 1)
    assert "longer than 500 characters" in run.error_message
    assert not Mention.objects.filter(external_id__startswith="t3_xxx").exists()


def test_nul_bytes_which_postgresql_text_cannot_hold_are_dropped_not_fatal(
    in_agency_a, platform_server: FakePlatform
) -> None:
    hostile = review_rated(4).replace(b"Rated on", b"Rated&#0;on").replace(b"Rita S.", b"Ri\x00ta")
    platform_server.route("GET", "/reviews.xml", Canned(200, reviews_with(hostile), RSS_TYPE))
    channel = make_channel(platform="rss", config={"url": platform_server.url + "/reviews.xml"})

    run = channel_fetch(channel_id=channel.pk)

    assert (run.status, run.new) == (FetchRun.Status.SUCCEEDED, 3), run.error_message
    texts = Mention.objects.filter(channel=channel).values_list("text", "author__handle")
    assert not any("\x00" in text + handle for text, handle in texts)
    assert any(handle == "rita" for _, handle in texts)


def test_a_lone_surrogate_in_fetched_text_is_replaced_not_fatal(
    in_agency_a, platform_server: FakePlatform
) -> None:
    poisoned: dict[str, Any] = fixture_json("reddit/new_page2.json")
    first = poisoned["data"]["children"][0]["data"]
    first["title"] = "Broken \ud800 charger"  # json.dumps sends it as the escape \ud800
    first["selftext"] = "Still \udfff broken"
    platform_server.route(
        "GET", NEW, json_response("reddit/new_page1.json"), json_response(poisoned)
    )
    platform_server.route("GET", COMMENTS, json_response("reddit/comments_page1.json"))
    channel = reddit_channel(platform_server)

    run = channel_fetch(channel_id=channel.pk)

    assert run.status == FetchRun.Status.SUCCEEDED, run.error_message
    stored = Mention.objects.get(channel=channel, external_id=first["name"])
    assert "\ufffd" in stored.text and "charger" in stored.text


def test_a_date_or_id_the_database_cannot_hold_refuses_only_that_item(in_agency_a) -> None:
    channel = make_channel()
    at = datetime(2026, 11, 2, 12, tzinfo=UTC)
    plus_14 = timezone(timedelta(hours=14))

    def said(external_id: str, posted_at: datetime = at) -> MentionData:
        return MentionData(
            external_id=external_id, text="Thanks!", posted_at=posted_at,
            author=AuthorData(handle="ana"),
        )  # fmt: skip

    result = store_mentions(
        channel,
        [said("early", datetime(1, 1, 1, tzinfo=plus_14)), said("a\x00b"), said("ab")],
    )

    assert sorted(stored_ids(channel)) == ["ab"]  # "a\0b" is not "ab": refused, not merged
    assert result.created == 1 and len(result.rejected) == 2
    reasons = dict(result.rejected)
    assert "out of range" in reasons["early"] and "NUL" in reasons["a\x00b"]
