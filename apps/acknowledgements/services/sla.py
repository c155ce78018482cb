"""SLAs: due dates, breaches (detected and e-mailed) and the policies people edit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, time
from zoneinfo import available_timezones

import holidays as public_holidays
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import connection, transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.accounts.selectors import alert_recipients
from apps.clients.models import Client
from apps.core import events
from apps.listening.models import Mention, open_sql

from ..business_time import add_business_minutes_many
from ..models import AuditEntry, SlaBreach, SlaPolicy, default_targets

# --- SLAs ----------------------------------------------------------------------------------------

DUE_BATCH = 5000
MAX_LISTED = 50  # breaches listed by name in one e-mail


def _open_mentions():
    return Mention.objects.open()


def sla_due_dates_assign() -> int:
    """Give open mentions of clients with an SLA policy their due date (business time): the
    first-acknowledgement target of their priority, or for a follow-up in an acknowledged
    conversation the policy's next-response target."""
    assigned = 0
    for policy in SlaPolicy.objects.select_related("client"):
        hours = policy.business_hours()
        while True:
            batch = list(
                _open_mentions()
                .filter(client_id=policy.client_id, sla_due_at__isnull=True)
                .values_list("id", "posted_at", "priority", "is_follow_up")[:DUE_BATCH]
            )
            if not batch:
                break
            dues = add_business_minutes_many(
                [posted_at for _, posted_at, _, _ in batch],
                [
                    policy.target_minutes(priority, follow_up=follow_up)
                    for _, _, priority, follow_up in batch
                ],
                hours,
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {Mention._meta.db_table} m SET sla_due_at = due.at "  # noqa: S608
                    "FROM unnest(%s::bigint[], %s::timestamptz[]) AS due(id, at) "
                    "WHERE m.id = due.id",
                    [[pk for pk, *_ in batch], dues],
                )
            assigned += len(batch)
    return assigned


def sla_breaches_detect(*, now=None, notify: bool = True) -> list[int]:
    """Record a breach for every open mention past its due date — once, however many checks
    run at the same time (the breach is unique per mention) — and notify about the new ones
    (``notify=False`` records them as already notified: history loaded after the fact)."""
    now = now or timezone.now()
    sla_due_dates_assign()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {SlaBreach._meta.db_table}
                (mention_id, kind, due_at, detected_at, notified)
            SELECT id, CASE WHEN is_follow_up THEN 'next' ELSE 'first' END, sla_due_at, %s, %s
            FROM {Mention._meta.db_table}
            WHERE {open_sql()} AND sla_due_at <= %s
            ON CONFLICT (mention_id) DO NOTHING
            RETURNING id
            """,  # noqa: S608
            [now, not notify, now],
        )
        new = [pk for (pk,) in cursor.fetchall()]
    if new and notify:
        events.slas_breached.publish(breaches=list(SlaBreach.objects.filter(pk__in=new)))
        sla_breaches_notify()
    return new


def sla_breaches_notify() -> int:
    """E-mail the agency's owners and managers about breaches not yet notified — each breach
    once: they are claimed in one UPDATE, so concurrent checks never both send it."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {SlaBreach._meta.db_table} SET notified = true "  # noqa: S608
            "WHERE NOT notified RETURNING id"
        )
        claimed = [pk for (pk,) in cursor.fetchall()]
    if not claimed:
        return 0
    shown = (
        SlaBreach.objects.filter(pk__in=claimed[: MAX_LISTED * 20])
        .select_related("mention__client", "mention__author")
        .order_by("due_at")[:MAX_LISTED]
    )
    recipients = alert_recipients()
    if recipients:
        lines = [
            f"- {b.mention.client.name}: @{b.mention.author.handle} — due "
            f"{b.due_at:%Y-%m-%d %H:%M} UTC — {b.mention.text[:80]}"
            for b in shown
        ]
        more = len(claimed) - len(lines)
        send_mail(
            subject=f"[Rapport] {len(claimed)} mention(s) missed their SLA",
            message="Nobody has acknowledged these people in time:\n\n"
            + "\n".join(lines)
            + (f"\n…and {more} more." if more > 0 else ""),
            from_email=None,
            recipient_list=recipients,
        )
    return len(claimed)


# --- SLA policies --------------------------------------------------------------------------------

MAX_TARGET_MINUTES = 60 * 24 * 90  # a target beyond 90 days of business time is a typo
MIDNIGHT = time(0, 0)


