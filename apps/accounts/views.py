"""Sign-in helpers of an agency's host: signing in (with a second step for people who turned
on two-factor sign-in) and setting up two-factor, password reset by e-mail, the people page
where owners and managers invite, and accepting an invitation.

Users live in their agency's schema, so Django's reset views, run on an agency's host, find
only that agency's people: anyone else gets the same "check your inbox" page and no e-mail.
"""

from __future__ import annotations

import time

import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login

from . import selectors, services
from .forms import InvitationForm, TwoFactorCodeForm
from .models import User

# The sign-in waiting for its code: who typed the right password, where they were going, how
# many wrong codes so far. Kept in the (not yet signed-in) session, never longer than this.
TWO_FACTOR_PENDING = "accounts_two_factor_pending"
TWO_FACTOR_PENDING_SECONDS = 10 * 60
TWO_FACTOR_MAX_WRONG_CODES = 5


class LoginView(auth_views.LoginView):
    """E-mail and password; people with two-factor sign-in on then give a code
    (``login_code``) before they are signed in. django-axes refuses locked accounts first."""

    template_name = "accounts/login.html"

    def form_valid(self, form):
        user = form.get_user()
        if selectors.two_factor_device(user=user) is None:
            return super().form_valid(form)
        self.request.session[TWO_FACTOR_PENDING] = {
            "user_id": user.pk,
            "backend": user.backend,
            "next": self.get_success_url(),
            "since": int(time.time()),
            "wrong": 0,
        }
        return redirect("accounts:login_code")


def _pending_sign_in(request: HttpRequest) -> tuple[dict, User] | None:
    """The sign-in waiting for a code in this session and its user, if still good."""
    pending = request.session.get(TWO_FACTOR_PENDING)
    if not isinstance(pending, dict):
        return None
    if time.time() - pending.get("since", 0) > TWO_FACTOR_PENDING_SECONDS:
        return None
    user = User.objects.filter(pk=pending.get("user_id"), is_active=True).first()
    if user is None or selectors.two_factor_device(user=user) is None:
        return None
    return pending, user


