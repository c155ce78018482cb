"""A client's own and competitors' accounts through ``/api/v1/clients/`` (SPEC §11)."""

from __future__ import annotations

from datetime import UTC, datetime

from apps.channels.connectors.base import AuthorData, MentionData
from apps.clients.models import Customer, CustomerIdentity
from apps.listening.models import Author, Mention
from tests.accounts.factories import UserFactory
from tests.api.conftest import api_client
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def said(external_id: str, handle: str, text: str = "Sorry about this, Chloe.") -> MentionData:
    return MentionData(
        external_id=external_id, text=text, posted_at=T0, author=AuthorData(handle=handle)
    )


def test_owner_sets_and_reads_brand_and_competitor_accounts(api):
    client = ClientFactory(brand_handles=["northwind"])
    response = api.patch(
        f"/api/v1/clients/{client.pk}/",
        {
            "brand_accounts": [
                {"platform": "youtube", "handle": "@NorthwindCoffee", "account_id": "UCnw01"},
                {"platform": "reddit", "handle": "NorthwindCoffeeOfficial"},
            ],
            "competitor_accounts": [{"platform": "bluesky", "handle": "brewhaus.bsky.social"}],
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = api.get(f"/api/v1/clients/{client.pk}/").json()
    assert body["brand_handles"] == ["northwind"]  # still "this handle on every platform"
    assert body["brand_accounts"] == [
        {"platform": "reddit", "handle": "northwindcoffeeofficial", "account_id": ""},
        {"platform": "youtube", "handle": "northwindcoffee", "account_id": "UCnw01"},
    ]
    assert body["competitor_accounts"] == [
        {"platform": "bluesky", "handle": "brewhaus.bsky.social", "account_id": ""}
    ]
    created = api.post(
        "/api/v1/clients/",
        {"name": "Lumen", "brand_accounts": [{"platform": "bluesky", "handle": "lumen.bsky"}]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    assert created.json()["brand_accounts"][0]["handle"] == "lumen.bsky"
    assert created.json()["competitor_accounts"] == []


def test_bad_accounts_are_refused_with_field_errors_and_nothing_changes(api):
    client = ClientFactory()
    response = api.patch(
        f"/api/v1/clients/{client.pk}/",
        {
            "brand_accounts": [{"platform": "myspace", "handle": "nw"}, {"platform": "reddit"}],
            "competitor_accounts": "brewhaus",
        },
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert any("platform" in e for e in errors["brand_accounts"])
    assert any("handle must not be empty" in e for e in errors["brand_accounts"])
    assert errors["competitor_accounts"]
    assert api.get(f"/api/v1/clients/{client.pk}/").json()["brand_accounts"] == []


def test_responders_cannot_change_accounts(in_agency_a, agency_a):
    client = ClientFactory()
    responder = api_client(agency_a, UserFactory(role="responder"))
    response = responder.patch(
        f"/api/v1/clients/{client.pk}/",
        {"brand_accounts": [{"platform": "reddit", "handle": "x"}]},
        format="json",
    )
    assert response.status_code == 403


def test_declaring_an_account_reflags_the_mentions_already_stored(api):
    client = ClientFactory()
    channel = make_channel(
        platform="reddit", config={"subreddit": "coffee", "base_url": "http://127.0.0.1:1"},
        client=client,
    )  # fmt: skip
    store_mentions(channel, [said("reply", "NorthwindCoffeeOfficial"), said("person", "ana")])
    customer = Customer.objects.create(client=client, name="Not really")
    CustomerIdentity.objects.create(
        customer=customer, client=client, platform="reddit", value="northwindcoffeeofficial"
    )
    Mention.objects.filter(external_id="reply").update(customer=customer)
    Author.objects.filter(handle="northwindcoffeeofficial").update(is_advocate=True)
    assert Mention.objects.get(external_id="reply").needs_acknowledgement is True

    api.patch(
        f"/api/v1/clients/{client.pk}/",
        {"brand_accounts": [{"platform": "reddit", "handle": "NorthwindCoffeeOfficial"}]},
        format="json",
    )
    reply = Mention.objects.select_related("author").get(external_id="reply")
    assert reply.needs_acknowledgement is False and reply.customer_id is None
    assert (reply.author.account_role, reply.author.is_advocate) == ("brand", False)
    body = api.get(f"/api/v1/mentions/{reply.pk}/").json()
    assert body["needs_acknowledgement"] is False
    assert body["author"]["is_customer"] is False and body["author"]["is_advocate"] is False
    assert Mention.objects.get(external_id="person").needs_acknowledgement is True

    # Taking the account off again gives the mention back to the inbox.
    api.patch(f"/api/v1/clients/{client.pk}/", {"brand_accounts": []}, format="json")
    reply.refresh_from_db()
    reply.author.refresh_from_db()
    assert reply.needs_acknowledgement is True and reply.author.account_role == ""


def test_a_channel_names_the_brands_accounts(api):
    client = ClientFactory()
    make_channel(
        platform="bluesky", client=client,
        config={"base_url": "http://127.0.0.1:1", "query": "lumen"},
        credentials={"identifier": "lumenbikes.bsky.social", "app_password": "x"},
    )  # fmt: skip
    facebook = make_channel(
        platform="facebook_page", client=client,
        config={"base_url": "http://127.0.0.1:1", "page_id": "104882391112233"},
        credentials={"access_token": "t"},
    )  # fmt: skip
    accounts = api.get(f"/api/v1/clients/{client.pk}/").json()["brand_accounts"]
    assert {"platform": "bluesky", "handle": "lumenbikes.bsky.social", "account_id": ""} in (
        accounts
    )
    assert {"platform": "facebook_page", "handle": "104882391112233",
            "account_id": "104882391112233"} in accounts  # fmt: skip

    # The page answers under its name; its profile URL carries the page id.
    page = AuthorData(handle="Lumen Bikes", profile_url="https://www.facebook.com/104882391112233")
    store_mentions(
        facebook, [MentionData(external_id="p1", text="Thanks Ana!", posted_at=T0, author=page)]
    )
    assert Mention.objects.get(external_id="p1").needs_acknowledgement is False
