"""Internal notes: written on a mention for the team, @name notifies a teammate by e-mail and in
the app, shown in the conversation and its history — and never posted to the platform."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from apps.acknowledgements.models import Acknowledgement, AuditEntry, Notification
from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Mention
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientMembershipFactory
from tests.conftest import host_client


@pytest.fixture
def mention(in_agency_a):
    channel = make_channel(
        platform="mastodon", name="Mastodon",
        config={"base_url": "http://127.0.0.1:9", "mode": "mentions"},
        credentials={"access_token": "t"},
    )  # fmt: skip
    store_mentions(channel, [MentionData(
        external_id="1", text="I was charged twice for one bike",
        posted_at=datetime.now(UTC) - timedelta(minutes=30),
        author=AuthorData(handle="ana", display_name="Ana Lima"),
    )])  # fmt: skip
    return Mention.objects.get()


def browser_of(agency, user):
    browser = host_client(agency)
    browser.force_login(user)
    return browser


def test_a_note_with_at_sam_emails_sam_shows_in_thread_and_audit_and_posts_nothing(
    mention, agency_a, django_capture_on_commit_callbacks
):
    kim = UserFactory(role="responder", email="kim@alpha.test")
    sam = UserFactory(role="manager", email="sam@alpha.test", first_name="Sam")
    UserFactory(role="responder", email="samantha@alpha.test")  # not @sam
    kims = browser_of(agency_a, kim)

    with django_capture_on_commit_callbacks(execute=True):  # the e-mail goes after the commit
        added = kims.post(
            f"/inbox/{mention.pk}/notes/", {"note-text": "@sam can you check the refund, @Kim?"}
        )

    assert added.status_code == 302
    assert [m.to for m in mail.outbox] == [["sam@alpha.test"]]
    assert "kim@alpha.test mentioned you in a note" in mail.outbox[0].subject
    assert "check the refund" in mail.outbox[0].body
    page = kims.get(f"/inbox/{mention.pk}/").content.decode()
    assert "Internal note · never posted" in page and "can you check the refund" in page
    audit = AuditEntry.objects.get(object_type="mention", object_id=mention.pk, action="note")
    assert audit.actor == kim and audit.after["mentioned"] == "sam@alpha.test"
    # Nothing posted, nothing acknowledged: the person still waits.
    assert not Acknowledgement.objects.filter(mention=mention).exists()
    assert Mention.objects.get(pk=mention.pk).status == "new"
    # Sam sees it in the app, once.
    sams = browser_of(agency_a, sam)
    assert 'class="badge badge-unread">1<' in sams.get("/inbox/").content.decode()
    listed = sams.get("/inbox/notifications/").content.decode()
    assert "kim@alpha.test mentioned you in a note on @ana" in listed
    assert Notification.objects.get(user=sam).read_at is not None
    assert "badge-unread" not in sams.get("/inbox/").content.decode()


def test_an_empty_note_is_a_field_error_and_client_users_never_see_notes(mention, agency_a):
    kims = browser_of(agency_a, UserFactory(role="responder"))
    empty = kims.post(f"/inbox/{mention.pk}/notes/", {"note-text": "   "})
    assert empty.status_code == 400 and "This field is required" in empty.content.decode()
    kims.post(f"/inbox/{mention.pk}/notes/", {"note-text": "Refund agreed, secret amount"})

    viewer = UserFactory(role="client_responder")
    ClientMembershipFactory(user=viewer, client=mention.client, role="responder")
    theirs = browser_of(agency_a, viewer)
    assert "secret amount" not in theirs.get(f"/inbox/{mention.pk}/").content.decode()
    assert theirs.post(f"/inbox/{mention.pk}/notes/", {"note-text": "hi"}).status_code == 403


def test_a_team_member_is_told_only_of_mentions_routed_to_their_team(mention, agency_a):
    from tests.accounts.factories import TeamFactory

    engineer = UserFactory(role="team_member", email="eng@alpha.test", first_name="Eng")
    support = TeamFactory(name="Support")
    support.members.add(engineer)
    kims = browser_of(agency_a, UserFactory(role="responder"))
    kims.post(f"/inbox/{mention.pk}/notes/", {"note-text": "@eng any idea?"})
    assert not Notification.objects.filter(user=engineer).exists()

    Mention.objects.filter(pk=mention.pk).update(team=support)
    kims.post(f"/inbox/{mention.pk}/notes/", {"note-text": "@eng now it is yours"})
    assert Notification.objects.filter(user=engineer).count() == 1
