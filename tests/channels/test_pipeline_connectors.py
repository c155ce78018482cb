"""Every pulled platform through the real fetch pipeline: what the server offers is stored once.

Each test points a channel at the local fake platform, serves two or more pages of recorded-shape
responses, runs ``channel_fetch`` against the real database and checks the stored mentions one by
one: exactly the offered external ids, with author, URL, time, kind and thread parent (or rating),
one ``Author`` row per person, and nothing new from a fetch made after catching up.
"""

from __future__ import annotations

import copy
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from apps.channels.connectors import mastodon
from apps.channels.models import Channel, FetchRun
from apps.channels.services import channel_fetch, channels_claim_due
from apps.listening.models import Author, Mention

from .factories import make_channel
from .fakeplatform import Canned, FakePlatform, fixture, fixture_json, json_response

# external id → (stored author handle, kind, parent external id)
Expected = dict[str, tuple[str, str, str]]


def assert_stored_exactly(channel: Channel, expected: Expected) -> list[Mention]:
    """The channel's mentions are ``expected``, each once, complete, with one Author per person."""
    mentions = list(Mention.objects.filter(channel=channel).select_related("author"))
    assert sorted(m.external_id for m in mentions) == sorted(expected)  # none lost, none twice
    for mention in mentions:
        assert (mention.author.handle, mention.kind, mention.parent_external_id) == expected[
            mention.external_id
        ], mention.external_id
        assert mention.url.startswith("https://"), mention.external_id
        assert mention.posted_at.tzinfo is not None and mention.posted_at.year == 2026
        assert mention.platform == channel.platform and mention.client_id == channel.client_id
    authors_by_handle: dict[str, set[int]] = {}
    for mention in mentions:
        authors_by_handle.setdefault(mention.author.handle, set()).add(mention.author_id)
    assert all(len(ids) == 1 for ids in authors_by_handle.values())
    assert Author.objects.filter(
        platform=channel.platform, handle__in=authors_by_handle
    ).count() == len(authors_by_handle)
    return mentions


def assert_one_author_for(mentions: list[Mention], handle: str, count: int = 2) -> None:
    """``handle`` wrote ``count`` of the mentions, all linked to the same Author row."""
    theirs = [m for m in mentions if m.author.handle == handle]
    assert len(theirs) == count
    assert len({m.author_id for m in theirs}) == 1


def assert_backfilled(run: FetchRun, expected: Expected) -> None:
    assert run.status == FetchRun.Status.SUCCEEDED, run.error_message
    assert run.pages >= 2
    assert (run.new, run.errors) == (len(expected), 0)


def assert_caught_up(channel: Channel, expected: Expected) -> FetchRun:
    again = channel_fetch(channel_id=channel.pk)
    assert again.status == FetchRun.Status.SUCCEEDED, again.error_message
    assert again.new == 0
    assert Mention.objects.filter(channel=channel).count() == len(expected)
    channel.refresh_from_db()
    assert channel.health == Channel.Health.OK and channel.last_success_at is not None
    return again


def posted_at(channel: Channel, external_id: str) -> datetime:
    return Mention.objects.get(channel=channel, external_id=external_id).posted_at


# --- RSS / Atom: one document per fetch ---------------------------------------------------------

RSS_TYPE = {"Content-Type": "application/rss+xml; charset=utf-8"}
ATOM_TYPE = {"Content-Type": "application/atom+xml"}
NEW_REVIEW = b"""
    <item>
      <title>Grinder swap, no questions asked</title>
      <link>https://reviews.example/northwind/r/99150</link>
      <guid isPermaLink="false">review-99150</guid>
      <dc:creator>Mark D.</dc:creator>
      <rev:rating>4</rev:rating>
      <pubDate>Tue, 24 Nov 2026 09:30:00 +0000</pubDate>
      <description>Second order: they replaced a faulty grinder within two days.</description>
    </item>"""
