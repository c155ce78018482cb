"""A broker outage while people are being answered: the acknowledgement is recorded, its reply
waits (pending), and once the broker is back the sweeper queues it again — sent exactly once,
however often it is queued."""

from __future__ import annotations

from datetime import timedelta

import pytest
from kombu.exceptions import OperationalError

from apps.acknowledgements import tasks
from apps.acknowledgements.models import Acknowledgement
from apps.acknowledgements.services import (
    acknowledgement_deliver,
    acknowledgements_requeue_stuck,
    mention_acknowledge,
)
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.services import deliveries_requeue_stuck, events_publish, subscription_create
from apps.webhooks.tasks import deliver_webhook
from tests.accounts.factories import UserFactory
from tests.acknowledgements.test_inbox_workflow import STATUS, mention_on
from tests.channels.factories import make_channel
from tests.channels.fakeplatform import json_response


def broker_down(*args, **kwargs):
    raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


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
    monkeypatch.setattr(tasks.deliver_acknowledgement, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        ack = mention_acknowledge(mention=mention, user=responder, kind="reply", text="Mark, hi!")
    ack.refresh_from_db()
    assert ack.delivery_status == "pending"  # recorded, nothing lost, nothing sent yet
    assert not platform_server.requests_to("POST", "/api/v1/statuses")

    # The broker is back: what the sweeper queues, a worker delivers — here, at once.
    monkeypatch.setattr(
        tasks.deliver_acknowledgement, "delay",
        lambda pk: acknowledgement_deliver(acknowledgement_id=pk),
    )  # fmt: skip
    assert acknowledgements_requeue_stuck(older_than=timedelta(0)) == 1
    assert acknowledgements_requeue_stuck(older_than=timedelta(0)) == 0  # sent: nothing stuck
    acknowledgement_deliver(acknowledgement_id=ack.pk)  # a duplicate task, late
    assert len(platform_server.requests_to("POST", "/api/v1/statuses")) == 1
    assert Acknowledgement.objects.get(pk=ack.pk).delivery_status == "sent"


def test_webhook_events_raised_during_an_outage_are_delivered_once_later(
    in_agency_a, platform_server, monkeypatch, django_capture_on_commit_callbacks
):
    platform_server.route("POST", "/hook", json_response({"ok": True}))
    owner = UserFactory(role="owner")
    subscription_create(url=f"{platform_server.url}/hook", events=["mention.created"], user=owner)
    monkeypatch.setattr(deliver_webhook, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        events_publish(event="mention.created", payloads=[{"id": 1}])
    assert WebhookDelivery.objects.get().status == "pending"

    from apps.webhooks.services import delivery_attempt

    monkeypatch.setattr(deliver_webhook, "delay", lambda pk: delivery_attempt(delivery_id=pk))
    assert deliveries_requeue_stuck(older_than=timedelta(0)) == 1
    assert deliveries_requeue_stuck(older_than=timedelta(0)) == 0
    assert len(platform_server.requests_to("POST", "/hook")) == 1
    assert WebhookDelivery.objects.get().status == "delivered"
