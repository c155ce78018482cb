"""The agency overview shows who is slipping; a client's dashboard shows its figures and charts,
to agency staff and, as their portal, to that client's own users only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apps.acknowledgements.services import mention_acknowledge
from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Mention
from apps.reporting.overview import agency_overview
from apps.reporting.selectors import client_report
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory, ClientMembershipFactory
from tests.conftest import PASSWORD, host_client


def said(external_id, text, handle, at):
    return MentionData(external_id=external_id, text=text, posted_at=at,
                       author=AuthorData(handle=handle, display_name=handle))  # fmt: skip


@pytest.fixture
def two_clients(in_agency_a):
    """'Steady' answers everyone; 'Slipping' answered last month but nobody this month."""
    owner = UserFactory(role="owner")
    now = datetime.now(UTC)
    steady, slipping = ClientFactory(name="Steady"), ClientFactory(name="Slipping")
    for client in (steady, slipping):
        channel = make_channel(client=client)
        store_mentions(channel, [
            said(f"{client.slug}-{n}", f"Question {n} about my order", f"p{n}",
                 now - timedelta(days=45 if n < 5 else 3, hours=n))
            for n in range(10)
        ])  # fmt: skip
        for mention in Mention.objects.filter(channel=channel).select_related("author"):
            old = mention.posted_at < now - timedelta(days=30)
            if client is steady or old:
                mention_acknowledge(
                    mention=mention, user=owner, kind="resolved_internally",
                    at=mention.posted_at + timedelta(minutes=20),
                )  # fmt: skip
    return steady, slipping


def signed_in(agency, user):
    client = host_client(agency)
    user.set_password(PASSWORD)
    user.save()
    assert client.login(username=user.email, password=PASSWORD)
    return client


def test_the_overview_puts_the_slipping_client_first_and_says_why(two_clients, agency_a):
    page = signed_in(agency_a, UserFactory(role="manager")).get("/reports/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index("Slipping</a>") < html.index("Steady</a>")
    assert "only 0% acknowledged" in html and "down from 100%" in html
    assert "On track" in html


def test_a_dashboard_shows_figures_and_charts(two_clients, agency_a):
    steady, _ = two_clients
    page = signed_in(agency_a, UserFactory(role="manager")).get(f"/reports/clients/{steady.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Steady" in html and "100%" in html
    assert html.count('<svg class="chart"') == 4
    assert f"/reports/clients/{steady.pk}/report.pdf?" in html
    bad = signed_in(agency_a, UserFactory(role="manager")).get(
        f"/reports/clients/{steady.pk}/?since=2026-13-01"
    )
    assert bad.status_code == 400 and "expected a date" in bad.content.decode()


def test_a_client_user_sees_their_own_client_only(two_clients, agency_a):
    steady, slipping = two_clients
    viewer = UserFactory(role="client_viewer")
    ClientMembershipFactory(user=viewer, client=steady)
    portal = signed_in(agency_a, viewer)
    overview = portal.get("/reports/").content.decode()
    assert "Steady" in overview and "Slipping" not in overview
    assert portal.get(f"/reports/clients/{steady.pk}/").status_code == 200
    assert portal.get(f"/reports/clients/{slipping.pk}/").status_code == 404


def test_hostile_author_names_are_shown_as_text(in_agency_a, agency_a):
    client = ClientFactory()
    hostile = said("x", "hello", "<script>alert(1)</script>", datetime.now(UTC))
    store_mentions(make_channel(client=client), [hostile])
    html = (
        signed_in(agency_a, UserFactory(role="owner"))
        .get(f"/reports/clients/{client.pk}/")
        .content.decode()
    )
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_overview_shows_the_p90_time_of_the_clients_dashboard(in_agency_a):
    owner = UserFactory(role="owner")
    now = datetime.now(UTC)
    client = ClientFactory(name="Varied", timezone="UTC")
    channel = make_channel(client=client)
    # Ended days (rolled up), the last hours (read live) and the thirty days before, much
    # slower (the overview's previous window: its rate, never its times).
    posted = [now - timedelta(days=2, hours=n) for n in range(12)]
    posted += [now - timedelta(hours=2, minutes=n) for n in range(3)]
    posted += [now - timedelta(days=40, hours=n) for n in range(6)]
    store_mentions(channel, [
        said(f"v{n}", f"Where is order {n}?", f"v{n}", at) for n, at in enumerate(posted)
    ])  # fmt: skip
    waits = [3, 8, 15, 22, 40, 55, 90, 130, 200, 320, 600, 900, 1, 2, 4, *[5000] * 6]  # minutes
    for wait, at in zip(waits, posted, strict=True):
        mention_acknowledge(
            mention=Mention.objects.get(channel=channel, posted_at=at), user=owner,
            kind="resolved_internally", at=at + timedelta(minutes=wait),
        )  # fmt: skip
    today = now.date()
    report = client_report(client=client, since=today - timedelta(days=29), until=today)
    (row,) = [r for r in agency_overview(user=owner) if r["client"] == client]
    assert row["p90_time_to_acknowledge_minutes"] == report["p90_time_to_acknowledge_minutes"]
    assert 320 <= row["p90_time_to_acknowledge_minutes"] <= 600  # of this window's 15 alone
