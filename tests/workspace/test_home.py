"""The agency home: an onboarding checklist for owners and managers until every step is done,
then each person's work — staff their queue, SLAs at risk and failing channels; client users
their brand's inbox and latest report, and nothing of other brands."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from apps.acknowledgements.services import sla_policy_update
from apps.channels.connectors.base import AuthorData, MentionData
from apps.channels.models import Channel
from apps.listening.models import Mention
from apps.reporting.models import MonthlyReport
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory, ClientMembershipFactory


def _said(n: int) -> MentionData:
    author = AuthorData(handle=f"person{n}")
    return MentionData(f"m{n}", f"Where is my order {n}?", datetime.now(UTC), author)


def _todo(body: str) -> set[str]:
    return set(re.findall(r'class="todo" data-step="(\w+)"', body))


def test_the_checklist_ticks_off_each_step_then_gives_way_to_the_work(in_agency_a, client_a):
    owner = UserFactory(role="owner")
    client_a.force_login(owner)
    everything = {"client", "channel", "mentions", "sla", "teammate", "client_user"}
    assert _todo(client_a.get("/").content.decode()) == everything - {"teammate"}  # two owners

    brand = ClientFactory()
    channel = make_channel(client=brand)
    assert _todo(client_a.get("/").content.decode()) == {"mentions", "sla", "client_user"}
    store_mentions(channel, [_said(1)])
    sla_policy_update(
        client=brand, user=owner, targets={"urgent": 5, "high": 30, "normal": 60, "low": 600},
        business_hours_only=False, timezone="UTC", opens_at=time(9), closes_at=time(17),
        open_weekdays=range(5),
    )  # fmt: skip
    ClientMembershipFactory(user=UserFactory(role="client_viewer"), client=brand)
    body = client_a.get("/").content.decode()
    assert 'id="onboarding"' not in body
    assert 'id="my-queue"' in body and 'id="sla-at-risk"' in body


def test_staff_see_their_queue_slas_at_risk_and_failing_channels(in_agency_a, client_a):
    responder = UserFactory(role="responder")
    channel = make_channel()
    store_mentions(channel, [_said(1), _said(2), _said(3)])
    first, second, third = Mention.objects.order_by("external_id")
    Mention.objects.filter(pk=first.pk).update(assigned_to=responder, status="assigned")
    Mention.objects.filter(pk=second.pk).update(sla_due_at=timezone.now() + timedelta(minutes=20))
    Mention.objects.filter(pk=third.pk).update(sla_due_at=timezone.now() + timedelta(days=2))
    Channel.objects.filter(pk=channel.pk).update(health="failing", last_error="401 Unauthorized")
    client_a.force_login(responder)
    body = client_a.get("/").content.decode()
    assert 'id="onboarding"' not in body  # the checklist is for owners and managers
    queue = body.split('id="my-queue"')[1].split("</section>")[0]
    assert f"/inbox/{first.pk}/" in queue and f"/inbox/{second.pk}/" not in queue
    at_risk = body.split('id="sla-at-risk"')[1].split("</section>")[0]
    assert f"/inbox/{second.pk}/" in at_risk and f"/inbox/{third.pk}/" not in at_risk
    failing = body.split('id="failing-channels"')[1].split("</section>")[0]
    assert channel.name in failing and "401 Unauthorized" in failing


def test_a_client_user_sees_their_brands_inbox_and_latest_report_only(in_agency_a, client_a):
    mine, theirs = ClientFactory(name="Mine Brand"), ClientFactory(name="Their Brand")
    store_mentions(make_channel(client=mine), [_said(1), _said(2)])
    store_mentions(make_channel(client=theirs), [_said(3)])
    MonthlyReport.objects.create(client=mine, month=date(2026, 11, 1))
    viewer = UserFactory(role="client_viewer")
    ClientMembershipFactory(user=viewer, client=mine)
    client_a.force_login(viewer)
    body = client_a.get("/").content.decode()
    assert "Mine Brand" in body and "Their Brand" not in body
    assert "2 open" in body
    assert f"/reports/clients/{mine.pk}/?since=2026-11-01&amp;until=2026-11-30" in body
    assert "November 2026" in body
