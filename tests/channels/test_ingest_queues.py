"""What storing a page leaves to the background, and what it settles at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import transaction

from apps.channels.connectors.base import AuthorData, FetchPage, MentionData
from apps.community.models import PersonAuthor
from apps.core.outbox import outbox_pending
from apps.listening import ingest
from apps.listening.ingest import ingest_page, ingest_pages
from apps.listening.models import Author, Mention
from apps.listening.priority import mentions_priority_refresh, priority_score
from tests.channels.factories import make_channel
from tests.support import run_queued

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
LINK_PEOPLE = "apps.community.tasks.link_people"


def said(external_id, text, handle, *, followers=None, minutes=0):
    return MentionData(
        external_id=external_id, text=text, posted_at=T0 + timedelta(minutes=minutes),
        author=AuthorData(handle=handle, display_name=handle.title(), followers=followers),
    )  # fmt: skip


def links_queued(agency) -> list[list]:
    return [m.args for m in outbox_pending(schema_name=agency.schema_name) if m.task == LINK_PEOPLE]


def test_a_stored_page_queues_the_linking_of_its_authors_which_a_worker_does(in_agency_a):
    channel = make_channel(platform="webhook", config={})
    with transaction.atomic():
        result = ingest_page(channel=channel, items=[
            said("1", "Where is my order?", "ana"), said("2", "Love the new menu", "bo"),
        ])  # fmt: skip

    assert not PersonAuthor.objects.exists()  # not on the storing path
    assert links_queued(in_agency_a) == [[channel.client_id, result.created_ids]]

    assert run_queued(LINK_PEOPLE) == 1
    linked = PersonAuthor.objects.filter(client=channel.client).values_list(
        "author__handle", flat=True
    )
    assert sorted(linked) == ["ana", "bo"]


def test_a_fetch_queues_one_linking_per_batch_of_pages_not_one_per_page(in_agency_a, monkeypatch):
    monkeypatch.setattr(ingest, "STORED_BATCH", 4)
    channel = make_channel(platform="webhook", config={})
    pages = [
        FetchPage(items=[said(f"{p}-{n}", f"Page {p} item {n}", f"p{p}n{n}") for n in range(2)],
                  next_cursor={"page": p})
        for p in range(5)
    ]  # fmt: skip

    ingest_pages(channel=channel, pages=iter(pages), on_stored=lambda page, result: None)

    # Pages 0-1 fill a batch of 4, pages 2-3 another; the last page is announced on its own
    batches = links_queued(in_agency_a)
    assert [len(ids) for _, ids in batches] == [4, 4, 2]
    assert sorted(i for _, ids in batches for i in ids) == sorted(
        Mention.objects.filter(channel=channel).values_list("pk", flat=True)
    )
    run_queued(LINK_PEOPLE)
    assert PersonAuthor.objects.filter(client=channel.client).count() == 10


def test_the_priority_stored_with_a_mention_is_the_one_a_refresh_computes(in_agency_a):
    channel = make_channel(platform="webhook", config={})
    with transaction.atomic():
        ingest_page(channel=channel, items=[
            said("1", "My card was charged twice and nobody answers!", "loud", followers=90_000),
            said("2", "Nice coffee", "quiet", followers=3),
        ])  # fmt: skip

    stored = dict(Mention.objects.values_list("external_id", "priority_key"))
    assert None not in stored.values()
    assert mentions_priority_refresh(client_id=channel.client_id) == 0  # nothing to correct
    assert priority_score(stored["1"]) > priority_score(stored["2"])


def test_an_author_whose_influence_arrives_later_moves_their_open_mentions_up(in_agency_a):
    channel = make_channel(platform="webhook", config={})
    with transaction.atomic():
        ingest_page(channel=channel, items=[said("1", "Still waiting for my refund", "cleo")])
    # Known from before influence was scored at ingest (a load by COPY, an old row)
    Author.objects.filter(handle="cleo").update(influence=0)
    mentions_priority_refresh(client_id=channel.client_id)
    before = Mention.objects.get(external_id="1").priority_key

    with transaction.atomic():  # the platform now reports her followers
        ingest_page(channel=channel, items=[
            said("2", "Any news on the refund?", "cleo", followers=50_000, minutes=5),
        ])  # fmt: skip

    assert Author.objects.get(handle="cleo").influence > 0
    assert Mention.objects.get(external_id="1").priority_key > before
    assert mentions_priority_refresh(client_id=channel.client_id) == 0
