"""Routing rules send mentions to the people who can answer them, as the mentions arrive."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import ValidationError

from apps.acknowledgements.models import RoutingRule
from apps.acknowledgements.services import routing_rule_create
from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Mention
from apps.listening.selectors import mention_list
from tests.accounts.factories import TeamFactory, UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory, ClientMembershipFactory

TEXTS = {
    "angry-bug": "This app bug is awful, it deletes my cart every time. Terrible!",
    "calm-bug": "Found a small bug in the menu, great app otherwise, love it",
    "angry-other": "Awful service today, terrible and rude staff",
    "happy": "Lovely coffee, thank you!",
}


def store(channel):
    items = [
        MentionData(external_id=key, text=text, posted_at=datetime(2026, 11, 20, tzinfo=UTC),
                    author=AuthorData(handle=f"person-{key}"))
        for key, text in TEXTS.items()
    ]  # fmt: skip
    store_mentions(channel, items)


@pytest.fixture
def setting(in_agency_a):
    engineering = TeamFactory(name="Engineering", slug="engineering")
    engineer = UserFactory(role="team_member")
    engineering.members.add(engineer)
    app_client, other_client = ClientFactory(name="App Co"), ClientFactory(name="Other Co")
    RoutingRule.objects.create(
        client=app_client, name="Bugs to engineering", keywords=["bug"], sentiment_below=-0.05,
        set_team=engineering, set_priority="high", add_tag="bug",
    )  # fmt: skip
    channel = make_channel(platform="webhook", config={}, client=app_client)
    store(channel)
    return {"engineer": engineer, "team": engineering, "app": app_client, "other": other_client}


def test_negative_mentions_about_a_bug_are_routed_to_engineering(setting):
    routed = Mention.objects.get(external_id="angry-bug")
    assert (routed.team, routed.priority, routed.tags, routed.status) == (
        setting["team"], "high", ["bug"], "assigned",
    )  # fmt: skip
    for key in ("calm-bug", "angry-other", "happy"):
        untouched = Mention.objects.get(external_id=key)
        assert (untouched.team, untouched.priority, untouched.status) == (None, "normal", "new")


def test_an_engineer_sees_what_was_routed_to_the_team_and_nothing_else(setting):
    seen = mention_list(user=setting["engineer"])
    assert [m.external_id for m in seen] == ["angry-bug"]


def test_a_responder_of_another_client_sees_none_of_it(setting):
    responder = UserFactory(role="responder")
    ClientMembershipFactory(user=responder, client=setting["other"], role="responder")
    assert not mention_list(user=responder).exists()
    owner = UserFactory(role="owner")
    assert mention_list(user=owner).count() == len(TEXTS)


def test_auto_dismiss_never_counts_as_acknowledged(in_agency_a):
    client = ClientFactory()
    RoutingRule.objects.create(
        client=client, name="Drop job ads", keywords=["hiring"], auto_dismiss=True
    )
    channel = make_channel(platform="webhook", config={}, client=client)
    item = MentionData(external_id="ad", text="We are hiring baristas!", author=AuthorData("jobs"),
                       posted_at=datetime(2026, 11, 20, tzinfo=UTC))  # fmt: skip
    store_mentions(channel, [item])
    mention = Mention.objects.get(external_id="ad")
    assert (mention.status, mention.acknowledged_at) == ("dismissed", None)
    assert not mention.acknowledgements.exists()


def test_rules_apply_in_order_so_a_later_rule_refines_an_earlier_one(in_agency_a):
    client = ClientFactory()
    support, product = TeamFactory(name="Support"), TeamFactory(name="Product")
    RoutingRule.objects.create(client=client, name="All to support", position=1, set_team=support)
    RoutingRule.objects.create(
        client=client, name="Ideas to product", position=2, keywords=["feature request"],
        set_team=product,
    )  # fmt: skip
    channel = make_channel(platform="webhook", config={}, client=client)
    items = [
        MentionData(external_id=k, text=t, author=AuthorData(k),
                    posted_at=datetime(2026, 11, 20, tzinfo=UTC))
        for k, t in (("idea", "A feature request: dark mode please"), ("help", "Help me"))
    ]  # fmt: skip
    store_mentions(channel, items)
    assert Mention.objects.get(external_id="idea").team == product
    assert Mention.objects.get(external_id="help").team == support


def test_a_rule_on_intent_routes_complaints_and_leaves_questions(in_agency_a):
    client = ClientFactory()
    support = TeamFactory(name="Care", slug="care")
    routing_rule_create(
        client=client, user=None, name="Complaints to care", intent="complaint",
        set_team=support, set_priority="high",
    )  # fmt: skip
    channel = make_channel(platform="webhook", config={}, client=client)
    at = datetime(2026, 11, 20, tzinfo=UTC)
    store_mentions(channel, [
        MentionData(external_id="charged", text="Order was charged twice, can someone help?",
                    posted_at=at, author=AuthorData("ana")),
        MentionData(external_id="cheques", text="can I pay in cheques with the app?",
                    posted_at=at, author=AuthorData("bo")),
        MentionData(external_id="warte", text="Ich warte immer noch auf meine Erstattung.",
                    posted_at=at, author=AuthorData("cy"), language="de"),
    ])  # fmt: skip
    routed = {m.external_id: (m.intent, m.team, m.priority) for m in Mention.objects.all()}
    assert routed == {
        "charged": ("complaint", support, "high"),
        "cheques": ("question", None, "normal"),
        "warte": ("complaint", support, "high"),
    }


def test_an_unknown_intent_in_a_rule_is_a_field_error(in_agency_a):
    with pytest.raises(ValidationError) as error:
        routing_rule_create(
            client=ClientFactory(), user=None, name="x", intent="rant", set_priority="high"
        )
    assert "intent" in error.value.message_dict
