"""SLA clocks run in the client's business time; a breach is recorded and notified once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from apps.acknowledgements.models import SlaBreach, SlaPolicy
from apps.acknowledgements.services import mention_acknowledge, sla_breaches_detect
from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Author, Mention
from apps.reporting.selectors import client_report
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions

FRIDAY_1755 = datetime(2026, 11, 20, 17, 55, tzinfo=UTC)  # London is on UTC in November
MONDAY_0925 = datetime(2026, 11, 23, 9, 25, tzinfo=UTC)


@pytest.fixture
def channel(in_agency_a):
    channel = make_channel(platform="webhook", config={})
    SlaPolicy.objects.create(
        client=channel.client, timezone="Europe/London", targets={"normal": 30, "urgent": 5}
    )
    return channel


def said(channel, external_id, at=FRIDAY_1755, handle="ana"):
    item = MentionData(external_id=external_id, text=f"Help please ({external_id})", posted_at=at,
                       author=AuthorData(handle=handle, display_name="Ana Lopes"))  # fmt: skip
    store_mentions(channel, [item])
    return Mention.objects.select_related("author", "channel").get(external_id=external_id)


def test_friday_evening_mention_breaches_monday_at_0925_and_only_once(channel):
    UserFactory(email="lead@alpha.test", role="manager")
    mention = said(channel, "late-friday")

    assert sla_breaches_detect(now=MONDAY_0925 - timedelta(minutes=1)) == []
    mention.refresh_from_db()
    assert mention.sla_due_at == MONDAY_0925

    first = sla_breaches_detect(now=MONDAY_0925 + timedelta(minutes=1))
    again = sla_breaches_detect(now=MONDAY_0925 + timedelta(minutes=2))

    assert len(first) == 1 and again == []
    breach = SlaBreach.objects.get()
    assert (breach.mention_id, breach.due_at, breach.notified) == (mention.pk, MONDAY_0925, True)
    assert len(mail.outbox) == 1
    assert "missed their SLA" in mail.outbox[0].subject and "@ana" in mail.outbox[0].body
    assert set(mail.outbox[0].to) == {"owner@alpha.test", "lead@alpha.test"}


def test_the_database_refuses_a_second_breach_for_a_mention(channel):
    mention = said(channel, "once")
    SlaBreach.objects.create(mention=mention, due_at=MONDAY_0925, detected_at=MONDAY_0925)
    with pytest.raises(IntegrityError), transaction.atomic():
        SlaBreach.objects.create(mention=mention, due_at=MONDAY_0925, detected_at=MONDAY_0925)


def test_acknowledged_or_dismissed_mentions_never_breach(channel):
    responder = UserFactory(role="responder")
    answered = said(channel, "answered", handle="bo")
    mention_acknowledge(mention=answered, user=responder, kind="replied_elsewhere", text="Hi Bo")
    assert sla_breaches_detect(now=MONDAY_0925 + timedelta(days=1)) == []


def test_priority_sets_the_target(channel):
    urgent = said(channel, "urgent", at=datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    Mention.objects.filter(pk=urgent.pk).update(priority="urgent")
    sla_breaches_detect(now=datetime(2026, 11, 23, 10, 1, tzinfo=UTC))
    urgent.refresh_from_db()
    assert urgent.sla_due_at == datetime(2026, 11, 23, 10, 5, tzinfo=UTC)


def test_time_to_acknowledge_is_counted_in_business_minutes(channel):
    mention = said(channel, "weekend")
    from django.utils import timezone as django_timezone

    responder = UserFactory(role="responder")
    real_now = django_timezone.now
    django_timezone.now = lambda: MONDAY_0925  # acknowledged on Monday morning
    try:
        mention_acknowledge(
            mention=mention, user=responder, kind="replied_elsewhere", text="Hi Ana"
        )
    finally:
        django_timezone.now = real_now
    mention.refresh_from_db()
    assert mention.time_to_acknowledge_minutes == 30.0  # 5 on Friday + 25 on Monday
    # Answered before any check ran: it still gets its due date, so attainment counts it.
    assert mention.sla_due_at == MONDAY_0925


def test_clients_without_a_policy_have_no_sla(in_agency_a):
    channel = make_channel(platform="webhook", config={})
    mention = said(channel, "no-policy")
    assert sla_breaches_detect(now=MONDAY_0925 + timedelta(days=30)) == []
    mention.refresh_from_db()
    assert mention.sla_due_at is None


def test_two_checks_at_the_same_time_record_each_breach_once(agency_a, django_db_blocker):
    import threading

    from django.db import connection
    from django_tenants.utils import schema_context

    from apps.clients.models import Client

    with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
        channel = make_channel(platform="webhook", config={})
        SlaPolicy.objects.create(client=channel.client, timezone="Europe/London")
        for n in range(200):
            said(channel, f"concurrent-{n}", handle=f"c{n}")
    results: list[list[int]] = []

    def check() -> None:
        with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
            try:
                results.append(sla_breaches_detect(now=MONDAY_0925 + timedelta(days=7)))
            finally:
                connection.close()

    try:
        threads = [threading.Thread(target=check) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
            recorded = SlaBreach.objects.filter(mention__channel=channel).count()
        assert len(results) == 2
        assert len(results[0]) + len(results[1]) == 200
        assert recorded == 200
        assert not set(results[0]) & set(results[1])  # no breach recorded by both
    finally:
        with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
            authors = list(Mention.objects.filter(channel=channel).values_list("author", flat=True))
            Mention.objects.filter(channel=channel).delete()
            Client.objects.filter(pk=channel.client_id).delete()
            Author.objects.filter(pk__in=authors).delete()


def test_a_follow_up_breaches_its_next_response_target_once_and_counts_in_the_report(channel):
    SlaPolicy.objects.filter(client=channel.client).update(next_response_minutes=20)
    opening = said(channel, "opening", at=FRIDAY_1755 - timedelta(hours=2))
    mention_acknowledge(
        mention=opening, user=UserFactory(), kind="replied_elsewhere", text="Ana, on it",
        at=FRIDAY_1755 - timedelta(hours=1),
    )  # fmt: skip
    store_mentions(channel, [MentionData(
        external_id="again", text="Still waiting for the refund", parent_external_id="opening",
        posted_at=FRIDAY_1755 - timedelta(minutes=5),  # 17:50: ten business minutes left
        author=AuthorData(handle="ana", display_name="Ana Lopes"),
    )])  # fmt: skip
    follow_up = Mention.objects.select_related("author", "channel").get(external_id="again")
    assert follow_up.is_follow_up

    # Ten minutes on Friday, ten on Monday morning: the next-response target, not the first's 30.
    due = MONDAY_0925 - timedelta(minutes=15)
    assert sla_breaches_detect(now=due - timedelta(minutes=1)) == []
    follow_up.refresh_from_db()
    assert follow_up.sla_due_at == due
    assert len(sla_breaches_detect(now=due + timedelta(minutes=1))) == 1
    assert sla_breaches_detect(now=due + timedelta(minutes=30)) == []
    breach = SlaBreach.objects.get()
    assert (breach.mention_id, breach.kind) == (follow_up.pk, SlaBreach.Kind.NEXT)

    mention_acknowledge(
        mention=follow_up, user=UserFactory(), kind="replied_elsewhere", text="Ana: refunded",
        at=MONDAY_0925 + timedelta(minutes=15),  # 09:40, 40 business minutes into Monday
    )  # fmt: skip
    report = client_report(
        client=channel.client, since=FRIDAY_1755.date(), until=FRIDAY_1755.date()
    )
    assert report["median_next_response_minutes"] == 50.0  # 10 on Friday + 40 on Monday
    assert report["median_time_to_acknowledge_minutes"] == 60.0  # the opening, first response
