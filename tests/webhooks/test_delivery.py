"""Sending events to integrators: signed bodies, retries with a delivery log, auto-disable,
SSRF checks at send time, and events reaching only the right agency's subscribers."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
import uuid
from datetime import datetime

import pytest
from cryptography.fernet import Fernet
from django_tenants.utils import schema_context

from apps.webhooks import services
from apps.webhooks.models import WebhookDelivery, WebhookSubscription
from apps.webhooks.selectors import delivery_list, subscription_get
from apps.webhooks.services import (
    DISABLE_AFTER,
    MAX_ATTEMPTS,
    delivery_attempt,
    events_publish,
    retry_delay,
    subscription_update,
)
from apps.webhooks.tasks import deliver_webhook
from tests.accounts.factories import UserFactory
from tests.channels.fakeplatform import Canned

from .factories import HOOK_PATH, make_subscription

ACKNOWLEDGED = {"mention": 41, "kind": "reply", "text": "Thanks, Mark!", "user": "sam@alpha.test"}


def deliver_pending() -> list[str]:
    """Run the Celery task for every pending delivery, retries included, as a worker would."""
    pending = WebhookDelivery.objects.filter(status="pending").order_by("pk")
    return [deliver_webhook.apply(args=[pk]).get() for pk in pending.values_list("pk", flat=True)]


def expected_signature(secret: str, request) -> str:
    """What a receiver computes: HMAC-SHA256 of "{X-Rapport-Timestamp}.{raw body}"."""
    message = request.headers["x-rapport-timestamp"].encode() + b"." + request.body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def test_receiver_gets_the_event_signed_with_the_subscription_secret(
    subscribed, receiver, django_capture_on_commit_callbacks
):
    subscription, secret = subscribed
    with django_capture_on_commit_callbacks() as queued:
        assert events_publish(event="mention.acknowledged", payloads=[ACKNOWLEDGED]) == 1
    assert len(queued) == 1  # tasks go out only once the publishing transaction commits

    assert deliver_pending() == ["delivered"]

    (request,) = receiver.requests_to("POST", HOOK_PATH)
    assert request.headers["x-rapport-signature"] == expected_signature(secret, request)
    assert abs(int(request.headers["x-rapport-timestamp"]) - time.time()) < 300  # Unix seconds
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-rapport-event"] == "mention.acknowledged"
    body = request.json()
    assert set(body) == {"id", "event", "created_at", "data"}
    assert body["event"] == "mention.acknowledged" and body["data"] == ACKNOWLEDGED
    assert request.headers["x-rapport-delivery"] == body["id"] == str(uuid.UUID(body["id"]))
    assert datetime.fromisoformat(body["created_at"]).tzinfo is not None

    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 204)
    assert delivery.delivered_at is not None and str(delivery.event_id) == body["id"]


def test_a_signature_made_with_another_secret_does_not_verify(subscribed, receiver):
    events_publish(event="mention.acknowledged", payloads=[ACKNOWLEDGED])
    deliver_pending()
    (request,) = receiver.requests_to("POST", HOOK_PATH)
    assert request.headers["x-rapport-signature"] != expected_signature("guess", request)


def test_failing_receiver_is_retried_and_the_log_shows_every_attempt(subscribed, receiver):
    subscription, secret = subscribed
    receiver.route(
        "POST", HOOK_PATH,
        Canned(500, "database is down"), Canned(502), Canned(200, {"ok": True}),
    )  # fmt: skip
    events_publish(event="mention.acknowledged", payloads=[ACKNOWLEDGED])

    assert deliver_pending() == ["delivered"]

    (delivery,) = delivery_list(subscription)
    log = [(a.number, a.status_code, a.error) for a in delivery.attempt_log.all()]
    assert log == [
        (1, 500, "Answered 500: database is down"),
        (2, 502, "Answered 502"),
        (3, 200, ""),
    ]
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("delivered", 3, "")
    requests = receiver.requests_to("POST", HOOK_PATH)
    assert len({r.body for r in requests}) == 1  # every retry sends the same event, same bytes
    assert all(r.headers["x-rapport-signature"] == expected_signature(secret, r) for r in requests)


def test_delivery_fails_for_good_after_the_last_attempt(subscribed, receiver):
    subscription, _ = subscribed
    receiver.route("POST", HOOK_PATH, Canned(503))
    events_publish(event="mention.acknowledged", payloads=[ACKNOWLEDGED])

    assert deliver_pending() == ["failed"]

    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        "failed", MAX_ATTEMPTS, 503,
    )  # fmt: skip
    assert len(receiver.requests_to("POST", HOOK_PATH)) == MAX_ATTEMPTS
    assert subscription_get(subscription.pk).consecutive_failures == 1
    assert delivery_attempt(delivery_id=delivery.pk).attempts == MAX_ATTEMPTS  # not sent again


def test_a_delivered_event_is_never_sent_twice(subscribed, receiver):
    events_publish(event="mention.acknowledged", payloads=[ACKNOWLEDGED])
    (delivery_id,) = WebhookDelivery.objects.values_list("pk", flat=True)
    assert deliver_webhook.apply(args=[delivery_id]).get() == "delivered"

    assert deliver_webhook.apply(args=[delivery_id]).get() == "delivered"  # a duplicate task
    assert delivery_attempt(delivery_id=delivery_id).attempts == 1
    assert len(receiver.requests_to("POST", HOOK_PATH)) == 1


def test_subscription_is_disabled_after_repeated_failed_deliveries_and_managers_are_told(
    subscribed, receiver, mailoutbox
):
    subscription, _ = subscribed
    UserFactory(role="manager", email="manager@alpha.test")
    UserFactory(role="responder", email="responder@alpha.test")
    receiver.route("POST", HOOK_PATH, Canned(500, "nope"))
    events_publish(
        event="mention.acknowledged", payloads=[{"mention": n} for n in range(DISABLE_AFTER - 1)]
    )
    assert set(deliver_pending()) == {"failed"}
    assert subscription_get(subscription.pk).is_active and not mailoutbox

    events_publish(event="mention.acknowledged", payloads=[{"mention": 99}])
    deliver_pending()

    stored = subscription_get(subscription.pk)
    assert not stored.is_active and stored.disabled_at is not None
    assert stored.consecutive_failures == DISABLE_AFTER
    assert f"after {DISABLE_AFTER} failed deliveries in a row" in stored.disabled_reason
    assert "Answered 500: nope" in stored.disabled_reason
    (mail,) = mailoutbox
    assert set(mail.to) == {"owner@alpha.test", "manager@alpha.test"}
    assert subscription.url in mail.subject and "disabled" in mail.subject
    assert events_publish(event="mention.acknowledged", payloads=[ACKNOWLEDGED]) == 0


def test_a_delivery_queued_before_the_subscription_was_switched_off_is_not_sent(
    subscribed, receiver
):
    subscription, _ = subscribed
    events_publish(event="mention.acknowledged", payloads=[ACKNOWLEDGED])
    subscription_update(subscription=subscription, is_active=False)

    assert deliver_pending() == ["failed"]
    assert receiver.requests_to("POST", HOOK_PATH) == []
    assert "switched off" in WebhookDelivery.objects.get().last_error


def test_a_successful_delivery_resets_the_run_of_failures(subscribed, receiver):
    subscription, _ = subscribed
    receiver.route("POST", HOOK_PATH, *[Canned(500)] * MAX_ATTEMPTS, Canned(200))
    events_publish(event="mention.acknowledged", payloads=[{"mention": 1}])
    deliver_pending()
    assert subscription_get(subscription.pk).consecutive_failures == 1

    events_publish(event="mention.acknowledged", payloads=[{"mention": 2}])
    assert deliver_pending() == ["delivered"]
    assert subscription_get(subscription.pk).consecutive_failures == 0


def test_redirects_are_not_followed(subscribed, receiver):
    receiver.route("POST", HOOK_PATH, Canned(307, headers={"Location": "{{BASE_URL}}/elsewhere"}))
    receiver.route("POST", "/elsewhere", Canned(200))
    events_publish(event="mention.acknowledged", payloads=[ACKNOWLEDGED])

    delivery = delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk)

    assert (delivery.status, delivery.last_status_code) == ("pending", 307)  # to be retried
    assert "redirects are not followed" in delivery.last_error
    assert receiver.requests_to("POST", "/elsewhere") == []


def test_a_receiver_that_does_not_answer_in_time_is_a_failed_attempt(
    subscribed, receiver, monkeypatch
):
    monkeypatch.setattr(services, "TIMEOUT_SECONDS", 0.3)
    receiver.route("POST", HOOK_PATH, Canned(200, delay=1.5))
    events_publish(event="mention.acknowledged", payloads=[ACKNOWLEDGED])

    delivery = delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk)

    (attempt,) = delivery.attempt_log.all()
    assert (attempt.status_code, attempt.error) == (None, "No answer within 0.3 s.")
    assert attempt.duration_ms >= 250  # it waited out the timeout (how much longer: load)
    assert delivery.status == "pending"


def test_an_unreachable_receiver_is_a_failed_attempt(in_agency_a):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    make_subscription(url=f"http://127.0.0.1:{port}/hooks")
    events_publish(event="mention.acknowledged", payloads=[ACKNOWLEDGED])

    delivery = delivery_attempt(delivery_id=WebhookDelivery.objects.get().pk)

    assert delivery.status == "pending" and delivery.last_status_code is None
    assert delivery.last_error.startswith("Connection failed")


def test_urls_are_checked_again_when_sending(subscribed, receiver, settings):
    events_publish(event="mention.acknowledged", payloads=[ACKNOWLEDGED])
    settings.RAPPORT_ALLOW_LOOPBACK_URLS = False  # e.g. the host now resolves to 127.0.0.1

    assert deliver_pending() == ["failed"]  # refused for good, not retried

    delivery = WebhookDelivery.objects.get()
    assert delivery.attempts == 1 and "loopback" in delivery.last_error
    assert receiver.requests_to("POST", HOOK_PATH) == []


def test_a_secret_that_can_no_longer_be_decrypted_stops_the_delivery(
    subscribed, receiver, settings
):
    events_publish(event="mention.acknowledged", payloads=[ACKNOWLEDGED])
    settings.RAPPORT_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]  # the old key was dropped

    assert deliver_pending() == ["failed"]
    assert "Cannot sign" in WebhookDelivery.objects.get().last_error
    assert receiver.requests == []  # nothing unsigned or wrongly signed goes out


def test_only_active_subscribers_to_the_event_in_the_current_agency_receive_it(
    in_agency_a, agency_b, receiver
):
    for path in ("/a-ack", "/a-sla", "/a-off", "/b-ack"):
        receiver.route("POST", path, Canned(200))
    wanted = make_subscription(url=receiver.url + "/a-ack", events=["mention.acknowledged"])
    make_subscription(url=receiver.url + "/a-sla", events=["sla.breached"])
    switched_off = make_subscription(url=receiver.url + "/a-off")
    subscription_update(subscription=switched_off, is_active=False)
    with schema_context(agency_b.schema_name):
        in_b = make_subscription(url=receiver.url + "/b-ack", events=["mention.acknowledged"])

    assert events_publish(event="mention.acknowledged", payloads=[{"agency": "a"}] * 2) == 2
    assert deliver_pending() == ["delivered", "delivered"]
    with schema_context(agency_b.schema_name):
        assert not WebhookDelivery.objects.exists()
        assert events_publish(event="mention.acknowledged", payloads=[{"agency": "b"}]) == 1
        assert deliver_pending() == ["delivered"]
        assert WebhookDelivery.objects.get().subscription_id == in_b.pk

    assert [r.json()["data"] for r in receiver.requests_to("POST", "/a-ack")] == [
        {"agency": "a"}, {"agency": "a"},
    ]  # fmt: skip
    assert [r.json()["data"] for r in receiver.requests_to("POST", "/b-ack")] == [{"agency": "b"}]
    assert {r.path for r in receiver.requests} == {"/a-ack", "/b-ack"}
    assert WebhookDelivery.objects.filter(subscription=wanted).count() == 2


def test_an_event_for_several_subscribers_carries_one_id(in_agency_a, receiver):
    receiver.route("POST", "/first", Canned(200))
    receiver.route("POST", "/second", Canned(200))
    make_subscription(url=receiver.url + "/first")
    make_subscription(url=receiver.url + "/second")

    events_publish(event="mention.acknowledged", payloads=[ACKNOWLEDGED])
    deliver_pending()

    ids = {r.headers["x-rapport-delivery"] for r in receiver.requests}
    assert len(receiver.requests) == 2 and len(ids) == 1  # receivers deduplicate on this id


def test_payload_values_such_as_times_are_sent_as_json(subscribed, receiver):
    posted = datetime.fromisoformat("2026-11-20T09:30:00+00:00")
    events_publish(event="mention.acknowledged", payloads=[{"posted_at": posted, "id": 7}])
    deliver_pending()
    (request,) = receiver.requests_to("POST", HOOK_PATH)
    assert json.loads(request.body)["data"] == {"posted_at": "2026-11-20T09:30:00Z", "id": 7}


def test_publishing_an_unknown_event_is_a_programming_error(in_agency_a):
    with pytest.raises(ValueError, match="unknown webhook event"):
        events_publish(event="mention.exploded", payloads=[{}])


def test_the_delivery_log_loads_attempts_without_a_query_per_delivery(
    subscribed, receiver, django_assert_num_queries
):
    subscription, _ = subscribed
    receiver.route("POST", HOOK_PATH, Canned(500), Canned(200))
    events_publish(event="mention.acknowledged", payloads=[{"mention": n} for n in range(5)])
    deliver_pending()

    with django_assert_num_queries(2):
        log = [
            (d.status, [a.status_code for a in d.attempt_log.all()])
            for d in delivery_list(subscription)
        ]
    assert log[-1] == ("delivered", [500, 200])  # the first event published is listed last
    assert log[:-1] == [("delivered", [200])] * 4


def test_a_task_for_a_deleted_delivery_does_nothing(subscribed, receiver):
    events_publish(event="mention.acknowledged", payloads=[ACKNOWLEDGED])
    delivery = WebhookDelivery.objects.get()
    WebhookSubscription.objects.all().delete()

    assert deliver_webhook.apply(args=[delivery.pk]).get() == "deleted"
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("attempts", "base", "low", "high"),
    [
        (1, 30, 15, 30),
        (2, 30, 30, 60),
        (3, 30, 60, 120),
        (5, 30, 240, 480),
        (12, 30, 900, 1800),  # capped
        (3, 0, 0, 0),
    ],
)
def test_retries_back_off_exponentially_with_jitter(attempts, base, low, high):
    delays = {retry_delay(attempts, base=base) for _ in range(50)}
    assert all(low <= delay <= high for delay in delays)
    assert base == 0 or len(delays) > 1


def test_retry_base_is_a_setting(settings):
    settings.RAPPORT_WEBHOOK_RETRY_BASE_SECONDS = 0
    assert retry_delay(4) == 0
