"""Which period a report schedule covers and when it is due: pure functions of local days.

A period is a run of whole local days ``(start, end)``, both included, in the client's time
zone: a Monday-Sunday week, a calendar month, or ``days`` days counted from an anchor day (so
consecutive periods tile without gaps or overlaps). A period becomes due at ``send_hour`` local
time on the day after it ends.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

WEEKLY, MONTHLY, CUSTOM = "weekly", "monthly", "custom"


def latest_period(
    *, frequency: str, today: date, anchor: date, days: int | None = None
) -> tuple[date, date]:
    """The last period that is over before local day ``today``: the Monday-Sunday week before
    this one, the month before this one, or the last ``days``-day run (counted from ``anchor``,
    forwards or backwards) that ends before ``today``."""
    if frequency == WEEKLY:
        end = today - timedelta(days=today.weekday() + 1)
        return end - timedelta(days=6), end
    if frequency == MONTHLY:
        end = today.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    if frequency == CUSTOM and days and days > 0:
        whole = (today - anchor).days // days  # floor: negative before the anchor
        start = anchor + timedelta(days=(whole - 1) * days)
        return start, start + timedelta(days=days - 1)
    raise ValueError(f"Unknown frequency {frequency!r} (custom needs days >= 1).")


def local_report_day(*, now: datetime, tz: str, send_hour: int) -> date:
    """The local day whose past periods are due at ``now``: today in ``tz`` once the clock there
    has reached ``send_hour``, yesterday before that."""
    local = now.astimezone(ZoneInfo(tz))
    return local.date() if local.hour >= send_hour else local.date() - timedelta(days=1)


def period_due(
    *,
    frequency: str,
    now: datetime,
    tz: str,
    send_hour: int,
    starts_on: date,
    days: int | None = None,
) -> tuple[date, date] | None:
    """The period a schedule should have sent by ``now``, or None when none is due yet: the
    latest one over (at ``send_hour`` in ``tz`` the day after it ends) that ends on or after
    ``starts_on``, the local day the schedule was set up."""
    today = local_report_day(now=now, tz=tz, send_hour=send_hour)
    start, end = latest_period(frequency=frequency, today=today, anchor=starts_on, days=days)
    return (start, end) if end >= starts_on else None
