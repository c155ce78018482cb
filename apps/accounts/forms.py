"""Forms of the people pages: inviting a person by e-mail; the 6-digit code of two-factor
sign-in."""

from __future__ import annotations

import re

from django import forms
from django.db.models import QuerySet

from .models import User


class InvitationForm(forms.Form):
    """Who to invite and as what; the client, one of ``clients`` (the inviter's), only for
    client roles (the service checks it)."""

    email = forms.EmailField(label="E-mail", max_length=254)
    role = forms.ChoiceField(label="Role")
    client = forms.ModelChoiceField(
        label="Client",
        queryset=None,  # the inviter's clients, given
        required=False,
        empty_label="Choose a client…",
        help_text="Client viewers and responders see this client only.",
    )

    def __init__(self, *args, inviter: User, clients: QuerySet, **kwargs):
        super().__init__(*args, **kwargs)
        roles = User.Role.choices
        if inviter.role != User.Role.OWNER:
            roles = [(value, label) for value, label in roles if value != User.Role.OWNER]
        self.fields["role"].choices = roles
        self.fields["role"].initial = User.Role.RESPONDER
        self.fields["client"].queryset = clients
        self.fields["email"].widget.attrs.update(autocomplete="off")

    @property
    def wants_client(self) -> bool:
        """Whether the chosen role (submitted, or asked for in the URL) is a client role."""
        role = self.data.get("role") if self.is_bound else self.initial.get("role")
        return role in User.CLIENT_ROLES

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") not in User.CLIENT_ROLES:
            cleaned["client"] = None  # left over from a client role chosen first
        elif not cleaned.get("client") and "client" not in self.errors:
            self.add_error("client", "Choose the client this person will see.")
        return cleaned


class TwoFactorCodeForm(forms.Form):
    """The 6 digits an authenticator app shows (spaces allowed: "123 456")."""

    code = forms.CharField(label="6-digit code", max_length=20)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            autocomplete="one-time-code", inputmode="numeric", autofocus=True
        )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not re.fullmatch(r"\d{6}", code):
            raise forms.ValidationError("Enter the 6 digits your authenticator app shows.")
        return code
