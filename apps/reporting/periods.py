"""The period a report or export covers, read from the query string, and the client it is of.

Shared by the dashboard, the PDF and the CSV exports: whole local days ``since``..``until`` in
the client's time zone, by default the last 30 up to today there, at most 366.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.http import Http404, HttpRequest
from django.utils import timezone

from apps.clients.models import Client
from apps.clients.selectors import client_get

from .selectors import Period

DEFAULT_DAYS = 30
MAX_DAYS = 366
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def client_or_404(request: HttpRequest, client_id: int) -> Client:
    """A client the signed-in user may see, or a 404."""
    try:
        return client_get(user=request.user, client_id=client_id)
    except Client.DoesNotExist:
        raise Http404("No such client.") from None


def parse_day(value: str, name: str) -> date | None:
    """``YYYY-MM-DD`` (blank: None); ``ValueError`` naming the parameter otherwise."""
    value = value.strip()
    if not value:
        return None
    try:
        if not _ISO_DAY.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name}: expected a date as YYYY-MM-DD, got {value!r}.") from None


def period_of(*, client: Client, since: date | None, until: date | None) -> Period:
    """The period for ``since``/``until`` (either may be None); ``ValueError`` if backwards or
    longer than ``MAX_DAYS``."""
    today = timezone.now().astimezone(ZoneInfo(client.timezone)).date()
    until = until or today
    since = since or until - timedelta(days=DEFAULT_DAYS - 1)
    if since > until:
        raise ValueError("since must be on or before until.")
    if (until - since).days >= MAX_DAYS:
        raise ValueError(f"A report covers at most {MAX_DAYS} days.")
    return Period(since, until, client.timezone)


def requested_period(request: HttpRequest, client: Client) -> Period:
    """The period in ``?since=…&until=…``; ``ValueError`` with a message for a bad one."""
    return period_of(
        client=client,
        since=parse_day(request.GET.get("since", ""), "since"),
        until=parse_day(request.GET.get("until", ""), "until"),
    )
