"""Report schedules: weekly, monthly or every N days, a client's report goes to the schedule's
recipients once per period — in the client's time zone and language, in the agency's name and
look — however many beats run at once; a failed send is retried later, never doubled."""

from __future__ import annotations

import email
import io
import socket
import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django_tenants.utils import schema_context
from PIL import Image

from apps.accounts.models import User
from apps.acknowledgements.models import AuditEntry
from apps.channels.connectors.base import AuthorData, MentionData
from apps.clients.models import Client
from apps.reporting.models import ReportDelivery, ReportSchedule
from apps.reporting.schedule_periods import latest_period, period_due
from apps.reporting.services import (
    report_schedule_create,
    report_schedule_preview,
    report_schedule_update,
    scheduled_reports_send,
)
from apps.reporting.tasks import send_scheduled_reports
from apps.tenants.models import Agency
from apps.tenants.services import agency_set_report_email, agency_set_white_label
from tests.accounts.factories import UserFactory
from tests.channels.factories import make_channel, store_mentions
from tests.clients.factories import ClientFactory

LONG_AGO = datetime(2026, 1, 1, tzinfo=UTC)
MONDAY_9 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday 30 Nov, 09:00 in London
LAST_WEEK = (date(2026, 11, 23), date(2026, 11, 29))


def make_client(**fields) -> Client:
    client = ClientFactory(**fields)
    Client.objects.filter(pk=client.pk).update(created_at=LONG_AGO)
    client.refresh_from_db()
    return client


def make_schedule(client: Client, *, since: date = date(2026, 1, 1), **fields) -> ReportSchedule:
    """A schedule set up on local day ``since`` (long ago unless said)."""
    fields = {"frequency": "weekly", "recipients": ["boss@client.test"], "send_hour": 8} | fields
    schedule = report_schedule_create(client=client, **fields)
    ReportSchedule.objects.filter(pk=schedule.pk).update(starts_on=since)
    schedule.refresh_from_db()
    return schedule


def sent_to(client: Client) -> list[mail.EmailMultiAlternatives]:
    return [m for m in mail.outbox if client.name in m.subject]


def period_of(message) -> str:
    """The period a report e-mail's subject names (after its last comma)."""
    return message.subject.rsplit(", ", 1)[-1]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def brand(in_agency_a) -> Client:
    return make_client(name="Northwind Coffee", slug="northwind", timezone="Europe/London")


# --- periods (pure) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "today", "anchor", "days", "period"),
    [
        ("weekly", "2026-11-30", None, None, ("2026-11-23", "2026-11-29")),  # a Monday
        ("weekly", "2026-12-06", None, None, ("2026-11-23", "2026-11-29")),  # the Sunday after
        ("weekly", "2026-12-07", None, None, ("2026-11-30", "2026-12-06")),
        ("weekly", "2027-01-01", None, None, ("2026-12-21", "2026-12-27")),  # across the year
        ("monthly", "2026-12-01", None, None, ("2026-11-01", "2026-11-30")),
        ("monthly", "2026-03-31", None, None, ("2026-02-01", "2026-02-28")),
        ("monthly", "2027-01-15", None, None, ("2026-12-01", "2026-12-31")),
        ("custom", "2026-11-15", "2026-11-01", 14, ("2026-11-01", "2026-11-14")),
        ("custom", "2026-11-28", "2026-11-01", 14, ("2026-11-01", "2026-11-14")),
        ("custom", "2026-11-29", "2026-11-01", 14, ("2026-11-15", "2026-11-28")),
        ("custom", "2026-11-01", "2026-11-01", 14, ("2026-10-18", "2026-10-31")),  # before it
        ("custom", "2026-11-02", "2026-11-01", 1, ("2026-11-01", "2026-11-01")),
    ],
)
def test_the_latest_period_over(frequency, today, anchor, days, period):
    found = latest_period(
        frequency=frequency, today=date.fromisoformat(today),
        anchor=date.fromisoformat(anchor or "2026-01-01"), days=days,
    )  # fmt: skip
    assert tuple(d.isoformat() for d in found) == period


