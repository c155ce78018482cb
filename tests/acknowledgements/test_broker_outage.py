"""A broker outage while people are being answered: the acknowledgement is recorded, its reply
waits in the outbox, and once the broker is back the outbox sweep publishes it — sent exactly
once, however often it is queued."""

from __future__ import annotations

import pytest

from apps.acknowledgements import tasks
from apps.acknowledgements.models import Acknowledgement
from apps.acknowledgements.services import acknowledgement_deliver, mention_acknowledge
from apps.core.outbox import outbox_pending, outbox_publish_due
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.services import delivery_attempt, events_publish, subscription_create
from apps.webhooks.tasks import deliver_webhook
from tests.accounts.factories import UserFactory
from tests.acknowledgements.test_inbox_workflow import STATUS, mention_on
from tests.channels.factories import make_channel
from tests.channels.fakeplatform import json_response
from tests.support import BrokerDown


@pytest.fixture
def mastodon(in_agency_a, platform_server):
    platform_server.route(
        "GET", f"/api/v1/statuses/{STATUS}", json_response("mastodon/status_private.json")
    )
    platform_server.route("POST", "/api/v1/statuses", json_response("mastodon/status_created.json"))
    return make_channel(
        platform="mastodon", config={"base_url": platform_server.url, "mode": "mentions"},
        credentials={"access_token": "mastodon-token-123"},
    )  # fmt: skip


def test_a_reply_queued_during_an_outage_is_sent_once_the_broker_is_back(
    mastodon, platform_server, monkeypatch, django_capture_on_commit_callbacks
):
    responder = UserFactory(role="responder")
    mention = mention_on(mastodon, STATUS, "markb", "Mark Brown")
    with BrokerDown(), django_capture_on_commit_callbacks(execute=True):
        ack = mention_acknowledge(mention=mention, user=responder, kind="reply", text="Mark, hi!")
    ack.refresh_from_db()
    assert ack.delivery_status == "pending"  # recorded, nothing lost, nothing sent yet
    (waiting,) = outbox_pending(schema_name="alpha")
    assert (waiting.task, waiting.args, waiting.attempts) == (
        "apps.acknowledgements.tasks.deliver_acknowledgement", [ack.pk], 1,
    )  # fmt: skip
    assert "Connection refused" in waiting.last_error
    assert not platform_server.requests_to("POST", "/api/v1/statuses")

    # The broker is back: what the sweep publishes, a worker delivers — here, at once.
    monkeypatch.setattr(
        tasks.deliver_acknowledgement, "apply_async",
        lambda args, **options: acknowledgement_deliver(acknowledgement_id=args[0]),
    )  # fmt: skip
    assert outbox_publish_due() == 1
    assert outbox_publish_due() == 0  # published: nothing left
    acknowledgement_deliver(acknowledgement_id=ack.pk)  # a duplicate task, late
    assert len(platform_server.requests_to("POST", "/api/v1/statuses")) == 1
    assert Acknowledgement.objects.get(pk=ack.pk).delivery_status == "sent"


def test_webhook_events_raised_during_an_outage_are_delivered_once_later(
    in_agency_a, platform_server, monkeypatch, django_capture_on_commit_callbacks
):
    platform_server.route("POST", "/hook", json_response({"ok": True}))
    owner = UserFactory(role="owner")
    subscription_create(url=f"{platform_server.url}/hook", events=["mention.created"], user=owner)
    with BrokerDown(), django_capture_on_commit_callbacks(execute=True):
        events_publish(event="mention.created", payloads=[{"id": 1}])
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "pending"
    assert [m.args for m in outbox_pending(schema_name="alpha")] == [[delivery.pk]]

    monkeypatch.setattr(
        deliver_webhook, "apply_async",
        lambda args, **options: delivery_attempt(delivery_id=args[0]),
    )  # fmt: skip
    assert outbox_publish_due() == 1
    assert outbox_publish_due() == 0
    delivery_attempt(delivery_id=delivery.pk)  # a duplicate task, late
    assert len(platform_server.requests_to("POST", "/hook")) == 1
    assert WebhookDelivery.objects.get().status == "delivered"
