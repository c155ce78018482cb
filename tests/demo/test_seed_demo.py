"""``seed_demo`` gives a new user a demo agency with clients and channels that really fetch."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command
from django_tenants.utils import schema_context

from apps.acknowledgements.models import (
    Acknowledgement,
    RoutingRule,
    SavedReply,
    SlaBreach,
    SlaPolicy,
)
from apps.channels.models import Channel
from apps.clients.models import Client, Customer
from apps.community.models import Person
from apps.community.phrases import ALL_STOP_WORDS
from apps.listening.models import Author, ListeningQuery, Mention
from apps.tenants.models import Agency
from tests.conftest import host_client


def test_seed_demo_creates_a_demo_agency_that_fetches_from_its_platforms(db, fake_platforms):
    out, err = StringIO(), StringIO()
    call_command("seed_demo", platforms_url=fake_platforms, stdout=out, stderr=err)

    assert "http://demo.localhost/" in out.getvalue() and err.getvalue() == ""
    agency = Agency.objects.get(slug="demo")
    with schema_context("demo"):
        assert set(Client.objects.values_list("slug", flat=True)) == {
            "northwind-coffee", "lumen-bikes", "harbor-bank",
        }  # fmt: skip
        channels = Channel.objects.all()
        assert {c.platform for c in channels} >= {
            "rss", "mastodon", "reddit", "bluesky", "youtube", "facebook_page", "instagram",
        }  # fmt: skip
        assert all(c.health == "ok" for c in channels if c.is_pulled)
        for channel in channels:
            assert Mention.objects.filter(channel=channel).exists(), channel.name
        competitors = Channel.objects.filter(name__startswith="Competitor:")
        assert competitors and all(c.listen_only for c in competitors)

        # Listening: queries (a competitor's among them) file mentions as they are fetched,
        # every mention is sentiment-scored, and the clients' best customers are recognised.
        assert ListeningQuery.objects.filter(is_competitor=True).count() == 2
        for query in ListeningQuery.objects.all():
            assert Mention.objects.filter(matched_queries__contains=[query.pk]).exists(), query
        assert not Mention.objects.filter(sentiment="").exclude(text="").exists()
        assert set(Mention.objects.values_list("sentiment", flat=True)) >= {
            "positive", "neutral", "negative",
        }  # fmt: skip
        assert Customer.objects.count() == 36
        # Acknowledgement tracking: SLA policies, routing rules, most older mentions answered.
        assert SlaPolicy.objects.count() == 3 and RoutingRule.objects.count() == 6
        assert Acknowledgement.objects.filter(is_personal=True).exists()
        assert Mention.objects.filter(status="acknowledged").exists()
        assert Mention.objects.filter(team__name="Engineering").exists()
        assert Mention.objects.filter(customer__isnull=False).count() >= 36
        # Answered within hours of posting, so the figures look like a working agency's, and
        # some of the people answered came back happy: advocates.
        answered = Mention.objects.filter(status="acknowledged")
        assert answered.filter(time_to_acknowledge_minutes__lte=24 * 60).count() > (
            0.9 * answered.count()
        )
        assert Author.objects.filter(is_advocate=True).count() >= 5
        # The ones missed breached their SLA: recorded, not e-mailed about after the fact.
        assert SlaBreach.objects.filter(notified=True).count() > 100
        assert not SlaBreach.objects.filter(notified=False).exists()
        assert SavedReply.objects.filter(text__contains="{first_name}").exists()

    client = host_client(agency)
    response = client.post(
        "/accounts/login/", {"username": "demo@rapport.test", "password": "demo"}
    )
    assert response.status_code == 302
    assert "Mastodon @northwind" in client.get("/channels/").content.decode()
    assert_the_community_shows(client)
    assert_every_page_answers(client)


def assert_the_community_shows(client) -> None:
    """On the demo's data: topics of meaningful phrases (no stop word of any supported
    language) on the dashboard, helpers, and a conversation map with labelled nodes."""
    with schema_context("demo"):
        lumen = Client.objects.get(slug="lumen-bikes")
        people = Person.objects.filter(client=lumen)
        assert people.filter(customer__isnull=False).count() == 12  # the CRM's, one person each
    topics = client.get(f"/api/v1/clients/{lumen.pk}/community/").json()["topics"]
    assert len(topics) >= 3, topics
    for topic in topics:
        for phrase in topic["phrases"]:
            words = phrase.split()
            assert len(words) == 2 and not set(words) & ALL_STOP_WORDS, phrase
    dashboard = client.get(f"/reports/clients/{lumen.pk}/").content.decode()
    assert f">{topics[0]['label']}</a>" in dashboard
    page = client.get(f"/community/clients/{lumen.pk}/").content.decode()
    assert "Community helper" in page and "Suggested acknowledgement" in page
    svg = page[page.index('<svg class="chart conversation-map"') : page.index("</svg>")]
    assert svg.count('<g class="node ') >= 6 and ">Lumen Bikes</text>" in svg


def assert_every_page_answers(client) -> None:
    """Every page of the workspace answers on the demo's data (how fast: benchmarks/pages.py)."""
    with schema_context("demo"):
        northwind = Client.objects.get(slug="northwind-coffee")
        mention = Mention.objects.filter(client=northwind, needs_acknowledgement=True).first()
        channel = Channel.objects.filter(client=northwind).first()
        query = ListeningQuery.objects.filter(client=northwind).first()
        person = Person.objects.filter(client=northwind, customer__isnull=False).first()
    pages = [
        "/", "/inbox/", "/inbox/?status=all&sentiment=negative", f"/inbox/{mention.pk}/",
        "/inbox/counts/", "/reports/", f"/reports/clients/{northwind.pk}/",
        "/listening/mentions/", "/listening/mentions/?q=latte", "/listening/queries/",
        f"/listening/queries/{query.pk}/", "/channels/", f"/channels/{channel.pk}/",
        f"/people/{person.pk}/", f"/community/clients/{northwind.pk}/",
    ]  # fmt: skip
    for path in pages:
        assert client.get(path).status_code == 200, path


def test_seed_demo_twice_keeps_one_of_everything(db, fake_platforms):
    call_command("seed_demo", platforms_url=fake_platforms, no_fetch=True, stdout=StringIO())
    with schema_context("demo"):
        channels = Channel.objects.count()
    out = StringIO()
    call_command("seed_demo", platforms_url=fake_platforms, no_fetch=True, stdout=out)
    assert out.getvalue().startswith("Found demo agency")
    assert Agency.objects.filter(slug="demo").count() == 1
    with schema_context("demo"):
        assert Channel.objects.count() == channels


def test_seed_demo_without_platforms_server_says_what_to_start(db):
    err = StringIO()
    call_command("seed_demo", platforms_url="http://127.0.0.1:9", stdout=StringIO(), stderr=err)
    assert "Is 'manage.py serve_fake_platforms' running at http://127.0.0.1:9?" in err.getvalue()
