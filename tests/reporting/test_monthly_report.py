"""The monthly report: once the month is over in the client's time zone, its report goes once
to the client's active members, with the headline figures in the body and the PDF attached."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pypdf
import pytest
from django.core import mail
from django_tenants.utils import tenant_context

from apps.acknowledgements.services import mention_acknowledge
from apps.channels.connectors.base import AuthorData, MentionData
from apps.clients.models import Client
from apps.listening.models import Mention
from apps.reporting.models import MonthlyReport
from apps.reporting.services import month_due, monthly_reports_send
from apps.reporting.tasks import send_scheduled_reports
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory, ClientMembershipFactory

LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
DEC_1 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # 1 December in London
NOVEMBER = DEC_1.date().replace(month=11)


def make_client(*, created_at: datetime = LONG_AGO, members=(), **fields) -> Client:
    """A client that existed since ``created_at``, with members of the given e-mail addresses."""
    client = ClientFactory(**fields)
    Client.objects.filter(pk=client.pk).update(created_at=created_at)
    client.refresh_from_db()
    for email in members:
        ClientMembershipFactory(client=client, user=UserFactory(email=email))
    return client


def sent_to(client: Client) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if m.subject.startswith(f"{client.name}:")]


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(body)).pages)


@pytest.fixture
def northwind(in_agency_a) -> Client:
    """A London client with two active members, one former member, and a November in which 3
    of the 4 people needing an answer were acknowledged."""
    client = make_client(
        name="Northwind Coffee", slug="northwind", timezone="Europe/London",
        members=["viewer@northwind.test", "sam@alpha.test"],
    )  # fmt: skip
    gone = UserFactory(email="gone@northwind.test", role="client_viewer", is_active=False)
    ClientMembershipFactory(client=client, user=gone)
    channel = make_channel(platform="webhook", config={}, client=client)
    start = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    store_mentions(
        channel,
        [
            MentionData(
                external_id=f"m{n}", text=f"Question number {n} about my order",
                posted_at=start + timedelta(hours=n), author=AuthorData(handle=f"person{n}"),
            )
            for n in range(4)
        ],
    )  # fmt: skip
    sam = client.memberships.get(user__email="sam@alpha.test").user
    for mention in Mention.objects.filter(client=client, external_id__in=["m0", "m1", "m2"]):
        mention_acknowledge(
            mention=mention, user=sam, kind="resolved_internally",
            at=mention.posted_at + timedelta(minutes=20),
        )  # fmt: skip
    return client


def test_last_months_report_goes_once_to_the_clients_active_members(northwind):
    other = make_client(name="Other Brand", members=["someone@other.test"])

    assert monthly_reports_send(now=DEC_1) >= 2
    assert monthly_reports_send(now=DEC_1) == 0
    assert monthly_reports_send(now=DEC_1 + timedelta(days=20)) == 0

    [message] = sent_to(northwind)
    assert message.to == ["sam@alpha.test", "viewer@northwind.test"]  # not gone@, nor the owner
    assert [m.to for m in sent_to(other)] == [["someone@other.test"]]
    report = MonthlyReport.objects.get(client=northwind)
    assert report.month == NOVEMBER
    assert report.recipients == ["sam@alpha.test", "viewer@northwind.test"]
    assert report.sent_at is not None


def test_the_email_has_the_headline_figures_and_the_pdf_attached(northwind):
    monthly_reports_send(now=DEC_1)

    [message] = sent_to(northwind)
    assert message.subject == "Northwind Coffee: your report for November 2026"
    assert "1 Nov 2026 \u2013 30 Nov 2026" in message.body  # an en dash
    assert "Acknowledgement rate" in message.body and "75%" in message.body
    [(filename, content, mimetype)] = message.attachments
    assert (filename, mimetype) == ("northwind-report-2026-11.pdf", "application/pdf")
    assert content.startswith(b"%PDF-")
    text = pdf_text(content)
    assert "Northwind Coffee" in text and "Alpha Agency" in text
    assert "1 Nov 2026" in text and "30 Nov 2026" in text
    assert "75%" in text


def test_the_next_month_is_sent_when_it_is_over(northwind):
    monthly_reports_send(now=DEC_1)
    monthly_reports_send(now=DEC_1 + timedelta(days=31))

    assert [m.subject for m in sent_to(northwind)] == [
        "Northwind Coffee: your report for November 2026",
        "Northwind Coffee: your report for December 2026",
    ]
    assert list(MonthlyReport.objects.filter(client=northwind).values_list("month", flat=True)) == [
        NOVEMBER.replace(month=12),
        NOVEMBER,
    ]


def test_a_client_without_members_is_recorded_and_sent_nothing(in_agency_a):
    lonely = make_client(name="Lonely Brand")

    monthly_reports_send(now=DEC_1)
    monthly_reports_send(now=DEC_1)

    assert sent_to(lonely) == []
    report = MonthlyReport.objects.get(client=lonely)
    assert (report.month, report.recipients, report.sent_at) == (NOVEMBER, [], None)


def test_inactive_clients_and_months_before_the_client_existed_are_skipped(in_agency_a):
    paused = make_client(name="Paused Brand", is_active=False, members=["p@paused.test"])
    new = make_client(
        name="New Brand", created_at=datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
        members=["n@new.test"],
    )  # fmt: skip

    monthly_reports_send(now=DEC_1)

    assert not MonthlyReport.objects.filter(client__in=[paused, new]).exists()
    assert sent_to(paused) == sent_to(new) == []


def test_the_month_is_over_when_it_is_over_in_the_clients_time_zone(in_agency_a):
    joined = datetime(2026, 11, 2, tzinfo=UTC)  # so October is no one's to report
    auckland = make_client(
        name="Kiwi Brand", timezone="Pacific/Auckland", created_at=joined, members=["k@kiwi.test"]
    )
    los_angeles = make_client(
        name="Golden Brand", timezone="America/Los_Angeles", created_at=joined,
        members=["g@golden.test"],
    )  # fmt: skip
    # 30 Nov 12:00 UTC is 1 Dec 01:00 in Auckland (UTC+13), 30 Nov 04:00 in Los Angeles (UTC-8).
    nov_30_noon = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

    monthly_reports_send(now=nov_30_noon)

    assert [m.subject for m in sent_to(auckland)] == ["Kiwi Brand: your report for November 2026"]
    assert sent_to(los_angeles) == []
    monthly_reports_send(now=datetime(2026, 12, 1, 7, 59, tzinfo=UTC))  # 23:59 in Los Angeles
    assert sent_to(los_angeles) == []
    monthly_reports_send(now=datetime(2026, 12, 1, 8, 0, tzinfo=UTC))  # midnight there
    assert [m.subject for m in sent_to(los_angeles)] == [
        "Golden Brand: your report for November 2026"
    ]
    assert len(sent_to(auckland)) == 1


@pytest.mark.parametrize(
    ("now", "timezone", "month"),
    [
        (datetime(2026, 11, 30, 10, 59, tzinfo=UTC), "Pacific/Auckland", "2026-10-01"),
        (datetime(2026, 11, 30, 11, 0, tzinfo=UTC), "Pacific/Auckland", "2026-11-01"),
        (datetime(2026, 12, 1, 7, 59, tzinfo=UTC), "America/Los_Angeles", "2026-10-01"),
        (datetime(2026, 12, 1, 8, 0, tzinfo=UTC), "America/Los_Angeles", "2026-11-01"),
        (datetime(2027, 1, 1, 0, 0, tzinfo=UTC), "UTC", "2026-12-01"),
        (datetime(2026, 3, 1, 0, 0, tzinfo=UTC), "UTC", "2026-02-01"),
    ],
)
def test_the_month_due(now, timezone, month):
    assert month_due(now=now, tz=timezone).isoformat() == month


def test_the_beat_task_sends_in_every_agency(in_agency_a, agency_b):
    alpha = make_client(name="Alpha Client", timezone="UTC", members=["a@alpha-client.test"])
    with tenant_context(agency_b):
        beta = make_client(name="Beta Client", timezone="UTC", members=["b@beta-client.test"])

    assert send_scheduled_reports() >= 2

    month = month_due(now=datetime.now(UTC), tz="UTC")
    [to_alpha] = sent_to(alpha)
    [to_beta] = sent_to(beta)
    assert to_alpha.to == ["a@alpha-client.test"] and to_beta.to == ["b@beta-client.test"]
    assert to_beta.subject == f"Beta Client: your report for {month:%B %Y}"
    assert "Beta Agency" in pdf_text(to_beta.attachments[0][1])
    assert "Alpha Agency" in pdf_text(to_alpha.attachments[0][1])


def test_two_runs_at_the_same_time_send_each_report_once(agency_a, django_db_blocker):
    import threading

    from django.db import connection
    from django_tenants.utils import schema_context

    with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
        clients = [
            make_client(name=f"Concurrent Brand {n}", members=[f"c{n}@concurrent.test"])
            for n in range(5)
        ]
    start = threading.Barrier(2)
    results: list[int] = []

    def run() -> None:
        with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
            try:
                start.wait(timeout=30)
                results.append(monthly_reports_send(now=DEC_1))
            finally:
                connection.close()

    try:
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert len(results) == 2
        for client in clients:
            [message] = sent_to(client)
            assert message.to == [f"c{client.name[-1]}@concurrent.test"]
            # schema_context leaves no agency on the connection: the PDF still names it.
            assert "Alpha Agency" in pdf_text(message.attachments[0][1])
        with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
            recorded = MonthlyReport.objects.filter(client__in=clients).count()
        assert recorded == len(clients)
    finally:
        with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
            from apps.accounts.models import User

            User.objects.filter(email__endswith="@concurrent.test").delete()
            Client.objects.filter(pk__in=[c.pk for c in clients]).delete()
