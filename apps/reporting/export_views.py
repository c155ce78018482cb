"""CSV downloads of a client's report figures, mentions and acknowledgements for a period,
streamed as they are read (``?since=YYYY-MM-DD&until=YYYY-MM-DD``, local days of the client;
default the last 30)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from apps.core.replica import replica_rows

from . import exports
from .periods import client_or_404, requested_period


def _export(request, client_id: int, what: str, rows: Callable[..., Iterator[bytes]]):
    client = client_or_404(request, client_id)
    try:
        period = requested_period(request, client)
    except ValueError as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    response = StreamingHttpResponse(
        replica_rows(
            rows(user=request.user, client_id=client.pk, since=period.since, until=period.until)
        ),
        content_type="text/csv; charset=utf-8",
    )
    response.headers["Content-Disposition"] = content_disposition_header(
        as_attachment=True,
        filename=exports.export_filename(client=client, what=what, period=period),
    )
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_GET
def mentions_csv(request, client_id: int):
    """Every mention of the client posted in the period that the user may see, oldest first."""
    return _export(request, client_id, "mentions", exports.mentions_csv_rows)


@login_required
@require_GET
def corrections_csv(request, client_id: int):
    """The client's mentions posted in the period whose labels a person corrected: a labelled
    set, the person's sentiment and intent beside the model's."""
    return _export(request, client_id, "corrected-labels", exports.corrections_csv_rows)


@login_required
@require_GET
def acknowledgements_csv(request, client_id: int):
    """Every acknowledgement given in the period to the client's mentions the user may see."""
    return _export(request, client_id, "acknowledgements", exports.acknowledgements_csv_rows)


@login_required
@require_GET
def figures_csv(request, client_id: int):
    """The report's headline figures for the period and the one before, one row per figure."""
    return _export(request, client_id, "figures", exports.figures_csv_rows)
