"""Managing subscriptions: validation, SSRF refusals, the secret shown once and kept encrypted."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from apps.webhooks.models import WebhookDelivery, WebhookSubscription
from apps.webhooks.selectors import subscription_get, subscription_list
from apps.webhooks.services import (
    events_publish,
    subscription_create,
    subscription_delete,
    subscription_update,
)
from tests.accounts.factories import UserFactory

from .factories import HOOK_PATH, make_subscription


def test_created_subscription_returns_a_strong_secret_once(in_agency_a):
    manager = UserFactory(role="manager")
    subscription, secret = subscription_create(
        url="http://127.0.0.1:8080/hooks", events=["mention.created", "sla.breached"], user=manager
    )

    assert len(secret) >= 40  # token_urlsafe(32): 256 random bits
    assert subscription_get(subscription.pk).secret == secret
    assert subscription.created_by == manager and subscription.is_active
    assert subscription.events == ["mention.created", "sla.breached"]
    other, other_secret = subscription_create(
        url="http://127.0.0.1:8080/hooks", events=["mention.created"], user=manager
    )
    assert other_secret != secret
    assert list(subscription_list()) == [other, subscription]  # newest first


def test_secret_is_stored_encrypted_never_in_plain_text(in_agency_a):
    subscription, secret = subscription_create(
        url="http://127.0.0.1:8080/hooks", events=["mention.created"], user=None,
        secret="my-own-signing-secret-1234",
    )  # fmt: skip
    assert secret == "my-own-signing-secret-1234"

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t::text FROM webhooks_webhooksubscription t WHERE id = %s", [subscription.pk]
        )
        (row,) = cursor.fetchone()
    assert secret not in row
    assert subscription_get(subscription.pk).secret == secret


def test_a_short_chosen_secret_is_refused(in_agency_a):
    with pytest.raises(ValidationError) as error:
        subscription_create(
            url="http://127.0.0.1:8080/hooks", events=["mention.created"], user=None, secret="abc"
        )
    assert "secret" in error.value.message_dict
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    ("events", "complaint"),
    [
        ([], "Choose at least one event."),
        (["mention.deleted"], "Unknown event(s) mention.deleted"),
        (["mention.created", "everything"], "Unknown event(s) everything"),
    ],
)
def test_events_must_be_given_and_known(in_agency_a, events, complaint):
    with pytest.raises(ValidationError) as error:
        subscription_create(url="http://127.0.0.1:8080/hooks", events=events, user=None)
    assert complaint in error.value.message_dict["events"][0]


def test_url_and_events_errors_are_reported_together(in_agency_a):
    with pytest.raises(ValidationError) as error:
        subscription_create(url="not a url", events=[], user=None)
    assert set(error.value.message_dict) == {"url", "events"}


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/hooks",
        "file:///etc/passwd",
        "http://10.0.0.5/hooks",
        "http://192.168.1.20:8080/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00::1]/hooks",
        "http://0.0.0.0/hooks",
    ],
)
def test_urls_rapport_must_not_call_are_refused(in_agency_a, url):
    with pytest.raises(ValidationError) as error:
        subscription_create(url=url, events=["mention.created"], user=None)
    assert "url" in error.value.message_dict
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080/hooks", "http://localhost:8080/hooks", "http://[::1]/hooks"]
)
def test_loopback_urls_are_refused_unless_allowed(in_agency_a, settings, url):
    settings.RAPPORT_ALLOW_LOOPBACK_URLS = False
    with pytest.raises(ValidationError) as error:
        subscription_create(url=url, events=["mention.created"], user=None)
    assert "loopback" in error.value.message_dict["url"][0]

    settings.RAPPORT_ALLOW_LOOPBACK_URLS = True
    assert subscription_create(url=url, events=["mention.created"], user=None)[0].pk


def test_update_validates_like_create(in_agency_a):
    subscription = make_subscription(url="http://127.0.0.1:8080" + HOOK_PATH)

    with pytest.raises(ValidationError) as error:
        subscription_update(subscription=subscription, url="http://10.1.2.3/hooks")
    assert "url" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        subscription_update(subscription=subscription, url="gopher://x", events=["everything"])
    assert set(error.value.message_dict) == {"url", "events"}
    assert subscription_get(subscription.pk).url == "http://127.0.0.1:8080" + HOOK_PATH

    subscription_update(
        subscription=subscription, url="http://127.0.0.1:9090/new", events=["sla.breached"]
    )
    stored = subscription_get(subscription.pk)
    assert (stored.url, stored.events) == ("http://127.0.0.1:9090/new", ["sla.breached"])


def test_switching_off_stops_new_deliveries_and_switching_on_starts_afresh(in_agency_a):
    subscription = make_subscription(url="http://127.0.0.1:8080" + HOOK_PATH)
    subscription_update(subscription=subscription, is_active=False)
    assert events_publish(event="mention.acknowledged", payloads=[{"mention": 1}]) == 0

    WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=7)
    subscription.refresh_from_db()
    subscription_update(subscription=subscription, is_active=True)
    stored = subscription_get(subscription.pk)
    assert stored.is_active and stored.consecutive_failures == 0
    assert (stored.disabled_at, stored.disabled_reason) == (None, "")
    assert events_publish(event="mention.acknowledged", payloads=[{"mention": 1}]) == 1


def test_deleting_a_subscription_removes_its_delivery_log(in_agency_a):
    subscription = make_subscription(url="http://127.0.0.1:8080" + HOOK_PATH)
    events_publish(event="mention.acknowledged", payloads=[{"mention": 1}, {"mention": 2}])
    assert WebhookDelivery.objects.filter(subscription=subscription).count() == 2

    subscription_delete(subscription=subscription)
    assert not WebhookSubscription.objects.exists()
    assert not WebhookDelivery.objects.exists()
