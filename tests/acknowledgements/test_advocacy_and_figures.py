"""What acknowledging people leads to: follow-ups on a next-response clock, per-member figures,
and the acknowledgement → advocacy funnel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError

from apps.acknowledgements.models import Acknowledgement, SlaPolicy
from apps.acknowledgements.selectors import advocacy_funnel, member_figures
from apps.acknowledgements.services import advocates_refresh, mention_acknowledge
from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Author, Mention
from apps.reporting.selectors import client_report
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions

MONDAY = datetime(2026, 11, 16, tzinfo=UTC)
PRAISE = "I love it, thank you so much, brilliant help!"
COMPLAINT = "This is terrible, the app is broken again"


def say(channel, external_id, handle, at, text="A question about my order", parent=""):
    store_mentions(
        channel,
        [
            MentionData(
                external_id=external_id,
                text=text,
                posted_at=at,
                parent_external_id=parent,
                author=AuthorData(handle=handle, display_name=handle.title()),
            )
        ],
    )
    return Mention.objects.select_related("author", "channel").get(
        channel=channel, external_id=external_id
    )


@pytest.fixture
def channel(in_agency_a):
    return make_channel()


@pytest.fixture
def sam(in_agency_a):
    return UserFactory(role="responder", email="sam@alpha.test")


def test_a_follow_up_in_an_acknowledged_thread_runs_on_the_next_response_clock(channel, sam):
    opening = say(channel, "1", "joe", MONDAY + timedelta(hours=10))
    ack = mention_acknowledge(
        mention=opening, user=sam, kind="replied_elsewhere", text="Joe, checking now",
        at=MONDAY + timedelta(hours=10, minutes=30),
    )  # fmt: skip
    Acknowledgement.objects.filter(pk=ack.pk).update(external_id="our-reply-1")

    # (Each in other words: the same words again within a day would be a repeat, not a question.)
    to_our_reply = say(channel, "2", "joe", MONDAY + timedelta(hours=11), parent="our-reply-1",
                       text="Still nothing arrived")  # fmt: skip
    to_own_post = say(channel, "3", "joe", MONDAY + timedelta(hours=11, minutes=5), parent="1",
                      text="Any news on this?")  # fmt: skip
    someone_else = say(channel, "4", "ana", MONDAY + timedelta(hours=11), parent="our-reply-1")
    fresh = say(channel, "5", "joe", MONDAY + timedelta(hours=12), text="Another thing: refunds")
    assert [m.is_follow_up for m in (to_our_reply, to_own_post, someone_else, fresh)] == [
        True, True, False, False,
    ]  # fmt: skip

    mention_acknowledge(
        mention=to_our_reply, user=sam, kind="replied_elsewhere", text="Joe: done",
        at=MONDAY + timedelta(hours=11, minutes=10),
    )  # fmt: skip
    report = client_report(client=channel.client, since=MONDAY.date(), until=MONDAY.date())
    assert (report["median_time_to_acknowledge_minutes"],
            report["p90_time_to_acknowledge_minutes"]) == (30.0, 30.0)  # fmt: skip
    assert (report["median_next_response_minutes"],
            report["p90_next_response_minutes"]) == (10.0, 10.0)  # fmt: skip


def test_per_member_figures_split_business_and_off_hours(channel, sam):
    SlaPolicy.objects.create(client=channel.client, timezone="UTC")  # Mon-Fri 9-18
    kim = UserFactory(role="responder", email="kim@alpha.test")
    for n, (who, posted, minutes) in enumerate(
        [(sam, 9, 10), (sam, 10, 30), (sam, 17, 120), (kim, 12, 60)]
    ):
        mention = say(channel, f"m{n}", f"person{n}", MONDAY + timedelta(hours=posted))
        mention_acknowledge(
            mention=mention, user=who, kind="resolved_internally",
            at=mention.posted_at + timedelta(minutes=minutes),
        )  # fmt: skip

    figures = member_figures(client=channel.client, since=MONDAY, until=MONDAY + timedelta(days=1))
    by_person = {row["user"].email: row for row in figures}
    assert [row["user"].email for row in figures] == ["sam@alpha.test", "kim@alpha.test"]
    sam_row = by_person["sam@alpha.test"]
    # 17:00 + 2 h = 19:00, after closing: one off-hours acknowledgement, timed to 18:00 (60 min).
    assert (sam_row["replies"], sam_row["in_hours"], sam_row["off_hours"]) == (3, 2, 1)
    assert sam_row["median_minutes"] == 30.0
    assert sam_row["p90_minutes"] == pytest.approx(54.0)  # 30 + 0.8 * (60 - 30)
    assert by_person["kim@alpha.test"]["median_minutes"] == 60.0


def test_acknowledged_people_who_come_back_positive_become_advocates(channel, sam):
    day = MONDAY + timedelta(hours=10)
    people = {name: say(channel, f"{name}-1", name, day, COMPLAINT) for name in "abcde"}
    for name in "abcd":  # e is never acknowledged
        mention_acknowledge(
            mention=people[name], user=sam, kind="replied_elsewhere",
            text=f"{name.title()}, sorry — fixing it", at=day + timedelta(minutes=20),
        )  # fmt: skip
    later = day + timedelta(days=2)
    say(channel, "a-2", "a", later, PRAISE)  # came back happy
    say(channel, "b-2", "b", later, COMPLAINT)  # came back, still unhappy
    say(channel, "c-2", "c", later, "My parcel has not arrived yet")  # came back, neutral
    say(channel, "e-2", "e", later, PRAISE)  # happy, but was never acknowledged

    advocates = Author.objects.filter(is_advocate=True)
    assert list(advocates.values_list("handle", flat=True)) == ["a"]
    assert advocates.get().advocate_since == later
    funnel = advocacy_funnel(client=channel.client, since=MONDAY, until=MONDAY + timedelta(days=7))
    assert funnel == {"acknowledged": 4, "returned": 3, "positive": 1, "advocate": 1}
    # The period is when people were acknowledged: the week before holds nobody.
    assert (
        advocacy_funnel(client=channel.client, since=MONDAY - timedelta(days=7), until=MONDAY)[
            "acknowledged"
        ]
        == 0
    )


def test_advocates_are_caught_up_after_acknowledgements_recorded_afterwards(channel, sam):
    day = MONDAY + timedelta(hours=10)
    first = say(channel, "f-1", "fay", day, COMPLAINT)
    say(channel, "f-2", "fay", day + timedelta(days=1), PRAISE)
    assert not Author.objects.get(handle="fay").is_advocate  # praise came before any reply

    # The reply was made elsewhere an hour after her complaint and is recorded only now.
    mention_acknowledge(
        mention=first, user=sam, kind="replied_elsewhere", text="Fay, on it",
        at=day + timedelta(hours=1),
    )  # fmt: skip
    assert advocates_refresh() == 1
    fay = Author.objects.get(handle="fay")
    assert fay.is_advocate and fay.advocate_since == day + timedelta(days=1)
    assert advocates_refresh() == 0


def test_a_recorded_time_must_be_real(channel, sam):
    mention = say(channel, "x", "joe", MONDAY)
    for at, kind, message in [
        (MONDAY - timedelta(minutes=1), "replied_elsewhere", "before it was posted"),
        (datetime.now(UTC) + timedelta(hours=1), "replied_elsewhere", "in the future"),
        (MONDAY + timedelta(hours=1), "reply", "sent now"),
    ]:
        with pytest.raises(ValidationError) as error:
            mention_acknowledge(mention=mention, user=sam, kind=kind, text="Joe, hi", at=at)
        assert message in error.value.message_dict["at"][0]
    mention.refresh_from_db()
    assert mention.status == "new" and not Acknowledgement.objects.exists()
