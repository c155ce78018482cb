"""Reporting's writes: the monthly report e-mailed to each client's members, once per month;
report schedules (weekly, monthly, every N days) to chosen recipients, once per period however
many beats run, and their preview to the staff member asking."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.acknowledgements.models import AuditEntry
from apps.clients.models import Client, ClientMembership

from .emails import MONTHLY, report_email
from .models import MonthlyReport, ReportDelivery, ReportSchedule
from .schedule_periods import latest_period, period_due
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


def _report_for_clients(client: Client, since: date, until: date) -> dict:
    """The client's report for local days ``since``..``until``, as its own people may see it."""
    return report_for(client_report(client=client, since=since, until=until), viewer=None)


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
            report = _report_for_clients(client, month, _month_end(month))
            report_email(
                client=client, report=report, frequency=MONTHLY, recipients=recipients
            ).send()
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


# --- report schedules ----------------------------------------------------------------------------
#
# Exactly once: a period is claimed by inserting its ``ReportDelivery`` row (unique per schedule
# and period, INSERT … ON CONFLICT) in a statement of its own, committed before the report is
# rendered and sent. A second beat's insert of the same period waits for the first to commit and
# then finds the row, so it sends nothing. The send's outcome is written afterwards: ``sent``, or
# ``failed`` with the error, which a later beat claims again after a back-off. A claim left
# ``sending`` by a worker that died is taken over after ``STALE_CLAIM``.

SCHEDULE_FIELDS = ("frequency", "period_days", "recipients", "send_hour", "is_active")
STALE_CLAIM = timedelta(hours=1)  # longer than the task's hard time limit
RETRY_MINUTES, RETRY_FACTOR, RETRY_CAP_MINUTES = 10, 3, 360  # 10, 30, 90, 270, 360, 360… min
_BACKOFF = (
    f"LEAST({RETRY_MINUTES} * power({RETRY_FACTOR}, d.attempts - 1), {RETRY_CAP_MINUTES})::int"
)


def _local_today(client: Client, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(ZoneInfo(client.timezone)).date()


def _schedule_snapshot(schedule: ReportSchedule) -> dict:
    return {field: getattr(schedule, field) for field in SCHEDULE_FIELDS} | {
        "client_id": schedule.client_id, "starts_on": str(schedule.starts_on),
    }  # fmt: skip


def _audit_schedule(user, action: str, schedule: ReportSchedule, before: dict) -> None:
    AuditEntry.objects.create(
        actor=user, action=action, object_type="report_schedule", object_id=schedule.pk,
        before=before, after={} if action == "delete" else _schedule_snapshot(schedule),
    )  # fmt: skip


def _clean_recipients(recipients: list[str]) -> list[str]:
    """Addresses stripped, checked and de-duplicated (ignoring case), in the order given."""
    cleaned: dict[str, str] = {}
    for address in recipients:
        address = address.strip()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                {"recipients": f"“{address[:100]}” is not an e-mail address."}
            ) from None
        cleaned.setdefault(address.lower(), address)
    if not cleaned:
        raise ValidationError({"recipients": "Add at least one recipient."})
    if len(cleaned) > ReportSchedule.MAX_RECIPIENTS:
        raise ValidationError(
            {"recipients": f"At most {ReportSchedule.MAX_RECIPIENTS} recipients."}
        )
    return list(cleaned.values())


