"""Reads of outbound webhooks: subscriptions and their delivery log, in the current agency."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from .models import WebhookAttempt, WebhookDelivery, WebhookSubscription


def subscription_list() -> QuerySet[WebhookSubscription]:
    """The agency's subscriptions, newest first."""
    return WebhookSubscription.objects.select_related("created_by")


def subscription_get(id: int) -> WebhookSubscription:
    """One subscription of the agency; ``WebhookSubscription.DoesNotExist`` otherwise."""
    return subscription_list().get(pk=id)


def delivery_list(subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    """A subscription's delivery log, newest first, each with its attempts (``attempt_log``)
    in order."""
    return WebhookDelivery.objects.filter(subscription=subscription).prefetch_related(
        Prefetch("attempt_log", queryset=WebhookAttempt.objects.order_by("number"))
    )
