"""Every URL of an agency's host, tried as someone who must not get through: anonymous, a user
of another agency, a client user of another client, a team member the mention was not routed
to. Each gets 302-to-login, 401, 403, 404 or 405 — never the object — and nothing changes.

New URLs join the suite by themselves: a route without a row in ``ROUTES`` fails the first
test until it is classified.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.urls import URLResolver, get_resolver

from apps.acknowledgements.models import Acknowledgement, AuditEntry, MentionNote, SavedReply
from apps.alerts.models import SpikeAlert
from apps.channels.models import Channel, FetchRun
from apps.clients.models import Client
from apps.community.models import Person, PersonAuthor, PersonLinkSuggestion
from apps.listening.models import Author, ListeningQuery, Mention, QueryRematch
from apps.webhooks.models import WebhookSubscription
from tests.accounts.factories import TeamFactory, UserFactory
from tests.api.conftest import api_client
from tests.clients.factories import ClientFactory, ClientMembershipFactory
from tests.conftest import PASSWORD, host_client

FAR = 10**9 + 7  # ids no other object has
DENIED = {302, 401, 403, 404, 405}
# Where the foreign ids travel in the body, a field error (400) is the refusal: it reads the same
# as for an id that exists nowhere. The inbox's live counts tell a signed-out page to stop
# polling (htmx's 286, empty).
BODY_IDS = {"inbox/bulk/", "api/v1/^mentions/bulk/$", "listening/queries/new/",
            "settings/saved-replies/"}  # fmt: skip
STOP_POLLING = {"inbox/counts/": 286, "inbox/<int:mention_id>/presence/": 286}
# route → (the object its ids come from, or None; methods to try). "public" routes are open by
# design and are tried only for what they must not reveal.
ROUTES: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "": (None, ("get",)),
    "accounts/login/": ("public", ()),
    "logo": ("public", ()),  # the agency's own logo, on its own host's sign-in page
    "accounts/login/code/": ("public", ()),
    "accounts/logout/": ("public", ()),
    "accounts/password-reset/": ("public", ()),
    "accounts/password-reset/sent/": ("public", ()),
    "accounts/password-reset/<uidb64>/<token>/": ("public", ()),
    "accounts/password-reset/done/": ("public", ()),
    "accounts/invitation/<uidb64>/<token>/": ("public", ()),
    "accounts/people/": (None, ("get", "post")),
    "accounts/two-factor/": (None, ("get", "post")),
    "clients/": (None, ("get",)),
    "clients/new/": (None, ("get", "post")),
    "clients/<int:client_id>/": ("client", ("get", "post")),
    "clients/<int:client_id>/logo": ("client", ("get",)),
    "channels/": (None, ("get",)),
    "channels/new/": (None, ("get", "post")),
    "channels/oauth/mastodon/": (None, ("post",)),
    "channels/oauth/mastodon/callback/": (None, ("get",)),
    "channels/<int:channel_id>/": ("channel", ("get",)),
    "channels/<int:channel_id>/edit/": ("channel", ("get", "post")),
    "channels/<int:channel_id>/pause/": ("channel", ("post",)),
    "channels/<int:channel_id>/resume/": ("channel", ("post",)),
    "channels/<int:channel_id>/remove/": ("channel", ("get", "post")),
    "channels/<int:channel_id>/rotate-secret/": ("channel", ("post",)),
    "channels/<int:channel_id>/fetch/": ("channel", ("post",)),
    "channels/runs/<int:run_id>/": ("run", ("get",)),
    "listening/mentions/": (None, ("get",)),
    "listening/queries/": (None, ("get",)),
    "listening/queries/new/": (None, ("get", "post")),
    "listening/queries/check/": (None, ("get",)),
    "listening/queries/<int:query_id>/": ("query", ("get",)),
    "listening/queries/<int:query_id>/edit/": ("query", ("get", "post")),
    "listening/rematches/<int:rematch_id>/": ("rematch", ("get",)),
    "reports/": (None, ("get",)),
    "reports/clients/<int:client_id>/": ("client", ("get",)),
    "reports/clients/<int:client_id>/report.pdf": ("client", ("get",)),
    "reports/clients/<int:client_id>/mentions.csv": ("client", ("get",)),
    "reports/clients/<int:client_id>/figures.csv": ("client", ("get",)),
    "reports/clients/<int:client_id>/acknowledgements.csv": ("client", ("get",)),
    "alerts/": (None, ("get",)),
    "alerts/<int:alert_id>/": ("alert", ("get",)),
    "reports/clients/<int:client_id>/corrected-labels.csv": ("client", ("get",)),
    "inbox/": (None, ("get",)),
    "inbox/counts/": (None, ("get",)),
    "inbox/bulk/": ("bulk", ("post",)),
    "inbox/<int:mention_id>/": ("mention", ("get",)),
    "inbox/<int:mention_id>/retry/": ("mention", ("post",)),
    "inbox/<int:mention_id>/labels/": ("mention", ("post",)),
    "inbox/<int:mention_id>/presence/": ("mention", ("post",)),
    "inbox/<int:mention_id>/notes/": ("mention", ("post",)),
    "inbox/notifications/": (None, ("get",)),
    "inbox/<int:mention_id>/<slug:action>/": ("mention", ("post",)),
    "settings/": (None, ("get", "post")),
    "settings/teams/": (None, ("get", "post")),
    "settings/saved-replies/": (None, ("get", "post")),
    "settings/audit/": (None, ("get",)),
    "settings/audit.csv": (None, ("get",)),
    "settings/clients/<int:client_id>/sla/": ("client", ("get", "post")),
    "settings/clients/<int:client_id>/routing/": ("client", ("get", "post")),
    "settings/clients/<int:client_id>/schedules/": ("client", ("get", "post")),
    "settings/clients/<int:client_id>/accounts/": ("client", ("get", "post")),
    "hooks/<str:token>/": ("public", ()),  # signed; other agencies' tokens: see below
    "api/v1/auth/token/": ("public", ()),
    "api/v1/schema/": ("public", ()),
    "api/v1/docs/": ("public", ()),
    "api/v1/": (None, ("get",)),
    "api/v1/<drf_format_suffix:format>": ("public", ()),
    "api/v1/^clients/$": (None, ("get", "post")),
    "api/v1/^clients/(?P<pk>\\d+)/$": ("client", ("get", "patch", "put", "delete")),
    "api/v1/^clients/(?P<pk>\\d+)/report/$": ("client", ("get",)),
    "api/v1/^channels/$": (None, ("get", "post")),
    "api/v1/^channels/(?P<pk>\\d+)/$": ("channel", ("get", "patch", "delete")),
    "api/v1/^channels/(?P<pk>\\d+)/fetch/$": ("channel", ("post",)),
    "api/v1/^queries/$": (None, ("get", "post")),
    "api/v1/^queries/(?P<pk>\\d+)/$": ("query", ("get", "patch", "delete")),
    "api/v1/^mentions/$": (None, ("get",)),
    "api/v1/^mentions/bulk/$": ("bulk", ("post",)),
    "api/v1/^mentions/(?P<pk>\\d+)/$": ("mention", ("get", "patch")),
    "api/v1/^mentions/(?P<pk>\\d+)/acknowledge/$": ("mention", ("post",)),
    "api/v1/^mentions/(?P<pk>\\d+)/assign/$": ("mention", ("post",)),
    "api/v1/^mentions/(?P<pk>\\d+)/dismiss/$": ("mention", ("post",)),
    "api/v1/^mentions/(?P<pk>\\d+)/escalate/$": ("mention", ("post",)),
    "api/v1/^acknowledgements/$": (None, ("get",)),
    "api/v1/^acknowledgements/(?P<pk>\\d+)/$": ("acknowledgement", ("get",)),
    "api/v1/^webhooks/$": (None, ("get", "post")),
    "api/v1/^webhooks/(?P<pk>\\d+)/$": ("webhook", ("get", "patch", "delete")),
    "api/v1/^webhooks/(?P<pk>\\d+)/deliveries/$": ("webhook", ("get",)),
    "api/v1/clients/<int:pk>/community/": ("client", ("get",)),
    "people/<int:person_id>/": ("person", ("get",)),
    "people/<int:person_id>/merge/": ("person", ("post",)),
    "people/<int:person_id>/split/": ("person", ("post",)),
    "people/suggestions/<int:suggestion_id>/<slug:decision>/": ("suggestion", ("post",)),
    "community/clients/<int:client_id>/": ("client", ("get",)),
    "api/v1/^people/$": (None, ("get",)),
    "api/v1/^people/(?P<pk>\\d+)/$": ("person", ("get",)),
    "api/v1/^people/(?P<pk>\\d+)/merge/$": ("person", ("post",)),
    "api/v1/^people/(?P<pk>\\d+)/split/$": ("person", ("post",)),
}


def agency_routes() -> list[str]:
    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    # DRF's format-suffix twins ("….json") go through the same views as their routes.
    return [r for r in walk(get_resolver("agency.urls").url_patterns) if "(?P<format>" not in r]


def path_of(route: str, ids: dict[str, int]) -> str:
    kind, _ = ROUTES[route]
    object_id = ids.get(kind, 0)
    path = route.replace("^", "").replace("$", "").replace("\\", "")
    for placeholder in ("(?P<pk>d+)", "<int:pk>", "<int:channel_id>", "<int:run_id>",
                        "<int:query_id>", "<int:rematch_id>", "<int:client_id>",
                        "<int:mention_id>", "<int:alert_id>", "<int:person_id>",
                        "<int:suggestion_id>"):  # fmt: skip
        path = path.replace(placeholder, str(object_id))
    return "/" + path.replace("<slug:action>", "dismiss").replace("<slug:decision>", "accept")


BODIES = {
    "bulk": {"ids": [], "action": "dismiss", "reason": "x"},
    "mention": {
        "kind": "resolved_internally",
        "reason": "x",
        "note": "x",
        "team": 1,
        "sentiment": "negative",
        "intent": "complaint",
    },
    "person": {"person": 1, "authors": [1]},
    "suggestion": {},
    None: {"name": "Taken", "expression": "tea", "url": "https://example.com/h"},
}


def make_objects(client: Client, base: int = 0) -> dict[str, int]:
    """One object of every kind a URL can name, of ``client`` (ids from ``base`` on)."""
    pk = (lambda n: {"pk": base + n}) if base else (lambda n: {})
    channel = Channel.objects.create(
        client=client, platform="rss", name="Feed", config={"url": "http://127.0.0.1:9/f"}, **pk(1)
    )
    query = ListeningQuery.objects.create(client=client, name="Q", expression="tea", **pk(2))
    author = Author.objects.create(platform="rss", handle=f"someone-{client.slug}")
    mention = Mention.objects.create(
        client=client, channel=channel, platform="rss", external_id="x", author=author,
        text="Hello", posted_at=datetime(2026, 11, 1, tzinfo=UTC),
        fetched_at=datetime(2026, 11, 1, tzinfo=UTC), **pk(3),
    )  # fmt: skip
    ack = Acknowledgement.objects.create(
        mention=mention, client=client, kind="resolved_internally", **pk(4)
    )
    run = FetchRun.objects.create(channel=channel, **pk(5))
    rematch = QueryRematch.objects.create(query=query, **pk(6))
    webhook = WebhookSubscription.objects.create(
        url="https://example.com/hook", events=["mention.created"], secret="s" * 32, **pk(7)
    )
    alert = SpikeAlert.objects.create(
        client=client, is_volume=True, started_at=mention.posted_at,
        last_seen_at=mention.posted_at, mentions=40, negative=0, usual_volume=2,
        usual_negative_share=0.1, peak_volume=40, **pk(8),
    )  # fmt: skip
    person = Person.objects.create(client=client, name=author.handle, **pk(11))
    PersonAuthor.objects.create(client=client, person=person, author=author)
    other = Author.objects.create(platform="csv", handle=f"other-{client.slug}")
    PersonAuthor.objects.create(
        client=client, author=other,
        person=Person.objects.create(client=client, name=other.handle, **pk(9)),
    )  # fmt: skip
    suggestion = PersonLinkSuggestion.objects.create(
        client=client, author=min(author, other, key=lambda a: a.pk),
        other_author=max(author, other, key=lambda a: a.pk), evidence=["x"], **pk(10),
    )  # fmt: skip
    ids = {"client": client.pk, "channel": channel.pk, "query": query.pk, "mention": mention.pk,
           "alert": alert.pk,
           "acknowledgement": ack.pk, "run": run.pk, "rematch": rematch.pk,
           "webhook": webhook.pk, "bulk": mention.pk, "person": person.pk,
           "suggestion": suggestion.pk}  # fmt: skip
    BODIES["bulk"]["ids"] = [mention.pk]
    return ids


def state() -> list:
    return [
        sorted(Client.objects.values_list("pk", "name", "is_active")),
        sorted(Channel.objects.values_list("pk", "name", "next_fetch_at", "health",
                                           "disconnected_at", "webhook_secret_encrypted")),
        sorted(ListeningQuery.objects.values_list("pk", "expression", "is_active")),
        sorted(Mention.objects.values_list("pk", "status", "team_id", "assigned_to_id",
                                           "sentiment", "intent")),
        sorted(WebhookSubscription.objects.values_list("pk", "is_active", "url")),
        Acknowledgement.objects.count(), AuditEntry.objects.count(), FetchRun.objects.count(),
        QueryRematch.objects.count(), MentionNote.objects.count(),
        sorted(SavedReply.objects.values_list("pk", "title", "text")),
        QueryRematch.objects.count(),
        sorted(PersonAuthor.objects.values_list("person_id", "author_id", "linked_by")),
        sorted(PersonLinkSuggestion.objects.values_list("pk", "status")),
    ]  # fmt: skip


def signed_in(agency, user):
    """A browser (session) and an API client (token) of ``user``."""
    user.set_password(PASSWORD)
    user.save()
    browser = host_client(agency)
    assert browser.login(username=user.email, password=PASSWORD)
    return browser, api_client(agency, user)


def try_everything(browser, api, ids, *, collections: bool = True) -> list[str]:
    """Every classified route and method; what got through, if anything. Reading collections
    is allowed (they are scoped: ``test_lists_hold_nothing_foreign``); creating in them is
    tried when ``collections`` (another agency's user may create in their own agency)."""
    leaks = []
    for route in agency_routes():
        kind, methods = ROUTES[route]
        if kind == "public" or (kind is None and not collections):
            continue
        for method in methods:
            if kind is None and method == "get":
                continue
            path, body = path_of(route, ids), BODIES.get(kind, BODIES[None])
            if route.startswith("api/"):
                response = getattr(api, method)(path, body, format="json")
            else:
                response = getattr(browser, method)(path, body)
            if response.status_code not in refusals(route):
                leaks.append(f"{method.upper()} {path} → {response.status_code}")
    return leaks


def refusals(route: str) -> set[int]:
    """The answers that refuse a request on ``route``."""
    extra = {400} if route in BODY_IDS else set()
    if route in STOP_POLLING:
        extra.add(STOP_POLLING[route])
    return DENIED | extra


def test_every_route_is_classified():
    unknown = [route for route in agency_routes() if route not in ROUTES]
    assert not unknown, f"classify these routes in ROUTES: {unknown}"


def test_anonymous_visitors_get_nothing(in_agency_a, agency_a):
    client = ClientFactory()
    ids = make_objects(client)
    before = state()
    browser, api = host_client(agency_a), api_client(agency_a)
    for route in agency_routes():
        _, methods = ROUTES[route]
        for method in methods:
            caller = api if route.startswith("api/") else browser
            response = getattr(caller, method)(path_of(route, ids), {})
            assert response.status_code in refusals(route), (method, route, response.status_code)
            if not route.startswith("api/") and response.status_code == 302:
                assert response["Location"].startswith("/accounts/login/"), route
    assert state() == before


def test_another_agencys_user_gets_nothing_of_this_agency(agency_a, agency_b, db):
    connection.set_tenant(agency_a)
    ids = make_objects(ClientFactory(pk=FAR), base=FAR)
    token = Channel.objects.get(pk=ids["channel"]).webhook_token
    before = state()
    connection.set_tenant(agency_b)
    owner_b = UserFactory(role="owner")
    browser, api = signed_in(agency_b, owner_b)
    leaks = try_everything(browser, api, ids, collections=False)
    # A's inbound webhook token on B's host is unknown there.
    assert browser.post(f"/hooks/{token}/", b"{}", content_type="application/json").status_code \
        == 404  # fmt: skip
    connection.set_tenant(agency_a)
    assert not leaks, leaks
    assert state() == before
    # And B's session or token is no key to A's host.
    cookie = browser.cookies
    a_browser = host_client(agency_a)
    a_browser.cookies = cookie
    assert a_browser.get("/inbox/").status_code == 302
    a_api = api_client(agency_a)
    a_api.credentials(HTTP_AUTHORIZATION=api._credentials["HTTP_AUTHORIZATION"])
    assert a_api.get("/api/v1/clients/").status_code == 401
    connection.set_schema_to_public()


@pytest.mark.parametrize("role", ["client_viewer", "client_responder", "responder"])
def test_a_user_of_another_client_gets_nothing_of_this_one(in_agency_a, agency_a, role):
    mine, theirs = ClientFactory(), ClientFactory()
    ids = make_objects(theirs)
    user = UserFactory(role=role)
    ClientMembershipFactory(user=user, client=mine)
    before = state()
    ids.pop("webhook")  # agency-wide, not a client's: owners and managers only
    leaks = try_everything(*signed_in(agency_a, user), {**ids, "webhook": FAR})
    assert not leaks, leaks
    assert state() == before


def test_a_team_member_gets_nothing_not_routed_to_their_team(in_agency_a, agency_a):
    ids = make_objects(ClientFactory())
    engineer = UserFactory(role="team_member")
    TeamFactory().members.add(engineer)
    before = state()
    leaks = try_everything(*signed_in(agency_a, engineer), ids)
    assert not leaks, leaks
    assert state() == before


def test_lists_hold_nothing_foreign(in_agency_a, agency_a):
    mine, theirs = ClientFactory(slug="mine-x"), ClientFactory(slug="theirs-x")
    make_objects(mine)
    make_objects(theirs)
    viewer = UserFactory(role="client_viewer")
    ClientMembershipFactory(user=viewer, client=mine)
    browser, api = signed_in(agency_a, viewer)
    for route in agency_routes():
        kind, methods = ROUTES[route]
        if kind is None and "get" in methods:
            caller = api if route.startswith("api/") else browser
            body = caller.get(path_of(route, {})).content.decode()
            assert "theirs-x" not in body and "someone-theirs-x" not in body, route


def test_administration_lives_on_the_public_host_only(in_agency_a, agency_a, public_client):
    owner = UserFactory(role="owner", is_staff=True, is_superuser=True)
    browser, _ = signed_in(agency_a, owner)
    assert browser.get("/admin/").status_code == 404  # not routed on an agency's host
    response = public_client.get("/admin/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    # An agency's users live in its schema: the public host does not know them.
    assert not public_client.login(username=owner.email, password=PASSWORD)
