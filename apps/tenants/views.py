"""Self-serve sign-up on the public host: the form, the live slug check, the e-mailed
verification link and the provisioning progress page."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from . import services
from .forms import SignupForm
from .models import AgencySignup


def _agency_login_url(request: HttpRequest, slug: str) -> str:
    """The sign-in page on the agency's own host, on the port this request came in on."""
    host = request.get_host()
    suffix = host[host.rindex(":") :] if ":" in host else ""
    scheme = "https" if request.is_secure() else "http"
    login = reverse("accounts:login", urlconf=settings.ROOT_URLCONF)
    return f"{scheme}://{services.agency_host(slug)}{suffix}{login}"


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(
        request.POST if request.method == "POST" else None, check_url=reverse("signup-check-slug")
    )
    if request.method == "POST" and form.is_valid():
        if not services.signup_allowed(ip_address=request.META.get("REMOTE_ADDR")):
            form.add_error(None, "Too many sign-ups from your address; try again in an hour.")
            return render(request, "tenants/signup.html", {"form": form}, status=429)
        try:
            signup = services.signup_start(
                **form.cleaned_data,
                ip_address=request.META.get("REMOTE_ADDR"),
                verify_url=lambda token: request.build_absolute_uri(
                    reverse("signup-verify", args=[token])
                ),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return render(request, "tenants/signup_sent.html", {"signup": signup})
    status = 400 if form.errors else 200
    return render(request, "tenants/signup.html", {"form": form}, status=status)


@require_GET
def signup_check_slug(request: HttpRequest) -> HttpResponse:
    """A line saying whether ``?slug=`` is free (the sign-up form asks as you type)."""
    slug = request.GET.get("slug", "").strip().lower()
    problem = services.agency_slug_problem(slug)
    context = {"slug": slug, "problem": problem, "host": services.agency_host(slug)}
    return render(request, "tenants/_slug_check.html", context)


@require_GET
def signup_verify(request: HttpRequest, token: str) -> HttpResponse:
    try:
        signup = services.signup_verify(token=token)
    except AgencySignup.DoesNotExist:
        raise Http404("This link is not valid.") from None
    return redirect("signup-status", token=signup.token)


@require_GET
def signup_status(request: HttpRequest, token: str) -> HttpResponse:
    """The provisioning progress; polled every second until the agency is ready, then the owner
    is sent to its sign-in page."""
    signup = AgencySignup.objects.filter(token=token).select_related("agency").first()
    if signup is None or signup.status == AgencySignup.Status.UNVERIFIED:
        raise Http404("This link is not valid.")
    login_url = _agency_login_url(request, signup.slug)
    if request.headers.get("HX-Request") and signup.status == AgencySignup.Status.READY:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = login_url
        return response
    context = {"signup": signup, "login_url": login_url, "base_domain": settings.BASE_DOMAIN}
    template = "tenants/_signup_progress.html" if request.headers.get("HX-Request") else None
    return render(request, template or "tenants/signup_status.html", context)
