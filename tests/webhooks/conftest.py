"""Fixtures for outbound webhooks: a local receiver and a subscription pointing at it."""

from __future__ import annotations

import pytest

from tests.channels.fakeplatform import Canned, FakePlatform

from .factories import HOOK_PATH, make_subscription_with_secret


@pytest.fixture
def receiver(platform_server: FakePlatform) -> FakePlatform:
    """An integrator's endpoint on 127.0.0.1 answering 204 at ``HOOK_PATH`` unless re-routed."""
    platform_server.route("POST", HOOK_PATH, Canned(204))
    return platform_server


@pytest.fixture
def subscribed(in_agency_a, receiver):
    """(subscription, secret): agency A's integrator wants ``mention.acknowledged``."""
    return make_subscription_with_secret(url=receiver.url + HOOK_PATH)