@pytest.mark.parametrize(
    ("now", "tz", "send_hour", "starts_on", "due"),
    [
        # Monday 08:00 in Auckland (UTC+13) is Sunday 19:00 UTC
        ("2026-11-29T18:59", "Pacific/Auckland", 8, "2026-01-01", ("2026-11-16", "2026-11-22")),
        ("2026-11-29T19:00", "Pacific/Auckland", 8, "2026-01-01", ("2026-11-23", "2026-11-29")),
        # ...and in Los Angeles (UTC-8) Monday 16:00 UTC
        ("2026-11-30T15:59", "America/Los_Angeles", 8, "2026-01-01", ("2026-11-16", "2026-11-22")),
        ("2026-11-30T16:00", "America/Los_Angeles", 8, "2026-01-01", ("2026-11-23", "2026-11-29")),
        # midnight in Berlin on the Monday after summer time began (UTC+2): Sunday 22:00 UTC
        ("2026-03-29T21:59", "Europe/Berlin", 0, "2026-01-01", ("2026-03-16", "2026-03-22")),
        ("2026-03-29T22:00", "Europe/Berlin", 0, "2026-01-01", ("2026-03-23", "2026-03-29")),
        # a schedule set up on Wednesday 25 Nov starts with the week it was set up in
        ("2026-11-30T09:00", "Europe/London", 8, "2026-11-25", ("2026-11-23", "2026-11-29")),
        ("2026-11-27T09:00", "Europe/London", 8, "2026-11-25", None),
        ("2026-11-30T09:00", "Europe/London", 8, "2026-11-30", None),
    ],
)
def test_the_weekly_period_due_in_the_clients_time_zone(now, tz, send_hour, starts_on, due):
    found = period_due(
        frequency="weekly", now=datetime.fromisoformat(now).replace(tzinfo=UTC), tz=tz,
        send_hour=send_hour, starts_on=date.fromisoformat(starts_on),
    )  # fmt: skip
    assert (tuple(d.isoformat() for d in found) if found else None) == due


# --- sending -------------------------------------------------------------------------------------


def test_last_weeks_report_goes_once_to_the_schedules_recipients(brand):
    make_schedule(brand, recipients=["boss@client.test", "cmo@client.test"])

    assert scheduled_reports_send(now=MONDAY_9) == 1
    assert scheduled_reports_send(now=MONDAY_9) == 0
    assert scheduled_reports_send(now=MONDAY_9 + timedelta(days=6)) == 0  # still that week

    [message] = sent_to(brand)
    assert message.to == ["boss@client.test", "cmo@client.test"]
    assert message.subject == "Northwind Coffee: your weekly report, 23 Nov 2026 \u2013 29 Nov 2026"
    assert "This week" in message.body and "Week before" in message.body
    [(filename, content, mimetype)] = message.attachments
    assert filename == "northwind-report-2026-11-23-2026-11-29.pdf"
    assert mimetype == "application/pdf" and content.startswith(b"%PDF-")
    delivery = ReportDelivery.objects.get(schedule__client=brand)
    assert (delivery.period_start, delivery.period_end) == LAST_WEEK
    assert (delivery.status, delivery.attempts) == ("sent", 1) and delivery.sent_at is not None

    assert scheduled_reports_send(now=MONDAY_9 + timedelta(days=7)) == 1
    assert period_of(sent_to(brand)[-1]) == "30 Nov 2026 \u2013 6 Dec 2026"


def test_monthly_and_every_n_days_schedules_send_their_own_periods(brand):
    make_schedule(brand, frequency="monthly", recipients=["monthly@client.test"])
    make_schedule(brand, frequency="custom", period_days=14, since=date(2026, 11, 1),
                  recipients=["fortnight@client.test"])  # fmt: skip

    assert scheduled_reports_send(now=datetime(2026, 11, 29, 9, 0, tzinfo=UTC)) == 2

    subjects = {m.to[0]: m.subject for m in sent_to(brand)}
    assert subjects == {
        "monthly@client.test": "Northwind Coffee: your report for October 2026",
        "fortnight@client.test": "Northwind Coffee: your report for 15 Nov 2026 \u2013 28 Nov 2026",
    }
    assert scheduled_reports_send(now=datetime(2026, 12, 1, 9, 0, tzinfo=UTC)) == 1  # November
    assert sent_to(brand)[-1].subject == "Northwind Coffee: your report for November 2026"


