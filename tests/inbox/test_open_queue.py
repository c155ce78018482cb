"""Open is the queue of people who need an answer: the brand's own replies, competitors' posts,
spam and repeats never enter it, and every count and SLA reads it the same way."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from apps.acknowledgements.models import SlaBreach, SlaPolicy
from apps.acknowledgements.routing import routing_apply
from apps.acknowledgements.services import sla_breaches_detect
from apps.channels.connectors.base import AuthorData, MentionData
from apps.clients.services import client_accounts_set
from apps.listening.models import Author, Mention
from apps.reporting.selectors import client_report
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory

NOW = datetime.now(UTC).replace(microsecond=0)


def said(external_id, text, handle, parent="", hours_ago=1, followers=None, engagement=0):
    return MentionData(
        external_id=external_id, text=text, posted_at=NOW - timedelta(hours=hours_ago),
        author=AuthorData(handle=handle, followers=followers), parent_external_id=parent,
        engagement=engagement,
    )  # fmt: skip


def listed(response) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-mention="(\d+)"', response.content.decode())}


@pytest.fixture
def bank(in_agency_a):
    """Harbor Bank on Facebook: a complaint, the bank's reply, a competitor's post, spam and a
    repeat — only the complaint (and a second person) need an answer."""
    client = ClientFactory(name="Harbor Bank", brand_handles=["harborbank"])
    client_accounts_set(
        client=client,
        brand_accounts=[{"platform": "webhook", "handle": "Harbor Bank Care"}],
        competitor_accounts=[{"platform": "webhook", "handle": "rivalbank"}],
    )
    channel = make_channel(platform="webhook", config={}, client=client)
    store_mentions(
        channel,
        [
            said("c1", "My card was declined twice, can someone help?", "ana", hours_ago=5,
                 followers=20_000, engagement=40),
            said("r1", "Sorry about this, Ana. DM us and we'll sort it.", "Harbor Bank Care",
                 parent="c1", hours_ago=4, followers=90_000, engagement=300),
            said("x1", "Switch to RivalBank: no fees for a year!", "rivalbank", hours_ago=4,
                 followers=50_000, engagement=200),
            said("s1", "Get 10,000 real followers in 24h!! DM me -> grow-fast.example", "spammy",
                 hours_ago=3),
            said("c2", "Is the Dock Street branch open on Saturday?", "bo", hours_ago=2),
            said("c3", "Is the Dock Street branch open on Saturday?", "bo", hours_ago=1),
        ],
    )  # fmt: skip
    return client


def ids(*external_ids) -> set[int]:
    return set(Mention.objects.filter(external_id__in=external_ids).values_list("pk", flat=True))


def test_open_holds_only_people_who_need_an_answer(bank, client_a):
    client_a.force_login(UserFactory(role="manager"))
    assert listed(client_a.get("/inbox/", {"client": bank.pk})) == ids("c1", "c2")
    assert listed(client_a.get("/inbox/", {"client": bank.pk, "status": "new"})) == ids("c1", "c2")
    assert len(listed(client_a.get("/inbox/", {"client": bank.pk, "status": "all"}))) == 6
    counts = re.sub(
        r"\s+", " ", client_a.get("/inbox/counts/", {"client": bank.pk}).content.decode()
    )
    assert 'Open</span> <span class="count-value">2<' in counts
    assert 'New</span> <span class="count-value">2<' in counts
    assert 'All</span> <span class="count-value">6<' in counts
    assert Mention.objects.open().filter(client=bank).count() == 2


def test_the_brands_reply_is_shown_as_the_brands_in_the_thread(bank, client_a):
    client_a.force_login(UserFactory(role="responder"))
    complaint = Mention.objects.get(external_id="c1")
    html = client_a.get(f"/inbox/{complaint.pk}/").content.decode()
    thread = html[html.index('id="thread-heading"') : html.index('id="acks-heading"')]
    assert "Harbor Bank (brand)" in thread and "Sorry about this" in thread
    competitor = Mention.objects.get(external_id="x1")
    assert "Competitor" in client_a.get(f"/inbox/{competitor.pk}/").content.decode()


def test_accounts_are_never_ranked_as_influencers(bank, client_a):
    # Influence from the first fetch: the page's followers and engagement, before any refresh.
    ana = Author.objects.get(handle="ana")
    assert ana.influence > 0
    brand, rival = (
        Author.objects.get(handle="harbor bank care"),
        Author.objects.get(handle="rivalbank"),
    )
    assert brand.influence > ana.influence and rival.influence > ana.influence
    Author.objects.filter(pk__in=[ana.pk, brand.pk, rival.pk]).update(influence=80)
    client_a.force_login(UserFactory(role="manager"))
    page = client_a.get("/inbox/", {"client": bank.pk, "influencer": "on", "status": "all"})
    assert listed(page) == ids("c1")
    today = NOW.date()
    report = client_report(client=bank, since=today - timedelta(days=1), until=today)
    ranked = [row["handle"] for row in report["top_authors"]]
    assert "ana" in ranked and "harbor bank care" not in ranked and "rivalbank" not in ranked

    from apps.acknowledgements.models import RoutingRule

    rule = RoutingRule.objects.create(client=bank, name="VIPs", position=1, min_influence=50,
                                      add_tag="vip")  # fmt: skip
    routing_apply(rules=[rule], mention_ids=list(Mention.objects.values_list("pk", flat=True)))
    tagged = set(Mention.objects.filter(tags__contains=["vip"]).values_list("pk", flat=True))
    assert tagged == ids("c1")


def test_slas_are_due_and_breached_only_in_open(bank):
    SlaPolicy.objects.create(client=bank, timezone="UTC", business_hours_only=False,
                             targets={"low": 1, "normal": 1, "high": 1, "urgent": 1})  # fmt: skip
    sla_breaches_detect(now=NOW + timedelta(days=2), notify=False)
    breached = set(SlaBreach.objects.values_list("mention_id", flat=True))
    assert breached == ids("c1", "c2")
