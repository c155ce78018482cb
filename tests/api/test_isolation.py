"""404 for every object of another agency or of a client the caller cannot see — for reads,
updates, deletes and actions alike — and nothing changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection

from apps.acknowledgements.models import Acknowledgement, AuditEntry
from apps.channels.models import Channel, FetchRun
from apps.clients.models import Client
from apps.community.models import Person, PersonAuthor
from apps.listening.models import Author, ListeningQuery, Mention
from apps.webhooks.models import WebhookSubscription
from tests.accounts.factories import TeamFactory, UserFactory
from tests.api.conftest import api_client
from tests.clients.factories import ClientFactory, ClientMembershipFactory

FAR = 10**9  # ids no object of agency A has


def objects_of(client: Client, base: int = 0) -> dict[str, int]:
    """A channel, query, mention and acknowledgement of ``client`` (ids from ``base`` on)."""
    kw = (lambda n: {"pk": base + n}) if base else (lambda n: {})
    channel = Channel.objects.create(
        client=client, platform="rss", name="Feed", config={"url": "http://127.0.0.1:9/f"},
        **kw(2),
    )  # fmt: skip
    query = ListeningQuery.objects.create(client=client, name="Q", expression="tea", **kw(3))
    author = Author.objects.create(platform="rss", handle=f"someone-of-{client.slug}")
    mention = Mention.objects.create(
        client=client, channel=channel, platform="rss", external_id="x", author=author,
        text="Hello", posted_at=datetime(2026, 11, 1, tzinfo=UTC),
        fetched_at=datetime(2026, 11, 1, tzinfo=UTC), **kw(4),
    )  # fmt: skip
    ack = Acknowledgement.objects.create(
        mention=mention, client=client, kind="resolved_internally", **kw(5)
    )
    person = Person.objects.create(client=client, name="Someone", **kw(6))
    PersonAuthor.objects.create(client=client, person=person, author=author)
    return {
        "client": client.pk, "channel": channel.pk, "query": query.pk, "mention": mention.pk,
        "acknowledgement": ack.pk, "person": person.pk,
    }  # fmt: skip


def attempts(ids: dict[str, int], team_id: int) -> list[tuple[str, str, dict]]:
    """Every object route with a body that would succeed on a visible object."""
    c, ch, q, m, a, p = (
        ids[k] for k in ("client", "channel", "query", "mention", "acknowledgement", "person")
    )
    return [
        ("get", f"/api/v1/clients/{c}/", {}),
        ("patch", f"/api/v1/clients/{c}/", {"name": "Taken"}),
        ("put", f"/api/v1/clients/{c}/", {"name": "Taken", "slug": "taken", "timezone": "UTC"}),
        ("delete", f"/api/v1/clients/{c}/", {}),
        ("get", f"/api/v1/clients/{c}/report/", {}),
        ("get", f"/api/v1/channels/{ch}/", {}),
        ("patch", f"/api/v1/channels/{ch}/", {"name": "Taken"}),
        ("delete", f"/api/v1/channels/{ch}/", {}),
        ("post", f"/api/v1/channels/{ch}/fetch/", {}),
        ("get", f"/api/v1/queries/{q}/", {}),
        ("patch", f"/api/v1/queries/{q}/", {"expression": "coffee"}),
        ("delete", f"/api/v1/queries/{q}/", {}),
        ("get", f"/api/v1/mentions/{m}/", {}),
        ("post", f"/api/v1/mentions/{m}/acknowledge/", {"kind": "replied_elsewhere"}),
        ("post", f"/api/v1/mentions/{m}/assign/", {"team": team_id}),
        ("post", f"/api/v1/mentions/{m}/dismiss/", {"reason": "Noise"}),
        ("post", f"/api/v1/mentions/{m}/escalate/", {"team": team_id, "note": "Look"}),
        ("get", f"/api/v1/acknowledgements/{a}/", {}),
        ("get", f"/api/v1/clients/{c}/community/", {}),
        ("get", f"/api/v1/people/{p}/", {}),
        ("post", f"/api/v1/people/{p}/merge/", {"person": p}),
        ("post", f"/api/v1/people/{p}/split/", {"authors": [1]}),
    ]


def state() -> list:
    return [
        sorted(Client.objects.values_list("pk", "name", "is_active")),
        sorted(Channel.objects.values_list("pk", "name")),
        sorted(ListeningQuery.objects.values_list("pk", "expression")),
        sorted(Mention.objects.values_list("pk", "status", "team_id", "assigned_to_id")),
        Acknowledgement.objects.count(), AuditEntry.objects.count(), FetchRun.objects.count(),
        sorted(PersonAuthor.objects.values_list("person_id", "author_id", "linked_by")),
    ]  # fmt: skip


def assert_all_404(client, ids, team_id):
    before = state()
    for method, url, body in attempts(ids, team_id):
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 404, (method, url, response.status_code)
    assert state() == before


@pytest.fixture
def team(in_agency_a):
    return TeamFactory(name="Support")


def test_objects_of_another_agency_are_not_found_and_untouched(api, agency_a, agency_b, team):
    connection.set_tenant(agency_b)
    theirs = objects_of(ClientFactory(pk=FAR + 1), base=FAR)
    before_b = state()
    connection.set_tenant(agency_a)

    assert_all_404(api, theirs, team.pk)
    connection.set_tenant(agency_b)
    assert state() == before_b
    connection.set_tenant(agency_a)


def test_objects_of_a_client_the_caller_cannot_see_are_not_found(agency_a, in_agency_a, team):
    mine, theirs = ClientFactory(), ClientFactory()
    objects_of(mine)
    hidden = objects_of(theirs)
    for role in ("responder", "client_responder", "client_viewer"):
        user = UserFactory(role=role)
        ClientMembershipFactory(user=user, client=mine)
        assert_all_404(api_client(agency_a, user), hidden, team.pk)


def test_webhooks_of_another_agency_are_not_found_and_untouched(api, agency_a, agency_b):
    connection.set_tenant(agency_b)
    theirs = WebhookSubscription.objects.create(
        pk=FAR, url="https://example.com/hook", events=["mention.created"], secret="s" * 32
    )
    connection.set_tenant(agency_a)
    url = f"/api/v1/webhooks/{theirs.pk}/"
    for method, path, body in [
        ("get", url, {}), ("patch", url, {"is_active": False}), ("delete", url, {}),
        ("get", f"{url}deliveries/", {}),
    ]:  # fmt: skip
        assert getattr(api, method)(path, body, format="json").status_code == 404, (method, path)
    connection.set_tenant(agency_b)
    assert WebhookSubscription.objects.get(pk=FAR).is_active
    connection.set_tenant(agency_a)


def test_a_team_member_sees_only_what_is_routed_to_their_team(agency_a, in_agency_a, team):
    routed, other = objects_of(ClientFactory()), objects_of(ClientFactory())
    Mention.objects.filter(pk=routed["mention"]).update(team=team)
    engineer = UserFactory(role="team_member")
    team.members.add(engineer)
    engineer_api = api_client(agency_a, engineer)

    listed = engineer_api.get("/api/v1/mentions/").json()["results"]
    assert [row["id"] for row in listed] == [routed["mention"]]
    assert_all_404(engineer_api, other, team.pk)


def test_a_client_viewer_may_read_but_not_act_on_their_own_client(agency_a, in_agency_a, team):
    client = ClientFactory()
    own = objects_of(client)
    viewer = UserFactory(role="client_viewer")
    ClientMembershipFactory(user=viewer, client=client)
    viewer_api = api_client(agency_a, viewer)

    assert viewer_api.get(f"/api/v1/mentions/{own['mention']}/").status_code == 200
    refused = viewer_api.post(
        f"/api/v1/mentions/{own['mention']}/dismiss/", {"reason": "x"}, format="json"
    )
    assert refused.status_code == 403
    assert viewer_api.patch(f"/api/v1/clients/{client.pk}/", {"name": "X"}).status_code == 403
    assert Mention.objects.get(pk=own["mention"]).status == "new"