def test_the_week_is_reported_when_it_is_over_where_the_client_is(in_agency_a):
    kiwi = make_client(name="Kiwi Brand", timezone="Pacific/Auckland")
    golden = make_client(name="Golden Brand", timezone="America/Los_Angeles")
    make_schedule(kiwi, since=date(2026, 11, 23))  # set up on the Monday before
    make_schedule(golden, since=date(2026, 11, 23))
    # Sunday 29 Nov 23:30 in Los Angeles is Monday 07:30 UTC: still Golden's last week.
    store_mentions(
        make_channel(platform="webhook", config={}, client=golden),
        [MentionData(external_id="late-sunday", text="Late on Sunday, about my order",
                     posted_at=datetime(2026, 11, 30, 7, 30, tzinfo=UTC),
                     author=AuthorData(handle="night-owl"))],
    )  # fmt: skip

    scheduled_reports_send(now=datetime(2026, 11, 29, 18, 59, tzinfo=UTC))  # 07:59 in Auckland
    assert sent_to(kiwi) == []
    scheduled_reports_send(now=datetime(2026, 11, 29, 19, 0, tzinfo=UTC))  # 08:00 there
    assert [m.subject for m in sent_to(kiwi)] == [
        "Kiwi Brand: your weekly report, 23 Nov 2026 \u2013 29 Nov 2026"
    ]
    scheduled_reports_send(now=datetime(2026, 11, 30, 15, 59, tzinfo=UTC))  # 07:59 in LA
    assert sent_to(golden) == []
    scheduled_reports_send(now=datetime(2026, 11, 30, 16, 0, tzinfo=UTC))  # 08:00 there
    [latest] = sent_to(golden)
    assert period_of(latest) == "23 Nov 2026 \u2013 29 Nov 2026"
    [mentions_line] = [line for line in latest.body.splitlines() if line.startswith("Mentions")]
    assert mentions_line.split()[1:3] == ["1", "0"]  # this week, the week before
    assert len(sent_to(kiwi)) == 1


def test_a_german_client_gets_its_report_in_german(in_agency_a):
    berlin = make_client(name="Brauhaus", timezone="Europe/Berlin", locale="de")
    make_schedule(berlin, frequency="monthly")

    scheduled_reports_send(now=datetime(2026, 12, 1, 9, 0, tzinfo=UTC))

    [message] = sent_to(berlin)
    assert message.subject == "Brauhaus: Ihr Bericht für November 2026"
    assert message.body.startswith("Guten Tag,")
    assert "Dieser Monat" in message.body and "Vormonat" in message.body
    [(html, _)] = message.alternatives
    assert '<html lang="de">' in html and "Der vollständige Bericht" in html


def test_a_failed_send_is_retried_by_a_later_beat_and_goes_once(brand, settings):
    schedule = make_schedule(brand)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 5

    assert scheduled_reports_send(now=MONDAY_9) == 0  # the mail server is down

    delivery = ReportDelivery.objects.get(schedule=schedule)
    assert (delivery.status, delivery.attempts) == ("failed", 1)
    assert "ConnectionRefusedError" in delivery.error
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # it is back
    assert scheduled_reports_send(now=MONDAY_9 + timedelta(minutes=5)) == 0  # backing off
    assert scheduled_reports_send(now=MONDAY_9 + timedelta(minutes=15)) == 1
    assert scheduled_reports_send(now=MONDAY_9 + timedelta(minutes=30)) == 0

    [message] = sent_to(brand)
    assert period_of(message) == "23 Nov 2026 \u2013 29 Nov 2026"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("sent", 2, "")


def test_a_failed_period_is_retried_even_when_the_next_one_is_due(brand, settings):
    make_schedule(brand)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 5
    scheduled_reports_send(now=MONDAY_9)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    assert scheduled_reports_send(now=MONDAY_9 + timedelta(days=7)) == 2

    assert sorted(period_of(m) for m in sent_to(brand)) == [
        "23 Nov 2026 \u2013 29 Nov 2026",
        "30 Nov 2026 \u2013 6 Dec 2026",
    ]


