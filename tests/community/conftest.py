"""Threads of a client's community, stored through the real ingest path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from apps.channels.connectors.base import AuthorData, MentionData
from apps.channels.models import Channel
from apps.clients.models import Client
from apps.clients.services import customer_import_csv
from tests.api.conftest import api, owner  # noqa: F401 - fixtures for the tests here
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SINCE, UNTIL = "2026-11-01", "2026-11-30"


def said(external_id, handle, text, minutes, *, parent="", name="", profile_url=""):
    return MentionData(
        external_id=external_id, text=text, posted_at=START + timedelta(minutes=minutes),
        author=AuthorData(handle=handle, display_name=name, profile_url=profile_url),
        kind="reply" if parent else "post", parent_external_id=parent,
    )  # fmt: skip


@dataclass
class Threads:
    client: Client
    mastodon: Channel
    reddit: Channel


@pytest.fixture
def threads(in_agency_a) -> Threads:
    """Lumen Bikes (brand handle ``lumen``): on Mastodon Mark answers Ana's question ten
    minutes before the brand does; on Reddit Mark answers Joe's complaint, and the brand answers
    both Joe and a fan. Mark's two handles are one customer in the CRM."""
    client = ClientFactory(name="Lumen Bikes", slug="lumen-bikes", brand_handles=["lumen"])
    mastodon = make_channel(platform="webhook", config={}, client=client, name="Mastodon")
    mastodon.platform = "mastodon"
    mastodon.save(update_fields=["platform"])
    reddit = make_channel(platform="webhook", config={}, client=client, name="r/ebikes")
    reddit.platform = "reddit"
    reddit.save(update_fields=["platform"])
    customer_import_csv(
        client=client,
        file_bytes=(
            b"name,email,handles,lifetime_value,segment,tags\n"
            b"Mark Reed,mark@example.test,mastodon:mark@bikes.social;reddit:mark_rides,900,VIP,\n"
        ),
    )
    store_mentions(mastodon, [
        said("a1", "ana@bikes.social", "How do I stop the brake squeal on my Lumen City?", 0,
             name="Ana Ruiz"),
        said("m1", "mark@bikes.social",
             "Ana, clean the brake pads with alcohol and bed them in again.", 10, parent="a1",
             name="Mark Reed"),
        said("b1", "lumen", "Thanks Ana, Mark is right: our guide shows how.", 120,
             parent="a1", name="Lumen Bikes"),
    ])  # fmt: skip
    store_mentions(reddit, [
        said("j1", "joe_p", "My battery died after two weeks, really disappointed.", 30,
             name="Joe Parker"),
        said("m2", "mark_rides",
             "Joe, the battery firmware update fixed that for me, worth trying.", 45,
             parent="j1", name="Mark Reed"),
        said("b2", "lumen", "Sorry Joe, we will replace the battery under warranty.", 50,
             parent="j1", name="Lumen Bikes"),
        said("f1", "fan_99", "The new Lumen City frame looks lovely, well done!", 60),
        said("b3", "lumen", "Thank you, we love it too. Enjoy the rides and the trails.", 70,
             parent="f1", name="Lumen Bikes"),
    ])  # fmt: skip
    return Threads(client=client, mastodon=mastodon, reddit=reddit)
