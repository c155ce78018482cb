"""End to end: an event published in agency A reaches its integrator through a real worker."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid

import pytest
from django_tenants.utils import schema_context

from apps.webhooks.models import WebhookDelivery, WebhookSubscription
from apps.webhooks.services import events_publish, subscription_create
from apps.webhooks.tasks import deliver_webhook
from tests.channels.fakeplatform import Canned
from tests.support import CeleryWorker, subprocess_env

pytestmark = pytest.mark.e2e


@pytest.fixture
def committed_subscriptions(agency_a, agency_b, django_db_blocker, platform_server):
    """A subscription in each agency to ``mention.acknowledged``, committed for the worker."""
    platform_server.route("POST", "/alpha", Canned(200))
    platform_server.route("POST", "/beta", Canned(200))
    made = {}
    with django_db_blocker.unblock():
        for agency in (agency_a, agency_b):
            with schema_context(agency.schema_name):
                made[agency.slug] = subscription_create(
                    url=f"{platform_server.url}/{agency.slug}", events=["mention.acknowledged"],
                    user=None,
                )  # fmt: skip
    yield made
    with django_db_blocker.unblock():
        for agency in (agency_a, agency_b):
            with schema_context(agency.schema_name):
                WebhookSubscription.objects.filter(pk=made[agency.slug][0].pk).delete()


def test_a_worker_delivers_an_event_published_in_agency_a_to_agency_a_only(
    committed_subscriptions, agency_a, django_db_blocker, platform_server, monkeypatch
):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(deliver_webhook, "queue", queue, raising=False)  # a private queue
    monkeypatch.setattr(deliver_webhook, "_exec_options", None, raising=False)  # not cached
    _subscription, secret = committed_subscriptions["alpha"]
    with CeleryWorker(queue, subprocess_env()) as worker:
        with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
            # Autocommit: the transaction commits at once, so the task is sent at once.
            published = events_publish(event="mention.acknowledged", payloads=[{"mention": 7}])
            assert published == 1
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                delivery = WebhookDelivery.objects.get()
                if delivery.status != "pending":
                    break
                time.sleep(0.2)
        assert worker.process.poll() is None, "worker died"
        assert delivery.status == "delivered", worker.output()
        assert "apps.webhooks.tasks.deliver_webhook" in worker.output()  # sent by our worker

    (request,) = platform_server.requests_to("POST", "/alpha")
    signed = request.headers["x-rapport-timestamp"].encode() + b"." + request.body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    assert request.headers["x-rapport-signature"] == expected
    assert request.json()["data"] == {"mention": 7}
    assert request.headers["x-rapport-delivery"] == str(delivery.event_id)
    assert platform_server.requests_to("POST", "/beta") == []
