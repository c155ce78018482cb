"""Saved replies: filled in per person, and a warning when one text goes to many people."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from apps.acknowledgements.selectors import saved_reply_list
from apps.acknowledgements.services import (
    mentions_acknowledge,
    reply_render,
    reply_warning,
    saved_reply_create,
)
from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Mention
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory, ClientMembershipFactory

THANKS = "Thanks {first_name} ({handle}) for telling us — we have passed it on."


def mentions_from(channel, people: list[tuple[str, str]]) -> list[Mention]:
    store_mentions(
        channel,
        [
            MentionData(
                external_id=f"m-{handle}",
                text="The coupon date is wrong",
                posted_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
                author=AuthorData(handle=handle, display_name=name),
            )
            for handle, name in people
        ],
    )
    return list(
        Mention.objects.filter(channel=channel).select_related("author", "channel").order_by("pk")
    )


@pytest.fixture
def responder(in_agency_a):
    return UserFactory(role="responder")


def test_placeholders_are_filled_with_each_persons_name_and_handle(responder):
    [joe] = mentions_from(make_channel(), [("joe_p", "Joe Parker")])
    assert reply_render(text=THANKS, mention=joe) == (
        "Thanks Joe (@joe_p) for telling us — we have passed it on."
    )
    # Only the two placeholders: anything else in braces stays as written.
    assert reply_render(text="{handle} {0.__class__} {first_name!r}", mention=joe) == (
        "@joe_p {0.__class__} {first_name!r}"
    )


def test_a_saved_reply_with_an_unknown_placeholder_is_refused(responder):
    with pytest.raises(ValidationError) as error:
        saved_reply_create(title="Thanks", text="Thanks {name}!", user=responder)
    assert "Unknown placeholder {name}" in error.value.message_dict["text"][0]
    with pytest.raises(ValidationError) as error:
        saved_reply_create(title=" ", text=" ", user=responder)
    assert set(error.value.message_dict) == {"title", "text"}


def test_a_template_sent_to_many_people_warns_and_is_not_personal(responder):
    people = [("joe_p", "Joe Parker"), ("mark_b", "Mark Brown"), ("ana_s", "Ana Silva")]
    mentions = mentions_from(make_channel(), people)

    assert reply_warning(mentions=mentions[:1], text=THANKS) == ""
    warning = reply_warning(mentions=mentions, text=THANKS)
    assert "reach 3 people" in warning and "not a personal acknowledgement" in warning

    acks = mentions_acknowledge(
        mentions=mentions, user=responder, kind="replied_elsewhere", text=THANKS
    )
    assert [a.text.split(" (")[0] for a in acks] == ["Thanks Joe", "Thanks Mark", "Thanks Ana"]
    # The first two were fine on their own; the third copy of the same words is canned.
    assert [a.is_personal for a in acks] == [True, True, False]


def test_the_same_words_again_later_trigger_the_warning_too(responder):
    channel = make_channel()
    first, second, third = mentions_from(
        channel, [("joe_p", "Joe Parker"), ("mark_b", "Mark Brown"), ("ana_s", "Ana Silva")]
    )
    mentions_acknowledge(
        mentions=[first, second], user=responder, kind="replied_elsewhere", text=THANKS
    )
    assert "reach 3 people" in reply_warning(mentions=[third], text=THANKS)
    assert reply_warning(mentions=[third], text="Ana, you are right: fixed the date.") == ""


def test_people_see_agency_wide_replies_and_those_of_their_clients_only(in_agency_a):
    mine, other = ClientFactory(), ClientFactory()
    client_user = UserFactory(role="client_responder")
    ClientMembershipFactory(user=client_user, client=mine)
    owner = UserFactory(role="owner")
    everyone = saved_reply_create(title="Thanks", text=THANKS, user=owner)
    ours = saved_reply_create(title="Ours", text="Hi {first_name}", user=owner, client=mine)
    theirs = saved_reply_create(title="Theirs", text="Hi {handle}", user=owner, client=other)

    assert set(saved_reply_list(user=client_user)) == {everyone, ours}
    assert set(saved_reply_list(user=owner)) == {everyone, ours, theirs}
    assert set(saved_reply_list(user=owner, client_id=other.pk)) == {everyone, theirs}
    responder = UserFactory(role="responder")  # a member of one client: as its client users
    ClientMembershipFactory(user=responder, client=mine)
    assert set(saved_reply_list(user=responder)) == {everyone, ours}
