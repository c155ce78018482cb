"""The migration that gives existing authors their people: one each, CRM customers together."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime
from types import SimpleNamespace

from django.db import connection

from apps.community.models import Person
from apps.listening.models import Author, Mention
from tests.channels.factories import make_channel
from tests.clients.factories import ClientFactory, CustomerFactory

backfill = importlib.import_module("apps.community.migrations.0002_backfill_people").backfill


def test_existing_authors_become_people_and_crm_customers_one_person(in_agency_a):
    client, other = ClientFactory(), ClientFactory()
    ana = CustomerFactory(client=client, name="Ana Ruiz")
    at = datetime(2026, 11, 1, tzinfo=UTC)
    authors = {}
    for platform, handle, customer, on in (
        ("mastodon", "ana@bikes.social", ana, client),
        ("reddit", "ana_r", ana, client),
        ("reddit", "joe", None, client),
        ("reddit", "ana_r", None, other),  # the same handle, for another client: not Ana there
    ):
        author = authors.get((platform, handle)) or Author.objects.create(
            platform=platform, handle=handle
        )
        authors[platform, handle] = author
        channel = make_channel(platform="webhook", config={}, client=on)
        Mention.objects.create(
            client=on, channel=channel, platform=platform, external_id=handle, author=author,
            text="Hello", posted_at=at, fetched_at=at, customer=customer,
        )  # fmt: skip
    Person.objects.all().delete()

    backfill(None, SimpleNamespace(connection=connection))

    people = {
        (p.client_id, p.name): sorted(link.author.handle for link in p.links.all())
        for p in Person.objects.prefetch_related("links__author")
    }
    assert people == {
        (client.pk, "Ana Ruiz"): ["ana@bikes.social", "ana_r"],
        (client.pk, "joe"): ["joe"],
        (other.pk, "ana_r"): ["ana_r"],
    }


def test_refresh_people_links_authors_loaded_without_ingest(in_agency_a, agency_a):
    from io import StringIO

    from django.core.management import call_command

    client = ClientFactory()
    channel = make_channel(platform="webhook", config={}, client=client)
    author = Author.objects.create(platform="webhook", handle="copied")
    at = datetime(2026, 11, 1, tzinfo=UTC)
    Mention.objects.create(
        client=client, channel=channel, platform="webhook", external_id="c1", author=author,
        text="Loaded by COPY", posted_at=at, fetched_at=at,
    )  # fmt: skip
    out = StringIO()
    call_command("refresh_people", agency=agency_a.slug, client=client.slug, stdout=out)
    connection.set_tenant(agency_a)
    assert out.getvalue().strip() == "1 authors linked to their people."
    assert Person.objects.get(client=client).links.get().author == author