NEW_FORUM_REPLY = b"""
  <entry>
    <id>tag:forum.lumenowners.example,2026:post-5530</id>
    <title>Re: Battery drains overnight</title>
    <link rel="alternate" type="text/html" href="https://forum.lumenowners.example/t/batteries/5530"/>
    <published>2026-11-24T07:00:00Z</published>
    <author><name>Kai</name></author>
    <thr:in-reply-to ref="tag:forum.lumenowners.example,2026:post-5512"/>
    <content type="html">&lt;p&gt;Updated to 4.1 as well, fixed. Thanks!&lt;/p&gt;</content>
  </entry>"""


def test_rss_review_feed_stores_each_documents_new_reviews_with_ratings(
    in_agency_a, platform_server: FakePlatform
) -> None:
    first = fixture("rss/reviews_rss20.xml")
    marker = b"<description>Latest customer reviews</description>"
    second = first.replace(marker, marker + NEW_REVIEW)  # a newer review on top
    platform_server.route(
        "GET", "/reviews.xml", Canned(200, first, RSS_TYPE), Canned(200, second, RSS_TYPE)
    )
    channel = make_channel(platform="rss", config={"url": platform_server.url + "/reviews.xml"})

    run1 = channel_fetch(channel_id=channel.pk)
    run2 = channel_fetch(channel_id=channel.pk)

    assert (run1.status, run1.new, run2.status, run2.new) == ("succeeded", 2, "succeeded", 1)
    assert run2.fetched == 1  # entries of the previous document are not offered again
    expected = {
        "review-99120": ("mark d.", "review", ""),
        "review-99087": ("joe p.", "review", ""),
        "review-99150": ("mark d.", "review", ""),
    }
    mentions = assert_stored_exactly(channel, expected)
    assert {m.external_id: m.rating for m in mentions} == {
        "review-99120": 3.0,
        "review-99087": 5.0,
        "review-99150": 4.0,
    }
    assert posted_at(channel, "review-99150") == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    assert_one_author_for(mentions, "mark d.")
    assert_caught_up(channel, expected)


def test_atom_forum_feed_stores_each_documents_new_replies_with_thread_parents(
    in_agency_a, platform_server: FakePlatform
) -> None:
    first = fixture("rss/forum_atom.xml")
    second = first.replace(b"</updated>", b"</updated>" + NEW_FORUM_REPLY, 1)
    platform_server.route(
        "GET", "/t/batteries.atom", Canned(200, first, ATOM_TYPE), Canned(200, second, ATOM_TYPE)
    )
    channel = make_channel(
        platform="rss", config={"url": platform_server.url + "/t/batteries.atom"}
    )

    run1 = channel_fetch(channel_id=channel.pk)
    run2 = channel_fetch(channel_id=channel.pk)

    assert (run1.new, run2.new) == (2, 1)
    post = "tag:forum.lumenowners.example,2026:post-"
    expected = {
        f"{post}5512": ("gearhead_ana", "comment", f"{post}5490"),
        f"{post}5490": ("kai", "post", ""),
        f"{post}5530": ("kai", "comment", f"{post}5512"),
    }
    mentions = assert_stored_exactly(channel, expected)
    assert posted_at(channel, f"{post}5512") == datetime(2026, 11, 23, 8, 40, tzinfo=UTC)
    assert_one_author_for(mentions, "kai")
    assert_caught_up(channel, expected)


# --- Mastodon: mentions, hashtag and search modes -----------------------------------------------

NOTIFICATIONS = "/api/v1/notifications"
TOKEN = {"access_token": "mastodon-token-123"}


def mastodon_channel(server: FakePlatform, **config: Any) -> Channel:
    return make_channel(
        platform="mastodon", config={"base_url": server.url, **config}, credentials=dict(TOKEN)
    )


def statuses(name: str) -> list[dict[str, Any]]:
    rows = fixture_json(name)
    return [row["status"] for row in rows] if name.startswith("mastodon/notif") else rows


