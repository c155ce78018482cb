"""Data retention: an agency keeps mentions for ``retention_days``; older ones are purged daily
with what hangs off them, and nothing of another agency (or of one that keeps forever) goes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import schema_context

from apps.acknowledgements.models import Acknowledgement, AuditEntry, SlaBreach
from apps.acknowledgements.services import mention_acknowledge
from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Author, Mention
from apps.listening.services import mentions_purge_expired
from apps.listening.tasks import purge_expired_mentions
from apps.tenants.services import agency_set_retention
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions

NOW = datetime.now(UTC)


def say(channel, external_id: str, handle: str, age: timedelta) -> Mention:
    store_mentions(channel, [MentionData(
        external_id=external_id, text=f"thoughts on brew {external_id}",
        posted_at=NOW - age, author=AuthorData(handle=handle, display_name=handle),
    )])  # fmt: skip
    return Mention.objects.get(channel=channel, external_id=external_id)


@pytest.fixture
def history(in_agency_a):
    """Old and recent mentions of agency A, with an acknowledgement, a breach and audit rows."""
    owner = UserFactory(role="owner")
    channel = make_channel()
    old = say(channel, "old-1", "only-old", timedelta(days=45))
    old_shared = say(channel, "old-2", "both", timedelta(days=31))
    recent = say(channel, "new-1", "both", timedelta(days=29))
    mention_acknowledge(mention=old, user=owner, kind="replied_elsewhere", text="Thanks!")
    mention_acknowledge(mention=recent, user=owner, kind="replied_elsewhere", text="Thanks!")
    SlaBreach.objects.create(mention=old_shared, due_at=NOW - timedelta(days=30), detected_at=NOW)
    return {"old": old, "old_shared": old_shared, "recent": recent}


def test_mentions_posted_before_the_retention_go_with_what_hangs_off_them(history) -> None:
    old, old_shared, recent = history["old"], history["old_shared"], history["recent"]
    old_ack = Acknowledgement.objects.get(mention=old)
    assert AuditEntry.objects.filter(object_type="mention", object_id=old.pk).exists()

    purged = mentions_purge_expired(days=30, now=NOW, batch_size=1)  # one mention per batch

    assert purged == 2
    assert list(Mention.objects.values_list("external_id", flat=True)) == ["new-1"]
    assert not Acknowledgement.objects.filter(mention_id__in=[old.pk, old_shared.pk]).exists()
    assert not SlaBreach.objects.exists()
    assert not AuditEntry.objects.filter(object_type="mention", object_id=old.pk).exists()
    assert not AuditEntry.objects.filter(object_type="acknowledgement", object_id=old_ack.pk)
    # The author with no mention left goes; the one who also spoke recently stays.
    assert not Author.objects.filter(handle="only-old").exists()
    assert Author.objects.filter(handle="both").exists()
    # What stays is whole: the recent mention, its acknowledgement and its audit trail.
    assert Acknowledgement.objects.filter(mention=recent).count() == 1
    assert AuditEntry.objects.filter(object_type="mention", object_id=recent.pk).exists()
    # The purge itself is on the record.
    entry = AuditEntry.objects.get(action="purge_expired_mentions")
    assert (entry.object_id, entry.after["mentions"], entry.after["authors"]) == (30, 2, 1)


def test_a_second_purge_finds_nothing_more(history) -> None:
    assert mentions_purge_expired(days=30, now=NOW) == 2
    assert mentions_purge_expired(days=30, now=NOW) == 0
    assert Mention.objects.count() == 1


def test_purge_stays_inside_the_current_agency(history, agency_b) -> None:
    with schema_context(agency_b.schema_name):
        other = say(make_channel(), "b-old", "only-old", timedelta(days=400))

    mentions_purge_expired(days=30, now=NOW)

    with schema_context(agency_b.schema_name):
        assert Mention.objects.filter(pk=other.pk).exists()
        assert Author.objects.filter(handle="only-old").exists()


def test_daily_task_purges_agencies_with_retention_and_leaves_the_others(
    history, agency_a, agency_b
) -> None:
    with schema_context(agency_b.schema_name):
        kept_forever = say(make_channel(), "b-ancient", "archivist", timedelta(days=4000))
    agency_set_retention(agency=agency_a, days=30)
    assert agency_b.retention_days is None

    purged = purge_expired_mentions()

    assert purged >= 2
    connection.set_tenant(agency_a)
    assert list(Mention.objects.values_list("external_id", flat=True)) == ["new-1"]
    with schema_context(agency_b.schema_name):
        assert Mention.objects.filter(pk=kept_forever.pk).exists()


def test_no_retention_means_nothing_is_purged(history, agency_a) -> None:
    agency_set_retention(agency=agency_a, days=None)

    purge_expired_mentions()

    connection.set_tenant(agency_a)
    assert Mention.objects.count() == 3


def test_retention_must_be_at_least_a_day(in_agency_a, agency_a) -> None:
    with pytest.raises(ValidationError):
        agency_set_retention(agency=agency_a, days=0)
    with pytest.raises(ValueError):
        mentions_purge_expired(days=0)
