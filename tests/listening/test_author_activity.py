"""When each person first and last spoke of a client (``AuthorActivity``, read by the report's
advocacy funnel and comparison), and which first mention of theirs needs acknowledgement and
when it got it, is kept by the database in the transaction of every change to a mention —
ingest, acknowledgements, corrections, spam flags, deletes, purges — and always equals what the
mentions themselves say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from apps.acknowledgements.services import mention_acknowledge, mention_labels_correct
from apps.channels.connectors.base import AuthorData, MentionData
from apps.clients.services import client_delete
from apps.listening.models import Author, AuthorActivity, Mention
from apps.listening.services import mentions_purge_expired
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory

NOW = datetime.now(UTC).replace(microsecond=0)
PRAISE = "Thank you, lovely staff and brilliant help!"


def said(external_id: str, text: str, handle: str, hours_ago: float, parent: str = ""):
    return MentionData(
        external_id=external_id, text=text, posted_at=NOW - timedelta(hours=hours_ago),
        parent_external_id=parent, author=AuthorData(handle=handle),
    )  # fmt: skip


def kept() -> set[tuple]:
    return set(
        AuthorActivity.objects.values_list(
            "client_id", "author_id", "first_posted_at", "last_posted_at", "last_positive_at",
            "last_unprompted_at", "last_advocacy_at", "first_mention_id", "first_acknowledged_at",
        )
    )  # fmt: skip


def scanned() -> set[tuple]:
    """The same facts from the mentions: the first mention is the lowest id among those posted at
    the first instant that need acknowledgement."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT spoke.*, first.id, first.acknowledged_at FROM ("
            "  SELECT client_id, author_id, min(posted_at) AS first_posted_at, "
            "  max(posted_at) FILTER (WHERE NOT is_spam), "
            "  max(posted_at) FILTER (WHERE NOT is_spam AND sentiment = 'positive'), "
            "  max(posted_at) FILTER (WHERE NOT is_spam AND needs_acknowledgement "
            "  AND parent_external_id = ''), "
            "  max(posted_at) FILTER (WHERE NOT is_spam AND sentiment = 'positive' "
            "  AND needs_acknowledgement AND parent_external_id = '') "
            "  FROM listening_mention GROUP BY 1, 2"
            ") spoke LEFT JOIN LATERAL ("
            "  SELECT m.id, m.acknowledged_at FROM listening_mention m "
            "  WHERE m.client_id = spoke.client_id AND m.author_id = spoke.author_id "
            "  AND m.posted_at = spoke.first_posted_at AND m.needs_acknowledgement "
            "  ORDER BY m.id LIMIT 1"
            ") first ON true"
        )
        return set(cursor.fetchall())


def first_of(handle: str) -> AuthorActivity:
    return AuthorActivity.objects.get(author_id=Author.objects.get(handle=handle).pk)


def mention(external_id: str) -> Mention:
    return Mention.objects.get(external_id=external_id)


def copy_with_id(original: Mention, *, pk: int, external_id: str) -> None:
    """Insert a copy of ``original`` under an id of our choosing (as a transaction that drew its
    id earlier but commits later would)."""
    columns = ", ".join(
        field.column for field in Mention._meta.concrete_fields
        if field.column not in ("id", "external_id") and not getattr(field, "generated", False)
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO listening_mention (id, external_id, {columns}) "  # noqa: S608
            f"SELECT %s, %s, {columns} FROM listening_mention WHERE id = %s",
            [pk, external_id, original.pk],
        )


@pytest.fixture
def cafe(in_agency_a):
    channel = make_channel(platform="webhook", config={}, client=ClientFactory(name="Cafe"))
    store_mentions(
        channel,
        [
            said("a1", "Where is my order?", "ana", 50),
            said("a2", PRAISE, "ana", 20),
            said("a3", PRAISE, "ana", 10, parent="a1"),  # a reply: not advocacy by itself
            said("b1", "The coffee was cold again, awful", "bo", 30),
            said("s1", "Get 10,000 real followers in 24h!! DM me -> grow-fast.example", "sp", 5),
        ],
    )
    return channel


def test_ingest_keeps_first_and_last_words(cafe):
    assert kept() == scanned()
    ana = AuthorActivity.objects.get(author_id=Mention.objects.get(external_id="a1").author_id)
    assert ana.first_posted_at == NOW - timedelta(hours=50)
    assert ana.last_positive_at == NOW - timedelta(hours=10)
    assert ana.last_unprompted_at == NOW - timedelta(hours=20)  # the reply is not counted
    assert ana.last_advocacy_at == NOW - timedelta(hours=20)
    spammer = AuthorActivity.objects.get(author_id=Mention.objects.get(external_id="s1").author_id)
    assert spammer.last_posted_at is None  # spam never counts as speaking
    # A back-filled older mention moves the first word back; a repeat changes nothing.
    store_mentions(cafe, [said("b0", "Hello?", "bo", 60), said("b1", "dup", "bo", 30)])
    assert kept() == scanned()