def test_a_period_left_sending_by_a_worker_that_died_is_taken_over(brand):
    schedule = make_schedule(brand)
    ReportDelivery.objects.create(
        schedule=schedule, period_start=LAST_WEEK[0], period_end=LAST_WEEK[1],
        recipients=schedule.recipients, claimed_at=MONDAY_9 - timedelta(minutes=30),
    )  # fmt: skip

    assert scheduled_reports_send(now=MONDAY_9) == 0  # another worker may still be at it
    assert scheduled_reports_send(now=MONDAY_9 + timedelta(minutes=45)) == 1  # it died

    assert len(sent_to(brand)) == 1
    assert ReportDelivery.objects.get(schedule=schedule).status == "sent"


def test_paused_schedules_archived_clients_and_new_schedules_send_nothing(in_agency_a):
    paused = make_client(name="Paused Brand")
    make_schedule(paused, is_active=False)
    archived = make_client(name="Archived Brand", is_active=False)
    make_schedule(archived)
    new = make_client(name="New Brand", timezone="Europe/London")
    make_schedule(new, since=date(2026, 11, 30))  # set up this morning

    assert scheduled_reports_send(now=MONDAY_9) == 0

    assert not ReportDelivery.objects.exists()
    assert scheduled_reports_send(now=MONDAY_9 + timedelta(days=7)) == 1
    assert [period_of(m) for m in sent_to(new)] == ["30 Nov 2026 \u2013 6 Dec 2026"]


def test_report_emails_come_in_the_agencys_name_and_look(agency_a, brand):
    agency = Agency.objects.get(pk=agency_a.pk)  # the session's own object stays untouched
    agency_set_report_email(agency=agency, sender_name="Kestrel Reports",
                            reply_to="hello@kestrel.test")  # fmt: skip
    buffer = io.BytesIO()
    Image.new("RGB", (90, 30), (15, 118, 110)).save(buffer, format="PNG")
    logo = buffer.getvalue()
    agency_set_white_label(agency=agency, accent_colour="#0f766e", logo=(logo, "image/png"))
    connection.set_tenant(agency)
    make_schedule(brand)

    scheduled_reports_send(now=MONDAY_9)

    [message] = sent_to(brand)
    assert message.from_email == "Kestrel Reports <no-reply@rapport.test>"
    assert message.reply_to == ["hello@kestrel.test"]
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "Alpha Agency" in html and "Northwind Coffee" in html and "#0f766e" in html
    assert 'src="cid:agency-logo"' in html
    parsed = email.message_from_bytes(message.message().as_bytes())
    assert parsed["From"] == "Kestrel Reports <no-reply@rapport.test>"
    assert parsed["Reply-To"] == "hello@kestrel.test"
    parts = {part.get_content_type(): part for part in parsed.walk()}
    assert {"multipart/mixed", "multipart/related", "multipart/alternative", "text/plain",
            "text/html", "image/png", "application/pdf"} <= set(parts)  # fmt: skip
    assert parts["image/png"]["Content-ID"] == "<agency-logo>"
    assert parts["image/png"].get_payload(decode=True) == logo


def test_without_a_sender_name_the_agencys_name_is_used_and_no_reply_to(brand):
    make_schedule(brand)

    scheduled_reports_send(now=MONDAY_9)

    [message] = sent_to(brand)
    assert message.from_email == "Alpha Agency <no-reply@rapport.test>"
    assert message.reply_to == []
    assert "cid:" not in message.alternatives[0][0]  # no logo, no broken image


def test_the_preview_goes_to_the_asking_person_alone_and_claims_nothing(brand):
    schedule = make_schedule(brand, recipients=["boss@client.test"])
    me = UserFactory(email="manager@alpha.test", role="manager")

    assert report_schedule_preview(schedule=schedule, user=me, now=MONDAY_9) == LAST_WEEK

    [preview] = sent_to(brand)
    assert preview.to == ["manager@alpha.test"]
    assert preview.subject.startswith("[Preview] Northwind Coffee: your weekly report")
    assert "preview sent only to you" in preview.body
    assert not ReportDelivery.objects.exists()
    assert scheduled_reports_send(now=MONDAY_9) == 1  # the recipients still get theirs
    assert sent_to(brand)[-1].to == ["boss@client.test"]


