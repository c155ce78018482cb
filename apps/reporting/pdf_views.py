"""The PDF export of a client's report (``/reports/clients/<id>/report.pdf``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from apps.core.replica import from_replica

from .pdf import report_pdf
from .periods import client_or_404, requested_period


@never_cache
@require_GET
@login_required
def report_pdf_download(request: HttpRequest, client_id: int) -> HttpResponse:
    """The client's report as a PDF attachment; 404 for a client the user may not see, 400 for
    a bad period."""
    client = client_or_404(request, client_id)
    try:
        period = requested_period(request, client)
    except ValueError as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")
    response = HttpResponse(
        from_replica(
            report_pdf, client=client, since=period.since, until=period.until, viewer=request.user
        ),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=f"{client.slug}-report-{period.since}-{period.until}.pdf"
    )
    return response