def joes_older_status() -> dict[str, Any]:
    status = copy.deepcopy(statuses("mastodon/notifications_page1.json")[0])
    status.update(
        id="113496000000000600",
        in_reply_to_id=None,
        created_at="2026-11-23T18:00:00.000Z",
        url="https://coffee.town/@joe/113496000000000600",
        content="<p>Second bag of the winter blend, still great.</p>",
    )
    return status


def test_mastodon_mentions_backfill_pages_of_notifications(
    in_agency_a, platform_server: FakePlatform, monkeypatch
) -> None:
    monkeypatch.setattr(mastodon, "PAGE_SIZE", 2)
    page2 = fixture_json("mastodon/notifications_page2.json")
    page2.append({**copy.deepcopy(page2[0]), "id": "5101", "status": joes_older_status()})
    platform_server.route(
        "GET",
        NOTIFICATIONS,
        json_response("mastodon/notifications_page1.json"),
        json_response(page2),
        json_response([]),  # the start of the stream
    )
    channel = mastodon_channel(platform_server)

    run = channel_fetch(channel_id=channel.pk)

    expected = {
        "113500000000000900": ("joe@coffee.town", "reply", "113499000000000100"),
        "113499800000000800": ("markb", "message", ""),
        "113497000000000700": ("lena@fedi.example", "post", ""),
        "113496000000000600": ("joe@coffee.town", "post", ""),
    }
    assert_backfilled(run, expected)
    assert run.pages == 3
    mentions = assert_stored_exactly(channel, expected)
    assert posted_at(channel, "113500000000000900") == datetime(
        2026, 11, 24, 10, 15, 30, tzinfo=UTC
    )
    assert_one_author_for(mentions, "joe@coffee.town")
    assert [r.param("max_id") for r in platform_server.requests] == [None, "5118", "5101"]

    platform_server.route("GET", NOTIFICATIONS, json_response([]))
    assert_caught_up(channel, expected)
    assert platform_server.requests[-1].param("since_id") == "5120"


def test_mastodon_hashtag_backfills_the_tag_timeline_without_boosts(
    in_agency_a, platform_server: FakePlatform, monkeypatch
) -> None:
    monkeypatch.setattr(mastodon, "PAGE_SIZE", 2)
    path = "/api/v1/timelines/tag/NorthwindWinter"
    older = [
        statuses("mastodon/notifications_page1.json")[0],  # joe, 24 Nov 10:15
        statuses("mastodon/notifications_page2.json")[0],  # lena, 23 Nov 19:40
    ]
    platform_server.route(
        "GET",
        path,
        json_response("mastodon/tag_timeline.json"),  # lena's post and markb's boost
        json_response(older),
        json_response([]),
    )
    channel = mastodon_channel(platform_server, mode="hashtag", hashtag="NorthwindWinter")

    run = channel_fetch(channel_id=channel.pk)

    expected = {
        "113501000000000950": ("lena@fedi.example", "post", ""),
        "113500000000000900": ("joe@coffee.town", "reply", "113499000000000100"),
        "113497000000000700": ("lena@fedi.example", "post", ""),
    }  # the boost (113501000000000951) is someone else's words: not a mention
    assert_backfilled(run, expected)
    mentions = assert_stored_exactly(channel, expected)
    assert_one_author_for(mentions, "lena@fedi.example")

    platform_server.route("GET", path, json_response([]))
    assert_caught_up(channel, expected)
    assert platform_server.requests[-1].param("since_id") == "113501000000000950"  # listed first


