"""Two people answering the same person at once: the API refuses the second reply with 409."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apps.acknowledgements.models import Acknowledgement
from apps.acknowledgements.services import mention_acknowledge
from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Mention
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions

NOW = datetime.now(UTC)


@pytest.fixture
def ana(in_agency_a):
    """Two mentions by Ana (one an hour ago, one now) and one by Ben."""
    channel = make_channel(platform="webhook", config={})
    person = AuthorData(handle="ana", display_name="Ana Lima")
    store_mentions(channel, [
        MentionData(external_id="1", text="My order is late", posted_at=NOW - timedelta(hours=1),
                    author=person),
        MentionData(external_id="2", text="Hello? Anyone?", posted_at=NOW, author=person),
        MentionData(external_id="3", text="Same problem here", posted_at=NOW,
                    author=AuthorData(handle="ben", display_name="Ben")),
    ])  # fmt: skip
    return {m.external_id: m for m in Mention.objects.select_related("author", "channel")}


def test_a_second_reply_to_the_same_person_within_ten_minutes_is_409_unless_forced(api, ana):
    kim = UserFactory(role="responder", email="kim@alpha.test")
    mention_acknowledge(mention=ana["1"], user=kim, kind="replied_elsewhere", text="Ana, sorry!")

    body = {"kind": "replied_elsewhere", "text": "Hi Ana, looking into it"}
    refused = api.post(f"/api/v1/mentions/{ana['2'].pk}/acknowledge/", body, format="json")
    assert refused.status_code == 409, refused.content
    assert "kim@alpha.test answered @ana" in refused.json()["force"][0]
    assert Acknowledgement.objects.filter(mention=ana["2"]).count() == 0
    assert Mention.objects.get(pk=ana["2"].pk).status == "new"

    # Someone else, or a note that answers nobody, is no collision.
    other = api.post(f"/api/v1/mentions/{ana['3'].pk}/acknowledge/", body, format="json")
    internal = api.post(
        f"/api/v1/mentions/{ana['2'].pk}/acknowledge/", {"kind": "resolved_internally"},
        format="json",
    )  # fmt: skip
    assert (other.status_code, internal.status_code) == (201, 201)

    forced = api.post(
        f"/api/v1/mentions/{ana['2'].pk}/acknowledge/", {**body, "force": True}, format="json"
    )
    assert forced.status_code == 201, forced.content
    bulk = api.post(
        "/api/v1/mentions/bulk/",
        {"ids": [ana["1"].pk], "action": "acknowledge", "kind": "replied_elsewhere"},
        format="json",
    )
    assert bulk.status_code == 409


def test_a_reply_after_the_window_goes_through(api, ana):
    kim = UserFactory(role="responder")
    mention_acknowledge(
        mention=ana["1"], user=kim, kind="replied_elsewhere", text="Ana, sorry!",
        at=NOW - timedelta(minutes=11),
    )  # fmt: skip
    answered = api.post(
        f"/api/v1/mentions/{ana['2'].pk}/acknowledge/",
        {"kind": "replied_elsewhere", "text": "Ana, it ships today"},
        format="json",
    )
    assert answered.status_code == 201, answered.content
