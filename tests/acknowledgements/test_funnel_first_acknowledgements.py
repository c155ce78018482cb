"""Who the advocacy funnel counts as acknowledged in a period — each person once, from their first
acknowledgement in it — is read from ``AcknowledgedMention``: every counted acknowledgement beside
the same person's previous one, kept by the database in the transaction of every change to a
mention. After each kind of change the chains equal what the mentions say, and the funnel equals,
for every period, the query that grouped the mentions themselves (its former text, kept here as
the reference)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import combinations

import pytest
from django.db import connection, transaction
from django.db.models import F

from apps.acknowledgements.selectors import _FUNNEL, _NO_JIT, advocacy_funnel
from apps.acknowledgements.services import mention_acknowledge, mentions_acknowledge
from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import AcknowledgedMention, Author, Mention
from apps.listening.services import mentions_purge_expired
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory

NOW = datetime.now(UTC).replace(microsecond=0)
PRAISE = "Thank you, lovely staff and brilliant help!"

# The funnel as it was: each person's first acknowledgement in the period found by grouping the
# client's acknowledged mentions by author.
_GROUPED = """
    WITH acknowledged AS (
        SELECT author_id, min(acknowledged_at) AS first_at
        FROM listening_mention
        WHERE client_id = %(client)s AND acknowledged_at >= %(since)s
          AND acknowledged_at < %(until)s AND needs_acknowledgement AND NOT is_spam
        GROUP BY author_id
    ), outcome AS ("""
REFERENCE = _GROUPED + _FUNNEL.split("), outcome AS (", 1)[1]


def reference_funnel(*, client, since, until) -> dict[str, int]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_NO_JIT)
        cursor.execute(REFERENCE, {"client": client.pk, "since": since, "until": until})
        row = cursor.fetchone()
    return dict(zip(("acknowledged", "returned", "positive", "advocate"), row, strict=True))


def kept() -> set[tuple]:
    return set(
        AcknowledgedMention.objects.values_list(
            "client_id", "author_id", "acknowledged_at", "mention_id", "previous_at"
        )
    )


def scanned() -> set[tuple]:
    """The chains from the mentions: every counted acknowledgement and the same person's previous
    one, ordered by time, then mention id."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT client_id, author_id, acknowledged_at, id, lag(acknowledged_at) OVER ("
            "  PARTITION BY client_id, author_id ORDER BY acknowledged_at, id) "
            "FROM listening_mention "
            "WHERE acknowledged_at IS NOT NULL AND needs_acknowledgement AND NOT is_spam"
        )
        return set(cursor.fetchall())


def assert_funnel_exact(client) -> None:
    """The chains equal the mentions, and the funnel the reference for every period bounded by
    an acknowledgement's instant (just before, at or just after it) or a day around them all."""
    assert kept() == scanned()
    instants = set(
        Mention.objects.filter(client=client, acknowledged_at__isnull=False).values_list(
            "acknowledged_at", flat=True
        )
    )
    bounds = {NOW - timedelta(days=30), NOW + timedelta(days=1)}
    for instant in instants:
        bounds |= {instant - timedelta(seconds=1), instant, instant + timedelta(seconds=1)}
    for since, until in combinations(sorted(bounds), 2):
        assert advocacy_funnel(client=client, since=since, until=until) == reference_funnel(
            client=client, since=since, until=until
        ), (since, until)


def said(external_id: str, text: str, handle: str, hours_ago: float) -> MentionData:
    return MentionData(
        external_id=external_id, text=text, posted_at=NOW - timedelta(hours=hours_ago),
        author=AuthorData(handle=handle),
    )  # fmt: skip


def mention(external_id: str) -> Mention:
    return Mention.objects.get(external_id=external_id)


def acknowledge(external_id: str, hours_ago: float) -> None:
    mention_acknowledge(
        mention=mention(external_id), user=UserFactory(role="manager"),
        kind="replied_elsewhere", at=NOW - timedelta(hours=hours_ago),
    )  # fmt: skip