def test_mastodon_search_backfills_matching_statuses(
    in_agency_a, platform_server: FakePlatform, monkeypatch
) -> None:
    monkeypatch.setattr(mastodon, "PAGE_SIZE", 2)
    page1 = fixture_json("mastodon/search_statuses.json")
    page1["statuses"].append(joes_older_status())
    lenas_post = statuses("mastodon/tag_timeline.json")[0]
    page2 = {**page1, "statuses": [lenas_post]}  # a short page: the end of the results
    platform_server.route("GET", "/api/v2/search", json_response(page1), json_response(page2))
    channel = mastodon_channel(platform_server, mode="search", query="northwind coffee")

    run = channel_fetch(channel_id=channel.pk)

    expected = {
        "113502000000000960": ("joe@coffee.town", "post", ""),
        "113496000000000600": ("joe@coffee.town", "post", ""),
        "113501000000000950": ("lena@fedi.example", "post", ""),
    }
    assert_backfilled(run, expected)
    mentions = assert_stored_exactly(channel, expected)
    assert_one_author_for(mentions, "joe@coffee.town")

    platform_server.route("GET", "/api/v2/search", json_response({"statuses": []}))
    assert_caught_up(channel, expected)
    assert platform_server.requests[-1].param("min_id") == "113502000000000960"


# --- Reddit ------------------------------------------------------------------------------------


def test_reddit_subreddit_backfills_posts_and_comments(
    in_agency_a, platform_server: FakePlatform
) -> None:
    new, comments = "/r/ebikes/new.json", "/r/ebikes/comments.json"
    platform_server.route(
        "GET",
        new,
        json_response("reddit/new_page1.json"),
        json_response("reddit/new_page2.json"),
    )
    platform_server.route("GET", comments, json_response("reddit/comments_page1.json"))
    channel = make_channel(
        platform="reddit",
        config={"base_url": platform_server.url, "subreddit": "ebikes"},
        credentials={"access_token": "reddit-token"},
    )

    run = channel_fetch(channel_id=channel.pk)

    expected = {
        "t3_1h8kq2a": ("kai_rides", "post", ""),
        "t3_1h8jz7b": ("velo_nina", "post", ""),
        "t3_1h8h001": ("[deleted]", "post", ""),
        "t1_lz0w111": ("kai_rides", "comment", "t3_1h8kq2a"),
        "t1_lz0x3c9": ("gearhead_ana", "reply", "t1_lz0w111"),
    }
    assert_backfilled(run, expected)
    mentions = assert_stored_exactly(channel, expected)
    assert posted_at(channel, "t3_1h8kq2a") == datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
    assert_one_author_for(mentions, "kai_rides")
    assert [r.param("after") for r in platform_server.requests_to("GET", new)] == [
        None,
        "t3_1h8jz7b",
    ]

    platform_server.route("GET", new, json_response("reddit/new_page1.json"))
    assert_caught_up(channel, expected)


# --- Bluesky -----------------------------------------------------------------------------------

SEARCH = "/xrpc/app.bsky.feed.searchPosts"


def test_bluesky_search_backfills_pages_of_posts(
    in_agency_a, platform_server: FakePlatform
) -> None:
    page1 = fixture_json("bluesky/search_page1.json")
    page2 = fixture_json("bluesky/search_page2.json")
    joes_older = copy.deepcopy(page2["posts"][0])
    joes_older.update(
        uri="at://did:plc:joeparker0000000000000/app.bsky.feed.post/3lbrjoe000002",
        author=page1["posts"][0]["author"],
        indexedAt="2026-11-23T17:00:01.000Z",
    )
    joes_older["record"].update(createdAt="2026-11-23T17:00:00.000Z", text="Decaf? Yes please.")
    page2["posts"].append(joes_older)
    platform_server.route("GET", SEARCH, json_response(page1), json_response(page2))
    channel = make_channel(
        platform="bluesky", config={"base_url": platform_server.url, "query": "northwind"}
    )

    run = channel_fetch(channel_id=channel.pk)

    root = "at://did:plc:northwindcoffee00000000/app.bsky.feed.post/3lbr2root0000"
    expected = {
        "at://did:plc:joeparker0000000000000/app.bsky.feed.post/3lbsa7kq2c22a": (
            "joe.coffee.town",
            "reply",
            root,
        ),
        "at://did:plc:marksmith00000000000000/app.bsky.feed.post/3lbs7tt4xyz2b": (
            "markbell.bsky.social",
            "post",
            "",
        ),
        "at://did:plc:lenavogel0000000000000/app.bsky.feed.post/3lbrzz0aa1b2c": (
            "lena.fedi.example",
            "post",
            "",
        ),
        joes_older["uri"]: ("joe.coffee.town", "post", ""),
    }
    assert_backfilled(run, expected)
    mentions = assert_stored_exactly(channel, expected)
    assert_one_author_for(mentions, "joe.coffee.town")

    platform_server.route("GET", SEARCH, json_response(page1))
    assert_caught_up(channel, expected)


