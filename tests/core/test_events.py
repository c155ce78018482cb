"""The in-process events: who reacts to what, and how a publication reaches its subscribers."""

from __future__ import annotations

import pytest

from apps.core import events
from apps.core.events import Event


def test_every_event_lists_the_higher_apps_that_react_to_it() -> None:
    assert {
        name: event.subscribers for name, event in vars(events).items() if isinstance(event, Event)
    } == {
        "agency_created": ["apps.accounts.services.agency_owner_create"],
        "audit_recorded": ["apps.acknowledgements.audit.audit_record"],
        "user_invited_to_client": ["apps.clients.services.client_membership_invited"],
        "channel_deleted": ["apps.reporting.rollups.term_rollups_drop"],
        "dashboard_panels": ["apps.community.topics.dashboard_topics"],
        "invitable_clients": ["apps.clients.selectors.clients_invitable"],
        "client_accounts_changed": ["apps.listening.client_links.client_accounts_reflag"],
        "customers_stored": ["apps.listening.client_links.mentions_link_customers"],
        "customers_imported": ["apps.community.services.people_link_customers_of"],
        "pages_fetched": ["apps.listening.ingest.ingest_pages"],
        "items_received": ["apps.listening.ingest.store_pushed_items"],
        "page_stored": [
            "apps.acknowledgements.intake.page_intake",
            "apps.webhooks.events.page_stored",
            "apps.reporting.rollups.page_days_forget",
        ],
        "mentions_stored": ["apps.community.services.people_link_later"],
        "mentions_acknowledged": ["apps.webhooks.events.mentions_acknowledged"],
        "slas_breached": ["apps.webhooks.events.slas_breached"],
        "mentions_purging": ["apps.acknowledgements.audit.audit_purge_for_mentions"],
    }


def test_a_publication_reaches_each_subscriber_once_in_order_and_returns_their_answers() -> None:
    stored = Event("stored", ("ids",))
    heard: list[str] = []

    def first(*, ids: list[int]) -> int:
        heard.append("first")
        return len(ids)

    def second(*, ids: list[int]) -> str:
        heard.append("second")
        return "ok"

    stored.subscribe(first)
    stored.subscribe(second)
    stored.subscribe(first)  # once, however often asked

    assert stored.publish(ids=[1, 2]) == [2, "ok"]
    assert heard == ["first", "second"]


@pytest.mark.parametrize("payload", [{}, {"ids": [1], "extra": 2}, {"other": 1}])
def test_a_publication_must_carry_exactly_the_declared_payload(payload: dict) -> None:
    stored = Event("stored", ("ids",))
    with pytest.raises(TypeError, match="stored carries"):
        stored.publish(**payload)
