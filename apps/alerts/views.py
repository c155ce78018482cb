"""Spike alert pages: one alert with the mentions behind it (linked from the inbox banner)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .models import SpikeAlert
from .selectors import alert_get, alert_list, alert_mentions
from .services import describe

PAGE_SIZE = 50


@require_GET
@login_required
def alert_index(request: HttpRequest) -> HttpResponse:
    alerts = alert_list(user=request.user)[:100]
    rows = [{"alert": alert, "summary": describe(alert)} for alert in alerts]
    return render(request, "alerts/index.html", {"rows": rows})


@require_GET
@login_required
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    try:
        alert = alert_get(user=request.user, alert_id=alert_id)
    except SpikeAlert.DoesNotExist:
        raise Http404("No such alert.") from None
    page = Paginator(alert_mentions(user=request.user, alert=alert), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "alerts/detail.html",
        {"alert": alert, "summary": describe(alert), "page": page},
    )
