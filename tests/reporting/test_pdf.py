"""The PDF export of a client's report: the figures and charts of the period, user text shown as
typed, and only for people who may see the client."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pypdf
import pypdfium2
import pytest

from apps.acknowledgements.services import mention_acknowledge
from apps.channels.connectors.base import AuthorData, MentionData
from apps.listening.models import Mention
from apps.reporting.pdf import report_pdf
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory, ClientMembershipFactory
from tests.conftest import PASSWORD

MONDAY = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
PERIOD = {"since": "2026-10-05", "until": "2026-10-11"}
HOSTILE = "<b>x</b>"


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)


@pytest.fixture
def northwind(in_agency_a):
    """Four people needing an answer in the week of 5 October 2026; three acknowledged."""
    client = ClientFactory(name="Northwind Coffee", slug="northwind", timezone="UTC")
    channel = make_channel(platform="webhook", config={}, client=client, name="Support inbox")
    said = [
        ("ana", "Where is my order #coldbrew", 0),
        ("ben", "The app is broken again #coldbrew", 1),
        ("cy", "Love the new beans, thank you!", 2),
        (HOSTILE, "<script>alert(1)</script> anyone there?", 3),
    ]
    store_mentions(
        channel,
        [
            MentionData(
                external_id=f"m{n}",
                text=text,
                posted_at=MONDAY + timedelta(days=day, hours=n),
                author=AuthorData(handle=handle, display_name=handle),
            )
            for n, (handle, text, day) in enumerate(said)
        ],
    )
    sam = UserFactory(role="responder", email="sam@alpha.test")
    for mention in Mention.objects.filter(client=client, external_id__in=["m0", "m1", "m2"]):
        mention_acknowledge(
            mention=mention, user=sam, kind="resolved_internally",
            at=mention.posted_at + timedelta(minutes=30),
        )  # fmt: skip
    return client


@pytest.fixture
def owner_browser(client_a):
    response = client_a.post(
        "/accounts/login/", {"username": "owner@alpha.test", "password": PASSWORD}
    )
    assert response.status_code == 302
    return client_a


def test_the_owner_downloads_the_period_as_a_pdf_with_its_figures(northwind, owner_browser):
    response = owner_browser.get(f"/reports/clients/{northwind.pk}/report.pdf", PERIOD)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="northwind-report-2026-10-05-2026-10-11.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    assert "Northwind Coffee" in text
    assert "Alpha Agency" in text
    assert "5 Oct 2026" in text and "11 Oct 2026" in text
    assert "75%" in text  # 3 of the 4 people needing an answer were acknowledged
    assert "30 min" in text  # each within half an hour
    assert "sam@alpha.test" in text  # the per-member table
    assert "#coldbrew" in text  # top hashtags


def test_user_text_is_shown_as_typed_and_the_charts_are_drawn(northwind, owner_browser):
    body = owner_browser.get(f"/reports/clients/{northwind.pk}/report.pdf", PERIOD).content

    assert HOSTILE in pdf_text(body)  # not read as bold markup, not dropped
    page = pypdfium2.PdfDocument(body)[0]
    image = page.render(scale=1).to_pil().convert("RGB")
    colours = image.getcolors(maxcolors=1 << 24)  # (pixels, (r, g, b)) per colour

    def pixels(test) -> int:
        return sum(n for n, (r, g, b) in colours if test(r, g, b))

    ink = pixels(lambda r, g, b: min(r, g, b) < 200)
    blue_bars = pixels(lambda r, g, b: b > 180 and r < 80)  # mentions by day
    purple_bars = pixels(lambda r, g, b: r > 100 and b > 200 and g < 80)  # the funnel
    assert ink > 5_000
    assert blue_bars > 300
    assert purple_bars > 300


def test_hostile_names_do_not_break_the_pdf(in_agency_a):
    client = ClientFactory(name="Evil <script>alert('x')</script> & Co", timezone="UTC")
    channel = make_channel(platform="webhook", config={}, client=client, name="<i>unclosed")
    store_mentions(
        channel,
        [
            MentionData(
                external_id="h1", text="#<b>bold</b> <para> & \x07 </font>",
                posted_at=MONDAY, author=AuthorData(handle="<font color='red'>"),
            )
        ],
    )  # fmt: skip

    text = pdf_text(report_pdf(client=client, since=MONDAY.date(), until=MONDAY.date()))

    assert "Evil <script>alert('x')</script> & Co" in text
    assert "<font color='red'>" in text
    assert "<i>unclosed" in text


def test_an_empty_period_still_renders(in_agency_a):
    client = ClientFactory(name="Quiet Brand", timezone="Pacific/Auckland")

    body = report_pdf(client=client, since=MONDAY.date(), until=MONDAY.date() + timedelta(days=90))

    text = pdf_text(body)
    assert "Quiet Brand" in text and "Nothing in this period." in text


def test_the_default_period_is_the_last_30_days_in_the_clients_time_zone(northwind, owner_browser):
    response = owner_browser.get(f"/reports/clients/{northwind.pk}/report.pdf")

    assert response.status_code == 200
    today = datetime.now(UTC).date()  # the client keeps UTC
    start = today - timedelta(days=29)
    assert f"{start}-{today}.pdf" in response["Content-Disposition"]


@pytest.mark.parametrize(
    "query",
    [
        {"since": "2026-13-01"},
        {"since": "05/10/2026"},
        {"since": "20261005"},
        {"since": "2026-10-11", "until": "2026-10-05"},
        {"since": "2024-01-01", "until": "2026-10-05"},
    ],
)
def test_a_bad_period_is_a_400(northwind, owner_browser, query):
    response = owner_browser.get(f"/reports/clients/{northwind.pk}/report.pdf", query)

    assert response.status_code == 400


def test_a_client_user_of_another_client_gets_404(northwind, client_a):
    viewer = UserFactory(role="client_viewer", email="viewer@other.test")
    ClientMembershipFactory(user=viewer, client=ClientFactory(name="Other Brand"))
    client_a.force_login(viewer)

    response = client_a.get(f"/reports/clients/{northwind.pk}/report.pdf", PERIOD)

    assert response.status_code == 404


def test_a_client_user_downloads_their_own_clients_report(northwind, client_a):
    viewer = UserFactory(role="client_viewer", email="viewer@northwind.test")
    ClientMembershipFactory(user=viewer, client=northwind)
    client_a.force_login(viewer)

    response = client_a.get(f"/reports/clients/{northwind.pk}/report.pdf", PERIOD)

    assert response.status_code == 200 and "Northwind Coffee" in pdf_text(response.content)


def test_signing_in_is_required(northwind, client_a):
    response = client_a.get(f"/reports/clients/{northwind.pk}/report.pdf", PERIOD)

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
