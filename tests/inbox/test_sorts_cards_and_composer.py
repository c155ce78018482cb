"""The inbox sorted four ways, cards that show the clock (waiting, SLA due, next response), and a
composer that previews placeholders and counts the platform's length limit."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from apps.acknowledgements.models import Acknowledgement
from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Mention
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.conftest import host_client

NOW = datetime.now(UTC).replace(microsecond=0)


def order(response) -> list[str]:
    html = response.content.decode()
    ids = [int(pk) for pk in re.findall(r'data-mention="(\d+)"', html)]
    by_pk = dict(Mention.objects.filter(pk__in=ids).values_list("pk", "external_id"))
    return [by_pk[pk] for pk in ids]


@pytest.fixture
def browser(in_agency_a, agency_a):
    browser = host_client(agency_a)
    browser.force_login(UserFactory(role="responder"))
    return browser


def test_the_inbox_sorts_newest_oldest_sla_due_and_priority_first(browser):
    channel = make_channel(platform="webhook", config={})
    store_mentions(channel, [
        MentionData(external_id="old", text="When do you open?", posted_at=NOW - timedelta(hours=5),
                    author=AuthorData(handle="a")),
        MentionData(external_id="angry", text="Terrible, awful, broken again, I hate it",
                    posted_at=NOW - timedelta(hours=2),
                    author=AuthorData(handle="b", followers=900_000)),
        MentionData(external_id="new", text="Do you ship to Ireland?", posted_at=NOW,
                    author=AuthorData(handle="c")),
    ])  # fmt: skip
    Mention.objects.filter(external_id="new").update(sla_due_at=NOW + timedelta(minutes=10))
    Mention.objects.filter(external_id="old").update(sla_due_at=NOW + timedelta(hours=3))

    assert order(browser.get("/inbox/")) == ["new", "angry", "old"]
    assert order(browser.get("/inbox/?ordering=posted_at")) == ["old", "angry", "new"]
    assert order(browser.get("/inbox/?ordering=sla_due_at")) == ["new", "old", "angry"]
    assert order(browser.get("/inbox/?ordering=-priority_score")) == ["angry", "old", "new"]
    page = browser.get("/inbox/").content.decode()
    assert '<option value="-priority_score">Priority (answer first)</option>' in page


def test_cards_show_waiting_time_sla_countdown_and_next_response(browser):
    NOW = datetime.now(UTC)  # the clocks shown are measured from the request
    channel = make_channel(platform="webhook", config={})
    person = AuthorData(handle="ana", display_name="Ana Lima")
    store_mentions(channel, [
        MentionData(external_id="1", text="Where is my parcel?", posted_at=NOW - timedelta(hours=3),
                    author=person),
        MentionData(external_id="2", text="Is the shop open?", posted_at=NOW - timedelta(hours=1),
                    author=AuthorData(handle="ben")),
    ])  # fmt: skip
    first = Mention.objects.get(external_id="1")
    Mention.objects.filter(pk=first.pk).update(sla_due_at=NOW - timedelta(minutes=5))
    Mention.objects.filter(external_id="2").update(sla_due_at=NOW + timedelta(minutes=20))
    store_mentions(channel, [MentionData(
        external_id="3", text="Thanks, but still nothing", parent_external_id="1",
        posted_at=NOW - timedelta(minutes=10), author=person,
    )])  # fmt: skip
    Mention.objects.filter(pk=first.pk).update(status="acknowledged", acknowledged_at=NOW)
    Acknowledgement.objects.create(mention=first, client_id=first.client_id, kind="reaction")
    follow_up = Mention.objects.get(external_id="3")
    assert not follow_up.is_follow_up  # the parent was not yet acknowledged when it came
    Mention.objects.filter(pk=follow_up.pk).update(
        is_follow_up=True, sla_due_at=NOW + timedelta(hours=1, minutes=50)
    )

    html = browser.get("/inbox/").content.decode()
    assert "Waiting 1\xa0hour" in html and "Waiting 10\xa0minutes" in html
    assert re.search(r'sla-soon">SLA due in 1[89]\xa0minutes', html)
    assert re.search(r'sla-running">Next response due in 1\xa0hour, 4[89]\xa0minutes', html)
    assert "Unassigned" in html


def test_the_composer_previews_placeholders_and_counts_the_platform_limit(browser):
    channel = make_channel(
        platform="mastodon", name="Mastodon",
        config={"base_url": "http://127.0.0.1:9", "mode": "mentions"},
        credentials={"access_token": "t"},
    )  # fmt: skip
    store_mentions(channel, [MentionData(
        external_id="1", text="Broken bell", posted_at=NOW, author=AuthorData(
            handle="ana", display_name="Ana Lima"),
    )])  # fmt: skip
    mention = Mention.objects.get()
    page = browser.get(f"/inbox/{mention.pk}/").content.decode()
    assert 'data-first-name="Ana" data-handle="@ana" data-limit="500"' in page
    assert "0 / 500 characters (Mastodon)" in page

    too_long = browser.post(
        f"/inbox/{mention.pk}/acknowledge/",
        {"acknowledge-kind": "reply", "acknowledge-text": "Sorry {first_name}! " + "x" * 490},
    )
    html = too_long.content.decode()
    assert too_long.status_code == 400
    assert "501 characters: Mastodon takes at most 500." in html
    assert "Sorry Ana! xxx" in html and "501 / 500 characters" in html
    assert not Acknowledgement.objects.exists()


def test_then_next_moves_to_the_next_waiting_mention_after_each_action(browser):
    channel = make_channel(platform="webhook", config={})
    store_mentions(channel, [
        MentionData(external_id=str(n), text=f"Question number {n}?", author=AuthorData(
            handle=f"p{n}"), posted_at=NOW - timedelta(hours=n))
        for n in range(3)
    ])  # fmt: skip
    first, second, third = (Mention.objects.get(external_id=str(n)) for n in range(3))
    done = browser.post(f"/inbox/{first.pk}/dismiss/", {"dismiss-reason": "spam", "then": "next"})
    assert done.url == f"/inbox/{second.pk}/?then=next"
    assert 'id="then-next-acknowledge" checked' in browser.get(done.url).content.decode()
    done = browser.post(
        f"/inbox/{second.pk}/acknowledge/",
        {"acknowledge-kind": "resolved_internally", "then": "next"},
    )
    assert done.url == f"/inbox/{third.pk}/?then=next"
    done = browser.post(f"/inbox/{third.pk}/dismiss/", {"dismiss-reason": "dup", "then": "next"})
    assert done.url == "/inbox/"
    assert "Nobody else is waiting." in browser.get("/inbox/").content.decode()