def between(hours_ago: float, until_hours_ago: float = -24) -> dict[str, int]:
    """The funnel of ``[NOW - hours_ago, NOW - until_hours_ago)``."""
    client = Mention.objects.first().client
    return advocacy_funnel(
        client=client, since=NOW - timedelta(hours=hours_ago),
        until=NOW - timedelta(hours=until_hours_ago),
    )  # fmt: skip


@pytest.fixture
def cafe(in_agency_a):
    """Ana asked three times and was answered each time (50, 30 and 10 hours ago) and came back
    happy; Bo complained once and was answered; Cy was never answered."""
    channel = make_channel(platform="webhook", config={}, client=ClientFactory(name="Cafe"))
    store_mentions(
        channel,
        [
            said("a1", "Where is my order?", "ana", 52),
            said("a2", "Still no parcel, any news?", "ana", 32),
            said("a3", "Can I change the address?", "ana", 12),
            said("a4", PRAISE, "ana", 2),
            said("b1", "The coffee was cold again, awful", "bo", 40),
            said("c1", "Do you deliver on Sundays?", "cy", 20),
        ],
    )
    for external_id, hours_ago in (("a1", 50), ("a2", 30), ("a3", 10), ("b1", 35)):
        acknowledge(external_id, hours_ago)
    return channel


def test_a_person_counts_once_from_their_first_acknowledgement_of_the_period(cafe):
    assert between(60) == {"acknowledged": 2, "returned": 1, "positive": 1, "advocate": 1}
    # A period starting between two of Ana's acknowledgements counts her from the next one.
    assert between(40)["acknowledged"] == 2
    assert between(20)["acknowledged"] == 1
    assert between(60, until_hours_ago=45)["acknowledged"] == 1
    ana = Author.objects.get(handle="ana").pk
    chain = AcknowledgedMention.objects.filter(author_id=ana).order_by("acknowledged_at")
    assert [row.previous_at for row in chain] == [
        None, NOW - timedelta(hours=50), NOW - timedelta(hours=30),
    ]  # fmt: skip
    assert_funnel_exact(cafe.client)


def test_acknowledging_and_withdrawing_rebuild_the_chain(cafe):
    acknowledge("c1", 15)
    assert between(60)["acknowledged"] == 3
    assert_funnel_exact(cafe.client)
    Mention.objects.filter(external_id="a2").update(acknowledged_at=None)  # the middle one
    assert_funnel_exact(cafe.client)
    Mention.objects.filter(external_id="a1").update(acknowledged_at=None)  # the first
    assert between(40)["acknowledged"] == 3  # Ana now first acknowledged 10 hours ago
    assert_funnel_exact(cafe.client)


def test_an_acknowledgement_back_dated_before_an_earlier_one_reorders_the_chain(cafe):
    Mention.objects.filter(external_id="a3").update(acknowledged_at=NOW - timedelta(hours=51))
    assert between(60, until_hours_ago=50.5)["acknowledged"] == 1
    assert_funnel_exact(cafe.client)
    Mention.objects.filter(external_id="a3").update(acknowledged_at=NOW - timedelta(hours=1))
    assert_funnel_exact(cafe.client)


def test_spam_flags_and_needing_no_acknowledgement_take_an_acknowledgement_out(cafe):
    Mention.objects.filter(external_id="a1").update(is_spam=True)
    assert between(60, until_hours_ago=45)["acknowledged"] == 0
    assert_funnel_exact(cafe.client)
    Mention.objects.filter(external_id="b1").update(needs_acknowledgement=False)
    assert_funnel_exact(cafe.client)
    Mention.objects.filter(external_id__in=["a1", "b1"]).update(
        is_spam=False, needs_acknowledgement=True
    )
    assert between(60) == {"acknowledged": 2, "returned": 1, "positive": 1, "advocate": 1}
    assert_funnel_exact(cafe.client)


