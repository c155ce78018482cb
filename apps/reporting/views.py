"""Report pages: the agency overview (which clients are slipping) and a client's dashboard.

Client users reach the same pages as their portal: the selectors show them their own clients
only, and any other client's dashboard is a 404.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.core import events
from apps.core.replica import from_replica

from . import charts, kpis
from .overview import agency_overview
from .periods import DEFAULT_DAYS, client_or_404, requested_period
from .selectors import SENTIMENTS, client_report, report_for


@require_GET
@login_required
def overview(request: HttpRequest) -> HttpResponse:
    rows = from_replica(agency_overview, user=request.user, days=DEFAULT_DAYS)
    return render(request, "reporting/overview.html", {"rows": rows, "days": DEFAULT_DAYS})


@require_GET
@login_required
def client_dashboard(request: HttpRequest, client_id: int) -> HttpResponse:
    client = client_or_404(request, client_id)
    try:
        period = requested_period(request, client)
    except ValueError as error:
        return render(
            request, "reporting/dashboard.html", {"client": client, "error": str(error)},
            status=400,
        )  # fmt: skip
    since, until = period.since, period.until
    report = from_replica(client_report, client=client, since=since, until=until)
    report = report_for(report, viewer=request.user)
    days = report["mention_volume"]["by_day"]
    funnel = report["advocacy_funnel"]
    stages = [("Acknowledged", funnel["acknowledged"]), ("Returned", funnel["returned"]),
              ("Positive", funnel["positive"]), ("Advocates", funnel["advocate"])]  # fmt: skip
    spread = report["time_to_acknowledge_distribution"]
    context = {
        "client": client,
        "report": report,
        "period": f"since={since.isoformat()}&until={until.isoformat()}",
        "kpi_groups": kpis.kpi_cards(report),
        "channels": kpis.linked_rows(report, report["channels"], "channel"),
        "teams": kpis.linked_rows(report, report["teams"], "team"),
        # each day's bar (and sentiment) leads to that day's mentions in the inbox
        "volume_chart": charts.bars(
            [d["count"] for d in days],
            [d["date"] for d in days],
            "Mentions per day",
            "mentions",
            links=[kpis.day_link(report, d["date"]) for d in days],
        ),
        "sentiment_chart": charts.stacked(
            report["mention_volume"]["sentiment_by_day"],
            [d["date"] for d in days],
            "Sentiment per day",
            "mentions",
            links=[
                {s: kpis.day_link(report, d["date"], sentiment=s) for s in SENTIMENTS} for d in days
            ],
        ),
        "time_chart": charts.bars(
            [b["count"] for b in spread],
            [b["bucket"] for b in spread],
            "Time to acknowledge (business time)",
            "first responses",
        ),
        "funnel_chart": charts.funnel(stages, "From acknowledgement to advocacy"),
        "funnel_stages": stages,
    }
    for panel in events.dashboard_panels.publish(client=client, period=period):
        context.update(panel)  # the panels of higher apps (community: the topics)
    return render(request, "reporting/dashboard.html", context)
