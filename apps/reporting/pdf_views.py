"""The PDF export of a client's report (``/reports/clients/<id>/report.pdf``)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.clients.models import Client
from apps.clients.selectors import client_get

from .pdf import report_pdf

DEFAULT_DAYS = 30
MAX_REPORT_DAYS = 366  # as the API's report endpoint
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _day(request: HttpRequest, name: str) -> date | None:
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    if not _ISO_DAY.fullmatch(value):
        raise ValueError(f"`{name}` must be a date as YYYY-MM-DD.")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"`{name}` is not a real date.") from None


def report_period(request: HttpRequest, client: Client) -> tuple[date, date]:
    """``since``/``until`` from the query string, defaulting as the API's report does: ``until``
    to today in the client's time zone, ``since`` to 30 days up to ``until``. ``ValueError``
    with a message for a bad period."""
    since, until = _day(request, "since"), _day(request, "until")
    today = timezone.now().astimezone(ZoneInfo(client.timezone)).date()
    until = until or today
    since = since or until - timedelta(days=DEFAULT_DAYS - 1)
    if since > until:
        raise ValueError("`since` must be on or before `until`.")
    if (until - since).days >= MAX_REPORT_DAYS:
        raise ValueError(f"A report covers at most {MAX_REPORT_DAYS} days.")
    return since, until


@never_cache
@require_GET
@login_required
def report_pdf_download(request: HttpRequest, client_id: int) -> HttpResponse:
    """The client's report as a PDF attachment; 404 for a client the user may not see, 400 for
    a bad period."""
    try:
        client = client_get(user=request.user, client_id=client_id)
    except Client.DoesNotExist:
        raise Http404("No such client.") from None
    try:
        since, until = report_period(request, client)
    except ValueError as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    response = HttpResponse(
        report_pdf(client=client, since=since, until=until), content_type="application/pdf"
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{client.slug}-report-{since}-{until}.pdf"
    )
    return response
