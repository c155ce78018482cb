"""The mentions page: full-text search, filters, customer badges, scoped to the user."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from apps.channels.connectors.base import AuthorData, MentionData
from apps.clients.models import Customer, CustomerIdentity
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory, ClientMembershipFactory
from tests.conftest import PASSWORD

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def store(channel, *texts_by_handle):
    items = [
        MentionData(external_id=f"{channel.pk}-{n}", text=text, posted_at=T0,
                    author=AuthorData(handle=handle))
        for n, (handle, text) in enumerate(texts_by_handle)
    ]  # fmt: skip
    store_mentions(channel, items)


@pytest.fixture
def northwind(in_agency_a):
    channel = make_channel(platform="webhook", config={}, client=ClientFactory(name="Northwind"))
    store(
        channel,
        ("ana", "The cold brew is wonderful, thank you!"),
        ("bo", "Cold brew was terrible today, very disappointed"),
        ("cy", "Do you sell gift cards?"),
    )
    customer = Customer.objects.create(client=channel.client, name="Ana")
    CustomerIdentity.objects.create(
        customer=customer, client=channel.client, platform="webhook", value="ana"
    )
    from apps.listening.models import Mention

    Mention.objects.filter(author__handle="ana").update(customer=customer)
    return channel


def test_search_finds_mentions_by_their_words_and_marks_customers(northwind, client_a):
    client_a.force_login(UserFactory(role="responder"))
    page = client_a.get("/listening/mentions/", {"q": "cold brew"}).content.decode()
    assert "wonderful" in page and "terrible" in page and "gift cards" not in page
    assert page.count("badge-customer") == 1


def test_filter_by_sentiment(northwind, client_a):
    client_a.force_login(UserFactory(role="responder"))
    page = client_a.get("/listening/mentions/", {"sentiment": "negative"}).content.decode()
    assert "terrible" in page and "wonderful" not in page


def test_mention_text_is_shown_escaped(in_agency_a, client_a):
    channel = make_channel(platform="webhook", config={})
    store(channel, ("eve", "<script>alert('x')</script> nice"))
    client_a.force_login(UserFactory(role="owner"))
    page = client_a.get("/listening/mentions/").content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_client_viewer_sees_only_their_clients_mentions(northwind, client_a):
    theirs = make_channel(platform="webhook", config={}, client=ClientFactory(name="Lumen"))
    store(theirs, ("dan", "My Lumen bike battery is great"))
    viewer = UserFactory(role="client_viewer")
    ClientMembershipFactory(user=viewer, client=theirs.client)
    client_a.force_login(viewer)
    page = client_a.get("/listening/mentions/").content.decode()
    assert "battery is great" in page and "wonderful" not in page and "terrible" not in page


def test_agency_b_sees_none_of_agency_a_mentions(northwind, client_b):
    client_b.post("/accounts/login/", {"username": "owner@beta.test", "password": PASSWORD})
    page = client_b.get("/listening/mentions/", {"q": "cold brew"})
    assert page.status_code == 200 and "wonderful" not in page.content.decode()