def _schedule_apply(schedule: ReportSchedule, fields: dict) -> None:
    """Check ``fields`` over the schedule's current values and set them (nothing is set when a
    field is wrong: ``ValidationError`` naming each)."""
    unknown = set(fields) - set(SCHEDULE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown report schedule fields: {sorted(unknown)}")
    values = {field: getattr(schedule, field) for field in SCHEDULE_FIELDS} | fields
    errors: dict[str, str] = {}
    try:
        values["recipients"] = _clean_recipients(list(values["recipients"] or []))
    except ValidationError as error:
        errors.update({k: v[0] for k, v in error.message_dict.items()})
    if values["frequency"] not in ReportSchedule.Frequency.values:
        errors["frequency"] = "Choose weekly, monthly or every N days."
    elif values["frequency"] == ReportSchedule.Frequency.CUSTOM:
        days = values["period_days"]
        if days is None or not 1 <= days <= ReportSchedule.MAX_DAYS:
            errors["period_days"] = f"Give the number of days, 1 to {ReportSchedule.MAX_DAYS}."
    else:
        values["period_days"] = None
    if values["send_hour"] is None or not 0 <= values["send_hour"] <= 23:
        errors["send_hour"] = "An hour of the day, 0 to 23."
    if errors:
        raise ValidationError(errors)
    for field, value in values.items():
        setattr(schedule, field, value)


def report_schedule_create(*, client: Client, user=None, now: datetime | None = None,
                           **fields) -> ReportSchedule:  # fmt: skip
    """A new schedule for ``client`` (fields: ``SCHEDULE_FIELDS``); its first period is the
    first to end on or after today in the client's time zone. ``ValidationError`` by field."""
    schedule = ReportSchedule(client=client, starts_on=_local_today(client, now))
    _schedule_apply(schedule, {"send_hour": 8, "is_active": True} | fields)
    with transaction.atomic():
        schedule.save()
        _audit_schedule(user, "create", schedule, {})
    return schedule


def report_schedule_update(*, schedule: ReportSchedule, user=None, now: datetime | None = None,
                           **fields) -> ReportSchedule:  # fmt: skip
    """Change a schedule; a new frequency or period length starts counting from today (periods
    already sent are not sent again)."""
    before = _schedule_snapshot(schedule)
    _schedule_apply(schedule, fields)
    if (schedule.frequency, schedule.period_days) != (before["frequency"], before["period_days"]):
        schedule.starts_on = _local_today(schedule.client, now)
    with transaction.atomic():
        schedule.save()
        _audit_schedule(user, "update", schedule, before)
    return schedule


def report_schedule_delete(*, schedule: ReportSchedule, user=None) -> None:
    """Delete a schedule and the record of what it sent."""
    before = _schedule_snapshot(schedule)
    with transaction.atomic():
        _audit_schedule(user, "delete", schedule, before)
        schedule.delete()


def _delivery_claim(
    *, schedule: ReportSchedule, start: date, end: date, now: datetime
) -> int | None:
    """Claim the schedule's period (insert its delivery, or take over a failed one whose back-off
    is over or a stale one); the delivery's id, or None when it is sent or another run has it."""
    table = ReportDelivery._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} AS d (schedule_id, period_start, period_end, status, recipients,
                                      attempts, claimed_at, error)
            VALUES (%(schedule)s, %(start)s, %(end)s, 'sending', %(to)s, 1, %(now)s, '')
            ON CONFLICT (schedule_id, period_start, period_end) DO UPDATE
                SET status = 'sending', attempts = d.attempts + 1, claimed_at = EXCLUDED.claimed_at,
                    recipients = EXCLUDED.recipients
                WHERE (d.status = 'failed'
                       AND d.claimed_at <= EXCLUDED.claimed_at - make_interval(mins => {_BACKOFF}))
                   OR (d.status = 'sending' AND d.claimed_at <= EXCLUDED.claimed_at - %(stale)s)
            RETURNING id
            """,  # noqa: S608 - table name from model metadata
            {"schedule": schedule.pk, "start": start, "end": end, "to": schedule.recipients,
             "now": now, "stale": STALE_CLAIM},
        )  # fmt: skip
        row = cursor.fetchone()
    return row[0] if row else None


def report_schedule_deliver(
    *, schedule: ReportSchedule, start: date, end: date, now: datetime | None = None
) -> bool:
    """Send the schedule's report for ``start``..``end`` unless the period is sent or being sent;
    True when this call sent it. A failed send is recorded (and retried by a later beat) and its
    error raised."""
    now = now or timezone.now()
    delivery_id = _delivery_claim(schedule=schedule, start=start, end=end, now=now)
    if delivery_id is None:
        return False
    deliveries = ReportDelivery.objects.filter(pk=delivery_id)
    try:
        report_email(
            client=schedule.client, report=_report_for_clients(schedule.client, start, end),
            frequency=schedule.frequency, recipients=list(schedule.recipients),
        ).send()  # fmt: skip
    except Exception as error:
        message = f"{type(error).__name__}: {error}"[:1000]
        deliveries.update(status=ReportDelivery.Status.FAILED, error=message)
        raise
    deliveries.update(status=ReportDelivery.Status.SENT, sent_at=timezone.now(), error="")
    return True


def scheduled_reports_send(*, now: datetime | None = None) -> int:
    """Send every due period of the current agency's active schedules (of active clients), and
    retry failed ones whose back-off is over. Returns how many e-mails were sent."""
    now = now or timezone.now()
    schedules = ReportSchedule.objects.filter(is_active=True, client__is_active=True)
    work: dict[tuple[int, date, date], ReportSchedule] = {}
    for schedule in schedules.select_related("client"):
        period = period_due(
            frequency=schedule.frequency, now=now, tz=schedule.client.timezone,
            send_hour=schedule.send_hour, starts_on=schedule.starts_on, days=schedule.period_days,
        )  # fmt: skip
        if period:
            work[(schedule.pk, *period)] = schedule
    deliveries = ReportDelivery.objects.filter(schedule__in=schedules)
    in_hand = Q(status=ReportDelivery.Status.SENT) | Q(
        status=ReportDelivery.Status.SENDING, claimed_at__gt=now - STALE_CLAIM
    )
    if work:
        done = deliveries.filter(in_hand, period_end__in={end for _, _, end in work})
        for key in done.values_list("schedule_id", "period_start", "period_end"):
            work.pop(key, None)
    for delivery in deliveries.exclude(in_hand).select_related("schedule__client"):
        key = (delivery.schedule_id, delivery.period_start, delivery.period_end)
        work.setdefault(key, delivery.schedule)  # failed, or left by a worker that died
    sent = 0
    for (_pk, start, end), schedule in sorted(work.items(), key=lambda item: item[0]):
        try:
            sent += report_schedule_deliver(schedule=schedule, start=start, end=end, now=now)
        except SoftTimeLimitExceeded:
            raise
        except Exception:  # one schedule's failure must not hold back the others
            logger.exception("Report of schedule %s for %s..%s failed", schedule.pk, start, end)
    return sent


def report_schedule_preview(*, schedule: ReportSchedule, user, now: datetime | None = None):
    """E-mail the report of the schedule's latest period that is over to ``user`` alone, marked
    as a preview; nothing is claimed, so the recipients still get theirs. Returns the period."""
    if not user.email:
        raise ValidationError("Your account has no e-mail address to send the preview to.")
    start, end = latest_period(
        frequency=schedule.frequency, today=_local_today(schedule.client, now),
        anchor=schedule.starts_on, days=schedule.period_days,
    )  # fmt: skip
    report_email(
        client=schedule.client, report=_report_for_clients(schedule.client, start, end),
        frequency=schedule.frequency, recipients=[user.email], preview=True,
    ).send()  # fmt: skip
    return start, end
