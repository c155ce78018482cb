"""The inbox pages by cursor (a "Next" link that starts after the last card shown), and a search
of many matches ranks the newest of them and says "about N"."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from apps.channels.connectors.base import AuthorData, MentionData
from apps.inbox.views import PAGE_SIZE
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions

NOW = datetime.now(UTC).replace(microsecond=0)


def listed(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-mention="(\d+)"', response.content.decode())]


def link(response, rel: str) -> str | None:
    found = re.search(rf'<a href="\?([^"]*)" rel="{rel}"', response.content.decode())
    return f"/inbox/?{found.group(1).replace('&amp;', '&')}" if found else None


@pytest.fixture
def waiting(in_agency_a, client_a):
    channel = make_channel(platform="webhook", config={}, name="Hook")
    store_mentions(
        channel,
        [
            MentionData(
                external_id=f"w{n}", text=f"Where is parcel {n}?" + (" latte" if n < 5 else ""),
                posted_at=NOW - timedelta(minutes=n // 2),  # pairs share a minute: ties
                author=AuthorData(handle=f"person{n}", display_name=f"Person {n}"),
            )
            for n in range(PAGE_SIZE + 10)
        ],
    )  # fmt: skip
    client_a.force_login(UserFactory(role="responder"))
    return client_a


def test_next_and_previous_walk_the_open_queue_once_each(waiting):
    first = waiting.get("/inbox/")
    assert len(listed(first)) == PAGE_SIZE and link(first, "prev") is None
    following = link(first, "next")
    assert "cursor=" in following

    second = waiting.get(following)
    assert len(listed(second)) == 10 and link(second, "next") is None
    assert not set(listed(first)) & set(listed(second))

    back = waiting.get(link(second, "prev"))
    assert listed(back) == listed(first)
    assert link(second, "first") == "/inbox/?"


def test_a_stale_or_edited_cursor_shows_the_first_page(waiting):
    first = listed(waiting.get("/inbox/"))
    assert listed(waiting.get("/inbox/?cursor=garbage")) == first


def test_a_search_of_many_matches_ranks_the_newest_and_says_about(waiting, monkeypatch):
    exact = waiting.get("/inbox/?q=latte")
    assert len(listed(exact)) == 5
    assert "5 matching mentions" in exact.content.decode()

    monkeypatch.setattr("apps.listening.selectors.SEARCH_CANDIDATES", 3)
    many = waiting.get("/inbox/?q=latte")
    assert len(listed(many)) == 3  # the three newest matches, ranked
    assert re.search(r"About [\d,]+ matching mentions", many.content.decode())