# --- YouTube -----------------------------------------------------------------------------------

THREADS = "/youtube/v3/commentThreads"
VIDEO = "nWcR0aSt3r1"


def test_youtube_backfills_comment_threads_with_their_replies(
    in_agency_a, platform_server: FakePlatform
) -> None:
    page1 = fixture_json("youtube/comment_threads_page1.json")
    page2 = fixture_json("youtube/comment_threads_page2.json")
    kais = page2["items"][0]
    joes_reply = copy.deepcopy(page1["items"][0]["replies"]["comments"][0])
    joes_reply["id"] = f"{kais['id']}.9zX1joe00001"
    joes_reply["snippet"].update(
        parentId=kais["id"],
        publishedAt="2026-11-20T09:00:00Z",
        authorDisplayName="@joeparker",
        authorChannelUrl="http://www.youtube.com/@joeparker",
        authorChannelId={"value": "UCjoeparker00000000000001"},
        textOriginal="Same here, the 4.1 update fixed it.",
    )
    kais["replies"] = {"comments": [joes_reply]}
    platform_server.route("GET", THREADS, json_response(page1), json_response(page2))
    channel = make_channel(
        platform="youtube",
        config={"base_url": platform_server.url, "video_id": VIDEO},
        credentials={"api_key": "AIzaTestKey"},
    )

    run = channel_fetch(channel_id=channel.pk)

    joe = "UgzK1lqAaBbCc1dEeFf4AaABAg"
    expected = {
        joe: ("joeparker", "comment", VIDEO),
        f"{joe}.9zX1abcDEF01": ("markbell", "reply", joe),
        "UgyH7pQrStUv8wXyZ9AaBbCC": ("lenavogel", "comment", VIDEO),
        kais["id"]: ("kai_rides", "comment", VIDEO),
        joes_reply["id"]: ("joeparker", "reply", kais["id"]),
    }
    assert_backfilled(run, expected)
    mentions = assert_stored_exactly(channel, expected)
    assert posted_at(channel, joe) == datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
    assert_one_author_for(mentions, "joeparker")

    platform_server.route("GET", THREADS, json_response(page1))
    assert_caught_up(channel, expected)


# --- Facebook Page -----------------------------------------------------------------------------

PAGE_ID = "104882391112233"
FEED = f"/v19.0/{PAGE_ID}/feed"


def test_facebook_page_backfills_visitor_posts_and_comments(
    in_agency_a, platform_server: FakePlatform
) -> None:
    platform_server.route(
        "GET",
        FEED,
        json_response("facebook_page/feed_page1.json"),
        json_response("facebook_page/feed_page2.json"),
    )
    channel = make_channel(
        platform="facebook_page",
        config={"base_url": platform_server.url + "/v19.0", "page_id": PAGE_ID},
        credentials={"access_token": "EAAB-page-token"},
    )

    run = channel_fetch(channel_id=channel.pk)

    joes_reply, anas_comment = (
        "901200000000101_1600000000000002",
        "901200000000101_1600000000000001",
    )
    joes_comment = "901200000000050_1500000000000001"
    expected = {  # the page's own posts and comments are not mentions
        joes_reply: ("joe parker", "reply", anas_comment),
        anas_comment: ("ana ribeiro", "comment", f"{PAGE_ID}_901200000000101"),
        f"{PAGE_ID}_901200000000099": ("kai tanaka", "post", ""),
        joes_comment: ("joe parker", "comment", f"{PAGE_ID}_901200000000050"),
    }
    assert_backfilled(run, expected)
    mentions = assert_stored_exactly(channel, expected)
    assert posted_at(channel, f"{PAGE_ID}_901200000000099") == datetime(
        2026, 11, 22, 19, 30, tzinfo=UTC
    )
    assert_one_author_for(mentions, "joe parker")

    platform_server.route("GET", FEED, json_response("facebook_page/feed_page1.json"))
    assert_caught_up(channel, expected)