def test_deleting_mentions_and_purges_leave_the_rest_of_the_chain_right(cafe):
    Mention.objects.filter(external_id="a2").delete()
    assert_funnel_exact(cafe.client)
    assert mentions_purge_expired(days=2) == 1  # a1, posted over two days ago
    assert_funnel_exact(cafe.client)
    Mention.objects.filter(author__handle="ana").delete()
    assert not AcknowledgedMention.objects.filter(author_id=Author.objects.get(handle="ana").pk)
    assert_funnel_exact(cafe.client)


def test_acknowledgements_of_one_person_at_the_same_instant_count_once(cafe):
    at = NOW - timedelta(hours=5)
    Mention.objects.filter(external_id__in=["a2", "a3"]).update(acknowledged_at=at)
    assert between(6)["acknowledged"] == 1
    assert between(60)["acknowledged"] == 2
    assert_funnel_exact(cafe.client)
    Mention.objects.filter(external_id="a3").update(acknowledged_at=None)
    assert between(6)["acknowledged"] == 1
    assert_funnel_exact(cafe.client)


def test_a_mention_moved_to_another_person_or_stored_acknowledged_joins_their_chain(cafe):
    Mention.objects.filter(external_id="a1").update(author=Author.objects.get(handle="cy"))
    assert between(60)["acknowledged"] == 3
    assert_funnel_exact(cafe.client)
    columns = ", ".join(
        field.column for field in Mention._meta.concrete_fields
        if field.column not in ("id", "external_id") and not getattr(field, "generated", False)
    )  # fmt: skip
    with connection.cursor() as cursor:  # an import of mentions acknowledged elsewhere
        cursor.execute(
            f"INSERT INTO listening_mention (external_id, {columns}) "  # noqa: S608
            f"SELECT external_id || '-copy', {columns} FROM listening_mention "
            "WHERE acknowledged_at IS NOT NULL"
        )
    assert_funnel_exact(cafe.client)


def test_bulk_changes_of_many_people_in_one_statement(cafe):
    """Over 64 people at once the statement locks the chains' table instead of each person."""
    store_mentions(
        cafe,
        [said(f"p{n}-{k}", f"Question {k} from person {n}", f"p{n}", 40 - k) for n in range(80)
         for k in range(3)],
    )  # fmt: skip
    many = Mention.objects.filter(external_id__startswith="p")
    mentions_acknowledge(
        mentions=list(many.filter(external_id__endswith="-0")), user=UserFactory(role="manager"),
        kind="replied_elsewhere", at=NOW - timedelta(hours=30),
    )  # fmt: skip
    assert_funnel_exact(cafe.client)
    many.update(acknowledged_at=F("posted_at") + timedelta(minutes=5))
    assert between(60)["acknowledged"] == 82
    assert_funnel_exact(cafe.client)
    many.filter(external_id__endswith="-1").update(acknowledged_at=None)
    assert_funnel_exact(cafe.client)
    many.filter(external_id__startswith="p1").update(is_spam=True)  # a dozen people
    assert_funnel_exact(cafe.client)
    Mention.objects.filter(external_id__endswith="-0").delete()
    assert_funnel_exact(cafe.client)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no deferred checks left pending
        cursor.execute("TRUNCATE listening_mention CASCADE")
    assert not AcknowledgedMention.objects.exists()


def test_a_write_from_another_search_path_lands_in_its_own_schema(cafe, agency_a):
    schema = agency_a.schema_name
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL search_path TO public")
        cursor.execute(
            f'UPDATE "{schema}".listening_mention SET acknowledged_at = %s '  # noqa: S608
            "WHERE external_id = 'c1'",
            [NOW - timedelta(hours=3)],
        )
        cursor.execute(f'SET LOCAL search_path TO "{schema}", public')
    assert_funnel_exact(cafe.client)


def test_a_new_agency_gets_the_triggers_from_its_template(agency_a, db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relname = 'listening_mention' "
            "AND t.tgname LIKE 'listening_acknowledged_mention%%' ORDER BY 1",
            [agency_a.schema_name],
        )
        assert [name for (name,) in cursor.fetchall()] == [
            f"listening_acknowledged_mention_{operation}"
            for operation in ("delete", "insert", "truncate", "update")
        ]
