"""The inbox's status counts come from counters the database keeps in the same transaction as
every change to a mention — whoever makes it — and always equal a plain COUNT(*)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from apps.accounts.services import team_delete
from apps.acknowledgements.services import (
    mention_labels_correct,
    mentions_acknowledge,
    mentions_act,
    mentions_assign,
)
from apps.channels.connectors.base import AuthorData, MentionData
from apps.channels.services import channel_delete
from apps.clients.services import client_accounts_set, client_delete
from apps.listening.models import COUNT_DIMENSIONS, Mention, MentionCount
from apps.listening.selectors import mention_status_counts
from apps.listening.services import mention_counts_compact, mentions_purge_expired
from tests.accounts.factories import TeamFactory, UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory

NOW = datetime.now(UTC).replace(microsecond=0)
KEY = ", ".join(COUNT_DIMENSIONS)


def said(external_id: str, text: str, handle: str, hours_ago: float = 1) -> MentionData:
    return MentionData(
        external_id=external_id, text=text, posted_at=NOW - timedelta(hours=hours_ago),
        author=AuthorData(handle=handle),
    )  # fmt: skip


def counted() -> dict[tuple, int]:
    """The counters, summed per key (keys summing to zero left out)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {KEY}, sum(n) FROM listening_mentioncount GROUP BY {KEY} HAVING sum(n) <> 0"  # noqa: S608
        )
        return {tuple(row[:-1]): row[-1] for row in cursor.fetchall()}


