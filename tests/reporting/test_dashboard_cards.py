"""The client dashboard: a card per headline figure with the previous period and the change
(said in words too), each figure leading to the mentions behind it in the inbox, charts with
axes and a data table, and tables per channel and per team."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from html import unescape
from zoneinfo import ZoneInfo

import pytest

from apps.acknowledgements.services import mention_acknowledge
from apps.acknowledgements.services.routing_rules import routing_rule_create
from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Mention
from tests.accounts.factories import TeamFactory, UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory
from tests.conftest import PASSWORD, host_client

ZONE = ZoneInfo("Europe/Paris")
TODAY = datetime.now(ZONE).date()
WEEK = (TODAY - timedelta(days=9), TODAY - timedelta(days=3))
COMPLAINT = "My order is late again, awful service"
PRAISE = "Love the new oat latte, thank you!"


def noon(day: date, hours: int = 0) -> datetime:
    return datetime.combine(day, time(12), tzinfo=ZONE) + timedelta(hours=hours)


@pytest.fixture
def bakery(in_agency_a):
    """This week: 6 mentions (2 complaints routed to Care, on the Reviews channel), 4 answered
    after 30 minutes; the week before: 4 mentions, all complaints, 1 answered."""
    owner = UserFactory(role="owner")
    client = ClientFactory(name="Crumb", slug="crumb", timezone="Europe/Paris")
    care = TeamFactory(name="Care")
    routing_rule_create(client=client, user=None, name="Complaints", intent="complaint",
                        set_team=care)  # fmt: skip
    reviews = make_channel(platform="webhook", config={}, client=client, name="Reviews")
    chat = make_channel(platform="webhook", config={}, client=client, name="Chat")
    now = [(reviews if n < 2 else chat, f"now-{n}", COMPLAINT if n < 2 else PRAISE)
           for n in range(6)]  # fmt: skip
    before = [(reviews, f"before-{n}", COMPLAINT) for n in range(4)]
    for days, items in ((WEEK[0], now), (WEEK[0] - timedelta(days=7), before)):
        for n, (channel, external_id, text) in enumerate(items):
            store_mentions(channel, [MentionData(
                external_id=external_id, text=text, posted_at=noon(days, n),
                author=AuthorData(handle=f"person-{external_id}"),
            )])  # fmt: skip
    for external_id in ("now-0", "now-2", "now-3", "now-4", "before-0"):
        mention = Mention.objects.get(external_id=external_id)
        mention_acknowledge(mention=mention, user=owner, kind="resolved_internally",
                            at=mention.posted_at + timedelta(minutes=30))  # fmt: skip
    return client, care, reviews


@pytest.fixture
def manager_browser(agency_a):
    manager = UserFactory(role="manager")
    manager.set_password(PASSWORD)
    manager.save()
    browser = host_client(agency_a)
    assert browser.login(username=manager.email, password=PASSWORD)
    return browser


def dashboard(browser, client) -> str:
    page = browser.get(f"/reports/clients/{client.pk}/?since={WEEK[0]}&until={WEEK[1]}")
    assert page.status_code == 200
    return page.content.decode()


def card(html: str, key: str) -> str:
    found = re.search(rf'<article class="kpi" data-kpi="{re.escape(key)}">(.*?)</article>', html,
                      re.S)  # fmt: skip
    assert found, f"no card for {key}"
    return found.group(1)


def text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def test_each_card_shows_the_previous_period_and_the_change_in_words(bakery, manager_browser):
    html = dashboard(manager_browser, bakery[0])

    mentions = card(html, "mention_count")
    assert "Previous period: 4" in text(mentions)
    assert "▲ 50%" in text(mentions) and "tone-neutral" in mentions  # volume is neither
    assert "Up 50% from 4." in text(mentions)

    negative = card(html, "sentiment.negative")
    assert "▼ 50%" in text(negative) and "tone-good" in negative
    assert "Down 50% from 4 — better." in text(negative)

    rate = card(html, "acknowledgement_rate")  # 4 of 6 against 1 of 4
    assert text(rate).startswith("Acknowledgement rate 67%")
    assert "▲ 42 pts" in text(rate) and "tone-good" in rate
    for key in ("median_time_to_acknowledge_wall_clock_minutes", "advocacy_lift",
                "crm_value_of_acknowledged_customers", "share_of_voice.share"):  # fmt: skip
        assert card(html, key)


def test_a_figure_leads_to_the_mentions_behind_it_in_the_inbox(bakery, manager_browser):
    client = bakery[0]
    html = dashboard(manager_browser, client)
    link = unescape(re.search(r'<a href="([^"]+)"', card(html, "sentiment.negative")).group(1))
    assert link.startswith("/inbox/?") and "sentiment=negative" in link

    inbox = manager_browser.get(link).content.decode()

    listed = set(re.findall(r'data-mention="(\d+)"', inbox))
    expected = Mention.objects.filter(client=client, external_id__in=["now-0", "now-1"])
    assert listed == {str(m.pk) for m in expected}  # this week's, not the week before's


def test_charts_have_axes_values_on_hover_and_a_table_to_read(bakery, manager_browser):
    html = dashboard(manager_browser, bakery[0])
    volume = re.search(r"<h2>Volume</h2>(.*?)</section>", html, re.S).group(1)
    first_day = WEEK[0].isoformat()
    assert f"<title>{first_day}: 6</title>" in volume  # the bar's value on hover
    assert ">mentions</text>" in volume and ">0</text>" in volume  # the y axis and its unit
    assert 'class="visually-hidden"><table><caption>Mentions per day</caption>' in volume
    assert len(re.findall(r"<tr><th scope=\"row\">", volume)) == 7  # a row per day
    day = f"since={first_day}&amp;until={first_day}"
    assert f'<a href="/inbox/?client={bakery[0].pk}&amp;{day}&amp;status=all"><rect' in volume
    sentiment = re.search(r"<h2>Sentiment</h2>(.*?)</section>", html, re.S).group(1)
    assert f"{day}&amp;status=all&amp;sentiment=negative" in sentiment  # each part of a day


def test_tables_per_channel_and_per_team_link_to_their_mentions(bakery, manager_browser):
    client, care, reviews = bakery
    html = dashboard(manager_browser, client)
    channels = text(re.search(r'<section id="channels">(.*?)</section>', html, re.S).group(1))
    assert "Chat 4 0 75% (3 of 4)" in channels and "Reviews 2 4 50% (1 of 2)" in channels
    teams = re.search(r'<section id="teams">(.*?)</section>', html, re.S).group(1)
    assert "Care 2 50% (1 of 2)" in text(teams)
    assert "Not routed to a team 4 75% (3 of 4)" in text(teams)
    assert f"team={care.pk}" in teams and f"channel={reviews.pk}" in html
