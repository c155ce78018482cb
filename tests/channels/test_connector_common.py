"""The connector registry and the shared helpers: newest-first sweeps and HTML → text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apps.channels import connectors
from apps.channels.connectors.base import AuthorData, ConfigurationError, MentionData
from apps.channels.connectors.common import (
    Listing,
    backfill_pages,
    html_to_text,
    sweep,
    sweep_streams,
)

from .fakeplatform import FakeChannel


def test_platforms_are_exactly_the_spec_list() -> None:
    assert connectors.PLATFORMS == (
        "rss",
        "mastodon",
        "reddit",
        "bluesky",
        "youtube",
        "facebook_page",
        "instagram",
        "webhook",
        "csv",
    )
    assert set(connectors.REPLY_PLATFORMS) == {
        "mastodon",
        "bluesky",
        "reddit",
        "youtube",
        "facebook_page",
        "instagram",
    }


@pytest.mark.parametrize("platform", connectors.PLATFORMS)
def test_every_platform_module_has_fetch_and_reply(platform: str) -> None:
    connector = connectors.get_connector(platform)
    assert callable(connector.fetch)
    assert callable(connector.reply)


def test_unknown_platform_raises_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="unknown platform 'myspace'"):
        connectors.get_connector("myspace")


T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def mention(minutes_ago: int) -> tuple[datetime, MentionData]:
    moment = T0 - timedelta(minutes=minutes_ago)
    return moment, MentionData(f"m{minutes_ago}", "text", moment, AuthorData("a"))


def pages(*listings: Listing):
    served = iter(listings)
    tokens: list[str | None] = []

    def load(token: str | None) -> Listing:
        tokens.append(token)
        return next(served)

    return load, tokens


def test_sweep_first_run_backfills_up_to_backfill_pages_and_marks_the_newest() -> None:
    load, tokens = pages(
        Listing([mention(0), mention(5)], "p2"),
        Listing([mention(600), mention(900)], "p3"),
        Listing([mention(5000)], "p4"),
    )
    first = sweep(None, load, backfill_pages=3)
    assert [m.external_id for m in first.items] == ["m0", "m5"]
    assert first.has_more is True
    assert first.next_cursor == {"top": T0.isoformat(), "page": "p2", "pages": 1}

    second = sweep(first.next_cursor, load, backfill_pages=3)
    assert [m.external_id for m in second.items] == ["m600", "m900"]  # no mark: all history
    assert second.has_more is True

    third = sweep(second.next_cursor, load, backfill_pages=3)
    assert [m.external_id for m in third.items] == ["m5000"]
    assert third.has_more is False  # the backfill depth is reached although p4 exists
    assert third.next_cursor == {"mark": T0.isoformat()}
    assert tokens == [None, "p2", "p3"]


def test_sweep_first_run_stops_where_the_listing_ends() -> None:
    load, tokens = pages(Listing([mention(0)], "p2"), Listing([mention(60)], None))
    first = sweep(None, load)
    second = sweep(first.next_cursor, load)
    assert (first.has_more, second.has_more) == (True, False)
    assert second.next_cursor == {"mark": T0.isoformat()}
    assert tokens == [None, "p2"]


def test_sweep_first_run_of_a_windowed_listing_stops_at_the_smaller_bound() -> None:
    load, _ = pages(
        Listing([mention(0)], "p2", ordered=False), Listing([mention(9)], "p3", ordered=False)
    )
    first = sweep(None, load, max_pages=2, backfill_pages=5)
    second = sweep(first.next_cursor, load, max_pages=2, backfill_pages=5)
    assert (first.has_more, second.has_more) == (True, False)


@pytest.mark.parametrize("value", [0, -1, "many", 2.5, True, 51])
def test_backfill_pages_must_be_a_whole_number_in_range(value) -> None:
    channel = FakeChannel("reddit", {"backfill_pages": value})
    with pytest.raises(ConfigurationError, match="'backfill_pages'"):
        backfill_pages(channel)


@pytest.mark.parametrize(("config", "expected"), [({}, 5), ({"backfill_pages": "2"}, 2)])
def test_backfill_pages_defaults_to_five(config, expected) -> None:
    assert backfill_pages(FakeChannel("reddit", config)) == expected


def test_sweep_walks_back_to_the_mark_then_moves_it() -> None:
    cursor = {"mark": (T0 - timedelta(minutes=30)).isoformat()}
    load, tokens = pages(
        Listing([mention(0), mention(10)], "p2"),
        Listing([mention(20), mention(40)], "p3"),
    )
    first = sweep(cursor, load)
    assert first.has_more is True
    second = sweep(first.next_cursor, load)
    assert [m.external_id for m in second.items] == ["m20"]  # m40 is older than the mark
    assert second.has_more is False
    assert second.next_cursor == {"mark": T0.isoformat()}
    assert tokens == [None, "p2"]


def test_sweep_mark_is_never_later_than_now() -> None:
    future = datetime.now(UTC) + timedelta(days=365)
    load, _ = pages(Listing([(future, MentionData("f", "", future, AuthorData("a")))], None))
    mark = datetime.fromisoformat(sweep(None, load).next_cursor["mark"])
    assert mark <= datetime.now(UTC)


def test_sweep_of_an_unordered_listing_stops_only_at_max_pages() -> None:
    cursor = {"mark": (T0 - timedelta(minutes=30)).isoformat()}
    load, tokens = pages(
        Listing([mention(90), mention(5)], "p2", ordered=False),
        Listing([mention(120), mention(1)], "p3", ordered=False),
    )
    first = sweep(cursor, load, max_pages=2)
    assert first.has_more is True  # an old entry does not end an unordered sweep
    second = sweep(first.next_cursor, load, max_pages=2)
    assert [m.external_id for m in second.items] == ["m1"]
    assert second.has_more is False
    assert tokens == [None, "p2"]


def test_sweep_streams_advances_only_the_streams_under_way() -> None:
    cursor = {
        "posts": {"mark": T0.isoformat(), "top": T0.isoformat(), "page": "p2", "pages": 1},
        "comments": {"mark": T0.isoformat()},
    }
    posts, post_tokens = pages(Listing([mention(0)], None))
    comments, comment_tokens = pages()
    page = sweep_streams(cursor, {"posts": posts, "comments": comments})
    assert post_tokens == ["p2"]
    assert comment_tokens == []
    assert page.next_cursor == {
        "posts": {"mark": T0.isoformat()},
        "comments": {"mark": T0.isoformat()},
    }


def test_unreadable_cursor_restarts_like_a_first_fetch() -> None:
    load, tokens = pages(Listing([mention(0)], "p2"))
    page = sweep({"mark": "not a time", "page": "p9", "pages": 3}, load)
    assert page.has_more is True  # backfilling from the newest page again
    assert page.next_cursor == {"top": T0.isoformat(), "page": "p2", "pages": 1}
    assert tokens == [None]


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>Hello <b>Joe</b></p>", "Hello Joe"),
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("line<br>break<br/>again", "line\nbreak\nagain"),
        ("Fish &amp; chips &lt;3 &#127881;", "Fish & chips <3 🎉"),
        ("<p>x</p><script>alert(1)</script><style>p{}</style>", "x"),
        ("  lots   of\n\n\n\n  space ", "lots of\n\nspace"),
        ("", ""),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text