def scanned() -> dict[tuple, int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {KEY}, count(*) FROM listening_mention GROUP BY {KEY}")  # noqa: S608
        return {tuple(row[:-1]): row[-1] for row in cursor.fetchall()}


def assert_counts_match() -> None:
    assert counted() == scanned()


@pytest.fixture
def bank(in_agency_a):
    """Harbor Bank's mentions, stored by ingest: complaints, a question, spam-looking text."""
    client = ClientFactory(name="Harbor Bank", brand_handles=["harborbank"])
    channel = make_channel(platform="webhook", config={}, client=client, name="Facebook")
    store_mentions(
        channel,
        [
            said("c1", "My card was declined twice, can someone help?", "ana", 5),
            said("c2", "Is the Dock Street branch open on Saturday?", "bo", 4),
            said("c3", "Terrible queue at Dock Street today, awful", "cy", 3),
            said("c4", "Thanks for the quick help, lovely staff!", "di", 2),
            said("c5", "Get 10,000 real followers in 24h!! DM me -> grow-fast.example", "sp", 1),
        ],
    )
    return client


def test_ingest_keeps_the_counters(bank):
    assert_counts_match()
    channel = bank.channels.get()
    store_mentions(channel, [said("c6", "Why is the app down again?", "ed", 0.5)])
    store_mentions(channel, [said("c6", "Why is the app down again?", "ed", 0.5)])  # a repeat
    assert Mention.objects.count() == 6
    assert_counts_match()


def test_every_inbox_action_keeps_the_counters(bank):
    manager = UserFactory(role="manager")
    team = TeamFactory()
    mentions = list(Mention.objects.order_by("external_id"))
    mentions_assign(mentions=mentions[:2], actor=manager, user=manager)
    assert_counts_match()
    mentions_acknowledge(mentions=[mentions[0]], user=manager, kind="resolved_internally")
    assert_counts_match()
    mentions_act(mentions=mentions[2:4], user=manager, action="escalate", team=team, note="x")
    assert_counts_match()
    mentions_act(mentions=[mentions[4]], user=manager, action="dismiss", reason="spam")
    assert_counts_match()
    team_delete(team=team, user=manager)  # its mentions keep going, without a team
    assert_counts_match()


def test_label_spam_and_account_corrections_keep_the_counters(bank):
    manager = UserFactory(role="manager")
    mention_labels_correct(
        mention=Mention.objects.get(external_id="c3"), user=manager, sentiment="positive"
    )
    assert_counts_match()
    client_accounts_set(client=bank, brand_accounts=[{"platform": "webhook", "handle": "di"}])
    assert not Mention.objects.get(external_id="c4").needs_acknowledgement
    assert_counts_match()
    Mention.objects.filter(external_id="c1").update(is_spam=True, needs_acknowledgement=False)
    assert_counts_match()


def test_a_write_from_another_search_path_is_counted_in_its_own_schema(bank, agency_a):
    schema = agency_a.schema_name
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL search_path TO public")
        cursor.execute(
            f'UPDATE "{schema}".listening_mention SET status = %s WHERE external_id = %s',  # noqa: S608
            ["dismissed", "c1"],
        )
        cursor.execute("SHOW search_path")
        assert cursor.fetchone()[0] == "public"  # left as it was
        cursor.execute(f'SET LOCAL search_path TO "{schema}", public')
    assert_counts_match()


def test_deletes_and_the_retention_purge_keep_the_counters(bank):
    other = ClientFactory(name="Other")
    channel = make_channel(platform="webhook", config={}, client=other)
    store_mentions(channel, [said("o1", "Where is my parcel?", "fi", 24 * 40)])
    assert mentions_purge_expired(days=30) == 1
    assert_counts_match()
    Mention.objects.filter(external_id="c2").delete()
    assert_counts_match()
    channel_delete(channel=bank.channels.get())
    assert_counts_match()
    store_mentions(
        make_channel(platform="webhook", config={}, client=other), [said("o2", "Hi?", "gu")]
    )
    other_id = other.pk
    client_delete(client=other)
    assert Mention.objects.count() == 0
    assert_counts_match()
    assert not MentionCount.objects.filter(client_id=other_id).exists()  # nothing outlives it


def test_compaction_merges_deltas_and_keeps_the_totals(bank):
    manager = UserFactory(role="manager")
    for mention in Mention.objects.all():
        mentions_assign(mentions=[mention], actor=manager, user=manager)
    before = counted()
    rows = MentionCount.objects.count()
    left = mention_counts_compact()
    assert left == MentionCount.objects.count() < rows
    assert counted() == before == scanned()
    assert not MentionCount.objects.filter(n=0).exists()


def test_counts_are_scoped_and_use_the_one_definition_of_open(bank, in_agency_a):
    other = ClientFactory(name="Other")
    store_mentions(
        make_channel(platform="webhook", config={}, client=other), [said("o1", "Hi?", "fi")]
    )
    manager = UserFactory(role="manager")
    counts = mention_status_counts(user=manager, filters={"client": bank.pk})
    mentions = Mention.objects.filter(client=bank)
    assert counts["all"] == mentions.count() == 5
    assert counts["open"] == mentions.open().count()
    assert counts["new"] == mentions.open().filter(status="new").count()
    assert counts["open"] < counts["all"]  # spam never enters Open
    member = UserFactory(role="team_member")
    team = TeamFactory()
    team.members.add(member)
    Mention.objects.filter(external_id__in=["c1", "c2"]).update(team=team)
    assert mention_status_counts(user=member)["all"] == 2
    assert mention_status_counts(user=manager)["all"] == 6


def test_the_inbox_tabs_read_the_counters(bank, client_a):
    client_a.force_login(UserFactory(role="manager"))
    MentionCount.objects.create(
        client_id=bank.pk, channel_id=bank.channels.get().pk, sentiment="", intent="",
        priority="normal", status="new", needs_acknowledgement=True, n=1000,
    )  # fmt: skip  # a delta no mention backs: only the counters can show it
    page = re.sub(r"\s+", " ", client_a.get("/inbox/counts/", {"client": bank.pk}).content.decode())
    assert re.search(r'All</span> <span class="count-value">1,?005<', page)
    searched = client_a.get("/inbox/counts/", {"client": bank.pk, "q": "Dock"})
    page = re.sub(r"\s+", " ", searched.content.decode())
    assert 'All</span> <span class="count-value">2<' in page  # search: counted from mentions
