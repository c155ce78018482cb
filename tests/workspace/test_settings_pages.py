"""Owners and managers set each client's SLA policy and routing rules, and the agency's teams,
on the settings pages; every change goes through a service, is audited, and takes effect on the
mentions stored afterwards. Nobody else finds these pages (404)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apps.accounts.models import Team
from apps.acknowledgements.models import AuditEntry, RoutingRule, SlaPolicy
from apps.acknowledgements.services import sla_due_dates_assign
from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Mention
from tests.accounts.factories import TeamFactory, UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory, ClientMembershipFactory
from tests.conftest import PASSWORD, host_client

SLA_FORM = {
    "target_urgent": "10", "target_high": "30", "target_normal": "90", "target_low": "600",
    "next_response_minutes": "20", "business_hours_only": "on", "timezone": "America/New_York",
    "opens_at": "08:00", "closes_at": "17:00", "open_weekdays": ["0", "1", "2", "3", "4"],
    "holiday_country": "US", "holiday_subdivision": "NY", "holidays": "2026-12-24\n2026-12-31",
}  # fmt: skip


def signed_in(agency, user):
    client = host_client(agency)
    user.set_password(PASSWORD)
    user.save()
    assert client.login(username=user.email, password=PASSWORD)
    return client


def said(external_id: str, text: str, at: datetime) -> MentionData:
    return MentionData(external_id=external_id, text=text, posted_at=at,
                       author=AuthorData(handle=f"person-{external_id}"))  # fmt: skip


@pytest.fixture
def manager(in_agency_a):
    return UserFactory(role="manager")


@pytest.fixture
def browser(agency_a, manager):
    return signed_in(agency_a, manager)


@pytest.fixture
def brand(in_agency_a):
    return ClientFactory(name="Brew Co")


# --- SLA policy ----------------------------------------------------------------------------------


def test_a_manager_sees_the_default_policy_and_when_a_mention_now_would_be_due(browser, brand):
    page = browser.get(f"/settings/clients/{brand.pk}/sla/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "No policy saved yet" in html and "is due at" in html
    assert 'name="target_normal"' in html and 'value="240"' in html
    assert not SlaPolicy.objects.filter(client=brand).exists()


def test_a_manager_edits_the_sla_policy_and_it_is_stored_and_audited(browser, brand, manager):
    response = browser.post(f"/settings/clients/{brand.pk}/sla/", SLA_FORM)
    assert response.status_code == 302
    policy = SlaPolicy.objects.get(client=brand)
    assert policy.targets == {"urgent": 10, "high": 30, "normal": 90, "low": 600}
    assert policy.next_response_minutes == 20
    assert (policy.timezone, str(policy.opens_at), str(policy.closes_at)) == (
        "America/New_York", "08:00:00", "17:00:00",
    )  # fmt: skip
    assert policy.open_weekdays == [0, 1, 2, 3, 4]
    assert (policy.holiday_country, policy.holiday_subdivision) == ("US", "NY")
    assert [str(day) for day in policy.holidays] == ["2026-12-24", "2026-12-31"]
    audit = AuditEntry.objects.get(object_type="sla_policy", object_id=policy.pk)
    assert (audit.actor, audit.action) == (manager, "create")
    assert audit.after["timezone"] == "America/New_York"
    html = browser.get(f"/settings/clients/{brand.pk}/sla/").content.decode()
    assert "America/New_York" in html and "SLA policy saved." in html


def test_new_mentions_are_due_by_the_edited_policy(browser, brand):
    always_open = {**SLA_FORM, "target_normal": "45", "holiday_country": "",
                   "holiday_subdivision": "", "holidays": ""}  # fmt: skip
    del always_open["business_hours_only"]  # the clock always runs
    assert browser.post(f"/settings/clients/{brand.pk}/sla/", always_open).status_code == 302
    posted = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    store_mentions(make_channel(client=brand), [said("late-order", "Where is my order?", posted)])
    sla_due_dates_assign()
    mention = Mention.objects.get(external_id="late-order")
    assert mention.sla_due_at == posted + timedelta(minutes=45)


def test_the_example_follows_business_hours(browser, brand):
    weekend_only = {**SLA_FORM, "timezone": "UTC", "open_weekdays": ["5"], "holiday_country": "",
                    "holiday_subdivision": "", "holidays": "", "opens_at": "10:00",
                    "closes_at": "11:00"}  # fmt: skip
    assert browser.post(f"/settings/clients/{brand.pk}/sla/", weekend_only).status_code == 302
    html = browser.get(f"/settings/clients/{brand.pk}/sla/").content.decode()
    # 90 business minutes of one open hour a week: two Saturdays on, at 10:30.
    example = html[html.index('id="sla-example"') :].split("</p>")[0]
    assert "Sat" in example and "10:30" in example


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone", "Unknown time zone"),
        ({"holiday_country": "XX"}, "holiday_country", "No public holidays are known"),
        ({"holiday_subdivision": "ZZ"}, "holiday_subdivision", "is not a subdivision of US"),
        ({"closes_at": "07:00"}, "closes_at", "Closing time must be after opening time"),
        ({"target_urgent": "0"}, "target_urgent", "between 1 and"),
        ({"holidays": "2026-12-24\nChristmas"}, "holidays", "is not a date"),
    ],
)
def test_a_bad_policy_is_refused_next_to_its_field_and_nothing_changes(
    browser, brand, change, field, message
):
    assert browser.post(f"/settings/clients/{brand.pk}/sla/", SLA_FORM).status_code == 302
    before = list(SlaPolicy.objects.filter(client=brand).values())
    audits = AuditEntry.objects.count()
    response = browser.post(f"/settings/clients/{brand.pk}/sla/", {**SLA_FORM, **change})
    html = response.content.decode()
    assert response.status_code == 400
    error = html[html.index(f'id="id_{field}_error"') :].split("</p>")[0]
    assert message in error
    assert list(SlaPolicy.objects.filter(client=brand).values()) == before
    assert AuditEntry.objects.count() == audits


def test_a_bad_time_zone_creates_no_policy(browser, brand):
    response = browser.post(
        f"/settings/clients/{brand.pk}/sla/", {**SLA_FORM, "timezone": "Nowhere/Land"}
    )
    assert response.status_code == 400
    assert not SlaPolicy.objects.filter(client=brand).exists()


# --- routing rules -------------------------------------------------------------------------------


@pytest.fixture
def teams(in_agency_a):
    return TeamFactory(name="Support", slug="support"), TeamFactory(name="Billing", slug="billing")


def rule_form(name: str, team: Team, **extra) -> dict:
    return {"action": "create", "name": name, "is_active": "on", "keywords": "refund, money back",
            "set_team": str(team.pk), "platform": "", "set_priority": "", **extra}  # fmt: skip


def test_rules_are_created_reordered_and_deleted_and_their_order_applies_at_ingest(
    browser, brand, teams, manager
):
    support, billing = teams
    routing = f"/settings/clients/{brand.pk}/routing/"
    assert browser.post(routing, rule_form("Refunds to support", support)).status_code == 302
    assert browser.post(routing, rule_form("Refunds to billing", billing,
                                           set_priority="high")).status_code == 302  # fmt: skip
    first, second = RoutingRule.objects.filter(client=brand).order_by("position")
    assert (first.name, second.name) == ("Refunds to support", "Refunds to billing")
    assert second.keywords == ["refund", "money back"] and second.set_priority == "high"
    html = browser.get(routing).content.decode()
    assert html.index("Refunds to support") < html.index("Refunds to billing")

    channel = make_channel(client=brand)
    now = datetime.now(UTC)
    store_mentions(channel, [said("one", "I want a refund for my cold brew", now)])
    assert Mention.objects.get(external_id="one").team == billing  # the later rule wins

    assert browser.post(routing, {"action": "up", "rule": second.pk}).status_code == 302
    assert list(
        RoutingRule.objects.filter(client=brand).order_by("position").values_list("name", flat=True)
    ) == ["Refunds to billing", "Refunds to support"]
    html = browser.get(routing).content.decode()
    assert html.index("Refunds to billing") < html.index("Refunds to support")
    store_mentions(channel, [said("two", "Still waiting for my refund", now)])
    two = Mention.objects.get(external_id="two")
    assert (two.team, two.priority, two.status) == (support, "high", "assigned")

    assert browser.post(routing, {"action": "delete", "rule": first.pk}).status_code == 302
    assert list(RoutingRule.objects.filter(client=brand)) == [second]
    store_mentions(channel, [said("three", "A refund please", now)])
    assert Mention.objects.get(external_id="three").team == billing

    actions = list(
        AuditEntry.objects.filter(object_type="routing_rule").order_by("id")
        .values_list("action", "object_id", "actor")
    )  # fmt: skip
    assert actions == [
        ("create", first.pk, manager.pk),
        ("create", second.pk, manager.pk),
        ("move_up", second.pk, manager.pk),
        ("delete", first.pk, manager.pk),
    ]


def test_a_rule_is_edited_in_place(browser, brand, teams):
    support, billing = teams
    routing = f"/settings/clients/{brand.pk}/routing/"
    browser.post(routing, rule_form("Refunds", support))
    rule = RoutingRule.objects.get(client=brand)
    page = browser.get(f"{routing}?edit={rule.pk}")
    assert page.status_code == 200 and 'value="refund, money back"' in page.content.decode()
    edit = rule_form("Refunds to billing", billing, action="update", rule=rule.pk,
                     sentiment_below="-0.2", author_is_customer="on")  # fmt: skip
    assert browser.post(routing, edit).status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.set_team, rule.sentiment_below, rule.author_is_customer) == (
        "Refunds to billing", billing, -0.2, True,
    )  # fmt: skip


def test_a_rule_can_route_by_intent(browser, brand, teams):
    support, _ = teams
    routing = f"/settings/clients/{brand.pk}/routing/"
    response = browser.post(routing, {**rule_form("Complaints", support), "intent": "complaint"})
    assert response.status_code == 302
    rule = RoutingRule.objects.get(client=brand)
    assert rule.intent == "complaint"
    assert "intent complaint" in browser.get(routing).content.decode()


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": " "}, "name", "This field is required"),
        ({"intent": "rant"}, "intent", "Select a valid choice"),
        ({"sentiment_below": "-3"}, "sentiment_below", "from -1"),
        ({"min_influence": "500"}, "min_influence", "0 to 100"),
        ({"set_team": ""}, None, "at least one action"),
    ],
)
def test_a_bad_rule_is_refused_next_to_its_field(browser, brand, teams, change, field, message):
    response = browser.post(
        f"/settings/clients/{brand.pk}/routing/", {**rule_form("R", teams[0]), **change}
    )
    html = response.content.decode()
    assert response.status_code == 400
    shown = html[html.index(f'id="id_{field}_error"') :].split("</p>")[0] if field else html
    assert message in shown
    assert not RoutingRule.objects.filter(client=brand).exists()


def test_another_clients_query_cannot_be_a_condition(browser, brand, teams):
    from apps.listening.models import ListeningQuery

    theirs = ListeningQuery.objects.create(client=ClientFactory(), name="Theirs", expression="x")
    response = browser.post(
        f"/settings/clients/{brand.pk}/routing/",
        {**rule_form("R", teams[0]), "query": str(theirs.pk)},
    )
    assert response.status_code == 400
    assert not RoutingRule.objects.filter(client=brand).exists()


def test_a_rule_of_another_client_is_not_found_under_this_one(browser, brand, teams):
    other = ClientFactory()
    rule = RoutingRule.objects.create(client=other, name="Theirs", add_tag="x")
    for body in ({"action": "delete", "rule": rule.pk}, {"action": "up", "rule": rule.pk}):
        assert browser.post(f"/settings/clients/{brand.pk}/routing/", body).status_code == 404
    assert browser.get(f"/settings/clients/{brand.pk}/routing/?edit={rule.pk}").status_code == 404
    assert RoutingRule.objects.filter(pk=rule.pk).exists()


# --- teams ---------------------------------------------------------------------------------------


def test_a_manager_creates_a_team_sets_its_members_renames_and_deletes_it(browser, manager):
    ana, bo = UserFactory(role="team_member"), UserFactory(role="responder")
    assert browser.post("/settings/teams/", {"action": "create", "new-name": "Product"}
                        ).status_code == 302  # fmt: skip
    team = Team.objects.get(name="Product")
    prefix = f"t{team.pk}"
    response = browser.post("/settings/teams/", {"action": "members", "team": team.pk,
                                                 f"{prefix}-members": [ana.pk, bo.pk]})  # fmt: skip
    assert response.status_code == 302
    assert set(team.members.all()) == {ana, bo}
    browser.post("/settings/teams/", {"action": "members", "team": team.pk,
                                      f"{prefix}-members": [bo.pk]})  # fmt: skip
    assert list(team.members.all()) == [bo]
    html = browser.get("/settings/teams/").content.decode()
    assert "Product" in html and (bo.get_full_name() or bo.email) in html

    browser.post("/settings/teams/", {"action": "rename", "team": team.pk,
                                      f"{prefix}-name": "Product & Design"})  # fmt: skip
    team.refresh_from_db()
    assert (team.name, team.slug) == ("Product & Design", "product-design")

    assert browser.post("/settings/teams/", {"action": "delete", "team": team.pk}
                        ).status_code == 302  # fmt: skip
    assert not Team.objects.filter(pk=team.pk).exists()
    assert list(
        AuditEntry.objects.filter(object_type="team", object_id=team.pk).order_by("id")
        .values_list("action", flat=True)
    ) == ["create", "members", "members", "update", "delete"]  # fmt: skip


def test_a_duplicate_team_name_is_a_field_error(browser, in_agency_a):
    TeamFactory(name="Support", slug="support")
    response = browser.post("/settings/teams/", {"action": "create", "new-name": "support"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "already exists" in html[html.index('id="id_new-name_error"') :].split("</p>")[0]
    assert Team.objects.count() == 1


def test_client_users_cannot_join_a_team(browser, in_agency_a):
    team = TeamFactory()
    viewer = UserFactory(role="client_viewer")
    response = browser.post("/settings/teams/", {"action": "members", "team": team.pk,
                                                 f"t{team.pk}-members": [viewer.pk]})  # fmt: skip
    assert response.status_code == 400
    assert not team.members.exists()


# --- who may see these pages ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["responder", "team_member", "client_viewer", "client_responder"])
def test_only_owners_and_managers_find_the_settings_pages(agency_a, brand, teams, role):
    user = UserFactory(role=role)
    ClientMembershipFactory(user=user, client=brand)
    browser = signed_in(agency_a, user)
    policy_before = SlaPolicy.objects.count()
    for path in ("/settings/", "/settings/teams/", f"/settings/clients/{brand.pk}/sla/",
                 f"/settings/clients/{brand.pk}/routing/"):  # fmt: skip
        assert browser.get(path).status_code == 404, path
    assert browser.post(f"/settings/clients/{brand.pk}/sla/", SLA_FORM).status_code == 404
    assert browser.post(f"/settings/clients/{brand.pk}/routing/",
                        rule_form("R", teams[0])).status_code == 404  # fmt: skip
    assert browser.post("/settings/teams/", {"action": "delete", "team": teams[0].pk}
                        ).status_code == 404  # fmt: skip
    assert SlaPolicy.objects.count() == policy_before
    assert not RoutingRule.objects.exists() and Team.objects.count() == 2


def test_an_owner_finds_every_client_on_the_index(agency_a, brand):
    other = ClientFactory(name="Tea House")
    html = signed_in(agency_a, UserFactory(role="owner")).get("/settings/").content.decode()
    for client in (brand, other):
        assert client.name in html
        assert f"/settings/clients/{client.pk}/sla/" in html
        assert f"/settings/clients/{client.pk}/routing/" in html


def test_a_client_that_does_not_exist_is_not_found(browser, brand):
    for page in ("sla", "routing"):
        assert browser.get(f"/settings/clients/{brand.pk + 1000}/{page}/").status_code == 404
        assert browser.post(f"/settings/clients/{brand.pk + 1000}/{page}/", {}).status_code == 404


# --- own and competitors' accounts ---------------------------------------------------------------


def test_a_manager_names_the_brands_accounts_and_its_replies_leave_the_inbox(browser, brand):
    channel = make_channel(platform="webhook", config={}, client=brand)
    at = datetime(2026, 11, 20, 12, tzinfo=UTC)
    reply = MentionData(external_id="r", text="Sorry about this, Ana!", posted_at=at,
                        author=AuthorData(handle="BrewCoCare"))  # fmt: skip
    store_mentions(channel, [reply])
    assert Mention.objects.get(external_id="r").needs_acknowledgement is True

    url = f"/settings/clients/{brand.pk}/accounts/"
    saved = browser.post(url, {
        "brand_accounts": "webhook @BrewCoCare\nyoutube brewco UC123",
        "competitor_accounts": "bluesky rival.bsky.social | Rival Roasters",
    }, follow=True)  # fmt: skip
    assert saved.status_code == 200 and "Accounts saved" in saved.content.decode()
    page = browser.get(url).content.decode()
    assert "webhook brewcocare" in page and "youtube brewco UC123" in page
    assert "bluesky rival.bsky.social | Rival Roasters" in page
    assert Mention.objects.get(external_id="r").needs_acknowledgement is False


def test_a_bad_account_line_is_refused_next_to_its_field(browser, brand):
    response = browser.post(
        f"/settings/clients/{brand.pk}/accounts/", {"brand_accounts": "myspace brewco"}
    )
    assert response.status_code == 400
    assert "platform must be one of" in response.content.decode()
    assert not brand.accounts.exists()


# --- the agency's look on reports ----------------------------------------------------------------


def test_an_owner_puts_the_agencys_logo_and_colour_on_the_reports(agency_a, in_agency_a):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from apps.tenants.models import Agency

    buffer = io.BytesIO()
    Image.new("RGB", (90, 30), (255, 140, 0)).save(buffer, format="JPEG")
    owner = signed_in(agency_a, UserFactory(role="owner"))
    logo = SimpleUploadedFile("kestrel.jpg", buffer.getvalue(), content_type="image/jpeg")

    saved = owner.post("/settings/", {"accent_colour": "#0f766e", "logo": logo})

    assert saved.status_code == 302
    stored = Agency.objects.get(pk=agency_a.pk)
    assert (stored.accent_colour, stored.logo_type) == ("#0f766e", "image/jpeg")
    assert bytes(stored.logo) == buffer.getvalue()

    refused = owner.post("/settings/", {"accent_colour": "teal"})
    assert refused.status_code == 400 and "#RRGGBB" in refused.content.decode()
    assert Agency.objects.get(pk=agency_a.pk).accent_colour == "#0f766e"  # nothing lost

    owner.post("/settings/", {"accent_colour": "", "remove_logo": "on"})
    stored = Agency.objects.get(pk=agency_a.pk)
    assert (stored.accent_colour, stored.logo, stored.logo_type) == ("", None, "")
