"""The inbox workflow: replies through the channels, recorded acknowledgements, the audit log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from apps.acknowledgements.models import Acknowledgement, AuditEntry
from apps.acknowledgements.services import (
    acknowledgement_deliver,
    acknowledgement_retry,
    mention_acknowledge,
    mention_escalate,
    mentions_acknowledge,
    mentions_assign,
    mentions_dismiss,
)
from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Mention
from tests.accounts.factories import TeamFactory, UserFactory
from tests.api.conftest import api_client
from tests.channels.factories import make_channel, store_mentions
from tests.channels.fakeplatform import json_response
from tests.clients.factories import ClientFactory

STATUS = "113499800000000800"
JOE_URI = "at://did:plc:joeparker0000000000000/app.bsky.feed.post/3lbsa7kq2c22a"


def mention_on(channel, external_id: str, handle: str, name: str = "", text: str = "Hello?"):
    item = MentionData(
        external_id=external_id, text=text, posted_at=datetime(2026, 11, 20, tzinfo=UTC),
        author=AuthorData(handle=handle, display_name=name),
    )  # fmt: skip
    store_mentions(channel, [item])
    return Mention.objects.select_related("channel", "author").get(
        channel=channel, external_id=external_id
    )


@pytest.fixture
def responder(in_agency_a):
    return UserFactory(role="responder")


@pytest.fixture
def mastodon(in_agency_a, platform_server):
    platform_server.route(
        "GET", f"/api/v1/statuses/{STATUS}", json_response("mastodon/status_private.json")
    )
    return make_channel(
        platform="mastodon", config={"base_url": platform_server.url, "mode": "mentions"},
        credentials={"access_token": "mastodon-token-123"},
    )  # fmt: skip


def test_reply_reaches_mastodon_in_its_documented_format(
    mastodon, responder, platform_server, django_capture_on_commit_callbacks
):
    platform_server.route("POST", "/api/v1/statuses", json_response("mastodon/status_created.json"))
    mention = mention_on(mastodon, STATUS, "markb", "Mark Brown")

    with django_capture_on_commit_callbacks() as queued:
        ack = mention_acknowledge(
            mention=mention, user=responder, kind="reply", text="Good catch, Mark! Fixed now."
        )
    assert len(queued) == 1 and ack.delivery_status == "pending"
    ack = acknowledgement_deliver(acknowledgement_id=ack.pk)  # what the Celery task does

    post = platform_server.requests_to("POST", "/api/v1/statuses")[0]
    assert post.headers["authorization"] == "Bearer mastodon-token-123"
    assert post.json()["in_reply_to_id"] == STATUS
    assert post.json()["status"] == "@markb Good catch, Mark! Fixed now."
    assert (ack.delivery_status, ack.external_id, ack.attempts) == ("sent", "113502100000000999", 1)
    mention.refresh_from_db()
    assert mention.status == "acknowledged" and mention.acknowledged_at is not None
    assert ack.is_personal


def test_failed_delivery_is_recorded_with_its_error_and_a_retry_succeeds(
    mastodon, responder, platform_server, django_capture_on_commit_callbacks
):
    platform_server.route(
        "POST", "/api/v1/statuses",
        json_response({"error": "boom"}, 500),
        json_response("mastodon/status_created.json"),
    )  # fmt: skip
    mention = mention_on(mastodon, STATUS, "markb", "Mark Brown")
    ack = mention_acknowledge(mention=mention, user=responder, kind="reply", text="Thanks Mark!")

    failed = acknowledgement_deliver(acknowledgement_id=ack.pk)
    assert failed.delivery_status == "failed" and "500" in failed.delivery_error

    with django_capture_on_commit_callbacks() as queued:
        acknowledgement_retry(acknowledgement=failed, user=responder)
    assert len(queued) == 1
    sent = acknowledgement_deliver(acknowledgement_id=ack.pk)
    assert (sent.delivery_status, sent.delivery_error, sent.attempts) == ("sent", "", 2)
    assert len(platform_server.requests_to("POST", "/api/v1/statuses")) == 2
    assert acknowledgement_deliver(acknowledgement_id=ack.pk).attempts == 2  # never posts twice


def test_reply_reaches_bluesky_as_a_post_record(in_agency_a, responder, platform_server):
    for method, path, fixture in (
        ("GET", "/xrpc/app.bsky.feed.getPosts", "bluesky/get_posts_reply.json"),
        ("POST", "/xrpc/com.atproto.server.createSession", "bluesky/create_session.json"),
        ("POST", "/xrpc/com.atproto.repo.createRecord", "bluesky/create_record.json"),
    ):
        platform_server.route(method, path, json_response(fixture))
    channel = make_channel(
        platform="bluesky",
        config={"base_url": platform_server.url, "pds_url": platform_server.url, "query": "x"},
        credentials={"identifier": "northwind.coffee", "app_password": "abcd-efgh-ijkl-mnop"},
    )
    mention = mention_on(channel, JOE_URI, "joe.bsky.social", "Joe Parker")
    ack = mention_acknowledge(mention=mention, user=responder, kind="reply", text="Thanks Joe!")

    ack = acknowledgement_deliver(acknowledgement_id=ack.pk)

    create = platform_server.requests_to("POST", "/xrpc/com.atproto.repo.createRecord")[0].json()
    assert create["collection"] == "app.bsky.feed.post"
    assert create["record"]["text"] == "Thanks Joe!"
    assert create["record"]["reply"]["parent"]["uri"] == JOE_URI
    assert ack.delivery_status == "sent"


def test_listen_only_channel_refuses_to_post_and_nothing_changes(in_agency_a, responder):
    channel = make_channel(
        platform="mastodon", config={"base_url": "http://127.0.0.1:9"},
        credentials={"access_token": "t"}, listen_only=True,
    )  # fmt: skip
    mention = mention_on(channel, "1", "ana")
    with pytest.raises(ValidationError, match="listen-only"):
        mention_acknowledge(mention=mention, user=responder, kind="reply", text="Hi Ana")
    mention.refresh_from_db()
    assert mention.status == "new" and not Acknowledgement.objects.exists()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("kind", ["replied_elsewhere", "resolved_internally"])
def test_acknowledgement_made_elsewhere_is_recorded_without_posting(
    in_agency_a, responder, kind, django_capture_on_commit_callbacks
):
    channel = make_channel(platform="rss", config={"url": "http://127.0.0.1:9/f.xml"})
    mention = mention_on(channel, "r1", "rita")
    with django_capture_on_commit_callbacks() as queued:
        ack = mention_acknowledge(mention=mention, user=responder, kind=kind)
    assert queued == [] and ack.delivery_status == "not_sent"
    assert Mention.objects.get(pk=mention.pk).status == "acknowledged"


def test_reply_is_personal_only_when_it_names_the_person_and_is_not_canned(in_agency_a, responder):
    channel = make_channel(platform="webhook", config={})
    people = [mention_on(channel, str(n), f"user{n}", f"Name{n} Smith") for n in range(5)]

    def reply(person, text):
        return mention_acknowledge(mention=person, user=responder, kind="replied_elsewhere",
                                   text=text)  # fmt: skip

    assert reply(people[0], "Thanks Name0, we fixed the app.").is_personal
    assert not reply(people[1], "Thanks for reaching out, we will look into it.").is_personal
    template = "Hi {name}, thanks for reaching out, we will look into it."
    assert reply(people[2], template.format(name="Name2")).is_personal  # first use
    assert reply(people[3], template.format(name="@user3")).is_personal  # second use
    # The same words sent to two other people already: a canned reply, names aside.
    assert not reply(people[4], template.format(name="Name4")).is_personal


def test_dismiss_requires_a_reason_and_escalate_a_note(in_agency_a, responder):
    channel = make_channel(platform="webhook", config={})
    mention = mention_on(channel, "1", "ana")
    with pytest.raises(ValidationError, match="why"):
        mentions_dismiss(mentions=[mention], user=responder, reason="  ")
    with pytest.raises(ValidationError, match="what is needed"):
        mention_escalate(mention=mention, user=responder, team=TeamFactory(), note="")
    assert Mention.objects.get(pk=mention.pk).status == "new"


def test_every_action_is_in_the_audit_log_with_before_and_after(in_agency_a, responder):
    channel = make_channel(platform="webhook", config={})
    mention = mention_on(channel, "1", "ana")
    engineering = TeamFactory(name="Engineering")
    mentions_assign(mentions=[mention], actor=responder, user=responder)
    mention_escalate(mention=mention, user=responder, team=engineering, note="Login bug")
    mentions_dismiss(mentions=[mention], user=responder, reason="Answered by phone")

    log = list(AuditEntry.objects.filter(object_id=mention.pk).order_by("id"))
    assert [(e.action, e.before["status"], e.after["status"]) for e in log] == [
        ("assign", "new", "assigned"),
        ("escalate", "assigned", "escalated"),
        ("dismiss", "escalated", "dismissed"),
    ]
    assert log[0].after["assigned_to_id"] == responder.pk and log[0].actor == responder
    assert log[1].after["note"] == "Login bug" and log[2].after["reason"] == "Answered by phone"


def test_bulk_acknowledge_of_500_mentions_is_one_transaction_of_few_queries(
    in_agency_a, responder, django_assert_max_num_queries
):
    channel = make_channel(platform="webhook", config={})
    posted = datetime(2026, 11, 20, tzinfo=UTC)
    items = [
        MentionData(external_id=str(n), text=f"question {n}", posted_at=posted,
                    author=AuthorData(handle=f"p{n}"))
        for n in range(500)
    ]  # fmt: skip
    store_mentions(channel, items)
    mentions = list(Mention.objects.select_related("channel", "author").filter(channel=channel))

    with django_assert_max_num_queries(12):
        mentions_acknowledge(mentions=mentions, user=responder, kind="resolved_internally")

    assert Mention.objects.filter(channel=channel, status="acknowledged").count() == 500
    assert Acknowledgement.objects.count() == 500
    assert AuditEntry.objects.filter(action="acknowledge").count() == 500


def test_a_mention_is_assigned_only_to_someone_who_can_see_it(in_agency_a, agency_a, responder):
    channel = make_channel(platform="webhook", config={})
    mention = mention_on(channel, "1", "ana")
    other_client = ClientFactory()
    outsider = UserFactory(role="client_responder")
    other_client.memberships.create(user=outsider, role="responder")
    insider = UserFactory(role="client_responder")
    channel.client.memberships.create(user=insider, role="responder")

    refused = api_client(agency_a, responder).post(
        f"/api/v1/mentions/{mention.pk}/assign/", {"user": outsider.pk}, format="json"
    )

    assert refused.status_code == 400 and "user" in refused.json()
    assert Mention.objects.get(pk=mention.pk).assigned_to is None
    with pytest.raises(ValidationError):
        mentions_assign(mentions=[mention], actor=responder, user=UserFactory(role="team_member"))
    mentions_assign(mentions=[mention], actor=responder, user=insider)
    assert Mention.objects.get(pk=mention.pk).assigned_to == insider
