"""The community screens — a person across platforms, the helpers and the conversation map —
fit a phone, label every field, and are photographed for the README."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from apps.acknowledgements.models import AuditEntry
from apps.channels.connectors.base import AuthorData, MentionData
from apps.clients.models import Client
from apps.clients.services import customer_import_csv
from apps.community.models import Person
from apps.listening.models import Author, Mention
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory
from tests.conftest import PASSWORD

from .conftest import shoot, sign_in
from .test_screens import assert_fits_a_phone_and_labels_its_fields

pytestmark = pytest.mark.e2e

CONVERSATIONS = (  # (platform, [(id, handle, name, text, minutes, parent)])
    ("mastodon", [
        ("a1", "ana@bikes.social", "Ana Ruiz", "How do I stop the brake squeal on my City?", 0, ""),
        ("m1", "mark@bikes.social", "Mark Reed",
         "Ana, clean the brake pads with alcohol and bed them in again.", 12, "a1"),
        ("b1", "lumen", "Lumen Bikes", "Thanks Ana, Mark is right: our guide shows how.", 130,
         "a1"),
        ("l1", "lea_b", "Lea Becker", "Brake squeal on mine too after the rain, any fix?", 300,
         ""),
        ("m3", "mark@bikes.social", "Mark Reed",
         "Lea, new organic brake pads sorted the squeal for me.", 320, "l1"),
    ]),
    ("reddit", [
        ("j1", "joe_p", "Joe Parker", "My battery died after two weeks, really disappointed.",
         30, ""),
        ("m2", "mark_rides", "Mark Reed",
         "Joe, the battery firmware update fixed that for me, worth trying.", 45, "j1"),
        ("b2", "lumen", "Lumen Bikes", "Sorry Joe, we will replace the battery under warranty.",
         50, "j1"),
        ("s1", "sam_k", "Sam Kim", "Battery range dropped in the cold, is that normal?", 400, ""),
        ("r1", "joe_p", "Joe Parker", "Sam, battery range drops a lot below 5 degrees.", 420,
         "s1"),
    ]),
)  # fmt: skip


@pytest.fixture
def community(committed):
    tag = uuid.uuid4().hex[:6]
    start = datetime.now(UTC) - timedelta(days=3)
    with committed():
        manager = UserFactory(role="manager", email=f"manager-{tag}@alpha.test")
        manager.set_password(PASSWORD)
        manager.save()
        client = ClientFactory(name="Lumen Bikes", slug=f"lumen-{tag}", brand_handles=["lumen"])
        customer_import_csv(
            client=client,
            file_bytes=b"name,email,handles,lifetime_value,segment,tags\n"
            b"Mark Reed,mark@example.test,mastodon:mark@bikes.social;reddit:mark_rides,900,VIP,\n",
        )
        for platform, lines in CONVERSATIONS:
            channel = make_channel(platform="webhook", config={}, client=client, name=platform)
            channel.platform = platform
            channel.save(update_fields=["platform"])
            store_mentions(channel, [
                MentionData(
                    external_id=f"{tag}-{key}", text=text,
                    posted_at=start + timedelta(minutes=minutes),
                    author=AuthorData(handle=handle, display_name=name),
                    kind="reply" if parent else "post",
                    parent_external_id=f"{tag}-{parent}" if parent else "",
                )
                for key, handle, name, text, minutes, parent in lines
            ])  # fmt: skip
        mark = Person.objects.get(client=client, name="Mark Reed")
    yield client, manager.email, mark
    with committed():
        authors = set(Mention.objects.filter(client=client).values_list("author_id", flat=True))
        Client.objects.filter(pk=client.pk).delete()
        Author.objects.filter(pk__in=authors).delete()
        AuditEntry.objects.filter(actor__email=manager.email).delete()
        manager.delete()


def test_the_helpers_and_the_conversation_map_fit_a_phone(page, community):
    client, email, _ = community
    sign_in(page, email)
    page.goto(f"/community/clients/{client.pk}/")
    expect(page.get_by_text("Thank Mark for helping Ana with the brake squeal")).to_be_visible()
    shoot(page, "community-helpers")
    page.locator("svg.conversation-map").scroll_into_view_if_needed()
    expect(page.locator("svg.conversation-map text", has_text="Mark Reed")).to_be_visible()
    shoot(page, "conversation-map")
    page.set_viewport_size({"width": 1280, "height": 800})
    assert_fits_a_phone_and_labels_its_fields(page)


def test_a_person_page_fits_a_phone(page, community):
    _, email, mark = community
    sign_in(page, email)
    page.goto(f"/people/{mark.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mark Reed")
    expect(page.get_by_role("cell", name="@mark_rides", exact=True)).to_be_visible()
    shoot(page, "person")
    assert_fits_a_phone_and_labels_its_fields(page)
