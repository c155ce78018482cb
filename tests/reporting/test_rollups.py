"""Top terms come from daily roll-ups, and stay right when mentions arrive late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from apps.channels.connectors.base import AuthorData, MentionData
from apps.reporting.models import TermDay
from apps.reporting.selectors import client_report
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory

TODAY = datetime.now(UTC).date()


def said(external_id, text, at):
    return MentionData(external_id=external_id, text=text, posted_at=at,
                       author=AuthorData(handle=f"p{external_id}"))  # fmt: skip


def test_ended_days_are_rolled_up_once_and_today_is_counted_live(in_agency_a):
    client = ClientFactory(timezone="UTC")
    channel = make_channel(client=client)
    now = datetime.now(UTC)
    store_mentions(channel, [
        said("1", "latte latte #oat", now - timedelta(days=3)),
        said("2", "latte and croissant #oat", now - timedelta(days=2)),
        said("3", "latte and croissant today #fresh", now),
    ])  # fmt: skip
    period = {"since": (now - timedelta(days=6)).date(), "until": now.date()}

    report = client_report(client=client, **period)
    # Counted in mentions: "latte latte" is one mention using it.
    assert report["top_terms"][:2] == [{"term": "latte", "count": 3},
                                       {"term": "croissant", "count": 2}]  # fmt: skip
    assert report["top_hashtags"] == [{"hashtag": "#oat", "count": 2},
                                      {"hashtag": "#fresh", "count": 1}]  # fmt: skip
    assert TermDay.objects.filter(client=client).count() == 6  # every ended day, today not
    assert client_report(client=client, **period)["top_terms"] == report["top_terms"]

    # A back-fill onto an ended day: that day is rolled up again, with the new mention.
    store_mentions(channel, [said("4", "croissant croissant", now - timedelta(days=2))])
    again = client_report(client=client, **period)
    assert {"term": "croissant", "count": 3} in again["top_terms"]


def test_deleting_a_channel_forgets_the_terms_of_its_mentions(in_agency_a):
    from apps.channels.services import channel_delete

    client = ClientFactory(timezone="UTC")
    channel = make_channel(client=client)
    now = datetime.now(UTC)
    store_mentions(channel, [said("1", "latte latte", now - timedelta(days=3))])
    period = {"since": (now - timedelta(days=6)).date(), "until": now.date()}
    assert client_report(client=client, **period)["top_terms"] == [{"term": "latte", "count": 1}]

    channel_delete(channel=channel)

    assert not TermDay.objects.filter(client=client).exists()
    assert client_report(client=client, **period)["top_terms"] == []


def test_every_stop_word_reaches_the_database_as_written(in_agency_a):
    """The stop words travel as one array literal: each arrives whole — apostrophes, quotes and
    all — so none of them can turn up as a top term."""
    from django.db import connection

    from apps.reporting import rollups

    with connection.cursor() as cursor:
        cursor.execute("SELECT %(stop)s::text[]", rollups._params(ClientFactory(), *[TODAY] * 2))
        (received,) = cursor.fetchone()
    assert received == rollups.STOP_WORDS
    assert {"'ll", "don't", 'piu"'} <= set(received)
