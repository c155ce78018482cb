"""A client's report schedules, under ``/settings/clients/<id>/schedules/``: owners and managers
add, change and delete them, and e-mail themselves a preview of one. Everyone else gets 404."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from apps.clients.models import Client
from apps.core.formatting import day
from apps.reporting import services
from apps.reporting.models import ReportSchedule
from apps.reporting.schedule_selectors import report_schedule_get, report_schedule_list

from .forms import ReportScheduleForm
from .views import _client_or_404, _id

logger = logging.getLogger(__name__)
ACTIONS = ("create", "update", "delete", "preview")


def _schedule_or_404(client: Client, schedule_id: int | None) -> ReportSchedule:
    try:
        return report_schedule_get(client=client, schedule_id=schedule_id or 0)
    except ReportSchedule.DoesNotExist:
        raise Http404("No such schedule.") from None


def _preview(request, schedule: ReportSchedule):
    try:
        start, end = services.report_schedule_preview(schedule=schedule, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except Exception:  # the mail server refused or is down: say so, keep the page
        logger.exception("Preview of report schedule %s failed", schedule.pk)
        messages.error(request, "The preview could not be sent; try again in a moment.")
    else:
        messages.success(
            request, f"A preview of {day(start)} to {day(end)} was sent to {request.user.email}."
        )
    return redirect("workspace:schedules", client_id=schedule.client_id)


@login_required
@require_http_methods(["GET", "POST"])
def report_schedules(request, client_id: int):
    """The client's schedules. POST ``action``: create, update, delete or preview (the last
    three with ``schedule``, the schedule's id)."""
    client = _client_or_404(request, client_id)
    editing = None
    form = ReportScheduleForm()
    if request.method == "GET" and _id(request.GET.get("edit")):
        editing = _schedule_or_404(client, _id(request.GET.get("edit")))
        form = ReportScheduleForm(initial=ReportScheduleForm.initial_for(editing))
    if request.method == "POST":
        action = request.POST.get("action", "create")
        if action not in ACTIONS:
            raise Http404("No such action.")
        if action != "create":
            editing = _schedule_or_404(client, _id(request.POST.get("schedule")))
        if action == "preview":
            return _preview(request, editing)
        if action == "delete":
            services.report_schedule_delete(schedule=editing, user=request.user)
            messages.success(request, f"The {editing.describe()} schedule was deleted.")
            return redirect("workspace:schedules", client_id=client.pk)
        form = ReportScheduleForm(request.POST)
        if form.is_valid():
            try:
                if editing:
                    services.report_schedule_update(
                        schedule=editing, user=request.user, **form.cleaned_data
                    )
                else:
                    services.report_schedule_create(
                        client=client, user=request.user, **form.cleaned_data
                    )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Schedule saved.")
                return redirect("workspace:schedules", client_id=client.pk)
    context = {
        "client": client,
        "schedules": report_schedule_list(client=client),
        "form": form,
        "editing": editing,
    }
    return render(request, "workspace/schedules.html", context, status=400 if form.errors else 200)
