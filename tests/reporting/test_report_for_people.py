"""Reports a client can read: every headline figure beside the previous period's (real
sentiment counts included), numbers rounded for people, top terms free of stop words, the same
counts on the overview as on the dashboard, and a portal that never shows staff e-mails nor the
agency's internal wording."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from apps.acknowledgements.services import mention_acknowledge
from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Mention
from apps.reporting.pdf import report_pdf
from apps.reporting.selectors import client_report
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory, ClientMembershipFactory
from tests.conftest import PASSWORD, host_client
from tests.reporting.test_pdf import pdf_text

OCTOBER = datetime(2026, 10, 5, 9, tzinfo=UTC)  # a Monday; the period is 5-11 October
PRAISE = "Brilliant coffee, I love it, thank you!"
GRIPE = "Terrible service, the worst latte, awful"
PLAIN = "Is the Main Street store open on Sunday"
LONG_FLOAT = re.compile(r"\d\.\d{3,}")  # 376.2600000000001, 0.9333


def said(external_id, text, handle, at):
    return MentionData(external_id=external_id, text=text, posted_at=at,
                       author=AuthorData(handle=handle, display_name=handle.title()))  # fmt: skip


def signed_in(agency, user):
    browser = host_client(agency)
    user.set_password(PASSWORD)
    user.save()
    assert browser.login(username=user.email, password=PASSWORD)
    return browser


@pytest.fixture
def two_weeks(in_agency_a):
    """Three sentiments the week before, two this week; answers after odd fractions of minutes."""
    client = ClientFactory(name="Northwind", timezone="UTC")
    channel = make_channel(client=client)
    staff = UserFactory(role="responder", email="sam@alpha.test", first_name="Sam",
                        last_name="Rivera")  # fmt: skip
    before = OCTOBER - timedelta(days=7)
    store_mentions(channel, [
        said("p1", PRAISE, "ana", before), said("p2", PRAISE, "ben", before + timedelta(hours=1)),
        said("p3", GRIPE, "cy", before + timedelta(hours=2)),
        said("p4", PLAIN, "di", before + timedelta(hours=3)),
        said("c1", PRAISE, "eve", OCTOBER), said("c2", GRIPE, "fay", OCTOBER + timedelta(hours=1)),
        said("c3", PLAIN, "gus", OCTOBER + timedelta(hours=2)),
    ])  # fmt: skip
    for external_id, minutes in (("c1", 376.26), ("c2", 20.005), ("p1", 10.3333)):
        mention = Mention.objects.select_related("author").get(external_id=external_id)
        mention_acknowledge(
            mention=mention, user=staff, kind="resolved_internally",
            at=mention.posted_at + timedelta(minutes=minutes),
        )  # fmt: skip
    return client, staff


def test_every_headline_figure_has_its_previous_value_with_real_sentiment(two_weeks):
    client, _ = two_weeks
    report = client_report(client=client, since=date(2026, 10, 5), until=date(2026, 10, 11))
    previous = report["previous"]
    assert (previous["since"], previous["until"]) == ("2026-09-28", "2026-10-04")
    assert {k: previous["sentiment"][k] for k in ("positive", "neutral", "negative")} == {
        "positive": 2, "neutral": 1, "negative": 1,
    }  # fmt: skip
    assert previous["mention_count"] == 4 and previous["acknowledged"] == 1
    assert previous["acknowledgement_rate"] == 0.25
    headline = [
        "mention_count", "needing_acknowledgement", "acknowledged", "acknowledgement_rate",
        "median_time_to_acknowledge_minutes", "p90_time_to_acknowledge_minutes",
        "median_next_response_minutes", "p90_next_response_minutes", "sla_attainment",
        "sentiment", "advocates_gained", "share_of_voice", "crm_value_of_acknowledged_customers",
        "advocacy_lift",
    ]  # fmt: skip
    assert [name for name in headline if name not in report] == []
    assert [name for name in headline if name not in previous] == []
    assert "previous_period" not in report


def test_the_pdf_shows_the_previous_periods_sentiment(two_weeks, agency_a):
    client, _ = two_weeks
    text = pdf_text(report_pdf(client=client, since=date(2026, 10, 5), until=date(2026, 10, 11)))
    rows = dict(re.findall(r"(Positive|Negative) mentions\n\s*(\d+\n\s*\d+)", text))
    assert rows["Positive"].split() == ["1", "2"]  # this week, the week before
    assert rows["Negative"].split() == ["1", "1"]


def test_figures_are_rounded_for_people_everywhere(two_weeks, agency_a):
    client, _ = two_weeks
    report = client_report(client=client, since=date(2026, 10, 5), until=date(2026, 10, 11))
    # first responses of about 376.3 and 20.0 minutes: their median has two decimals
    assert report["median_time_to_acknowledge_minutes"] == 198.15
    assert report["members"][0]["median_minutes"] == 198.15
    owner = signed_in(agency_a, UserFactory(role="owner"))
    html = owner.get(f"/reports/clients/{client.pk}/?since=2026-10-05&until=2026-10-11")
    html = html.content.decode()
    assert "198.15 min" in html and "67%" in html  # 2 of the 3 acknowledged
    assert not LONG_FLOAT.findall(html)
    pdf = owner.get(f"/reports/clients/{client.pk}/report.pdf?since=2026-10-05&until=2026-10-11")
    text = pdf_text(pdf.content)
    assert "198.15 min" in text and "67%" in text
    assert not LONG_FLOAT.findall(text)
    overview = owner.get("/reports/").content.decode()
    assert not LONG_FLOAT.findall(overview)
    export = owner.get(
        f"/reports/clients/{client.pk}/mentions.csv?since=2026-10-05&until=2026-10-11"
    )
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    minutes = [row["time_to_acknowledge_minutes"] for row in rows]
    assert [m for m in minutes if m and len(m.partition(".")[2]) > 2] == []
    assert any(minutes)


def test_the_overview_counts_the_same_days_as_the_dashboard(in_agency_a, agency_a):
    client = ClientFactory(name="Berlin Bakery", timezone="Europe/Berlin")
    channel = make_channel(client=client)
    zone = ZoneInfo("Europe/Berlin")
    today = timezone.now().astimezone(zone).date()
    first_day = datetime.combine(today - timedelta(days=29), time.min, tzinfo=zone)
    store_mentions(channel, [
        said("in-1", PLAIN, "ana", first_day + timedelta(minutes=1)),  # the window's first minute
        said("in-2", PLAIN, "ben", timezone.now() - timedelta(minutes=5)),
        said("out", PLAIN, "cy", first_day - timedelta(minutes=1)),  # the day before
    ])  # fmt: skip
    manager = signed_in(agency_a, UserFactory(role="manager"))
    overview = manager.get("/reports/").content.decode()
    row = re.search(r"Berlin Bakery</a></td>\s*<td>([\d,]+)</td>", overview)
    dashboard = manager.get(f"/reports/clients/{client.pk}/").content.decode()
    assert row and row.group(1) == "2"
    card = re.search(r'data-kpi="mention_count">.*?<p class="kpi-value">(.*?)</p>', dashboard, re.S)
    assert card and re.sub(r"<[^>]+>", "", card.group(1)) == "2"
    assert "same days, and so the same counts" in overview


def test_top_terms_leave_out_the_stop_words_of_every_language(in_agency_a):
    client = ClientFactory(timezone="UTC")
    texts = [
        f"Hey, every latte is the same here and it is great at {client.name}",
        "Ich finde den Kaffee und die Croissants sehr gut",
        "Avec le croissant, le café est vraiment parfait",
        "El café con leche es muy bueno para mí",
        "De koffie is echt heel lekker en de croissant ook",
        "O café com leite é muito bom para mim",
    ]
    store_mentions(make_channel(client=client), [
        said(f"t{n}", text, f"p{n}", datetime.now(UTC) - timedelta(minutes=n))
        for n, text in enumerate(texts)
    ])  # fmt: skip
    today = timezone.now().date()  # yesterday too: minutes ago may be before midnight
    report = client_report(client=client, since=today - timedelta(days=1), until=today)
    terms = {row["term"] for row in report["top_terms"]}
    assert {"croissant", "café", "latte"} <= terms
    assert client.name.split()[0].lower() not in terms  # the brand's own name
    fillers = {"hey", "every", "same", "here", "und", "die", "den", "sehr", "avec", "est", "con",
               "muy", "para", "echt", "heel", "ook", "com", "muito"}  # fmt: skip
    assert terms & fillers == set()


def test_the_portal_names_no_staff_and_says_nothing_internal(two_weeks, agency_a):
    client, _ = two_weeks
    viewer = UserFactory(role="client_viewer")
    ClientMembershipFactory(user=viewer, client=client)
    portal = signed_in(agency_a, viewer)
    period = "since=2026-10-05&until=2026-10-11"
    pages = [
        portal.get("/reports/").content.decode(),
        portal.get(f"/reports/clients/{client.pk}/?{period}").content.decode(),
        pdf_text(portal.get(f"/reports/clients/{client.pk}/report.pdf?{period}").content),
        str(portal.get(f"/api/v1/clients/{client.pk}/report/?{period}").json()),
    ]
    for page in pages:
        assert "sam@alpha.test" not in page and "Sam Rivera" not in page
    assert "Slipping" not in pages[0] and "On track" not in pages[0]
    # Staff still see who did what.
    owner = signed_in(agency_a, UserFactory(role="owner"))
    assert "On track" in owner.get("/reports/").content.decode()
    assert "sam@alpha.test" in owner.get(f"/reports/clients/{client.pk}/?{period}").content.decode()


def test_an_agency_may_let_its_client_users_see_staff_names(two_weeks, agency_a):
    client, _ = two_weeks
    viewer = UserFactory(role="client_viewer")
    ClientMembershipFactory(user=viewer, client=client)
    manager = signed_in(agency_a, UserFactory(role="manager"))
    saved = manager.post("/settings/", {"portal_shows_staff_names": "on"})
    assert saved.status_code == 302
    page = signed_in(agency_a, viewer).get(
        f"/reports/clients/{client.pk}/?since=2026-10-05&until=2026-10-11"
    )
    html = page.content.decode()
    assert "Sam Rivera" in html and "sam@alpha.test" not in html


def test_the_conversation_names_the_time_zone_of_its_times(two_weeks, agency_a):
    client, _ = two_weeks
    client.timezone = "Europe/Berlin"
    client.save()
    mention = Mention.objects.get(external_id="c3")
    Mention.objects.filter(pk=mention.pk).update(sla_due_at=datetime(2026, 10, 5, 16, tzinfo=UTC))
    html = signed_in(agency_a, UserFactory(role="owner")).get(f"/inbox/{mention.pk}/")
    html = html.content.decode()
    assert "5 Oct 2026, 18:00 Europe/Berlin" in html  # 16:00 UTC is 18:00 in Berlin


def test_a_client_responder_sees_no_staff_email_in_the_inbox(two_weeks, agency_a):
    client, _ = two_weeks
    responder = UserFactory(role="client_responder")
    ClientMembershipFactory(user=responder, client=client)
    portal = signed_in(agency_a, responder)
    answered = Mention.objects.get(external_id="c1")
    waiting = Mention.objects.get(external_id="c3")
    Mention.objects.filter(pk=waiting.pk).update(assigned_to=UserFactory(email="kim@alpha.test"))
    for path in ("/inbox/", f"/inbox/{answered.pk}/", f"/inbox/{waiting.pk}/"):
        html = portal.get(path).content.decode()
        assert "sam@alpha.test" not in html and "kim@alpha.test" not in html, path
    html = portal.get(f"/inbox/{answered.pk}/").content.decode()
    assert "by the Alpha Agency team" in html
