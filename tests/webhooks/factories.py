"""Subscriptions made through ``subscription_create``, so validation and encryption run."""

from __future__ import annotations

from collections.abc import Iterable

from apps.accounts.models import User
from apps.webhooks.models import WebhookSubscription
from apps.webhooks.services import subscription_create

HOOK_PATH = "/hooks/rapport"


def make_subscription(
    *,
    url: str,
    events: Iterable[str] = ("mention.acknowledged",),
    user: User | None = None,
    secret: str | None = None,
) -> WebhookSubscription:
    return make_subscription_with_secret(url=url, events=events, user=user, secret=secret)[0]


def make_subscription_with_secret(
    *,
    url: str,
    events: Iterable[str] = ("mention.acknowledged",),
    user: User | None = None,
    secret: str | None = None,
) -> tuple[WebhookSubscription, str]:
    return subscription_create(url=url, events=list(events), user=user, secret=secret)
