"""``/api/v1/webhooks/``: integrators subscribe, and hear signed events as they happen."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from apps.acknowledgements.models import SlaPolicy
from apps.acknowledgements.services import sla_breaches_detect
from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Mention
from apps.webhooks.models import WebhookDelivery
from apps.webhooks.services import delivery_attempt, events_publish
from tests.accounts.factories import UserFactory
from tests.api.conftest import api_client
from tests.channels.factories import make_channel, store_mentions
from tests.channels.fakeplatform import json_response


def deliver_all() -> None:
    """What the Celery task does for each queued delivery."""
    pending = WebhookDelivery.objects.filter(status="pending").order_by("pk")
    for pk in pending.values_list("pk", flat=True):
        delivery_attempt(delivery_id=pk)


def test_a_subscriber_hears_created_acknowledged_and_breached_mentions(api, platform_server):
    platform_server.route("POST", "/hook", *[json_response({"ok": True})] * 3)
    created = api.post(
        "/api/v1/webhooks/",
        {"url": f"{platform_server.url}/hook",
         "events": ["mention.created", "mention.acknowledged", "sla.breached"]},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    assert "secret" not in api.get(f"/api/v1/webhooks/{created.json()['id']}/").json()

    channel = make_channel()
    SlaPolicy.objects.create(client=channel.client, business_hours_only=False)
    store_mentions(
        channel,
        [MentionData(external_id="1", text="Where is my order?",
                     posted_at=datetime.now(UTC) - timedelta(days=1),
                     author=AuthorData(handle="ana", display_name="Ana Silva"))],
    )  # fmt: skip
    mention = Mention.objects.get(external_id="1")
    sla_breaches_detect()
    acknowledged = api.post(
        f"/api/v1/mentions/{mention.pk}/acknowledge/",
        {"kind": "replied_elsewhere", "text": "Ana, it ships today"},
        format="json",
    )
    assert acknowledged.status_code == 201
    deliver_all()

    received = platform_server.requests_to("POST", "/hook")
    assert [r.json()["event"] for r in received] == [
        "mention.created", "sla.breached", "mention.acknowledged",
    ]  # fmt: skip
    for request in received:
        signed = request.headers["x-rapport-timestamp"].encode() + b"." + request.body
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        assert request.headers["x-rapport-signature"] == f"sha256={expected}"
    assert received[0].json()["data"]["author"]["handle"] == "ana"
    assert received[1].json()["data"]["mention"]["id"] == mention.pk
    assert received[2].json()["data"]["acknowledgement"]["text"] == "Ana, it ships today"

    log = api.get(f"/api/v1/webhooks/{created.json()['id']}/deliveries/").json()["results"]
    assert len(log) == 3 and all(d["status"] == "delivered" for d in log)
    assert [a["status_code"] for a in log[0]["attempt_log"]] == [200]


def test_only_owners_and_managers_see_webhooks(api, agency_a, platform_server):
    made = api.post(
        "/api/v1/webhooks/",
        {"url": f"{platform_server.url}/hook", "events": ["mention.created"]},
        format="json",
    ).json()
    responder = api_client(agency_a, UserFactory(role="responder"))
    assert responder.get("/api/v1/webhooks/").json()["results"] == []
    assert responder.get(f"/api/v1/webhooks/{made['id']}/").status_code == 404
    bad = api.post("/api/v1/webhooks/", {"url": "ftp://x", "events": ["nope"]}, format="json")
    assert bad.status_code == 400 and {"url", "events"} <= set(bad.json())


def test_a_subscription_can_be_created_switched_off(api, platform_server):
    made = api.post(
        "/api/v1/webhooks/",
        {"url": f"{platform_server.url}/hook", "events": ["sla.breached"], "is_active": False},
        format="json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["is_active"] is False
    assert api.get(f"/api/v1/webhooks/{made.json()['id']}/").json()["is_active"] is False
    assert events_publish(event="sla.breached", payloads=[{"mention": {"id": 1}}]) == 0