# --- Instagram ---------------------------------------------------------------------------------

IG_USER = "17841400000000001"
MEDIA = f"/v19.0/{IG_USER}/media"
COMMENTS_101 = "/v19.0/18000000000000101/comments"
COMMENTS_090 = "/v19.0/18000000000000090/comments"


def route_instagram(server: FakePlatform, comments_090: dict[str, Any]) -> None:
    server.route(
        "GET",
        MEDIA,
        json_response("instagram/media_page1.json"),
        json_response("instagram/media_page2.json"),
    )
    server.route(
        "GET",
        COMMENTS_101,
        json_response("instagram/comments_18000000000000101_page1.json"),
        json_response("instagram/comments_18000000000000101_page2.json"),
    )
    server.route("GET", COMMENTS_090, json_response(comments_090))


def test_instagram_backfills_comments_across_the_media_window(
    in_agency_a, platform_server: FakePlatform
) -> None:
    comments_090 = fixture_json("instagram/comments_18000000000000090.json")
    comments_090["data"].append(
        {
            "id": "17900000000000151",
            "text": "Ordered the Guji after reading this",
            "username": "joe.parker",
            "timestamp": "2026-11-24T06:00:00+0000",
            "like_count": 0,
        }
    )
    route_instagram(platform_server, comments_090)
    channel = make_channel(
        platform="instagram",
        config={"base_url": platform_server.url + "/v19.0", "ig_user_id": IG_USER},
        credentials={"access_token": "IGQW-token"},
    )

    run = channel_fetch(channel_id=channel.pk)

    expected = {  # the account's own reply (17900000000000202) is not a mention
        "17900000000000201": ("joe.parker", "comment", "18000000000000101"),
        "17900000000000203": ("lena.brews", "reply", "17900000000000201"),
        "17900000000000190": ("mark.bell", "comment", "18000000000000101"),
        "17900000000000150": ("kai.tanaka", "comment", "18000000000000090"),
        "17900000000000151": ("joe.parker", "comment", "18000000000000090"),
    }
    assert_backfilled(run, expected)
    mentions = assert_stored_exactly(channel, expected)
    assert posted_at(channel, "17900000000000201") == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    assert_one_author_for(mentions, "joe.parker")

    route_instagram(platform_server, comments_090)
    assert_caught_up(channel, expected)


# --- push platforms ----------------------------------------------------------------------------


@pytest.mark.parametrize(("platform", "reason"), [("webhook", "push-only"), ("csv", "import-only")])
def test_push_channels_are_never_scheduled_and_a_fetch_fails_saying_why(
    in_agency_a, platform: str, reason: str
) -> None:
    channel = make_channel(platform=platform, config={})

    assert channel.pk not in channels_claim_due()
    run = channel_fetch(channel_id=channel.pk)

    assert run.status == FetchRun.Status.FAILED and run.errors == 1
    assert reason in run.error_message and run.pages == 0
    assert not Mention.objects.filter(channel=channel).exists()
    channel.refresh_from_db()
    assert channel.cursor is None
    # The refusal says nothing about the channel: its pushes or imports still work.
    assert channel.health == Channel.Health.OK and channel.consecutive_failures == 0
    assert channel.last_error == ""
    assert Counter(FetchRun.objects.filter(channel=channel).values_list("status", flat=True)) == {
        "failed": 1
    }
