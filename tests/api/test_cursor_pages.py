"""The mention and acknowledgement lists page by cursor: following ``next`` walks the whole list in
its order — ties and missing due dates included — once each; page numbers still reach the first
pages; a cursor that is not ours is a 400 naming it; the OpenAPI schema says so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from apps.acknowledgements.services import mention_acknowledge
from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Mention
from apps.listening.selectors import MENTION_ORDERINGS
from tests.channels.factories import make_channel, store_mentions

POSTED = datetime(2026, 11, 16, 9, tzinfo=UTC)


def said(n: int) -> MentionData:
    # Three mentions share each minute: pages must break ties by id, not skip or repeat them.
    return MentionData(
        external_id=f"m{n}", text=f"Question number {n} about the latte",
        posted_at=POSTED + timedelta(minutes=n // 3),
        author=AuthorData(handle=f"person{n % 7}", display_name=f"Person {n % 7}"),
    )  # fmt: skip


@pytest.fixture
def mentions(in_agency_a) -> list[Mention]:
    channel = make_channel(name="Reviews")
    store_mentions(channel, [said(n) for n in range(23)])
    stored = list(Mention.objects.filter(channel=channel).order_by("pk"))
    # Some without an SLA due date or a priority key: they come last in those orders.
    Mention.objects.filter(pk__in=[m.pk for m in stored[::4]]).update(
        sla_due_at=None, priority_key=None
    )
    Mention.objects.filter(pk__in=[m.pk for m in stored[1::4]]).update(
        sla_due_at=POSTED + timedelta(hours=1), priority_key=5.0
    )
    return stored


def _path(link: str | None) -> str | None:
    return f"{urlsplit(link).path}?{urlsplit(link).query}" if link else None


def walk(api, url: str, towards: str = "next") -> tuple[list[list[int]], str]:
    """The ids of each page met by following ``towards`` links, and the last page's URL."""
    pages = []
    while url:
        response = api.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        pages.append([row["id"] for row in body["results"]])
        last, url = url, _path(body[towards])
    return pages, last


def flat(pages: list[list[int]]) -> list[int]:
    return [pk for page in pages for pk in page]


@pytest.mark.parametrize("ordering", list(MENTION_ORDERINGS))
def test_following_next_shows_every_mention_once_in_the_lists_order(api, mentions, ordering):
    whole = api.get(f"/api/v1/mentions/?ordering={ordering}&page_size=500").json()
    expected = [row["id"] for row in whole["results"]]
    assert sorted(expected) == sorted(m.pk for m in mentions)

    pages, last = walk(api, f"/api/v1/mentions/?ordering={ordering}&page_size=5")

    assert flat(pages) == expected
    assert [len(page) for page in pages] == [5, 5, 5, 5, 3]
    assert "cursor=" in last
    back, _ = walk(api, last, towards="previous")
    assert back == pages[::-1]


def test_search_results_page_by_cursor_best_match_first(api, mentions):
    whole = [
        row["id"] for row in api.get("/api/v1/mentions/?q=latte&page_size=500").json()["results"]
    ]
    pages, last = walk(api, "/api/v1/mentions/?q=latte&page_size=4")
    assert flat(pages) == whole and len(whole) == 23
    assert walk(api, last, towards="previous")[0] == pages[::-1]


def test_page_numbers_reach_the_first_pages_only(api, mentions):
    first = flat(walk(api, "/api/v1/mentions/?page_size=5")[0])
    second = api.get("/api/v1/mentions/?page=2&page_size=5").json()
    assert [row["id"] for row in second["results"]] == first[5:10]
    assert "page=3" in second["next"] and "page=1" not in second["previous"]

    too_deep = api.get("/api/v1/mentions/?page=2001&page_size=5")
    assert too_deep.status_code == 400
    assert "cursor" in too_deep.json()["page"][0]


def test_a_cursor_that_is_not_ours_is_a_400_naming_it(api, mentions):
    following = api.get("/api/v1/mentions/?page_size=5").json()["next"]
    cursor = following.split("cursor=")[1].split("&")[0]
    for bad in ("not-a-cursor", "e30", cursor[:-3]):
        response = api.get(f"/api/v1/mentions/?cursor={bad}")
        assert response.status_code == 400, bad
        assert "cursor" in response.json()
    # Made for newest first, used for oldest first: refused rather than a wrong page.
    elsewhere = api.get(f"/api/v1/mentions/?cursor={cursor}&ordering=posted_at")
    assert elsewhere.status_code == 400 and "cursor" in elsewhere.json()


def test_acknowledgements_page_by_cursor_newest_first(api, owner, mentions):
    for mention in mentions[:7]:
        mention_acknowledge(mention=mention, user=owner, kind="replied_elsewhere", text="Thanks")
    whole = [
        row["id"] for row in api.get("/api/v1/acknowledgements/?page_size=500").json()["results"]
    ]
    pages, _ = walk(api, "/api/v1/acknowledgements/?page_size=3")
    assert flat(pages) == whole and len(whole) == 7 and len(pages) == 3


def test_the_schema_documents_the_cursor_of_the_paged_lists(api):
    schema = api.get("/api/v1/schema/?format=json").json()
    for path in ("/api/v1/mentions/", "/api/v1/acknowledgements/"):
        names = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert {"cursor", "page", "page_size"} <= names, path
    clients = {p["name"] for p in schema["paths"]["/api/v1/clients/"]["get"]["parameters"]}
    assert "page" in clients and "cursor" not in clients
