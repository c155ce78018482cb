"""Every endpoint of SPEC §7, used with an owner's token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apps.acknowledgements.models import Acknowledgement, AuditEntry
from apps.channels.connectors.base import AuthorData, MentionData
from apps.channels.models import Channel, FetchRun
from apps.clients.models import Client
from apps.listening.models import ListeningQuery, Mention
from tests.accounts.factories import TeamFactory, UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory

DAY = datetime(2026, 11, 2, 12, tzinfo=UTC)
MENTION_FIELDS = {
    "id", "client", "channel", "platform", "external_id", "url", "text", "kind", "posted_at",
    "author", "sentiment", "sentiment_score", "matched_queries", "needs_acknowledgement",
    "status", "priority", "assigned_to", "team", "tags", "acknowledged_at",
    "time_to_acknowledge_minutes",
}  # fmt: skip
AUTHOR_FIELDS = {
    "id", "handle", "display_name", "followers", "influence", "is_customer", "is_advocate",
}  # fmt: skip


def said(external_id, text, handle="ana", days=0):
    return MentionData(
        external_id=external_id, text=text, posted_at=DAY + timedelta(days=days),
        author=AuthorData(handle=handle, display_name=handle.title(), followers=10),
    )  # fmt: skip


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def feed(in_agency_a):
    channel = make_channel(name="Reviews")
    store_mentions(
        channel,
        [
            said("1", "I love the new oat latte, wonderful!", "ana", 0),
            said("2", "The app crashes every time, terrible", "ben", 1),
            said("3", "Opening hours on Sunday?", "cy", 2),
            said("4", "Awful service, never again", "dee", 3),
        ],
    )
    return channel


def test_clients_can_be_listed_created_read_updated_and_deleted(api):
    created = api.post(
        "/api/v1/clients/",
        {"name": "Acme Tea", "timezone": "Europe/Paris", "brand_handles": ["@AcmeTea"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["slug"], body["brand_handles"]) == ("acme-tea", ["acmetea"])
    url = f"/api/v1/clients/{body['id']}/"
    assert body["id"] in ids(api.get("/api/v1/clients/"))
    assert api.get(url).json()["timezone"] == "Europe/Paris"
    patched = api.patch(url, {"name": "Acme Teas", "is_active": False}, format="json")
    assert patched.status_code == 200 and patched.json()["name"] == "Acme Teas"
    assert Client.objects.get(pk=body["id"]).is_active is False
    bad = api.post("/api/v1/clients/", {"name": "X", "timezone": "Mars/Olympus"}, format="json")
    assert bad.status_code == 400 and "timezone" in bad.json()
    duplicate = api.post("/api/v1/clients/", {"name": "Acme Teas", "slug": "acme-tea"})
    assert duplicate.status_code == 400 and "already exists" in duplicate.json()["slug"][0]
    assert api.delete(url).status_code == 204
    assert not Client.objects.filter(pk=body["id"]).exists()


def test_channels_keep_credentials_write_only_and_fetch_now_answers_202(
    api, platform_server, django_capture_on_commit_callbacks
):
    client = ClientFactory()
    created = api.post(
        "/api/v1/channels/",
        {
            "client": client.pk, "platform": "mastodon", "name": "Mastodon",
            "config": {"base_url": platform_server.url, "mode": "mentions"},
            "credentials": {"access_token": "secret-token-1"}, "fetch_interval_minutes": 5,
            "listen_only": True,
        },
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.content
    channel = created.json()
    assert "credentials" not in channel and "secret-token-1" not in created.content.decode()
    assert channel["listen_only"] is True and channel["health"] == "ok"
    assert Channel.objects.get(pk=channel["id"]).credentials == {"access_token": "secret-token-1"}

    url = f"/api/v1/channels/{channel['id']}/"
    assert ids(api.get(f"/api/v1/channels/?client={client.pk}")) == {channel["id"]}
    assert ids(api.get(f"/api/v1/channels/?client={client.pk + 1000}")) == set()
    renamed = api.patch(url, {"name": "Mastodon main", "fetch_interval_minutes": 10})
    assert renamed.status_code == 200 and renamed.json()["fetch_interval_minutes"] == 10
    assert Channel.objects.get(pk=channel["id"]).credentials == {"access_token": "secret-token-1"}

    with django_capture_on_commit_callbacks() as queued:
        fetch = api.post(f"{url}fetch/")
    assert fetch.status_code == 202 and fetch.json()["status"] == "queued"
    assert FetchRun.objects.filter(pk=fetch.json()["id"], trigger="manual").exists()
    assert len(queued) == 1

    youtube = {"client": client.pk, "platform": "youtube", "name": "YT", "config": {}}
    missing = api.post("/api/v1/channels/", youtube, format="json")
    assert missing.status_code == 400 and "config.video_id" in missing.json()
    assert api.delete(url).status_code == 204


def test_a_webhook_channel_shows_its_url_and_its_secret_once(api):
    client = ClientFactory()
    created = api.post(
        "/api/v1/channels/",
        {"client": client.pk, "platform": "webhook", "name": "Shop reviews"},
        format="json",
    )
    body = created.json()
    assert body["webhook_url"].startswith("http://alpha.localhost/hooks/")
    assert len(body["webhook_secret"]) >= 32
    again = api.get(f"/api/v1/channels/{body['id']}/").json()
    assert again["webhook_url"] == body["webhook_url"] and "webhook_secret" not in again


def test_queries_are_managed_and_a_syntax_error_names_its_position(api):
    client = ClientFactory()
    created = api.post(
        "/api/v1/queries/",
        {"client": client.pk, "name": "Coffee", "expression": "latte OR espresso"},
        format="json",
    )
    assert created.status_code == 201, created.content
    url = f"/api/v1/queries/{created.json()['id']}/"
    assert ids(api.get(f"/api/v1/queries/?client={client.pk}")) == {created.json()["id"]}
    bad = api.patch(url, {"expression": "latte AND (espresso"}, format="json")
    assert bad.status_code == 400 and "position" in bad.json()["expression"][0]
    assert ListeningQuery.objects.get(pk=created.json()["id"]).expression == "latte OR espresso"
    assert api.patch(url, {"is_active": False}, format="json").json()["is_active"] is False
    assert api.delete(url).status_code == 204


def test_a_query_stays_with_its_client_when_an_update_names_another(api):
    mine, other = ClientFactory(), ClientFactory()
    query = ListeningQuery.objects.create(client=mine, name="Coffee", expression="latte")
    response = api.patch(
        f"/api/v1/queries/{query.pk}/", {"client": other.pk, "name": "Tea"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["client"] == mine.pk
    query.refresh_from_db()
    assert (query.client_id, query.name) == (mine.pk, "Tea")


def test_a_mention_has_the_documented_representation(api, feed):
    mention = Mention.objects.get(external_id="1")
    body = api.get(f"/api/v1/mentions/{mention.pk}/").json()
    assert set(body) >= MENTION_FIELDS and set(body["author"]) == AUTHOR_FIELDS
    assert (body["client"], body["channel"], body["platform"]) == (
        feed.client_id, feed.pk, "rss",
    )  # fmt: skip
    assert body["sentiment"] == "positive" and body["sentiment_score"] > 0
    assert body["status"] == "new" and body["needs_acknowledgement"] is True
    assert body["author"]["handle"] == "ana" and body["author"]["is_customer"] is False


def test_mention_filters_return_exactly_the_matching_mentions(api, feed):
    other = make_channel(name="Elsewhere")
    store_mentions(other, [said("9", "Terrible coffee", "eve", 1)])
    pk = {m.external_id: m.pk for m in Mention.objects.all()}
    team, user = TeamFactory(), UserFactory()
    Mention.objects.filter(external_id="2").update(team=team, assigned_to=user, status="assigned")
    Mention.objects.filter(external_id="3").update(needs_acknowledgement=False)

    def listed(query: str) -> set[str]:
        by_id = {v: k for k, v in pk.items()}
        return {by_id[i] for i in ids(api.get(f"/api/v1/mentions/?{query}"))}

    assert listed(f"client={feed.client_id}") == {"1", "2", "3", "4"}
    assert listed(f"channel={other.pk}") == {"9"}
    assert listed("sentiment=negative") == {"2", "4", "9"}
    assert listed(f"sentiment=negative&client={feed.client_id}") == {"2", "4"}
    assert listed("status=assigned") == {"2"}
    assert listed("needs_acknowledgement=false") == {"3"}
    assert listed("q=latte") == {"1"}
    assert listed('q="never again"') == {"4"}
    assert listed("since=2026-11-03") == {"2", "3", "4", "9"}
    assert listed("until=2026-11-03") == {"1", "2", "9"}  # a bare date includes its day
    assert listed("since=2026-11-03T12:00:01Z&until=2026-11-05T12:00:01Z") == {"3", "4"}
    assert listed(f"assigned_to={user.pk}") == {"2"} and listed(f"team={team.pk}") == {"2"}
    for bad in ("sentiment=angry", "since=yesterday", "client=abc", "client=-1", "page=0"):
        response = api.get(f"/api/v1/mentions/?{bad}")
        assert response.status_code == 400, bad
        assert bad.split("=")[0] in response.json()


def test_lists_are_paginated_with_next(api, feed):
    first = api.get("/api/v1/mentions/?page_size=3").json()
    assert len(first["results"]) == 3 and first["previous"] is None
    second = api.get(first["next"]).json()
    assert len(second["results"]) == 1 and second["next"] is None
    assert second["previous"] is not None


def test_inbox_actions_through_the_api(api, feed, owner):
    team = TeamFactory(name="Engineering")
    ana, ben, cy, dee = (Mention.objects.get(external_id=n) for n in "1234")

    ack = api.post(
        f"/api/v1/mentions/{ana.pk}/acknowledge/",
        {"kind": "replied_elsewhere", "text": "Thanks {first_name}!"},
        format="json",
    )
    assert ack.status_code == 201, ack.content
    assert ack.json()["text"] == "Thanks Ana!" and ack.json()["is_personal"] is True
    assert api.get(f"/api/v1/mentions/{ana.pk}/").json()["status"] == "acknowledged"

    assigned = api.post(f"/api/v1/mentions/{ben.pk}/assign/", {"team": team.pk}, format="json")
    assert assigned.status_code == 200 and assigned.json()["team"] == team.pk
    assert assigned.json()["status"] == "assigned"
    neither = api.post(f"/api/v1/mentions/{ben.pk}/assign/", {}, format="json")
    assert neither.status_code == 400 and "user" in neither.json()

    no_reason = api.post(f"/api/v1/mentions/{cy.pk}/dismiss/", {"reason": ""}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    dismissed = api.post(f"/api/v1/mentions/{cy.pk}/dismiss/", {"reason": "Not for us"})
    assert dismissed.json()["status"] == "dismissed"

    escalated = api.post(
        f"/api/v1/mentions/{dee.pk}/escalate/",
        {"team": team.pk, "note": "Please call her"},
        format="json",
    )
    assert escalated.json()["status"] == "escalated" and escalated.json()["team"] == team.pk

    audit = AuditEntry.objects.filter(actor=owner).values_list("action", "object_id")
    assert set(audit) == {
        ("acknowledge", ana.pk), ("assign", ben.pk), ("dismiss", cy.pk), ("escalate", dee.pk),
    }  # fmt: skip
    listed = api.get(f"/api/v1/acknowledgements/?client={feed.client_id}").json()["results"]
    assert [(row["mention"], row["user"], row["kind"]) for row in listed] == [
        (ana.pk, owner.pk, "replied_elsewhere")
    ]
    assert ids(api.get(f"/api/v1/acknowledgements/?user={owner.pk + 999}")) == set()
    assert ids(api.get("/api/v1/acknowledgements/?since=2099-01-01")) == set()


def test_bulk_acknowledge_of_500_mentions_is_one_request_and_one_transaction(
    api, owner, django_assert_max_num_queries
):
    channel = make_channel()
    store_mentions(channel, [said(f"b{n}", f"Question {n}", f"person{n}") for n in range(500)])
    wanted = list(Mention.objects.filter(channel=channel).values_list("pk", flat=True))

    with django_assert_max_num_queries(40):
        response = api.post(
            "/api/v1/mentions/bulk/",
            {"ids": wanted, "action": "acknowledge", "kind": "resolved_internally"},
            format="json",
        )
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 500
    assert Mention.objects.filter(pk__in=wanted, status="acknowledged").count() == 500
    assert Acknowledgement.objects.filter(mention__in=wanted).count() == 500
    assert AuditEntry.objects.filter(action="acknowledge").count() == 500


def test_a_bulk_action_with_one_unknown_id_changes_nothing(api, feed):
    wanted = list(Mention.objects.values_list("pk", flat=True))
    response = api.post(
        "/api/v1/mentions/bulk/",
        {"ids": [*wanted, max(wanted) + 1000], "action": "dismiss", "reason": "Noise"},
        format="json",
    )
    assert response.status_code == 400 and "Not found" in response.json()["ids"][0]
    assert not Mention.objects.filter(status="dismissed").exists()
    assert not AuditEntry.objects.exists()


def test_a_template_sent_in_bulk_warns_that_it_is_canned(api, feed):
    wanted = list(Mention.objects.values_list("pk", flat=True))
    response = api.post(
        "/api/v1/mentions/bulk/",
        {"ids": wanted, "action": "acknowledge", "kind": "replied_elsewhere",
         "text": "Thanks {first_name} for your message"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200
    assert "not a personal acknowledgement" in response.json()["warning"]