def test_corrections_spam_flags_and_deletes_recompute_the_person(cafe):
    manager = UserFactory(role="manager")
    mention_labels_correct(
        mention=Mention.objects.get(external_id="a2"), user=manager, sentiment="negative"
    )
    assert kept() == scanned()
    Mention.objects.filter(external_id="a3").update(is_spam=True)
    assert kept() == scanned()
    Mention.objects.filter(external_id="a1").delete()
    assert kept() == scanned()
    Mention.objects.filter(external_id__startswith="a").delete()
    assert kept() == scanned()
    assert AuthorActivity.objects.count() == 2  # ana has nothing left to say


def test_purges_and_client_erasure_leave_nothing_behind(cafe):
    assert mentions_purge_expired(days=1) == 2  # a1 and b1, older than a day
    assert kept() == scanned()
    assert first_of("ana").first_mention_id == mention("a2").pk
    client_delete(client=cafe.client)
    assert not AuthorActivity.objects.exists()


def test_a_write_from_another_search_path_lands_in_its_own_schema(cafe, agency_a):
    schema = agency_a.schema_name
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL search_path TO public")
        cursor.execute(
            f'UPDATE "{schema}".listening_mention SET sentiment = %s WHERE external_id = %s',  # noqa: S608
            ["positive", "b1"],
        )
        cursor.execute(f'SET LOCAL search_path TO "{schema}", public')
    assert kept() == scanned()


def test_the_first_mention_keeps_its_acknowledgement(cafe):
    """Only the acknowledgement of the first mention counts; withdrawn, it is gone; with the
    first mention deleted, the next one and its acknowledgement take its place."""
    manager = UserFactory(role="manager")
    assert first_of("ana").first_mention_id == mention("a1").pk
    assert first_of("ana").first_acknowledged_at is None
    later = NOW - timedelta(hours=19)
    mention_acknowledge(mention=mention("a2"), user=manager, kind="replied_elsewhere", at=later)
    assert first_of("ana").first_acknowledged_at is None  # not the first mention
    at = NOW - timedelta(hours=49)
    mention_acknowledge(mention=mention("a1"), user=manager, kind="replied_elsewhere", at=at)
    assert first_of("ana").first_acknowledged_at == at
    assert kept() == scanned()
    Mention.objects.filter(external_id="a1").update(acknowledged_at=None)
    assert first_of("ana").first_acknowledged_at is None
    assert kept() == scanned()
    Mention.objects.filter(external_id="a1").update(acknowledged_at=at)
    Mention.objects.filter(external_id="a1").delete()
    ana = first_of("ana")
    assert (ana.first_mention_id, ana.first_acknowledged_at) == (mention("a2").pk, later)
    assert kept() == scanned()


def test_an_earlier_mention_or_one_of_the_same_instant_decides_the_first(cafe):
    """The first mention is the lowest id of those posted at the first instant that need
    acknowledgement: a back-dated mention takes its place, a second one of that instant does
    not, unless its id is lower; none when nothing of that instant needs acknowledgement."""
    store_mentions(cafe, [said("b0", "Hello?", "bo", 60)])
    assert first_of("bo").first_mention_id == mention("b0").pk
    store_mentions(cafe, [said("b0-twin", "Hello again?", "bo", 60)])
    assert first_of("bo").first_mention_id == mention("b0").pk
    assert kept() == scanned()
    copy_with_id(mention("b0"), pk=-mention("b0").pk, external_id="b0-early")
    assert first_of("bo").first_mention_id == -mention("b0").pk
    assert kept() == scanned()
    Mention.objects.filter(external_id__in=["b0-early", "b0"]).update(needs_acknowledgement=False)
    assert first_of("bo").first_mention_id == mention("b0-twin").pk
    Mention.objects.filter(external_id="b0-twin").update(needs_acknowledgement=False)
    bo = first_of("bo")
    assert bo.first_mention_id is None  # b1, needing it, came later: bo is no newcomer
    assert bo.first_posted_at == NOW - timedelta(hours=60)
    assert kept() == scanned()
    # One statement storing several at the first instant at once.
    store_mentions(cafe, [said("c2", "Hi", "cy", 70), said("c1", "Hi there", "cy", 70)])
    assert first_of("cy").first_mention_id == min(mention("c1").pk, mention("c2").pk)
    # A mention moved earlier in time becomes the first.
    Mention.objects.filter(external_id="a2").update(posted_at=NOW - timedelta(hours=80))
    assert first_of("ana").first_mention_id == mention("a2").pk
    assert kept() == scanned()


def test_spam_flags_move_the_first_mention(cafe):
    """Marked spam (needing no acknowledgement any more), a first mention no longer makes its
    author a newcomer; cleared, it does again."""
    Mention.objects.filter(external_id="a1").update(is_spam=True, needs_acknowledgement=False)
    ana = first_of("ana")
    assert ana.first_mention_id is None and ana.first_posted_at == NOW - timedelta(hours=50)
    assert kept() == scanned()
    Mention.objects.filter(external_id="a1").update(is_spam=False, needs_acknowledgement=True)
    assert first_of("ana").first_mention_id == mention("a1").pk
    assert kept() == scanned()
