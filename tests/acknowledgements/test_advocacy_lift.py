"""Advocacy that proves something: advocates are people who praise the brand of their own accord
after being acknowledged (not spam, not the brand, not a thank-you under our reply), and the
report compares people acknowledged with people not — on a small week counted by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from apps.acknowledgements.models import Acknowledgement
from apps.acknowledgements.selectors import advocacy_comparison, advocacy_funnel
from apps.acknowledgements.services import (
    advocates_refresh,
    mention_acknowledge,
    mention_labels_correct,
)
from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Author, Mention
from apps.reporting.selectors import client_report
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions

MONDAY = datetime(2026, 11, 16, 10, tzinfo=UTC)  # the week of 16-22 November
WEDNESDAY = MONDAY + timedelta(days=2)
PRAISE = "I love it, thank you so much, brilliant help!"
COMPLAINT = "This is terrible, the app is broken again"
QUESTION = "My parcel has not arrived yet"
SPAM = "Free followers for you, I love it, brilliant!"


def say(channel, external_id, handle, at, text, parent=""):
    store_mentions(
        channel,
        [
            MentionData(
                external_id=external_id, text=text, posted_at=at, parent_external_id=parent,
                author=AuthorData(handle=handle, display_name=handle.title()),
            )
        ],
    )  # fmt: skip
    return Mention.objects.get(channel=channel, external_id=external_id)


@pytest.fixture
def week(in_agency_a):
    """Fifteen people new this week (seven acknowledged, eight not), one regular, the brand."""
    channel = make_channel()
    brand = channel.client.brand_handles[0]
    sam = UserFactory(role="responder")

    def acknowledge(mention, reply_id=""):
        ack = mention_acknowledge(
            mention=mention, user=sam, kind="replied_elsewhere", text="Thanks, on it",
            at=mention.posted_at + timedelta(minutes=20),
        )  # fmt: skip
        Acknowledgement.objects.filter(pk=ack.pk).update(external_id=reply_id)

    say(channel, "brand-post", brand, MONDAY - timedelta(hours=1), "Our new autumn menu is here")
    # The regular: first spoke last week; acknowledged this week; praises us on Wednesday.
    say(channel, "o-0", "o", MONDAY - timedelta(days=5), QUESTION)
    acknowledge(say(channel, "o-1", "o", MONDAY, COMPLAINT))
    # Acknowledged newcomers.
    for handle in ("a", "b", "c", "d", "k", "s", "n"):
        acknowledge(say(channel, f"{handle}-1", handle, MONDAY, COMPLAINT), f"reply-{handle}")
    # Not acknowledged newcomers.
    for handle in ("e", "f", "g", "h", "i", "j", "l", "m"):
        say(channel, f"{handle}-1", handle, MONDAY, COMPLAINT)
    # Wednesday: who came back, and how.
    say(channel, "a-2", "a", WEDNESDAY, PRAISE)  # unprompted praise
    say(channel, "b-2", "b", WEDNESDAY, PRAISE, parent="reply-b")  # thanks under our reply
    say(channel, "c-2", "c", WEDNESDAY, COMPLAINT + " today")  # unprompted, unhappy
    say(channel, "k-2", "k", WEDNESDAY, PRAISE, parent="brand-post")  # answers the brand's post
    say(channel, "s-2", "s", WEDNESDAY, SPAM)  # spam, however warm
    say(channel, "n-2", "n", WEDNESDAY, PRAISE)  # unprompted praise
    say(channel, "e-2", "e", WEDNESDAY, PRAISE)  # unprompted praise, never acknowledged
    say(channel, "f-2", "f", WEDNESDAY, QUESTION)  # unprompted, neutral
    say(channel, "o-2", "o", WEDNESDAY, PRAISE)  # the regular's praise
    return channel


def test_only_unprompted_praise_after_an_acknowledgement_makes_an_advocate(week):
    assert Mention.objects.get(external_id="s-2").is_spam
    assert advocates_refresh() == 0  # ingest already marked them, page by page
    advocates = set(Author.objects.filter(is_advocate=True).values_list("handle", flat=True))
    assert advocates == {"a", "n", "o"}  # not b (thanked our reply), k (answered the brand's
    # post), s (spam), e (never acknowledged), nor the brand
    assert Author.objects.get(handle="a").advocate_since == WEDNESDAY


def test_refreshing_takes_the_flag_from_people_who_no_longer_qualify(week):
    Author.objects.filter(handle__in=["b", "s"]).update(is_advocate=True, advocate_since=MONDAY)
    assert advocates_refresh() == 2
    assert not Author.objects.filter(handle__in=["b", "s"], is_advocate=True).exists()


def test_the_funnel_no_longer_makes_positive_and_advocate_the_same(week):
    funnel = advocacy_funnel(
        client=week.client, since=MONDAY - timedelta(hours=10), until=MONDAY + timedelta(days=6)
    )
    # Acknowledged this week: a b c d k s n o. Came back (not spam): a b c k n o. Said something
    # positive: a b k n o. Of their own accord: a n o.
    assert funnel == {"acknowledged": 8, "returned": 6, "positive": 5, "advocate": 3}


def test_acknowledged_newcomers_are_compared_with_the_others_by_hand(week):
    comparison = advocacy_comparison(
        client=week.client, since=MONDAY - timedelta(hours=10), until=MONDAY + timedelta(days=6)
    )
    # Acknowledged newcomers: a b c d k s n (7) — came back unprompted: a c n (3), positively:
    # a n (2). Not acknowledged: e f g h i j l m (8) — came back: e f (2), positively: e (1).
    # The regular (spoke last week) and the brand are not newcomers.
    assert comparison["acknowledged"] == {
        "people": 7, "returned": 3, "returned_positive": 2,
        "return_rate": 0.4286, "positive_return_rate": 0.2857,
    }  # fmt: skip
    assert comparison["not_acknowledged"] == {
        "people": 8, "returned": 2, "returned_positive": 1,
        "return_rate": 0.25, "positive_return_rate": 0.125,
    }  # fmt: skip
    assert comparison["return_lift"] == 1.71  # (3/7) / (2/8)
    assert comparison["positive_return_lift"] == 2.29  # (2/7) / (1/8)


def test_the_report_carries_the_lift_and_the_previous_periods(week):
    report = client_report(client=week.client, since=date(2026, 11, 16), until=date(2026, 11, 22))
    assert report["advocacy_lift"] == 2.29
    assert report["advocacy_comparison"]["acknowledged"]["people"] == 7
    assert report["advocacy_funnel"]["advocate"] == 3
    assert report["advocates_gained"] == 3
    # The week before: only the regular's first question, never acknowledged, no comparison.
    assert report["previous"]["advocacy_lift"] is None
    assert report["previous"]["mention_count"] == 1
    assert report["previous"]["advocates_gained"] == 0


def test_nobody_to_compare_with_gives_no_lift(in_agency_a):
    channel = make_channel()
    comparison = advocacy_comparison(
        client=channel.client, since=MONDAY, until=MONDAY + timedelta(days=7)
    )
    assert comparison["return_lift"] is None and comparison["positive_return_lift"] is None
    assert comparison["acknowledged"]["people"] == 0


def test_corrections_spam_and_erasure_move_the_funnel_and_the_comparison(week):
    """The funnel and the comparison read when each person last spoke (kept by the database on
    every change); a corrected label, a spam flag or an erased mention moves them at once."""
    manager = UserFactory(role="manager")
    since, until = MONDAY - timedelta(hours=10), MONDAY + timedelta(days=6)

    def figures():
        comparison = advocacy_comparison(client=week.client, since=since, until=until)
        return (
            advocacy_funnel(client=week.client, since=since, until=until),
            comparison["acknowledged"]["returned_positive"],
        )

    # a's praise was sarcasm: a came back, but neither positive nor an advocate any more.
    mention_labels_correct(
        mention=Mention.objects.get(external_id="a-2"), user=manager, sentiment="negative"
    )
    funnel, returned_positive = figures()
    assert funnel == {"acknowledged": 8, "returned": 6, "positive": 4, "advocate": 2}
    assert returned_positive == 1  # n only
    # c's second complaint was spam: c no longer came back.
    Mention.objects.filter(external_id="c-2").update(is_spam=True)
    assert figures()[0] == {"acknowledged": 8, "returned": 5, "positive": 4, "advocate": 2}
    # n's praise erased (a privacy request): n is acknowledged, and never came back.
    Mention.objects.filter(external_id="n-2").delete()
    funnel, returned_positive = figures()
    assert funnel == {"acknowledged": 8, "returned": 4, "positive": 3, "advocate": 1}
    assert returned_positive == 0
    # s's spam was a real (warm) message after all: s came back positive, of their own accord.
    Mention.objects.filter(external_id="s-2").update(is_spam=False, needs_acknowledgement=True)
    assert figures()[0] == {"acknowledged": 8, "returned": 5, "positive": 4, "advocate": 2}


def test_acknowledging_or_withdrawing_a_first_mention_moves_the_newcomer(week):
    """Whether a newcomer's first mention was acknowledged (kept beside when each person first
    spoke) follows the acknowledgement as it is given and withdrawn."""
    since, until = MONDAY - timedelta(hours=10), MONDAY + timedelta(days=6)

    def compared():
        comparison = advocacy_comparison(client=week.client, since=since, until=until)
        return [
            tuple(comparison[group][key] for key in ("people", "returned", "returned_positive"))
            for group in ("acknowledged", "not_acknowledged")
        ]

    # e's first mention acknowledged on Tuesday: e's praise on Wednesday follows it.
    mention_acknowledge(
        mention=Mention.objects.get(external_id="e-1"), user=UserFactory(role="manager"),
        kind="replied_elsewhere", at=MONDAY + timedelta(days=1),
    )  # fmt: skip
    assert compared() == [(8, 4, 3), (7, 1, 0)]  # a c n e, a n e | f
    # a's acknowledgement withdrawn: a came back (positively) after an unanswered first mention.
    Mention.objects.filter(external_id="a-1").update(acknowledged_at=None)
    assert compared() == [(7, 3, 2), (8, 2, 1)]  # c n e, n e | a f, a
