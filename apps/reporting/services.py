"""Reporting's writes: the monthly report e-mailed to each client's members, once per month."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from celery.exceptions import SoftTimeLimitExceeded
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.utils import timezone

from apps.clients.models import Client, ClientMembership

from .models import MonthlyReport
from .pdf import agency_name, headline_rows, period_text, report_pdf_render
from .selectors import client_report, report_for

logger = logging.getLogger(__name__)


def month_due(*, now: datetime, tz: str) -> date:
    """The first day of the last calendar month that is over in time zone ``tz`` at ``now``."""
    this_month = now.astimezone(ZoneInfo(tz)).date().replace(day=1)
    return (this_month - timedelta(days=1)).replace(day=1)


def _month_end(month: date) -> date:
    """The last day of the month starting on ``month``."""
    return (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _claim(*, client: Client, month: date, recipients: list[str]) -> int | None:
    """Insert the month's row for the client; its id, or None when another run holds it.

    A concurrent run's insert of the same (client, month) waits on this transaction and then
    finds the row, so of two runs at the same moment only one sends."""
    table = MonthlyReport._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (client_id, month, recipients, created_at)
            VALUES (%s, %s, %s, %s)
            ON CONFLICT (client_id, month) DO NOTHING
            RETURNING id
            """,  # noqa: S608 - table name from model metadata
            [client.pk, month, recipients, timezone.now()],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _message(*, client: Client, report: dict, month: date, recipients: list[str]) -> EmailMessage:
    agency = agency_name()
    lines = [
        "Hello,",
        "",
        f"Here is {client.name}'s report for {month:%B %Y} "
        f"({period_text(report['since'], report['until'])}), from {agency}.",
        "",
        f"{'':<48} {'This month':>12} {'Month before':>13}",
    ]
    lines += [f"{label:<48} {now:>12} {before:>13}" for label, now, before, _ in
              headline_rows(report)]  # fmt: skip
    lines += ["", "The full report, with charts, top authors and terms, is attached as a PDF."]
    return EmailMessage(
        subject=f"{client.name}: your report for {month:%B %Y}",
        body="\n".join(lines),
        to=recipients,
    )


def monthly_report_send(*, client: Client, month: date, recipients: list[str]) -> bool:
    """Send the client's report for ``month`` unless it has been claimed already; True when this
    call claimed it. Nothing is sent when there are no recipients, but the month is recorded.

    The claim, the e-mail and ``sent_at`` share one transaction: if sending fails, the claim is
    rolled back and the next run tries again."""
    with transaction.atomic():
        report_id = _claim(client=client, month=month, recipients=recipients)
        if report_id is None:
            return False
        if recipients:
            report = report_for(  # as the client's own people may see it
                client_report(client=client, since=month, until=_month_end(month)), viewer=None
            )
            message = _message(client=client, report=report, month=month, recipients=recipients)
            message.attach(
                f"{client.slug}-report-{month:%Y-%m}.pdf",
                report_pdf_render(client=client, report=report),
                "application/pdf",
            )
            message.send()
            MonthlyReport.objects.filter(pk=report_id).update(sent_at=timezone.now())
    return True


def monthly_reports_send(*, now: datetime | None = None) -> int:
    """For every active client of the current agency whose previous calendar month is over in
    its time zone, e-mail that month's report to the client's active members once. Months that
    ended before the client was created are skipped. Returns how many e-mails were sent."""
    now = now or timezone.now()
    due: dict[int, tuple[Client, date]] = {}
    for client in Client.objects.filter(is_active=True):
        month = month_due(now=now, tz=client.timezone)
        next_month_start = datetime.combine(
            _month_end(month) + timedelta(days=1), time.min, tzinfo=ZoneInfo(client.timezone)
        )
        if client.created_at < next_month_start:
            due[client.pk] = (client, month)
    if not due:
        return 0
    done = set(
        MonthlyReport.objects.filter(
            client__in=list(due), month__in={month for _, month in due.values()}
        ).values_list("client_id", "month")
    )
    pending = {pk: value for pk, value in due.items() if (pk, value[1]) not in done}
    recipients: dict[int, set[str]] = defaultdict(set)
    for client_id, email in (
        ClientMembership.objects.filter(client__in=list(pending), user__is_active=True)
        .exclude(user__email="")
        .values_list("client_id", "user__email")
    ):
        recipients[client_id].add(email)

    sent = 0
    for client_id, (client, month) in pending.items():
        to = sorted(recipients[client_id])
        try:
            if monthly_report_send(client=client, month=month, recipients=to) and to:
                sent += 1
        except SoftTimeLimitExceeded:
            raise
        except Exception:  # one client's failure must not hold back the others' reports
            logger.exception("Monthly report of client %s for %s failed", client.pk, month)
    return sent
