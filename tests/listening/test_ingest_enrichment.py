"""What Rapport works out about each mention as a page is stored."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from apps.channels.connectors.base import AuthorData, MentionData
from apps.clients.models import Customer, CustomerIdentity
from apps.listening.influence import influence
from apps.listening.models import Author, ListeningQuery, Mention
from apps.listening.selectors import mention_list
from apps.listening.services import authors_refresh_influence
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def said(external_id: str, text: str, handle: str = "ana", at: datetime = T0, **extra):
    author = AuthorData(handle=handle, followers=extra.pop("followers", None))
    return MentionData(external_id=external_id, text=text, posted_at=at, author=author, **extra)


def store(channel, *items):
    return store_mentions(channel, items)


@pytest.fixture
def channel(in_agency_a):
    client = ClientFactory(slug="northwind", brand_handles=["northwind", "@NorthwindHelp"])
    return make_channel(platform="mastodon", config={"base_url": "http://127.0.0.1:1"},
                        credentials={"access_token": "t"}, client=client)  # fmt: skip


def one(external_id: str) -> Mention:
    return Mention.objects.get(external_id=external_id)


def test_sentiment_is_scored_and_labelled(channel):
    store(
        channel,
        said("1", "I love the new oat flat white, thank you so much!"),
        said("2", "Worst service ever. Cold coffee and a rude barista.", handle="bo"),
        said("3", "The store opens at 8 on Sundays.", handle="cy"),
    )
    assert (one("1").sentiment, one("2").sentiment, one("3").sentiment) == (
        "positive", "negative", "neutral",
    )  # fmt: skip
    assert one("1").sentiment_score > 0.05 > -0.05 > one("2").sentiment_score


def test_intent_is_stored_and_each_text_is_scored_in_its_own_language(channel):
    store(
        channel,
        said("en", "Order was charged twice, can someone help?"),
        said("de", "Ich warte seit drei Wochen auf meine Erstattung, niemand antwortet.",
             handle="bo"),
        said("fr", "Est-ce que je peux payer par chèque avec l'application ?", handle="cy"),
        said("es", "Muchas gracias, el equipo de la tienda es estupendo.", handle="di"),
        said("pt", "Sentimos muito, Ana. Já enviamos a peça.", handle="northwind"),
    )  # fmt: skip
    labels = {m.external_id: (m.language, m.sentiment, m.intent) for m in Mention.objects.all()}
    assert labels == {
        "en": ("en", "negative", "complaint"),
        "de": ("de", "negative", "complaint"),
        "fr": ("fr", "neutral", "question"),
        "es": ("es", "positive", "praise"),
        "pt": ("pt", "neutral", "other"),
    }
    assert not any(m.sentiment_corrected for m in Mention.objects.all())


def test_rescoring_fills_mentions_stored_before_intents_and_keeps_corrections(channel, agency_a):
    store(channel, said("old", "The app keeps crashing when I pay."),
          said("fixed", "Lovely staff", handle="bo"))  # fmt: skip
    Mention.objects.update(intent="", sentiment="positive", sentiment_score=0.6)
    Mention.objects.filter(external_id="fixed").update(sentiment_corrected=True, intent="other")

    call_command("rescore_mentions", agency=agency_a.slug, stdout=io.StringIO())

    assert (one("old").sentiment, one("old").intent) == ("negative", "complaint")
    assert (one("fixed").sentiment, one("fixed").intent) == ("positive", "other")


def test_language_is_detected_unless_the_platform_gave_it(channel):
    store(
        channel,
        said("es", "¿Dónde está la tienda más cercana? Necesito café ahora mismo."),
        said("given", "short", language="de"),
    )
    assert one("es").language == "es"
    assert one("given").language == "de"


def test_mention_from_the_clients_own_handle_is_not_in_the_inbox(channel):
    store(
        channel,
        said("brand", "Our winter blend is back!", handle="@NorthwindHelp"),
        said("person", "Is the winter blend back?", handle="joe"),
    )
    owner = UserFactory(role="owner")
    inbox = mention_list(user=owner, filters={"needs_acknowledgement": True})
    assert list(inbox.values_list("external_id", flat=True)) == ["person"]
    assert one("brand").needs_acknowledgement is False


def test_same_text_by_same_author_within_a_day_is_a_duplicate(channel):
    store(channel, said("a", "Where is my order #4411?"))
    store(
        channel,
        said("b", "Where is my order #4411?", at=T0 + timedelta(hours=3)),
        said("c", "Where is my order #4411?", at=T0 + timedelta(days=2)),  # a day later: new
        said("d", "Where is my order #4411?", handle="someone-else", at=T0 + timedelta(hours=1)),
    )
    flags = {
        m.external_id: (m.is_duplicate, m.needs_acknowledgement) for m in Mention.objects.all()
    }
    assert flags == {
        "a": (False, True), "b": (True, False), "c": (False, True), "d": (False, True),
    }  # fmt: skip


def test_repeat_within_one_page_is_a_duplicate_whatever_the_page_order(channel):
    store(
        channel,
        said("later", "Refund please!!", at=T0 + timedelta(minutes=5)),
        said("first", "Refund please!!", at=T0),
    )
    assert (one("first").is_duplicate, one("later").is_duplicate) == (False, True)


def test_obvious_spam_is_flagged_and_kept_out_of_the_inbox(channel):
    store(
        channel,
        said("spam", "Get FREE FOLLOWERS now, click the link in my bio", handle="bot"),
        said("ok", "Free refills were a lovely surprise today", handle="amy"),
    )
    assert (one("spam").is_spam, one("spam").needs_acknowledgement) == (True, False)
    assert (one("ok").is_spam, one("ok").needs_acknowledgement) == (False, True)


def test_active_queries_are_matched_at_ingest(channel):
    oat = ListeningQuery.objects.create(client=channel.client, name="Oat", expression="oat*")
    nope = ListeningQuery.objects.create(
        client=channel.client, name="Decaf on Bluesky", expression="decaf platform:bluesky"
    )
    ListeningQuery.objects.create(
        client=channel.client, name="Off", expression="coffee", is_active=False
    )
    store(channel, said("1", "Oatmilk latte and decaf coffee, please"))
    assert one("1").matched_queries == [oat.pk]
    assert nope.pk not in one("1").matched_queries


def test_author_influence_follows_the_documented_formula(channel):
    now = datetime.now(UTC)
    store(
        channel,
        said("1", "first", handle="big", followers=10_000, engagement=99, at=now),
        said("2", "second", handle="big", followers=10_000, engagement=1, at=now),
        # more than 90 days ago: not part of the recent activity
        said("old", "ages ago", handle="big", engagement=5000, at=now - timedelta(days=91)),
    )
    assert authors_refresh_influence() >= 1
    author = Author.objects.get(handle="big")
    assert author.influence == influence(followers=10_000, average_engagement=50, recent_mentions=2)
    assert 0 < author.influence <= 100
    assert authors_refresh_influence() == 0  # nothing changed, nothing rewritten


def test_author_acknowledged_before_who_praises_later_becomes_an_advocate(channel):
    store(channel, said("complaint", "My order never arrived", handle="mark"))
    Mention.objects.filter(external_id="complaint").update(
        status="acknowledged", acknowledged_at=T0 + timedelta(hours=1)
    )
    store(channel, said("praise", "Thank you, the replacement is wonderful!", handle="mark",
                        at=T0 + timedelta(days=1)))  # fmt: skip
    store(channel, said("fan", "Wonderful coffee, love it!", handle="never-answered"))
    assert Author.objects.get(handle="mark").is_advocate is True
    assert Author.objects.get(handle="never-answered").is_advocate is False


def test_new_mention_of_a_known_customer_is_linked_to_them(channel):
    customer = Customer.objects.create(client=channel.client, name="Ana", email="ana@x.test")
    CustomerIdentity.objects.create(
        customer=customer, client=channel.client, platform="mastodon", value="ana"
    )
    other_client = ClientFactory()
    other = Customer.objects.create(client=other_client, name="Ana elsewhere")
    CustomerIdentity.objects.create(
        customer=other, client=other_client, platform="mastodon", value="ana"
    )
    store(channel, said("1", "Hello!", handle="@Ana"), said("2", "Hi", handle="zed"))
    assert one("1").customer == customer  # this client's record, not the other client's
    assert one("2").customer is None
    visible = mention_list(user=UserFactory(role="owner"), filters={"client": channel.client_id})
    assert {m.external_id: m.is_customer for m in visible} == {"1": True, "2": False}


def test_full_text_search_ranks_the_best_match_first(channel):
    store(
        channel,
        said("weak", "coffee was fine", handle="a"),
        said("strong", "cold brew, cold brew, cold brew: the best cold brew", handle="b"),
        said("none", "bikes and banks", handle="c"),
    )
    found = mention_list(user=UserFactory(role="owner"), filters={"q": "cold brew"})
    assert [m.external_id for m in found] == ["strong"]
    found = mention_list(user=UserFactory(role="owner"), filters={"q": "coffee OR brew"})
    assert [m.external_id for m in found] == ["strong", "weak"]