def _sla_snapshot(policy: SlaPolicy) -> dict:
    return {
        "targets": dict(policy.targets or {}),
        "next_response_minutes": policy.next_response_minutes,
        "business_hours_only": policy.business_hours_only,
        "timezone": policy.timezone,
        "opens_at": str(policy.opens_at),
        "closes_at": str(policy.closes_at),
        "open_weekdays": list(policy.open_weekdays),
        "holiday_country": policy.holiday_country,
        "holiday_subdivision": policy.holiday_subdivision,
        "holidays": [str(day) for day in policy.holidays],
    }


def _validate_holiday_region(country: str, subdivision: str, errors: dict) -> None:
    if not country:
        if subdivision:
            errors["holiday_subdivision"] = "Choose the country of this subdivision."
        return
    supported = public_holidays.list_supported_countries()
    if country not in supported:
        errors["holiday_country"] = (
            f"No public holidays are known for country '{country}': use an ISO code such as "
            "US, GB or DE."
        )
    elif subdivision and subdivision not in supported[country]:
        errors["holiday_subdivision"] = (
            f"'{subdivision}' is not a subdivision of {country}: one of "
            f"{', '.join(supported[country][:12])}{'…' if len(supported[country]) > 12 else ''}."
        )


def sla_policy_update(
    *,
    client: Client,
    user: User | None,
    targets: dict[str, int],
    business_hours_only: bool,
    timezone: str,
    opens_at: time,
    closes_at: time,
    open_weekdays: Iterable[int],
    holiday_country: str = "",
    holiday_subdivision: str = "",
    holidays: Iterable[date] = (),
    next_response_minutes: int | None = None,
) -> SlaPolicy:
    """Set a client's SLA policy (creating it the first time). Field errors name the field:
    ``target_<priority>``, ``next_response_minutes``, ``timezone``, ``closes_at``,
    ``open_weekdays``, ``holiday_country``, ``holiday_subdivision``. Mentions given a due date
    from then on follow the new policy."""
    errors: dict[str, str] = {}
    clean_targets = {}
    for priority in default_targets():
        value = targets.get(priority)
        if value is None or int(value) < 1 or int(value) > MAX_TARGET_MINUTES:
            errors[f"target_{priority}"] = (
                f"Give a target between 1 and {MAX_TARGET_MINUTES} minutes."
            )
        else:
            clean_targets[priority] = int(value)
    if next_response_minutes is not None and not 1 <= next_response_minutes <= MAX_TARGET_MINUTES:
        errors["next_response_minutes"] = (
            f"Give a target between 1 and {MAX_TARGET_MINUTES} minutes."
        )
    timezone = timezone.strip()
    if timezone not in available_timezones():
        errors["timezone"] = f"Unknown time zone '{timezone}': use an IANA name (Europe/Paris)."
    weekdays = sorted(set(open_weekdays))
    if any(day not in range(7) for day in weekdays):
        errors["open_weekdays"] = "Weekdays run from 0 (Monday) to 6 (Sunday)."
    if business_hours_only:
        if not weekdays:
            errors["open_weekdays"] = "Choose at least one open weekday."
        if closes_at != MIDNIGHT and closes_at <= opens_at:
            errors["closes_at"] = "Closing time must be after opening time (00:00 is midnight)."
    country, subdivision = holiday_country.strip().upper(), holiday_subdivision.strip().upper()
    _validate_holiday_region(country, subdivision, errors)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        policy = SlaPolicy.objects.select_for_update().filter(client=client).first()
        created = policy is None
        policy = policy or SlaPolicy(client=client)
        before = {} if created else _sla_snapshot(policy)
        policy.targets = clean_targets
        if next_response_minutes is not None:  # else kept (or the default, for a new policy)
            policy.next_response_minutes = next_response_minutes
        policy.business_hours_only = business_hours_only
        policy.timezone = timezone
        policy.opens_at, policy.closes_at = opens_at, closes_at
        policy.open_weekdays = weekdays
        policy.holiday_country, policy.holiday_subdivision = country, subdivision
        policy.holidays = sorted(set(holidays))
        try:
            policy.business_hours()
        except ValueError as error:
            raise ValidationError(str(error)) from error
        policy.save()
        after = _sla_snapshot(policy)
        if created or after != before:
            AuditEntry.objects.create(
                actor=user, action="create" if created else "update", object_type="sla_policy",
                object_id=policy.pk, before=before, after=after,
            )  # fmt: skip
    return policy