def test_a_schedule_is_checked_field_by_field(brand):
    with pytest.raises(ValidationError) as refused:
        report_schedule_create(client=brand, frequency="custom", recipients=["not-an-address"],
                               send_hour=24)  # fmt: skip
    assert set(refused.value.message_dict) == {"recipients", "period_days", "send_hour"}
    with pytest.raises(ValidationError) as empty:
        report_schedule_create(client=brand, frequency="weekly", recipients=[" ", ""])
    assert empty.value.message_dict == {"recipients": ["Add at least one recipient."]}

    schedule = report_schedule_create(
        client=brand, frequency="weekly", recipients=["A@Client.test", "a@client.test ", "b@x.test"]
    )
    assert schedule.recipients == ["A@Client.test", "b@x.test"]  # de-duplicated, in order
    assert schedule.starts_on == datetime.now(ZoneInfo("Europe/London")).date()  # its day


def test_a_refused_change_leaves_the_schedule_as_it_was(brand):
    schedule = make_schedule(brand, recipients=["a@client.test"])

    with pytest.raises(ValidationError):
        report_schedule_update(schedule=schedule, frequency="custom", recipients=["nope"])

    assert (schedule.frequency, schedule.recipients) == ("weekly", ["a@client.test"])
    schedule.refresh_from_db()
    assert (schedule.frequency, schedule.recipients) == ("weekly", ["a@client.test"])


@pytest.mark.parametrize(
    "fields",
    [
        {"frequency": "weekly", "recipients": []},
        {"frequency": "custom", "recipients": ["a@b.test"]},
        {"frequency": "weekly", "recipients": ["a@b.test"], "period_days": 7},
        {"frequency": "weekly", "recipients": ["a@b.test"], "send_hour": 24},
    ],
)
def test_the_database_refuses_a_schedule_that_could_not_be_sent(brand, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportSchedule.objects.create(client=brand, starts_on=date(2026, 1, 1), **fields)


def test_a_new_period_length_starts_counting_from_today(brand):
    schedule = make_schedule(brand, frequency="custom", period_days=7, since=date(2026, 1, 1))

    report_schedule_update(schedule=schedule, period_days=10, now=MONDAY_9)

    assert schedule.starts_on == date(2026, 11, 30)
    assert scheduled_reports_send(now=MONDAY_9 + timedelta(days=9)) == 0
    assert scheduled_reports_send(now=MONDAY_9 + timedelta(days=10)) == 1
    assert sent_to(brand)[0].subject.endswith("for 30 Nov 2026 \u2013 9 Dec 2026")


# --- two beats at once ---------------------------------------------------------------------------


def test_two_beats_at_once_send_each_weekly_report_exactly_once(agency_a, django_db_blocker):
    """Two schedulers, each in its own thread with its own database connection, start together
    (a barrier) and run the beat task over the same due weekly schedules."""
    with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
        clients = [make_client(name=f"Race Brand {n}", slug=f"race-{n}", timezone="UTC")
                   for n in range(6)]  # fmt: skip
        schedules = [
            make_schedule(client, recipients=[f"r{n}@race.test", f"s{n}@race.test"], send_hour=0)
            for n, client in enumerate(clients)
        ]
    start = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def beat() -> None:
        with django_db_blocker.unblock():
            try:
                start.wait(timeout=30)
                results.append(send_scheduled_reports())
            except BaseException as error:  # shown by the assertion below
                errors.append(error)
            finally:
                connection.close()

    try:
        threads = [threading.Thread(target=beat) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        assert errors == [] and len(results) == 2
        for n, client in enumerate(clients):
            [message] = sent_to(client)
            assert message.to == [f"r{n}@race.test", f"s{n}@race.test"]
            assert "weekly report" in message.subject
        with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
            deliveries = list(
                ReportDelivery.objects.filter(schedule__in=schedules).values_list(
                    "schedule_id", "status", "attempts"
                )
            )
        assert sorted(deliveries) == sorted((s.pk, "sent", 1) for s in schedules)
    finally:
        with django_db_blocker.unblock(), schema_context(agency_a.schema_name):
            Client.objects.filter(pk__in=[c.pk for c in clients]).delete()
            User.objects.filter(email__endswith="@race.test").delete()
            AuditEntry.objects.filter(
                object_type="report_schedule", object_id__in=[s.pk for s in schedules]
            ).delete()
