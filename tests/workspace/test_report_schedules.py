"""Owners and managers set up a client's report schedules on its settings page, and e-mail
themselves a preview; they set the sender name and reply-to of report e-mails on /settings/.
Nobody else finds these pages (404)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core import mail

from apps.acknowledgements.models import AuditEntry
from apps.reporting.models import ReportDelivery, ReportSchedule
from apps.reporting.services import report_schedule_create
from apps.tenants.models import Agency
from tests.accounts.factories import UserFactory
from tests.clients.factories import ClientFactory, ClientMembershipFactory
from tests.workspace.test_settings_pages import signed_in

NEW = {"action": "create", "frequency": "weekly", "send_hour": "8", "is_active": "on",
       "recipients": "boss@brew.test, cmo@brew.test\nboss@brew.test"}  # fmt: skip


@pytest.fixture
def manager(in_agency_a):
    return UserFactory(role="manager", email="manager@alpha.test")


@pytest.fixture
def browser(agency_a, manager):
    return signed_in(agency_a, manager)


@pytest.fixture
def brand(in_agency_a):
    return ClientFactory(name="Brew Co", timezone="Europe/Berlin")


def url(client) -> str:
    return f"/settings/clients/{client.pk}/schedules/"


def test_a_manager_adds_a_weekly_schedule_and_sees_it_listed(browser, brand, manager):
    empty = browser.get(url(brand))
    assert empty.status_code == 200 and "No schedules yet" in empty.content.decode()

    saved = browser.post(url(brand), NEW)

    assert saved.status_code == 302
    [schedule] = ReportSchedule.objects.filter(client=brand)
    assert (schedule.frequency, schedule.recipients, schedule.send_hour, schedule.is_active) == (
        "weekly", ["boss@brew.test", "cmo@brew.test"], 8, True,
    )  # fmt: skip
    page = browser.get(url(brand)).content.decode()
    assert "Weekly (Monday to Sunday)" in page and "boss@brew.test, cmo@brew.test" in page
    assert "08:00 Europe/Berlin" in page and "Nothing sent yet" in page
    entry = AuditEntry.objects.get(object_type="report_schedule", object_id=schedule.pk)
    assert (entry.action, entry.actor) == ("create", manager)


def test_the_page_shows_what_each_schedule_sent_and_what_failed(browser, brand):
    schedule = report_schedule_create(client=brand, frequency="weekly", recipients=["a@b.test"])
    ReportDelivery.objects.create(
        schedule=schedule, period_start=date(2026, 11, 23), period_end=date(2026, 11, 29),
        status="failed", attempts=2, claimed_at=datetime(2026, 11, 30, 8, 15, tzinfo=UTC),
        error="SMTPRecipientsRefused: a@b.test",
    )  # fmt: skip
    ReportDelivery.objects.create(
        schedule=schedule, period_start=date(2026, 11, 16), period_end=date(2026, 11, 22),
        status="sent", claimed_at=datetime(2026, 11, 23, 7, 0, tzinfo=UTC),
        sent_at=datetime(2026, 11, 23, 7, 0, 5, tzinfo=UTC),
    )  # fmt: skip

    page = browser.get(url(brand)).content.decode()

    assert (
        "23 Nov 2026 \u2013 29 Nov 2026: failed, will be retried (2 attempts: "
        "SMTPRecipientsRefused: a@b.test)" in page
    )
    assert "16 Nov 2026 \u2013 22 Nov 2026: sent Mon 23 Nov 2026, 08:00 Europe/Berlin" in page


def test_mistakes_are_shown_next_to_their_fields(browser, brand):
    refused = browser.post(url(brand), NEW | {"recipients": "boss@brew.test, not-an-address"})

    assert refused.status_code == 400
    page = refused.content.decode()
    assert (
        '<p id="id_recipients_error" class="field-error">“not-an-address” is not an e-mail' in page
    )
    custom = browser.post(url(brand), NEW | {"frequency": "custom", "period_days": ""})
    assert custom.status_code == 400
    assert (
        '<p id="id_period_days_error" class="field-error">Give the number of days'
        in custom.content.decode()
    )
    nobody = browser.post(url(brand), NEW | {"recipients": "  "})
    assert nobody.status_code == 400 and 'id="id_recipients_error"' in nobody.content.decode()
    assert "This field is required." in nobody.content.decode()
    assert not ReportSchedule.objects.exists()


def test_a_manager_edits_pauses_and_deletes_a_schedule(browser, brand):
    schedule = report_schedule_create(client=brand, frequency="weekly", recipients=["a@brew.test"])

    form = browser.get(url(brand), {"edit": schedule.pk}).content.decode()
    assert "Edit the weekly schedule" in form and "a@brew.test</textarea>" in form
    edited = browser.post(url(brand), {
        "action": "update", "schedule": schedule.pk, "frequency": "custom", "period_days": "14",
        "send_hour": "6", "recipients": "b@brew.test",
    })  # fmt: skip
    assert edited.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.frequency, schedule.period_days, schedule.send_hour) == ("custom", 14, 6)
    assert (schedule.recipients, schedule.is_active) == (["b@brew.test"], False)
    assert "Every 14 days" in browser.get(url(brand)).content.decode()

    deleted = browser.post(url(brand), {"action": "delete", "schedule": schedule.pk})
    assert deleted.status_code == 302
    assert not ReportSchedule.objects.filter(pk=schedule.pk).exists()


def test_send_now_emails_a_preview_to_the_signed_in_person_only(browser, brand, manager):
    ClientMembershipFactory(client=brand, user=UserFactory(email="viewer@brew.test"))
    schedule = report_schedule_create(
        client=brand, frequency="monthly", recipients=["boss@brew.test"]
    )

    sent = browser.post(url(brand), {"action": "preview", "schedule": schedule.pk}, follow=True)

    assert sent.status_code == 200
    assert "was sent to manager@alpha.test" in sent.content.decode()
    [preview] = mail.outbox
    assert preview.to == ["manager@alpha.test"] and preview.cc == preview.bcc == []
    assert preview.subject.startswith("[Preview] Brew Co: your report for ")
    assert preview.attachments[0][2] == "application/pdf"
    assert not ReportDelivery.objects.exists()  # the period is still the recipients' to get


def test_a_schedule_of_another_client_is_not_found_through_this_one(browser, brand):
    other = ClientFactory(name="Other Co")
    theirs = report_schedule_create(client=other, frequency="weekly", recipients=["x@o.test"])

    for action in ("delete", "preview", "update"):
        response = browser.post(url(brand), NEW | {"action": action, "schedule": theirs.pk})
        assert response.status_code == 404
    assert ReportSchedule.objects.filter(pk=theirs.pk).exists() and mail.outbox == []


@pytest.mark.parametrize("role", ["responder", "client_viewer"])
def test_only_owners_and_managers_find_the_schedules(agency_a, brand, role):
    person = UserFactory(role=role)
    if role == "client_viewer":
        ClientMembershipFactory(client=brand, user=person)
    browser = signed_in(agency_a, person)

    assert browser.get(url(brand)).status_code == 404
    assert browser.post(url(brand), NEW).status_code == 404
    assert not ReportSchedule.objects.exists()


def test_the_client_and_settings_pages_link_to_the_schedules(browser, brand):
    assert url(brand) in browser.get(f"/clients/{brand.pk}/").content.decode()
    assert url(brand) in browser.get("/settings/").content.decode()


# --- sender name and reply-to on /settings/ --------------------------------------------------


def test_an_owner_sets_the_sender_name_and_reply_to_of_report_emails(agency_a, in_agency_a):
    owner = signed_in(agency_a, UserFactory(role="owner"))

    saved = owner.post("/settings/", {"accent_colour": "", "report_sender_name": "Kestrel",
                                      "report_reply_to": "hello@kestrel.test"})  # fmt: skip

    assert saved.status_code == 302
    stored = Agency.objects.get(pk=agency_a.pk)
    assert (stored.report_sender_name, stored.report_reply_to) == ("Kestrel", "hello@kestrel.test")
    page = owner.get("/settings/").content.decode()
    assert 'value="Kestrel"' in page and 'value="hello@kestrel.test"' in page

    refused = owner.post("/settings/", {"accent_colour": "#0f766e",
                                        "report_sender_name": "Bank <ceo@bank.test>",
                                        "report_reply_to": "not an address"})  # fmt: skip
    assert refused.status_code == 400
    page = refused.content.decode()
    assert '<p id="id_report_sender_name_error" class="field-error">A name only' in page
    assert '<p id="id_report_reply_to_error" class="field-error">Enter a valid e-mail' in page
    stored = Agency.objects.get(pk=agency_a.pk)
    assert (stored.report_sender_name, stored.accent_colour) == ("Kestrel", "")  # nothing saved