@sensitive_post_parameters("code")
@never_cache
def login_code(request: HttpRequest) -> HttpResponse:
    """Second step of signing in: the 6-digit code of the user's authenticator app.

    A wrong code counts as a failed sign-in for django-axes too (a locked account stays
    locked, whichever step it is at); five wrong codes in a row end the pending sign-in.
    """
    found = _pending_sign_in(request)
    if found is None:
        if request.session.pop(TWO_FACTOR_PENDING, None) is not None:
            messages.error(request, "Signing in took too long: please sign in again.")
        return redirect("accounts:login")
    pending, user = found
    credentials = {"username": user.get_username()}
    if AxesProxyHandler.is_locked(request, credentials):
        request.session.pop(TWO_FACTOR_PENDING, None)
        return get_lockout_response(request, None, credentials)

    if request.method != "POST":
        return render(request, "accounts/login_code.html", {"form": TwoFactorCodeForm()})
    form = TwoFactorCodeForm(request.POST)
    if form.is_valid():
        try:
            device = services.two_factor_verify(user=user, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            request.session.pop(TWO_FACTOR_PENDING, None)
            auth_login(request, user, backend=pending["backend"])
            otp_login(request, device)
            return redirect(pending["next"])

    pending["wrong"] = pending.get("wrong", 0) + 1
    request.session[TWO_FACTOR_PENDING] = pending
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if getattr(request, "axes_locked_out", False):
        request.session.pop(TWO_FACTOR_PENDING, None)  # AxesMiddleware answers: locked
    elif pending["wrong"] >= TWO_FACTOR_MAX_WRONG_CODES:
        request.session.pop(TWO_FACTOR_PENDING, None)
        messages.error(request, "Too many wrong codes: please sign in again.")
        return redirect("accounts:login")
    return render(request, "accounts/login_code.html", {"form": form})


def _qr_svg(uri: str) -> str:
    """The URI as an inline SVG QR code (drawn here: no script, no request to anyone)."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, title="QR code for your authenticator app", svgclass="qr-code"
    )
    return mark_safe(svg)  # noqa: S308 - segno draws it; its only text is the title above


@sensitive_post_parameters("code")
@never_cache
@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in on (scan, then confirm with a code) or off (with a code).
    Agency staff only; anyone else: 404."""
    user = request.user
    if not selectors.can_use_two_factor(user):
        raise Http404("No such page.")
    form, status = TwoFactorCodeForm(), 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "start":
            try:
                services.two_factor_start(user=user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            return redirect("accounts:two_factor")
        if action not in ("confirm", "disable"):
            return redirect("accounts:two_factor")
        form = TwoFactorCodeForm(request.POST)
        if form.is_valid():
            code = form.cleaned_data["code"]
            try:
                if action == "confirm":
                    device = services.two_factor_confirm(
                        user=user, code=code, keep_session_key=request.session.session_key
                    )
                    otp_login(request, device)  # this session proved the code already
                    messages.success(request, "Two-factor sign-in is on.")
                else:
                    services.two_factor_disable(user=user, code=code)
                    messages.success(request, "Two-factor sign-in is off.")
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return redirect("accounts:two_factor")
        status = 400

    device = selectors.two_factor_device(user=user)
    setup = None
    if device is None:
        pending = selectors.two_factor_pending_device(user=user)
        if pending is not None:
            tenant = getattr(request, "tenant", None)
            issuer = f"{tenant.name} (Rapport)" if tenant is not None else "Rapport"
            uri = selectors.two_factor_uri(device=pending, issuer=issuer)
            setup = {
                "qr_svg": _qr_svg(uri),
                "uri": uri,
                "secret": selectors.two_factor_secret(device=pending),
            }
    context = {"device": device, "setup": setup, "form": form}
    return render(request, "accounts/two_factor.html", context, status=status)


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link; the link points at the host the request came to."""

    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        form.save(
            domain_override=self.request.get_host(),
            use_https=self.request.is_secure(),
            token_generator=self.token_generator,
            email_template_name=self.email_template_name,
            subject_template_name=self.subject_template_name,
            request=self.request,
            extra_email_context={"agency": getattr(self.request, "tenant", None)},
        )
        return redirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")

    def get_user(self, uidb64):
        """Active people only: an invitation's link is not a reset link (it joins instead)."""
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def form_valid(self, form):
        response = super().form_valid(form)  # the new password is saved
        services.user_password_changed(user=form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """The invited person chooses a password and is signed in; the link then stops working.

    Django's reset-confirm flow does the token work (checked once, then kept in the session so
    the token leaves the address bar); only pending invitations are found.
    """

    template_name = "accounts/invitation_accept.html"

    def get_user(self, uidb64):
        return selectors.invitation_user_get(uidb64=uidb64)

    def form_valid(self, form):
        try:
            user = services.user_invitation_accept(
                user=self.user, password=form.cleaned_data["new_password1"]
            )
        except ValidationError as error:
            form.add_error("new_password1", error)
            return self.form_invalid(form)
        self.request.session.pop(auth_views.INTERNAL_RESET_SESSION_TOKEN, None)
        auth_login(self.request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(self.request, "Welcome to Rapport: your account is ready.")
        return redirect(resolve_url(settings.LOGIN_REDIRECT_URL))


@login_required
def people(request: HttpRequest) -> HttpResponse:
    """The agency's people and the invitation form (owners and managers; anyone else: 404)."""
    if not selectors.can_manage_people(request.user):
        raise Http404("No such page.")
    if request.method == "POST" and "remove" in request.POST:
        return _person_remove(request)
    clients = selectors.invitable_clients(inviter=request.user)
    if request.method == "POST":
        form = InvitationForm(request.POST, inviter=request.user, clients=clients)
        if form.is_valid():
            try:
                invited = services.user_invite(
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    client=form.cleaned_data["client"],
                    invited_by=request.user,
                    base_url=f"{request.scheme}://{request.get_host()}",
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Invitation sent to {invited.email}.")
                return redirect("accounts:people")
        status = 400
    else:
        initial = {"role": request.GET["role"]} if "role" in request.GET else {}
        form = InvitationForm(inviter=request.user, clients=clients, initial=initial)
        status = 200
    people = [
        (person, "invited" if selectors.user_is_invited(person) else
         "active" if person.is_active else "deactivated")
        for person in selectors.user_list(user=request.user)
    ]  # fmt: skip
    return render(request, "accounts/people.html", {"form": form, "people": people}, status=status)


def _person_remove(request: HttpRequest) -> HttpResponse:
    """Remove the person ``remove`` names (one of the agency's people the caller sees)."""
    given = request.POST["remove"]
    people = selectors.user_list(user=request.user)
    person = people.filter(pk=int(given)).first() if given.isdigit() and len(given) < 19 else None
    if person is None:
        raise Http404("No such person.")
    try:
        services.user_remove(user=person, removed_by=request.user)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, f"{person.email} was removed and signed out everywhere.")
    return redirect("accounts:people")
