"""When each person first and last spoke of a client (``AuthorActivity``, read by the report's
advocacy funnel and comparison) is kept by the database in the transaction of every change to a
mention — ingest, corrections, spam flags, deletes, purges — and always equals what the
mentions themselves say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from apps.acknowledgements.services import mention_labels_correct
from apps.channels.connectors.base import AuthorData, MentionData
from apps.clients.services import client_delete
from apps.listening.models import AuthorActivity, Mention
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
            "last_unprompted_at", "last_advocacy_at",
        )
    )  # fmt: skip


def scanned() -> set[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT client_id, author_id, min(posted_at), "
            "max(posted_at) FILTER (WHERE NOT is_spam), "
            "max(posted_at) FILTER (WHERE NOT is_spam AND sentiment = 'positive'), "
            "max(posted_at) FILTER (WHERE NOT is_spam AND needs_acknowledgement "
            "AND parent_external_id = ''), "
            "max(posted_at) FILTER (WHERE NOT is_spam AND sentiment = 'positive' "
            "AND needs_acknowledgement AND parent_external_id = '') "
            "FROM listening_mention GROUP BY 1, 2"
        )
        return set(cursor.fetchall())


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
