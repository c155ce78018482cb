"""Working side by side: who else has a conversation open or is writing, and a confirmation
before answering someone a colleague answered minutes ago."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from apps.acknowledgements.models import Acknowledgement
from apps.acknowledgements.services import mention_acknowledge
from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Mention
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.conftest import host_client

NOW = datetime.now(UTC)


@pytest.fixture
def mention(in_agency_a):
    channel = make_channel(platform="webhook", config={})
    store_mentions(channel, [MentionData(
        external_id="1", text="Where is my parcel?", posted_at=NOW - timedelta(minutes=30),
        author=AuthorData(handle="ana", display_name="Ana Lima"),
    )])  # fmt: skip
    return Mention.objects.select_related("author", "channel").get()


def signed_in(agency, email):
    user = UserFactory(role="responder", email=email)
    browser = host_client(agency)
    browser.force_login(user)
    return browser, user


def test_two_responders_see_each_other_viewing_and_drafting(mention, agency_a):
    sam, _ = signed_in(agency_a, "sam@alpha.test")
    kim, _ = signed_in(agency_a, "kim@alpha.test")
    url = f"/inbox/{mention.pk}/presence/"

    alone = sam.post(url, {"state": "viewing"}).content.decode()
    assert "Nobody else has this open" in alone
    assert "sam@alpha.test" in kim.post(url, {"state": "drafting"}).content.decode()
    seen = sam.post(url, {"state": "viewing"}).content.decode()
    assert "kim@alpha.test" in seen and "is writing a reply" in seen
    assert sam.post(url, {"state": "typing"}).status_code == 400


def test_presence_stays_inside_its_agency(mention, agency_a, agency_b):
    sam, _ = signed_in(agency_a, "sam@alpha.test")
    sam.post(f"/inbox/{mention.pk}/presence/", {"state": "drafting"})
    connection.set_tenant(agency_b)
    channel = make_channel(platform="webhook", config={})
    store_mentions(channel, [MentionData(
        external_id="b", text="Hello", posted_at=NOW, author=AuthorData(handle="zed"),
    )])  # fmt: skip
    other = Mention.objects.get()
    Mention.objects.filter(pk=other.pk).update(id=mention.pk)  # the same id in agency B
    bo, _ = signed_in(agency_b, "bo@beta.test")
    page = bo.post(f"/inbox/{mention.pk}/presence/", {"state": "viewing"}).content.decode()
    assert "sam@alpha.test" not in page and "Nobody else has this open" in page


def test_answering_someone_a_colleague_just_answered_asks_for_confirmation(mention, agency_a):
    kim = UserFactory(role="responder", email="kim@alpha.test")
    mention_acknowledge(mention=mention, user=kim, kind="replied_elsewhere", text="Ana, sorry")
    sam, _ = signed_in(agency_a, "sam@alpha.test")
    url = f"/inbox/{mention.pk}/acknowledge/"
    second = {"acknowledge-kind": "replied_elsewhere", "acknowledge-text": "Ana, on its way"}

    asked = sam.post(url, second)
    assert asked.status_code == 400
    html = asked.content.decode()
    assert "kim@alpha.test answered @ana" in html and "Yes, reply anyway" in html
    assert 'name="acknowledge-force"' in html
    assert Acknowledgement.objects.filter(mention=mention).count() == 1
    presence = sam.post(f"/inbox/{mention.pk}/presence/", {"state": "drafting"})
    assert "kim@alpha.test</strong> answered @ana" in presence.content.decode()

    confirmed = sam.post(url, {**second, "acknowledge-force": "on"})
    assert confirmed.status_code == 302
    assert Acknowledgement.objects.filter(mention=mention).count() == 2
