"""Sign-in helpers of an agency's host: password reset by e-mail, the people page where owners
and managers invite, and accepting an invitation.

Users live in their agency's schema, so Django's reset views, run on an agency's host, find
only that agency's people: anyone else gets the same "check your inbox" page and no e-mail.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse_lazy

from . import selectors, services
from .forms import InvitationForm


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
    if request.method == "POST":
        form = InvitationForm(request.POST, inviter=request.user)
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
        form = InvitationForm(inviter=request.user, initial=initial)
        status = 200
    people = [
        (person, "invited" if selectors.user_is_invited(person) else
         "active" if person.is_active else "deactivated")
        for person in selectors.user_list(user=request.user)
    ]  # fmt: skip
    return render(request, "accounts/people.html", {"form": form, "people": people}, status=status)
