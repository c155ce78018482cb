"""Channel pages (health, fetch history, "fetch now") and the inbound webhook endpoint."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import selectors, services
from .connectors.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER
from .models import Channel, FetchRun


def _channel_or_404(request, channel_id: int) -> Channel:
    try:
        return selectors.channel_get(user=request.user, channel_id=channel_id)
    except Channel.DoesNotExist:
        raise Http404("No such channel.") from None


@login_required
def channel_list(request):
    channels = selectors.channel_list(user=request.user)
    return render(request, "channels/channel_list.html", {"channels": channels})


@login_required
def channel_detail(request, channel_id: int):
    channel = _channel_or_404(request, channel_id)
    runs = selectors.fetch_run_list(channel=channel)
    return render(request, "channels/channel_detail.html", {"channel": channel, "runs": runs})


@login_required
@require_POST
def channel_fetch_now(request, channel_id: int):
    channel = _channel_or_404(request, channel_id)
    if not request.user.is_agency_staff:
        raise Http404("No such channel.")
    run = services.channel_fetch_now(channel=channel)
    if "application/json" in request.headers.get("Accept", ""):  # the page's script: no reload
        return JsonResponse(
            {
                "id": run.pk,
                "created_at": run.created_at.isoformat(),
                "trigger": run.get_trigger_display(),
                "status_url": reverse("channels:run-status", args=[run.pk]),
            },
            status=202,
        )
    return redirect("channels:detail", channel_id=channel.pk)


@login_required
def fetch_run_status(request, run_id: int):
    """Progress of a fetch, polled by the channel page."""
    try:
        run = selectors.fetch_run_get(user=request.user, run_id=run_id)
    except FetchRun.DoesNotExist:
        raise Http404("No such fetch.") from None
    return JsonResponse(
        {
            "id": run.pk,
            "status": run.status,
            "pages": run.pages,
            "fetched": run.fetched,
            "new": run.new,
            "duplicates": run.duplicates,
            "error": run.error_message,
            "finished": run.finished_at is not None,
        }
    )


@csrf_exempt  # authenticated by the HMAC signature instead
@require_POST
def webhook_receive(request, token: str):
    try:
        result = services.webhook_receive(
            token=token,
            body=request.body,
            signature=request.headers.get(SIGNATURE_HEADER),
            timestamp=request.headers.get(TIMESTAMP_HEADER),
        )
    except services.WebhookRejected as rejected:
        return JsonResponse({"errors": rejected.errors}, status=rejected.status)
    return JsonResponse(
        {"received": result.received, "created": result.created, "duplicates": result.duplicates}
    )
